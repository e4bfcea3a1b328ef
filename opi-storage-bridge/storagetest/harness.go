package storagetest

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/server/servertest"
	"github.com/opi-suite/opi/opi-storage-bridge/bridge"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
	"google.golang.org/grpc"
)

// Harness is a bridge built from a Config, running on its target and
// served through the runtime's real interceptor chain, with a client of
// every storage service. Run drives one; a vendor's own tests may start
// one to check what the suite cannot know (the vendor's own records).
type Harness struct {
	// Target is the SPDK the bridge runs on.
	Target *Target
	// StateDir is the bridge's state directory; it outlives RestartBridge.
	StateDir string
	// Bridge is the running bridge (a new one after RestartBridge).
	Bridge *bridge.Bridge
	// SPDK is a connection of the harness's own to the target, to look at
	// what the bridge made there.
	SPDK *spdk.Client
	// Conn is the client connection to the bridge's gRPC port.
	Conn *grpc.ClientConn

	// Volumes is a client of the VolumeService (malloc, null, AIO).
	Volumes pb.VolumeServiceClient
	// Lvols is a client of the LogicalVolumeService.
	Lvols pb.LogicalVolumeServiceClient
	// Middleend is a client of the MiddleendService (encrypted, QoS).
	Middleend pb.MiddleendServiceClient
	// Remote is a client of the BackendNvmeService (remote controllers).
	Remote pb.BackendNvmeServiceClient
	// Nvme is a client of the FrontendNvmeService.
	Nvme pb.FrontendNvmeServiceClient
	// VirtioBlks is a client of the FrontendVirtioBlkService.
	VirtioBlks pb.FrontendVirtioBlkServiceClient
	// VirtioScsi is a client of the FrontendVirtioScsiService.
	VirtioScsi pb.FrontendVirtioScsiServiceClient

	t    *testing.T // the test the harness lives as long as
	cfg  Config
	sent requests
	stop func() // stops the running bridge and its server
}

// Start builds the bridge from cfg on a fresh state directory, waits for
// its first reconcile pass and serves it until t ends.
func Start(t *testing.T, cfg Config) *Harness {
	t.Helper()
	if cfg.Target == nil {
		t.Fatal("storagetest: Config.Target is required (storagetest.Sim or storagetest.SPDK)")
	}
	h := &Harness{Target: cfg.Target, StateDir: t.TempDir(), cfg: cfg, t: t}
	h.SPDK = spdk.New(cfg.Target.Socket)
	t.Cleanup(func() { h.SPDK.Close() })
	h.start(t)
	t.Cleanup(func() { h.stop() })
	return h
}

// start builds a bridge on h.StateDir and serves it.
func (h *Harness) start(t *testing.T) {
	t.Helper()
	b, err := bridge.New(bridge.Config{
		StateDir: h.StateDir, SPDKSocket: h.Target.Socket,
		// Passes come from SPDK reconnecting and from the suite's kicks,
		// never from a timer the suite would race with.
		Interval:    time.Hour,
		SPDKOptions: append([]spdk.Option{spdk.WithObserver(h.sent.observe)}, h.cfg.SPDKOptions...),
	}, h.cfg.Options...)
	if err != nil {
		t.Fatalf("bridge.New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = b.Run(ctx) }()
	select {
	case <-b.Synced():
	case <-time.After(60 * time.Second):
		cancel()
		<-done
		b.Close()
		t.Fatalf("the bridge did not finish its first reconcile pass on %s within 60s", h.Target.Name)
	}
	// servertest stops the server when the harness's test ends (not a
	// subtest that restarted the bridge); a restarted bridge gets a server
	// of its own, and the old one serves a closed bridge.
	conn := servertest.Start(h.t, b.Services()).Conn
	h.Bridge, h.Conn = b, conn
	h.Volumes = pb.NewVolumeServiceClient(conn)
	h.Lvols = pb.NewLogicalVolumeServiceClient(conn)
	h.Middleend = pb.NewMiddleendServiceClient(conn)
	h.Remote = pb.NewBackendNvmeServiceClient(conn)
	h.Nvme = pb.NewFrontendNvmeServiceClient(conn)
	h.VirtioBlks = pb.NewFrontendVirtioBlkServiceClient(conn)
	h.VirtioScsi = pb.NewFrontendVirtioScsiServiceClient(conn)
	h.stop = func() {
		cancel()
		<-done
		b.Close()
	}
}

// RestartBridge stops the bridge and builds a new one with the same
// options on the same state directory, as after the process restarted;
// it returns once the new bridge's first pass is done.
func (h *Harness) RestartBridge(t *testing.T) {
	t.Helper()
	h.stop()
	h.start(t)
}

// RestartTarget restarts SPDK empty and waits until the bridge has noticed
// and replayed its intent, that is until ready reports true (it is asked
// again after each pass the harness kicks, for up to a minute).
func (h *Harness) RestartTarget(t *testing.T, ready func() (bool, string)) {
	t.Helper()
	h.Target.Restart()
	h.Eventually(t, time.Minute, func() (bool, string) {
		// The health probe is what notices an idle restart in production
		// (every few seconds); the reconnection it makes kicks the replay.
		// A kick on top covers resources a first pass had to refuse
		// (a loopback remote controller is replayed before the subsystem
		// it attaches to), as the bridge's periodic pass does.
		_ = h.Bridge.Probe(context.Background())
		h.Bridge.Kick()
		return ready()
	})
}

// Eventually polls cond until it reports true, failing t with cond's last
// message after timeout.
func (h *Harness) Eventually(t *testing.T, timeout time.Duration, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, why := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not reached within %v on %s: %s", timeout, h.Target.Name, why)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// requests records the methods of the requests the bridge sends to SPDK.
type requests struct {
	mu      sync.Mutex
	methods []string
}

func (r *requests) observe(method string, _ json.RawMessage) {
	r.mu.Lock()
	r.methods = append(r.methods, method)
	r.mu.Unlock()
}

// mark returns how many requests were sent so far.
func (r *requests) mark() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.methods)
}

// since returns the methods sent after mark.
func (r *requests) since(mark int) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.methods[mark:])
}

// changing reports whether an SPDK method may change SPDK's state: every
// method SPDK has for reading is named *_get_* or *_get.
func changing(method string) bool {
	return !strings.Contains(method+"_", "_get_")
}

// FreePort returns a TCP port on 127.0.0.1 that nothing listens on now.
// A real spdk_tgt opens its NVMe/TCP listeners as real sockets, and other
// targets (other tests, other developers) may hold the well-known 4420.
func FreePort(t testing.TB) uint32 {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return uint32(l.Addr().(*net.TCPAddr).Port)
}

// call is an SPDK call of the harness's own that must succeed.
func (h *Harness) call(t testing.TB, method string, params, result any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := h.SPDK.Call(ctx, method, params, result); err != nil {
		t.Fatalf("%s on %s: %v", method, h.Target.Name, err)
	}
}

// Bdev is what the suite reads of an SPDK bdev.
type Bdev struct {
	Name      string   `json:"name"`
	Aliases   []string `json:"aliases"`
	UUID      string   `json:"uuid"`
	BlockSize uint64   `json:"block_size"`
	NumBlocks uint64   `json:"num_blocks"`
}

// Bdevs returns SPDK's bdevs by name.
func (h *Harness) Bdevs(t testing.TB) map[string]Bdev {
	t.Helper()
	var out []Bdev
	h.call(t, "bdev_get_bdevs", nil, &out)
	m := map[string]Bdev{}
	for _, b := range out {
		m[b.Name] = b
		for _, a := range b.Aliases {
			m[a] = b // logical volumes are found by their alias lvs/name
		}
	}
	return m
}

// Subsystem is what the suite reads of an SPDK NVMe-oF subsystem.
type Subsystem struct {
	NQN             string               `json:"nqn"`
	AllowAnyHost    bool                 `json:"allow_any_host"`
	ListenAddresses []spdk.ListenAddress `json:"listen_addresses"`
	Hosts           []struct {
		NQN string `json:"nqn"`
	} `json:"hosts"`
	Namespaces []struct {
		NSID     uint32 `json:"nsid"`
		BdevName string `json:"bdev_name"`
		UUID     string `json:"uuid"`
	} `json:"namespaces"`
}

// Subsystems returns SPDK's NVMe-oF subsystems by NQN, without the
// discovery subsystem.
func (h *Harness) Subsystems(t testing.TB) map[string]Subsystem {
	t.Helper()
	var out []Subsystem
	h.call(t, "nvmf_get_subsystems", nil, &out)
	m := map[string]Subsystem{}
	for _, s := range out {
		if s.NQN != "nqn.2014-08.org.nvmexpress.discovery" {
			m[s.NQN] = s
		}
	}
	return m
}

// VhostControllers returns the names of SPDK's vhost controllers.
func (h *Harness) VhostControllers(t testing.TB) map[string]bool {
	t.Helper()
	var out []struct {
		Ctrlr string `json:"ctrlr"`
	}
	h.call(t, "vhost_get_controllers", nil, &out)
	m := map[string]bool{}
	for _, c := range out {
		m[c.Ctrlr] = true
	}
	return m
}

// ScsiTargets returns, for each vhost-user SCSI controller of SPDK, the
// bdev (LUN 0) at each SCSI target number.
func (h *Harness) ScsiTargets(t testing.TB) map[string]map[uint32]string {
	t.Helper()
	m, err := h.scsiTargets()
	if err != nil {
		t.Fatalf("vhost_get_controllers on %s: %v", h.Target.Name, err)
	}
	return m
}

func (h *Harness) scsiTargets() (map[string]map[uint32]string, error) {
	var out []struct {
		Ctrlr           string `json:"ctrlr"`
		BackendSpecific struct {
			Scsi *[]struct {
				ScsiDevNum uint32 `json:"scsi_dev_num"`
				Luns       []struct {
					BdevName string `json:"bdev_name"`
				} `json:"luns"`
			} `json:"scsi"`
		} `json:"backend_specific"`
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := h.SPDK.Call(ctx, "vhost_get_controllers", nil, &out); err != nil {
		return nil, err
	}
	m := map[string]map[uint32]string{}
	for _, c := range out {
		if c.BackendSpecific.Scsi == nil {
			continue
		}
		m[c.Ctrlr] = map[uint32]string{}
		for _, d := range *c.BackendSpecific.Scsi {
			if len(d.Luns) > 0 {
				m[c.Ctrlr][d.ScsiDevNum] = d.Luns[0].BdevName
			}
		}
	}
	return m, nil
}

// spdkState is everything of SPDK's that a refused request must leave
// as it was: bdevs, subsystems, vhost controllers, keyring keys.
func (h *Harness) spdkState(t testing.TB) string {
	t.Helper()
	var keys []struct {
		Name string `json:"name"`
	}
	h.call(t, "keyring_get_keys", nil, &keys)
	bdevs := h.Bdevs(t)
	names := make([]string, 0, len(bdevs))
	for n := range bdevs {
		names = append(names, n)
	}
	slices.Sort(names)
	return fmt.Sprintf("bdevs %v subsystems %+v vhost %v scsi %v keys %+v", names, h.Subsystems(t), h.VhostControllers(t), h.ScsiTargets(t), keys)
}
