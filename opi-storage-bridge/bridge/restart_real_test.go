package bridge

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"reflect"
	"testing"
	"time"

	commonv1 "github.com/opi-suite/opi/opi-api/common/v1"
	pb "github.com/opi-suite/opi/opi-api/storage/v1"
)

// TestRealSPDKKilledUnderIOComesBackWhole kills spdk_tgt with SIGKILL while
// an outside initiator reads through the bridge's listener, and starts it
// again empty, as a supervisor would. The bridge must put everything back
// by itself: every resource READY, SPDK holding the same bdevs, the same
// namespace ids and UUIDs and the listener, data written before the crash
// readable (the encrypted volume rebuilt with the same key over the same
// file), and new I/O working. It logs the time from the kill to all of it.
func TestRealSPDKKilledUnderIOComesBackWhole(t *testing.T) {
	r := newRealBridge(t)
	ctx := realCtx(t)
	file := backingFile(t, dpVolumeBytes)
	mustDo(t, "aio volume")(r.vols.CreateAioVolume(ctx, &pb.CreateAioVolumeRequest{AioVolumeId: "disk",
		AioVolume: &pb.AioVolume{Filename: file, BlockSize: 512}}))
	mustDo(t, "encrypted volume")(r.mid.CreateEncryptedVolume(ctx, &pb.CreateEncryptedVolumeRequest{EncryptedVolumeId: "sec",
		EncryptedVolume: &pb.EncryptedVolume{Volume: "aioVolumes/disk", Cipher: pb.EncryptionCipher_ENCRYPTION_CIPHER_AES_XTS, Key: dpKey, Key2: dpKey2}}))
	mustDo(t, "malloc volume")(r.vols.CreateMallocVolume(ctx, &pb.CreateMallocVolumeRequest{MallocVolumeId: "mem",
		MallocVolume: &pb.MallocVolume{BlockSize: 512, BlockCount: dpVolumeBytes / 512}}))
	mustDo(t, "qos volume")(r.mid.CreateQosVolume(ctx, &pb.CreateQosVolumeRequest{QosVolumeId: "lim",
		QosVolume: &pb.QosVolume{Volume: "mallocVolumes/mem", Limits: &pb.QosLimits{RwIosPerSec: 100000}}}))
	port := freePort(t)
	nqn := r.export(ctx, "s", "encryptedVolumes/sec", port) // namespace s-ns, nsid 1
	mustDo(t, "second namespace")(r.nvme.CreateNvmeNamespace(ctx, &pb.CreateNvmeNamespaceRequest{Parent: "nvmeSubsystems/s",
		NvmeNamespaceId: "s-ns2", NvmeNamespace: &pb.NvmeNamespace{Volume: "qosVolumes/lim", Nsid: 2}}))

	h := newHost(t, r.tgt, nqn, port)
	before := randomBytes(t, dpIOBytes)
	h.write(before)
	wantSPDK := r.exported(ctx, nqn)
	t.Logf("in SPDK before the kill: %+v", wantSPDK)

	// A workload in flight: 20 s of reads at QD8, killed with the target.
	perfCtx, stopPerf := context.WithCancel(context.Background())
	workload := exec.CommandContext(perfCtx, r.tgt.Bin("spdk_nvme_perf"), perfArgs(nqn, port, 8, 4096, "randread", 20)...)
	if err := workload.Start(); err != nil {
		t.Fatal(err)
	}
	perfDone := make(chan struct{})
	go func() { _ = workload.Wait(); close(perfDone) }()
	t.Cleanup(func() { stopPerf(); <-perfDone })
	r.waitForReads(ctx, "crypto-sec")

	killed := time.Now()
	r.tgt.Restart()
	answering := time.Since(killed)
	ready := r.waitAllReady(ctx, nqn, wantSPDK, killed, 60*time.Second)
	t.Logf("spdk_tgt SIGKILLed under I/O: answering again after %v, everything READY and back in SPDK %v after the kill (%v after it answered)",
		answering.Round(time.Millisecond), ready.Round(time.Millisecond), (ready - answering).Round(time.Millisecond))

	stopPerf()
	<-perfDone // it failed with the target or was stopped: either way it is gone
	after := newHost(t, r.tgt, nqn, port)
	if got, _ := after.read(dpIOBytes); !bytes.Equal(got, before) {
		t.Errorf("data written before the kill reads back changed through the rebuilt encrypted volume: %s", equalBytes(got, before))
	}
	after.roundTrip(dpIOBytes)
}

// exportedView is what SPDK holds for one exported subsystem, to compare
// before and after a restart.
type exportedView struct {
	Namespaces map[uint32]string // nsid -> "bdev uuid"
	Listeners  []string
}

func (r *realBridge) exported(ctx context.Context, nqn string) exportedView {
	r.t.Helper()
	v, err := r.tryExported(ctx, nqn)
	if err != nil {
		r.t.Fatal(err)
	}
	return v
}

func (r *realBridge) tryExported(ctx context.Context, nqn string) (exportedView, error) {
	var subs []struct {
		NQN        string `json:"nqn"`
		Namespaces []struct {
			NSID     uint32 `json:"nsid"`
			BdevName string `json:"bdev_name"`
			UUID     string `json:"uuid"`
		} `json:"namespaces"`
		ListenAddresses []struct {
			Trtype  string `json:"trtype"`
			Traddr  string `json:"traddr"`
			Trsvcid string `json:"trsvcid"`
		} `json:"listen_addresses"`
	}
	if err := r.direct.Call(ctx, "nvmf_get_subsystems", map[string]any{"nqn": nqn}, &subs); err != nil {
		return exportedView{}, err
	}
	if len(subs) != 1 {
		return exportedView{}, fmt.Errorf("nvmf_get_subsystems(%s) = %d subsystems", nqn, len(subs))
	}
	v := exportedView{Namespaces: map[uint32]string{}}
	for _, ns := range subs[0].Namespaces {
		v.Namespaces[ns.NSID] = ns.BdevName + " " + ns.UUID
	}
	for _, l := range subs[0].ListenAddresses {
		v.Listeners = append(v.Listeners, l.Trtype+" "+l.Traddr+":"+l.Trsvcid)
	}
	return v, nil
}

// waitForReads waits until SPDK has completed reads on bdev, so that the
// kill that follows lands on I/O in flight.
func (r *realBridge) waitForReads(ctx context.Context, bdev string) {
	r.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var st struct {
			Bdevs []struct {
				NumReadOps uint64 `json:"num_read_ops"`
			} `json:"bdevs"`
		}
		err := r.direct.Call(ctx, "bdev_get_iostat", map[string]any{"names": []string{bdev}}, &st)
		if err == nil && len(st.Bdevs) == 1 && st.Bdevs[0].NumReadOps > 1000 {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("no reads through %s within 30s of starting spdk_nvme_perf (%+v, %v)", bdev, st, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitAllReady waits until every resource the bridge holds is READY
// through its API and SPDK holds the exported subsystem as want says, and
// returns the time since since.
func (r *realBridge) waitAllReady(ctx context.Context, nqn string, want exportedView, since time.Time, timeout time.Duration) time.Duration {
	r.t.Helper()
	start := time.Now()
	var last string
	for time.Since(start) < timeout {
		last = r.notReady(ctx, nqn, want)
		if last == "" {
			return time.Since(since)
		}
		time.Sleep(20 * time.Millisecond)
	}
	r.t.Fatalf("not back within %v of spdk_tgt answering: %s", timeout, last)
	return 0
}

// notReady says what is not back yet, or "".
func (r *realBridge) notReady(ctx context.Context, nqn string, want exportedView) string {
	got, err := r.tryExported(ctx, nqn)
	if err != nil {
		return "subsystem: " + err.Error()
	}
	if !reflect.DeepEqual(got, want) {
		return fmt.Sprintf("SPDK holds %+v, want %+v", got, want)
	}
	statuses := map[string]func() (*commonv1.ResourceStatus, error){
		"aioVolumes/disk": func() (*commonv1.ResourceStatus, error) {
			v, err := r.vols.GetAioVolume(ctx, &pb.GetAioVolumeRequest{Name: "aioVolumes/disk"})
			return v.GetStatus(), err
		},
		"encryptedVolumes/sec": func() (*commonv1.ResourceStatus, error) {
			v, err := r.mid.GetEncryptedVolume(ctx, &pb.GetEncryptedVolumeRequest{Name: "encryptedVolumes/sec"})
			return v.GetStatus(), err
		},
		"mallocVolumes/mem": func() (*commonv1.ResourceStatus, error) {
			v, err := r.vols.GetMallocVolume(ctx, &pb.GetMallocVolumeRequest{Name: "mallocVolumes/mem"})
			return v.GetStatus(), err
		},
		"qosVolumes/lim": func() (*commonv1.ResourceStatus, error) {
			v, err := r.mid.GetQosVolume(ctx, &pb.GetQosVolumeRequest{Name: "qosVolumes/lim"})
			return v.GetStatus(), err
		},
		"nvmeSubsystems/s": func() (*commonv1.ResourceStatus, error) {
			v, err := r.nvme.GetNvmeSubsystem(ctx, &pb.GetNvmeSubsystemRequest{Name: "nvmeSubsystems/s"})
			return v.GetStatus(), err
		},
		"nvmeSubsystems/s/nvmeNamespaces/s-ns": func() (*commonv1.ResourceStatus, error) {
			v, err := r.nvme.GetNvmeNamespace(ctx, &pb.GetNvmeNamespaceRequest{Name: "nvmeSubsystems/s/nvmeNamespaces/s-ns"})
			return v.GetStatus(), err
		},
		"nvmeSubsystems/s/nvmeNamespaces/s-ns2": func() (*commonv1.ResourceStatus, error) {
			v, err := r.nvme.GetNvmeNamespace(ctx, &pb.GetNvmeNamespaceRequest{Name: "nvmeSubsystems/s/nvmeNamespaces/s-ns2"})
			return v.GetStatus(), err
		},
		"nvmeSubsystems/s/nvmeControllers/s-tcp": func() (*commonv1.ResourceStatus, error) {
			v, err := r.nvme.GetNvmeController(ctx, &pb.GetNvmeControllerRequest{Name: "nvmeSubsystems/s/nvmeControllers/s-tcp"})
			return v.GetStatus(), err
		},
	}
	for name, get := range statuses {
		st, err := get()
		if err != nil {
			return name + ": " + err.Error()
		}
		if st.GetState() != commonv1.ResourceState_RESOURCE_STATE_READY {
			return fmt.Sprintf("%s is %v", name, st)
		}
	}
	var limits []struct {
		AssignedRateLimits map[string]uint64 `json:"assigned_rate_limits"`
	}
	if err := r.direct.Call(ctx, "bdev_get_bdevs", map[string]any{"name": "qos-lim"}, &limits); err != nil || len(limits) != 1 ||
		limits[0].AssignedRateLimits["rw_ios_per_sec"] != 100000 {
		return fmt.Sprintf("qos-lim's limits in SPDK: %+v, %v", limits, err)
	}
	return ""
}

// mustDo fails the test when a create fails.
func mustDo(t testing.TB, what string) func(any, error) {
	t.Helper()
	return func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
}
