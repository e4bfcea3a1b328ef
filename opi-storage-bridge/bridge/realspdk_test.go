package bridge

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/server/servertest"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk/spdktest"
	"google.golang.org/grpc"
)

// realBridge is a bridge as wired in production (bbolt store, SPDK client,
// the runtime's interceptor chain through servertest) on a real spdk_tgt,
// for the tests that need what spdk-sim cannot give: data moving through
// an NVMe/TCP listener, a crypto bdev's ciphertext, QoS timing, a target
// killed with I/O in flight.
type realBridge struct {
	t      testing.TB
	tgt    *spdktest.Target
	b      *Bridge
	direct *spdk.Client // the test's own client, to look at SPDK
	conn   *grpc.ClientConn
	vols   pb.VolumeServiceClient
	mid    pb.MiddleendServiceClient
	nvme   pb.FrontendNvmeServiceClient
	remote pb.BackendNvmeServiceClient
}

// newRealBridge starts a real spdk_tgt (skipping the test where none can
// run, failing under CI) and a bridge on it.
func newRealBridge(t testing.TB) *realBridge {
	t.Helper()
	tgt := spdktest.Start(t)
	return newRealBridgeOn(t, tgt)
}

// newRealBridgeOn starts a bridge on a target already running; mods
// adjust its configuration (a benchmark's in-memory store).
func newRealBridgeOn(t testing.TB, tgt *spdktest.Target, mods ...func(*Config)) *realBridge {
	t.Helper()
	cfg := Config{StateDir: t.TempDir(), SPDKSocket: tgt.Socket, Interval: time.Hour}
	for _, m := range mods {
		m(&cfg)
	}
	b, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = b.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done; b.Close() })
	select {
	case <-b.Synced():
	case <-time.After(30 * time.Second):
		t.Fatal("the bridge did not finish its first reconcile pass on spdk_tgt within 30s")
	}
	// servertest probes every 50 ms: after spdk_tgt restarts, the probe is
	// what reconnects and kicks the replay, as the 5 s probe does in
	// production.
	conn := servertest.Start(t, b.Services()).Conn
	direct := spdk.New(tgt.Socket)
	t.Cleanup(func() { direct.Close() })
	return &realBridge{t: t, tgt: tgt, b: b, direct: direct, conn: conn,
		vols: pb.NewVolumeServiceClient(conn), mid: pb.NewMiddleendServiceClient(conn),
		nvme: pb.NewFrontendNvmeServiceClient(conn), remote: pb.NewBackendNvmeServiceClient(conn)}
}

// realCtx bounds one test's calls.
func realCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// freePort returns a TCP port nothing listens on now: other developers'
// and other packages' targets share this machine, so 4420 may be taken.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// export makes, through the bridge, a subsystem with the volume as its
// namespace nsid 1 and an NVMe/TCP controller on 127.0.0.1:port, and
// returns the subsystem's NQN.
func (r *realBridge) export(ctx context.Context, id, volume string, port int) string {
	r.t.Helper()
	nqn := "nqn.2022-09.io.opi:" + id
	if _, err := r.nvme.CreateNvmeSubsystem(ctx, &pb.CreateNvmeSubsystemRequest{NvmeSubsystemId: id,
		NvmeSubsystem: &pb.NvmeSubsystem{Nqn: nqn, AllowAnyHost: true}}); err != nil {
		r.t.Fatalf("creating subsystem %s: %v", id, err)
	}
	parent := "nvmeSubsystems/" + id
	if _, err := r.nvme.CreateNvmeNamespace(ctx, &pb.CreateNvmeNamespaceRequest{Parent: parent, NvmeNamespaceId: id + "-ns",
		NvmeNamespace: &pb.NvmeNamespace{Volume: volume, Nsid: 1}}); err != nil {
		r.t.Fatalf("creating the namespace of %s on %s: %v", id, volume, err)
	}
	if _, err := r.nvme.CreateNvmeController(ctx, &pb.CreateNvmeControllerRequest{Parent: parent, NvmeControllerId: id + "-tcp",
		NvmeController: &pb.NvmeController{Endpoint: &pb.NvmeController_Fabrics{Fabrics: &pb.NvmeFabricsAddress{
			Trtype: pb.NvmeTransportType_NVME_TRANSPORT_TYPE_TCP, Traddr: "127.0.0.1", Trsvcid: uint32(port)}}}}); err != nil {
		r.t.Fatalf("creating the NVMe/TCP controller of %s on port %d: %v", id, port, err)
	}
	return nqn
}

// host is SPDK's NVMe/TCP initiator in a process of its own (spdk_dd),
// attached to one exported subsystem: the host side of the data path,
// which is not the bridge and not the target.
type host struct {
	t    testing.TB
	tgt  *spdktest.Target
	dir  string
	conf string
}

// newHost writes the spdk_dd configuration that attaches the subsystem
// nqn at 127.0.0.1:port as controller "h" (its namespace 1 is bdev "hn1").
func newHost(t testing.TB, tgt *spdktest.Target, nqn string, port int) *host {
	t.Helper()
	dir := t.TempDir()
	conf := map[string]any{"subsystems": []any{map[string]any{"subsystem": "bdev", "config": []any{
		map[string]any{"method": "bdev_nvme_attach_controller", "params": map[string]any{
			"name": "h", "trtype": "tcp", "adrfam": "ipv4", "traddr": "127.0.0.1",
			"trsvcid": strconv.Itoa(port), "subnqn": nqn}}}}}}
	b, _ := json.Marshal(conf)
	path := filepath.Join(dir, "host.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return &host{t: t, tgt: tgt, dir: dir, conf: path}
}

// dd runs spdk_dd with args (core 1, no RPC server, no core lock, its own
// 512 MB without hugepages: spdk_tgt has core 0 and 2 GB) and returns how
// long it ran.
func (h *host) dd(args ...string) time.Duration {
	h.t.Helper()
	d, out, err := h.tryDD(args...)
	if err != nil {
		h.t.Fatalf("spdk_dd %v: %v\n%s", args, err, out)
	}
	return d
}

func (h *host) tryDD(args ...string) (time.Duration, []byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	all := append([]string{"--no-huge", "-s", "512", "-m", "0x2", "--disable-cpumask-locks", "--no-rpc-server",
		"--json", h.conf}, args...)
	cmd := exec.CommandContext(ctx, h.tgt.Bin("spdk_dd"), all...)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	return time.Since(start), out, err
}

// write writes data to the host's namespace from block 0.
func (h *host) write(data []byte) {
	h.t.Helper()
	in := filepath.Join(h.dir, "in.bin")
	if err := os.WriteFile(in, data, 0o600); err != nil {
		h.t.Fatal(err)
	}
	h.dd("--if="+in, "--ob=hn1", "--bs=65536")
}

// read reads n bytes (a multiple of 64 KiB) from block 0 of the host's
// namespace, and how long spdk_dd ran.
func (h *host) read(n int) ([]byte, time.Duration) {
	h.t.Helper()
	out := filepath.Join(h.dir, "out.bin")
	os.Remove(out)
	d := h.dd("--ib=hn1", "--of="+out, "--bs=65536", "--count="+strconv.Itoa(n/65536))
	b, err := os.ReadFile(out)
	if err != nil {
		h.t.Fatal(err)
	}
	return b, d
}

// roundTrip writes a random pattern of n bytes through the host and reads
// it back, failing unless the checksums are equal; it returns the pattern.
func (h *host) roundTrip(n int) []byte {
	h.t.Helper()
	data := randomBytes(h.t, n)
	h.write(data)
	got, _ := h.read(n)
	if sha256.Sum256(got) != sha256.Sum256(data) {
		h.t.Fatalf("read back %d bytes with sha256 %x, wrote sha256 %x (first difference at byte %d)",
			len(got), sha256.Sum256(got), sha256.Sum256(data), firstDiff(got, data))
	}
	return data
}

func randomBytes(t testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	return -1
}

// backingFile makes a zeroed file of n bytes for an AIO volume: its bytes
// are what SPDK wrote, readable after SPDK is gone.
func backingFile(t testing.TB, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "disk.img")
	if err := os.WriteFile(path, make([]byte, n), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// fileHead reads the first n bytes of path.
func fileHead(t testing.TB, path string, n int) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < n {
		t.Fatalf("%s has %d bytes, want at least %d", path, len(b), n)
	}
	return b[:n]
}

// equalBytes says whether a and b are equal, for messages.
func equalBytes(a, b []byte) string {
	if bytes.Equal(a, b) {
		return "equal"
	}
	return fmt.Sprintf("differ from byte %d", firstDiff(a, b))
}

// perfResult is the Total line of spdk_nvme_perf.
type perfResult struct {
	IOPS      float64
	MiBps     float64
	AvgLatUs  float64
	MaxLatUs  float64
	RawOutput string
}

var perfTotal = regexp.MustCompile(`Total\s*:\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)`)

// perfArgs is spdk_nvme_perf's command line for I/O of ioSize bytes at
// queue depth qd, workload (randread, randwrite, ...) for seconds against
// the subsystem nqn at 127.0.0.1:port, on core 1 without hugepages.
func perfArgs(nqn string, port, qd, ioSize int, workload string, seconds int) []string {
	return []string{"-r", fmt.Sprintf("trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:%d subnqn:%s", port, nqn),
		"-q", strconv.Itoa(qd), "-o", strconv.Itoa(ioSize), "-w", workload, "-t", strconv.Itoa(seconds),
		"-s", "512", "--no-huge", "-c", "0x2"}
}

// perf runs spdk_nvme_perf (see perfArgs) and returns its totals.
func perf(t testing.TB, tgt *spdktest.Target, args []string) perfResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, tgt.Bin("spdk_nvme_perf"), args...).CombinedOutput()
	m := perfTotal.FindStringSubmatch(string(out))
	if err != nil || m == nil {
		t.Fatalf("spdk_nvme_perf %v: %v\n%s", args, err, out)
	}
	f := func(i int) float64 { v, _ := strconv.ParseFloat(m[i], 64); return v }
	return perfResult{IOPS: f(1), MiBps: f(2), AvgLatUs: f(3), MaxLatUs: f(5), RawOutput: string(out)}
}
