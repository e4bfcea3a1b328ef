// Package storagetest is the conformance suite of the storage bridge: a
// vendor that replaces a piece of the bridge's backend (bridge.With...)
// runs it in-process, with its options, to show that the bridge it builds
// still behaves as the storage API says. The suite assembles the bridge
// with the caller's options on an SPDK (spdk-sim in-process, or a real
// spdk_tgt), serves it through opi-kit's real interceptor chain
// (servertest) and drives it through the API only:
//
//   - the lifecycle of every resource kind (volumes, logical volumes,
//     encrypted and QoS volumes, NVMe subsystems, namespaces and TCP
//     controllers on 127.0.0.1, remote NVMe-oF controllers, virtio-blk,
//     virtio-scsi targets and LUNs);
//   - idempotency: an identical create twice is the same object;
//   - dependent deletes: FAILED_PRECONDITION while something uses it;
//   - bad input: INVALID_ARGUMENT (or NOT_FOUND), nothing stored, SPDK
//     neither changed nor sent a request that could change it;
//   - SPDK restarted empty: the intent is replayed, every resource READY
//     with the same names, namespace ids and UUIDs; and the bridge
//     restarted on the same state directory.
//
// A vendor's test is
//
//	func TestConformance(t *testing.T) {
//		storagetest.Run(t, storagetest.Config{Target: storagetest.Sim(t), Options: myvendor.Options()})
//	}
//	func TestConformanceOnSPDK(t *testing.T) {
//		storagetest.Run(t, storagetest.Config{Target: storagetest.SPDK(t), Options: myvendor.Options()})
//	}
//
// One target serves the whole suite (a real spdk_tgt busy-polls a core and
// takes seconds to start): each subtest uses names of its own and deletes
// what it made, and the restart subtest restarts the target once.
package storagetest

import (
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/opi-suite/opi/opi-storage-bridge/bridge"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk/sim"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk/spdktest"
)

// Target is the SPDK application a suite runs on.
type Target struct {
	// Name says which SPDK it is in messages: "spdk-sim" or "spdk_tgt".
	Name string
	// Socket is its JSON-RPC unix socket.
	Socket string
	// Real is true for a real spdk_tgt. The few steps where spdk-sim and
	// SPDK v26.05 answer differently (the README's "Known differences")
	// follow what SPDK does on it.
	Real bool
	// Restart kills it and starts it again, empty, on the same socket, as
	// a supervisor does after SPDK crashed.
	Restart func()
}

// Sim serves an in-process spdk-sim on a fresh unix socket until t ends.
// Without options it runs no poller (answers at once), which keeps the
// suite fast; pass sim.WithPollInterval(4*time.Millisecond) for SPDK's
// timing.
func Sim(t testing.TB, opts ...sim.Option) *Target {
	t.Helper()
	// Unix socket paths are limited to 108 bytes; test names can be long.
	dir, err := os.MkdirTemp("", "sbsim")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if len(opts) == 0 {
		opts = []sim.Option{sim.WithPollInterval(0)}
	}
	sock := filepath.Join(dir, "spdk.sock")
	var s *sim.Sim
	start := func() {
		s = sim.New(opts...)
		l, err := net.Listen("unix", sock)
		if err != nil {
			t.Fatalf("serving spdk-sim on %s: %v", sock, err)
		}
		go func() { _ = s.Serve(l) }()
	}
	start()
	t.Cleanup(func() { s.Close() })
	return &Target{Name: "spdk-sim", Socket: sock, Restart: func() {
		s.Close()
		os.Remove(sock)
		start()
	}}
}

// SPDK starts a real spdk_tgt (spdktest.Start) until t ends. It skips the
// test where none can run here (no SPDK, not root) and fails instead under
// CI, so that the real target is never silently left out there.
func SPDK(t testing.TB) *Target {
	t.Helper()
	tg := spdktest.Start(t)
	return &Target{Name: "spdk_tgt", Socket: tg.Socket, Real: true, Restart: tg.Restart}
}

// Config is what Run and Start need.
type Config struct {
	// Target is the SPDK the bridge runs on. Required.
	Target *Target
	// Options replace pieces of the bridge's backend, as a vendor's
	// main passes them to bridge.Program.
	Options []bridge.Option
	// SPDKOptions are passed to the bridge's SPDK client after the
	// suite's own (the bridge's tests record every request with
	// spdk.WithObserver to check it against SPDK's contract).
	SPDKOptions []spdk.Option
}

// Run runs the suite as subtests of t on one bridge built from cfg.
func Run(t *testing.T, cfg Config) {
	h := Start(t, cfg)
	for _, c := range []struct {
		name string
		run  func(t *testing.T, h *Harness)
	}{
		{"malloc volume lifecycle", mallocLifecycle},
		{"null and aio volume lifecycle", nullAndAioLifecycle},
		{"logical volume store and volume lifecycle", lvolLifecycle},
		{"encrypted volume lifecycle", encryptedLifecycle},
		{"qos volume lifecycle", qosLifecycle},
		{"nvme tcp lifecycle", nvmeTCPLifecycle},
		{"virtio-blk lifecycle", virtioBlkLifecycle},
		{"remote controller lifecycle", remoteLifecycle},
		{"device and path stats, controller reset", statsAndReset},
		{"virtio-scsi lifecycle", virtioScsiLifecycle},
		{"virtio-scsi bad input changes nothing", virtioScsiBadInput},
		{"virtio-scsi replayed after spdk and the bridge restart", virtioScsiRestarts},
		{"virtio-scsi on a PCIe function", virtioScsiPcie},
		{"ana state and multipath policy updates", updates},
		{"identical creates return the same object", idempotency},
		{"deleting what others use is failed precondition", dependentDeletes},
		{"bad input changes nothing", badInput},
		{"spdk and the bridge restarted get the intent back", restarts},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.run(t, h)
			h.requireClean(t)
		})
	}
}
