package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	commonv1 "github.com/opi-suite/opi/opi-api/common/v1"
	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// bins are the commands the system tests run, built once.
var bins struct {
	once                  sync.Once
	dir, sim, bridge, cli string
	err                   error
}

func build(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the bridge, spdk-sim and opi as processes")
	}
	bins.once.Do(func() {
		bins.dir, bins.err = os.MkdirTemp("", "sbbin")
		if bins.err != nil {
			return
		}
		bins.sim, bins.bridge, bins.cli = filepath.Join(bins.dir, "spdk-sim"), filepath.Join(bins.dir, "opi-storage-bridge"), filepath.Join(bins.dir, "opi")
		for out, pkg := range map[string]string{bins.sim: "../spdk-sim", bins.bridge: ".", bins.cli: "../../../opi-cli/cmd/opi"} {
			if b, err := exec.Command("go", "build", "-o", out, pkg).CombinedOutput(); err != nil {
				// The CLI lives in a sibling module: only outside the
				// repository's workspace (GOWORK=off, a split checkout) may it
				// be missing, and then only the CLI test skips.
				if pkg != "../../../opi-cli/cmd/opi" || inWorkspace() {
					bins.err = fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
					return
				}
				bins.cli = ""
			}
		}
	})
	if bins.err != nil {
		t.Fatal(bins.err)
	}
}

// proc is a started command whose output is shown when the test fails.
type proc struct {
	cmd    *exec.Cmd
	out    bytes.Buffer
	exited chan struct{} // closed once Wait returned
}

func start(t *testing.T, bin string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(bin, args...), exited: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		p.stop(syscall.SIGKILL)
		if t.Failed() {
			t.Logf("%s output:\n%s", filepath.Base(bin), p.out.String())
		}
	})
	return p
}

func (p *proc) stop(sig syscall.Signal) {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.exited:
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// system is spdk-sim plus the bridge, both as processes on real sockets.
type system struct {
	t                  *testing.T
	sock, state        string
	grpcAddr, httpAddr string
	sim, bridge        *proc
	conn               *grpc.ClientConn
	spdk               *spdk.Client
}

func newSystem(t *testing.T) *system {
	build(t)
	dir, err := os.MkdirTemp("", "sbsys")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	s := &system{t: t, sock: filepath.Join(dir, "spdk.sock"), state: filepath.Join(dir, "state")}
	s.startSim()
	s.startBridge()
	s.spdk = spdk.New(s.sock)
	t.Cleanup(func() { s.spdk.Close() })
	return s
}

func (s *system) startSim() {
	s.sim = start(s.t, bins.sim, "-r", s.sock)
	waitFor(s.t, "spdk-sim's socket", func() bool {
		c, err := net.Dial("unix", s.sock)
		ok := err == nil
		if ok {
			c.Close()
		}
		return ok
	})
}

func (s *system) startBridge() {
	s.grpcAddr, s.httpAddr = freeAddr(s.t), freeAddr(s.t)
	s.bridge = start(s.t, bins.bridge, "--listen", s.grpcAddr, "--http-listen", s.httpAddr, "--state-dir", s.state,
		"--spdk-socket", s.sock, "--insecure-plaintext")
	waitFor(s.t, "the bridge's /healthz", func() bool {
		res, err := http.Get("http://" + s.httpAddr + "/healthz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	})
	if s.conn != nil {
		s.conn.Close()
	}
	conn, err := grpc.NewClient(s.grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		s.t.Fatal(err)
	}
	s.conn = conn
	s.t.Cleanup(func() { conn.Close() })
}

// waitSettled waits until the bridge's first pass has checked every
// volume and namespace against SPDK: a restarted bridge serves at once,
// and reads PENDING what the pass has not reached yet (or an interrupted
// create it has not finished).
func (s *system) waitSettled() {
	s.t.Helper()
	ctx := context.Background()
	waitFor(s.t, "every volume and namespace checked by the first pass", func() bool {
		vols, err := s.vols().ListMallocVolumes(ctx, &pb.ListMallocVolumesRequest{PageSize: 1000})
		if err != nil {
			return false
		}
		nss, err := s.nvme().ListNvmeNamespaces(ctx, &pb.ListNvmeNamespacesRequest{Parent: "nvmeSubsystems/sub1", PageSize: 1000})
		if err != nil {
			return false
		}
		for _, v := range vols.GetMallocVolumes() {
			if v.GetStatus().GetState() == commonv1.ResourceState_RESOURCE_STATE_PENDING {
				return false
			}
		}
		for _, n := range nss.GetNvmeNamespaces() {
			if n.GetStatus().GetState() == commonv1.ResourceState_RESOURCE_STATE_PENDING {
				return false
			}
		}
		return true
	})
}

func (s *system) nvme() pb.FrontendNvmeServiceClient { return pb.NewFrontendNvmeServiceClient(s.conn) }
func (s *system) vols() pb.VolumeServiceClient       { return pb.NewVolumeServiceClient(s.conn) }

// spdkState returns SPDK's bdev names and, per subsystem NQN, its
// namespaces' bdevs, read straight from spdk-sim.
func (s *system) spdkState() (bdevs map[string]bool, nsBdevs map[string]map[string]bool) {
	s.t.Helper()
	var bl []struct {
		Name string `json:"name"`
	}
	var sl []struct {
		NQN        string `json:"nqn"`
		Namespaces []struct {
			BdevName string `json:"bdev_name"`
			Name     string `json:"name"`
		} `json:"namespaces"`
	}
	ctx := context.Background()
	if err := s.spdk.Call(ctx, "bdev_get_bdevs", nil, &bl); err != nil {
		s.t.Fatal(err)
	}
	if err := s.spdk.Call(ctx, "nvmf_get_subsystems", nil, &sl); err != nil {
		s.t.Fatal(err)
	}
	bdevs, nsBdevs = map[string]bool{}, map[string]map[string]bool{}
	for _, b := range bl {
		bdevs[b.Name] = true
	}
	for _, sub := range sl {
		nsBdevs[sub.NQN] = map[string]bool{}
		for _, n := range sub.Namespaces {
			b := n.BdevName
			if b == "" {
				b = n.Name
			}
			nsBdevs[sub.NQN][b] = true
		}
	}
	return bdevs, nsBdevs
}

func TestSPDKRestartedEmptyIsRebuiltByTheRunningBridge(t *testing.T) {
	s := newSystem(t)
	ctx := context.Background()
	createStack(t, s, "vol1", "sub1", "ns1")
	s.sim.stop(syscall.SIGTERM)
	s.startSim() // empty, as a restarted spdk_tgt
	waitFor(t, "the replay into the restarted spdk-sim", func() bool {
		bdevs, ns := s.spdkState()
		return bdevs["malloc-vol1"] && ns["nqn.2022-09.io.opi:sub1"]["malloc-vol1"]
	})
	got, err := s.nvme().GetNvmeNamespace(ctx, &pb.GetNvmeNamespaceRequest{Name: "nvmeSubsystems/sub1/nvmeNamespaces/ns1"})
	if err != nil || got.GetStatus().GetState() != commonv1.ResourceState_RESOURCE_STATE_READY {
		t.Errorf("namespace after the replay: %v, %v; want READY", got.GetStatus(), err)
	}
}

func TestBridgeRestartReloadsItsIntentAndSPDKRestartTooReplays(t *testing.T) {
	s := newSystem(t)
	createStack(t, s, "vol1", "sub1", "ns1")
	s.bridge.stop(syscall.SIGTERM)
	s.sim.stop(syscall.SIGTERM)
	s.startSim()
	s.startBridge() // serves at once
	s.waitSettled()
	bdevs, ns := s.spdkState()
	if !bdevs["malloc-vol1"] || !ns["nqn.2022-09.io.opi:sub1"]["malloc-vol1"] {
		t.Errorf("after both restarted SPDK lacks the intent: bdevs %v, namespaces %v", bdevs, ns)
	}
	if _, err := s.nvme().GetNvmeSubsystem(context.Background(), &pb.GetNvmeSubsystemRequest{Name: "nvmeSubsystems/sub1"}); err != nil {
		t.Errorf("the restarted bridge lost its intent: %v", err)
	}
}

func TestSIGKILLInTheMiddleOfABatchLeavesNothingHalfMade(t *testing.T) {
	s := newSystem(t)
	ctx := context.Background()
	if _, err := s.nvme().CreateNvmeSubsystem(ctx, &pb.CreateNvmeSubsystemRequest{NvmeSubsystemId: "sub1",
		NvmeSubsystem: &pb.NvmeSubsystem{Nqn: "nqn.2022-09.io.opi:sub1", MaxNamespaces: 64}}); err != nil {
		t.Fatal(err)
	}
	const n, killAfter = 50, 20
	var mu sync.Mutex
	acked := map[int]bool{}
	killed := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			if _, err := s.vols().CreateMallocVolume(cctx, &pb.CreateMallocVolumeRequest{MallocVolumeId: fmt.Sprintf("v%d", i),
				MallocVolume: &pb.MallocVolume{BlockSize: 512, BlockCount: 2048}}); err != nil {
				return
			}
			if _, err := s.nvme().CreateNvmeNamespace(cctx, &pb.CreateNvmeNamespaceRequest{Parent: "nvmeSubsystems/sub1",
				NvmeNamespaceId: fmt.Sprintf("ns%d", i), NvmeNamespace: &pb.NvmeNamespace{Volume: fmt.Sprintf("mallocVolumes/v%d", i)}}); err != nil {
				return
			}
			mu.Lock()
			acked[i] = true
			if len(acked) == killAfter {
				once.Do(func() { _ = s.bridge.cmd.Process.Kill(); close(killed) })
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	<-killed
	s.bridge.stop(syscall.SIGKILL)
	mu.Lock()
	t.Logf("%d of %d creates acknowledged before SIGKILL", len(acked), n)
	mu.Unlock()
	s.startBridge()
	s.waitSettled()

	bdevs, ns := s.spdkState()
	for i := range acked {
		if _, err := s.nvme().GetNvmeNamespace(ctx, &pb.GetNvmeNamespaceRequest{Name: fmt.Sprintf("nvmeSubsystems/sub1/nvmeNamespaces/ns%d", i)}); err != nil {
			t.Errorf("acknowledged namespace ns%d is not in the store: %v", i, err)
		}
		if !bdevs[fmt.Sprintf("malloc-v%d", i)] || !ns["nqn.2022-09.io.opi:sub1"][fmt.Sprintf("malloc-v%d", i)] {
			t.Errorf("acknowledged volume v%d / namespace ns%d is not in SPDK", i, i)
		}
	}
	// Nothing half-made: every SPDK object the bridge made has its intent,
	// and every READY intent has its SPDK object.
	for i := 0; i < n; i++ {
		vol, verr := s.vols().GetMallocVolume(ctx, &pb.GetMallocVolumeRequest{Name: fmt.Sprintf("mallocVolumes/v%d", i)})
		nsr, nerr := s.nvme().GetNvmeNamespace(ctx, &pb.GetNvmeNamespaceRequest{Name: fmt.Sprintf("nvmeSubsystems/sub1/nvmeNamespaces/ns%d", i)})
		if bdevs[fmt.Sprintf("malloc-v%d", i)] != (verr == nil) {
			t.Errorf("v%d: in SPDK %v, in the store %v (%v)", i, bdevs[fmt.Sprintf("malloc-v%d", i)], verr == nil, verr)
		}
		if ns["nqn.2022-09.io.opi:sub1"][fmt.Sprintf("malloc-v%d", i)] != (nerr == nil) {
			t.Errorf("ns%d: in SPDK %v, in the store %v (%v)", i, ns["nqn.2022-09.io.opi:sub1"][fmt.Sprintf("malloc-v%d", i)], nerr == nil, nerr)
		}
		for _, st := range []*commonv1.ResourceStatus{vol.GetStatus(), nsr.GetStatus()} {
			if st != nil && st.GetState() != commonv1.ResourceState_RESOURCE_STATE_READY {
				t.Errorf("index %d: status %v after recovery, want READY", i, st)
			}
		}
	}
}

// createStack makes a malloc volume, a subsystem and a namespace on it.
func createStack(t *testing.T, s *system, vol, sub, ns string) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.vols().CreateMallocVolume(ctx, &pb.CreateMallocVolumeRequest{MallocVolumeId: vol, MallocVolume: &pb.MallocVolume{BlockSize: 512, BlockCount: 2048}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.nvme().CreateNvmeSubsystem(ctx, &pb.CreateNvmeSubsystemRequest{NvmeSubsystemId: sub, NvmeSubsystem: &pb.NvmeSubsystem{Nqn: "nqn.2022-09.io.opi:" + sub}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.nvme().CreateNvmeNamespace(ctx, &pb.CreateNvmeNamespaceRequest{Parent: "nvmeSubsystems/" + sub, NvmeNamespaceId: ns,
		NvmeNamespace: &pb.NvmeNamespace{Volume: "mallocVolumes/" + vol}}); err != nil {
		t.Fatal(err)
	}
}

func TestOpiCLIDrivesAFullNvmeTCPLifecycle(t *testing.T) {
	s := newSystem(t)
	if bins.cli == "" {
		t.Skip("opi (../opi-cli/cmd/opi) is outside this module and no go.work ties them (GOWORK=off)")
	}
	port := freePort(t)
	steps := [][]string{
		{"malloc-volume", "create", "m1", "--block-count", "2048", "--block-size", "512"},
		{"nvme-subsystem", "create", "s1", "--nqn", "nqn.2022-09.io.opiproject:s1", "--allow-any-host"},
		{"nvme-namespace", "create", "ns1", "--subsystem", "s1", "--volume", "mallocVolumes/m1"},
		{"nvme-controller", "create", "tcp1", "--subsystem", "s1", "--trtype", "tcp", "--traddr", "127.0.0.1", "--trsvcid", port},
		{"nvme-subsystem", "get", "s1"},
		{"nvme-namespace", "list", "--subsystem", "s1", "-o", "json"},
		{"nvme-controller", "get", "tcp1", "--subsystem", "s1", "-o", "json"},
		{"nvme-controller", "delete", "tcp1", "--subsystem", "s1"},
		{"nvme-namespace", "delete", "ns1", "--subsystem", "s1"},
		{"nvme-subsystem", "delete", "s1"},
		{"malloc-volume", "delete", "m1"},
	}
	for _, step := range steps {
		args := append([]string{"--addr", s.grpcAddr, "--insecure", "storage"}, step...)
		out, err := exec.Command(bins.cli, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("opi %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		if step[1] == "list" && !strings.Contains(string(out), "mallocVolumes/m1") {
			t.Errorf("opi %s printed no namespace on m1:\n%s", strings.Join(step, " "), out)
		}
		if step[0] == "nvme-controller" && step[1] == "get" && !strings.Contains(string(out), "READY") {
			t.Errorf("the controller is not READY:\n%s", out)
		}
	}
	if bdevs, ns := s.spdkState(); len(ns) > 1 || bdevs["malloc-m1"] {
		t.Errorf("SPDK is not clean after the CLI deleted everything: bdevs %v, subsystems %v", bdevs, ns)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func freePort(t *testing.T) string {
	_, port, _ := net.SplitHostPort(freeAddr(t))
	return port
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready within 20s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// inWorkspace reports whether the go command builds in a workspace (go.work).
func inWorkspace() bool {
	out, err := exec.Command("go", "env", "GOWORK").Output()
	return err == nil && strings.TrimSpace(string(out)) != "" && strings.TrimSpace(string(out)) != "off"
}

// TestMetricsAreServedOnTheHTTPPort: /metrics of the running bridge has
// the storage metrics beside the runtime's gRPC metrics, each stored
// volume's I/O counters read from SPDK on that scrape.
func TestMetricsAreServedOnTheHTTPPort(t *testing.T) {
	s := newSystem(t)
	createStack(t, s, "vol1", "sub1", "ns1")
	res, err := http.Get("http://" + s.httpAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d, %v", res.StatusCode, err)
	}
	for _, want := range []string{
		`opi_storage_volume_read_ops_total{volume="mallocVolumes/vol1"} 0`,
		`opi_storage_volume_stats_up 1`,
		`opi_storage_intent_resources{kind="nvmeNamespaces"} 1`,
		`opi_storage_spdk_requests_total{method="nvmf_create_subsystem",outcome="ok"} 1`,
		`opi_storage_replay_runs_total{outcome="ok"}`,
		`grpc_server_handled_total{grpc_code="OK",grpc_method="CreateNvmeSubsystem"`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if t.Failed() {
		t.Logf("/metrics:\n%s", body)
	}
}
