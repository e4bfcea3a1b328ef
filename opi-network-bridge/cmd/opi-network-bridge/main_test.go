package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netns"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/proto"

	commonv1 "github.com/opi-suite/opi/opi-api/common/v1"
	networkv1 "github.com/opi-suite/opi/opi-api/network/v1"

	"github.com/opi-suite/opi/opi-network-bridge/internal/frr/frrtest"
)

// dialIn connects to addr from inside namespace ns: the bridge under test
// serves on its namespace's loopback.
func dialIn(ns netns.NsHandle, addr string) (net.Conn, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := netns.Get()
	if err != nil {
		return nil, err
	}
	defer orig.Close()
	if err := netns.Set(ns); err != nil {
		return nil, err
	}
	defer netns.Set(orig)
	return net.Dial("tcp", addr)
}

type bridgeProc struct {
	cmd    *exec.Cmd
	out    bytes.Buffer
	exited chan struct{}
}

func startBridge(t *testing.T, bin, ns string, args ...string) *bridgeProc {
	t.Helper()
	p := &bridgeProc{cmd: exec.Command("ip", append([]string{"netns", "exec", ns, bin}, args...)...), exited: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.exited
		if t.Failed() {
			t.Logf("bridge output:\n%s", p.out.String())
		}
	})
	return p
}

// TestCommand runs the bridge as its image does (kernel only here: FRR is
// tested in the bridge package), in a namespace of its own: a missing
// --bgp-asn is refused; it serves health, the API and its drift metric;
// SIGTERM ends it with status 0 and leaves the kernel as it was; the
// restarted command serves the same logical bridge READY.
func TestCommand(t *testing.T) {
	frrtest.Require(t) // root and ip, like the FRR tests
	dir := t.TempDir()
	bin := filepath.Join(dir, "opi-network-bridge")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ns := frrtest.NewNS(t)
	h, err := netns.GetFromName(ns)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	frrtest.Run(t, "ip", "-n", ns, "addr", "add", "10.0.0.1/32", "dev", "lo")

	// With FRR on, the AS number is required.
	refused := startBridge(t, bin, ns, "--state-dir", filepath.Join(dir, "s0"), "--insecure-plaintext", "--vtep-ip", "10.0.0.1")
	<-refused.exited
	if refused.cmd.ProcessState.ExitCode() == 0 || !strings.Contains(refused.out.String(), "--bgp-asn") {
		t.Fatalf("without --bgp-asn: exit %d\n%s", refused.cmd.ProcessState.ExitCode(), refused.out.String())
	}

	args := []string{"--state-dir", filepath.Join(dir, "state"), "--insecure-plaintext", "--frr=false",
		"--vtep-ip", "10.0.0.1", "--listen", "127.0.0.1:50051", "--http-listen", "127.0.0.1:8082"}
	p := startBridge(t, bin, ns, args...)
	conn, err := grpc.NewClient("passthrough:///127.0.0.1:50051", grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(_ context.Context, addr string) (net.Conn, error) { return dialIn(h, addr) }))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	serving := func() {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			resp, err := healthpb.NewHealthClient(conn).Check(context.Background(), &healthpb.HealthCheckRequest{})
			if err == nil && resp.GetStatus() == healthpb.HealthCheckResponse_SERVING {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("not SERVING: %v %v", resp, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	serving()
	lbs := networkv1.NewLogicalBridgeServiceClient(conn)
	ctx := context.Background()
	if _, err := lbs.CreateLogicalBridge(ctx, &networkv1.CreateLogicalBridgeRequest{LogicalBridgeId: "blue",
		LogicalBridge: &networkv1.LogicalBridge{VlanId: 100, Vni: proto.Uint32(100)}}); err != nil {
		t.Fatal(err)
	}
	ready := func() {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			lb, err := lbs.GetLogicalBridge(ctx, &networkv1.GetLogicalBridgeRequest{Name: "logicalBridges/blue"})
			if err == nil && lb.GetStatus().GetState() == commonv1.ResourceState_RESOURCE_STATE_READY && len(lb.GetComponents()) == 1 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("not READY with the kernel component only: %v %v", lb, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	ready()
	client := http.Client{Transport: &http.Transport{DialContext: func(_ context.Context, _, addr string) (net.Conn, error) { return dialIn(h, addr) }}}
	resp, err := client.Get("http://127.0.0.1:8082/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "opi_network_drift_events_total 0") {
		t.Errorf("/metrics lacks the drift counter:\n%.2000s", body)
	}

	before := frrtest.Run(t, "ip", "-n", ns, "-o", "link", "show", "vx100")
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(20 * time.Second):
		t.Fatal("SIGTERM did not stop the bridge")
	}
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("exit status %d after SIGTERM", code)
	}
	if after := frrtest.Run(t, "ip", "-n", ns, "-o", "link", "show", "vx100"); after != before {
		t.Fatalf("the stop changed the kernel:\n%s\n%s", before, after)
	}
	startBridge(t, bin, ns, args...)
	serving()
	ready()
	if after := frrtest.Run(t, "ip", "-n", ns, "-o", "link", "show", "vx100"); after != before {
		t.Fatalf("the restart changed the kernel:\n%s\n%s", before, after)
	}
	_ = os.Remove(bin)
}
