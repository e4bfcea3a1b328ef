package kernel

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/opi-suite/opi/opi-network-bridge/network"
)

// driftWatch runs k.Watch until the test ends and hands out what it
// reports.
type driftWatch struct {
	t      *testing.T
	drifts chan network.Drift
}

func startWatch(t *testing.T, k *Kernel) *driftWatch {
	t.Helper()
	w := &driftWatch{t: t, drifts: make(chan network.Drift, 64)}
	watchCtx, cancel := context.WithCancel(context.Background())
	ended := make(chan error, 1)
	go func() { ended <- k.Watch(watchCtx, func(d network.Drift) { w.drifts <- d }) }()
	t.Cleanup(func() {
		cancel()
		if err := <-ended; err != context.Canceled {
			t.Errorf("Watch ended with %v, want context.Canceled", err)
		}
	})
	return w
}

// next is the next drift reported; the test fails if it is not want.
func (w *driftWatch) next(want network.Drift) {
	w.t.Helper()
	select {
	case d := <-w.drifts:
		if d != want {
			w.t.Fatalf("drift %+v, want %+v", d, want)
		}
	case <-time.After(5 * time.Second):
		w.t.Fatalf("no drift within 5s, want %+v", want)
	}
}

func TestWatchReportsChangesBehindTheAdaptersBackAndNotItsOwn(t *testing.T) {
	ns := newTestNS(t)
	k := newKernel(t, ns)
	ns.veth(t, "p1", "p1peer")
	mac := ns.link(t, "p1").Attrs().HardwareAddr
	port := network.Port{Interface: "p1", MAC: mac, Type: network.PortAccess, Bridges: []network.LogicalBridge{lb(100, 100)}}
	del := func(name string) {
		t.Helper()
		if err := ns.h.LinkDel(ns.link(t, name)); err != nil {
			t.Fatal(err)
		}
	}

	// A first drift, caught by the comparison at start or by an event:
	// once it is reported the watcher is surely subscribed.
	if err := k.EnsureLogicalBridge(ctx, lb(999, 0)); err != nil {
		t.Fatal(err)
	}
	w := startWatch(t, k)
	del("lb999")
	w.next(network.Drift{Object: "link lb999", Change: "deleted"})

	// The adapter's own changes, of every kind: none is drift.
	own := []func() error{
		func() error { return k.EnsureLogicalBridge(ctx, lb(100, 100)) },
		func() error { return k.EnsurePort(ctx, port) },
		func() error { return k.EnsureLogicalBridge(ctx, lb(100, 100)) },
		func() error { return k.EnsurePort(ctx, port) },
		// a VTEP change re-makes vx100 (deleted, created, enslaved)
		func() error {
			return k.EnsureLogicalBridge(ctx, network.LogicalBridge{VlanID: 100, VNI: 100, VtepIP: netip.MustParseAddr("10.0.0.2")})
		},
		func() error { return k.EnsureLogicalBridge(ctx, lb(100, 100)) },
		func() error { return k.EnsureLogicalBridge(ctx, lb(101, 101)) },
		func() error { return k.RemoveLogicalBridge(ctx, lb(101, 101)) },
		func() error { return k.RemovePort(ctx, port) },
		func() error { return k.EnsurePort(ctx, port) },
		func() error { return k.SetInterface(ctx, "lb100", false, 0) },
		func() error { return k.SetInterface(ctx, "lb100", true, 1400) },
		func() error { return k.RemoveLogicalBridge(ctx, lb(999, 0)) },
	}
	for i, f := range own {
		if err := f(); err != nil {
			t.Fatalf("own change #%d: %v", i+1, err)
		}
	}

	// Behind the back: each change is the next drift reported, so none of
	// the adapter's own changes above was reported in between.
	del("vx100")
	w.next(network.Drift{Object: "link vx100", Change: "deleted"})

	if err := ns.h.NeighDel(staticFDB(ns.link(t, "p1").Attrs().Index, mac)); err != nil {
		t.Fatal(err)
	}
	w.next(network.Drift{Object: "fdb " + mac.String() + " dev p1", Change: "deleted"})

	if err := ns.h.LinkSetDown(ns.link(t, "lb100")); err != nil {
		t.Fatal(err)
	}
	w.next(network.Drift{Object: "link lb100", Change: "down"})

	if err := ns.h.LinkSetNoMaster(ns.link(t, "p1")); err != nil {
		t.Fatal(err)
	}
	w.next(network.Drift{Object: "link p1", Change: "released"})

	// The adapter repairs everything: no drift; then the same changes
	// behind its back are reported again.
	if err := k.EnsureLogicalBridge(ctx, lb(100, 100)); err != nil {
		t.Fatal(err)
	}
	if err := k.EnsurePort(ctx, port); err != nil {
		t.Fatal(err)
	}
	if err := ns.h.LinkSetDown(ns.link(t, "p1")); err != nil {
		t.Fatal(err)
	}
	w.next(network.Drift{Object: "link p1", Change: "down"})
	del("vx100")
	w.next(network.Drift{Object: "link vx100", Change: "deleted"})

	// Changes to devices the adapter does not manage are not drift.
	ns.veth(t, "other", "otherpeer")
	del("other")
	if err := k.RemoveLogicalBridge(ctx, lb(100, 100)); err != nil {
		t.Fatal(err)
	}
	// p1 is still a managed port, and its bridge went: it is released,
	// and its FDB entry went with it.
	got := map[network.Drift]bool{}
	for range 2 {
		select {
		case d := <-w.drifts:
			got[d] = true
		case <-time.After(5 * time.Second):
			t.Fatalf("drifts so far %v, want two", got)
		}
	}
	for _, want := range []network.Drift{
		{Object: "link p1", Change: "released"},
		{Object: "fdb " + mac.String() + " dev p1", Change: "deleted"},
	} {
		if !got[want] {
			t.Errorf("drifts %v, missing %+v", got, want)
		}
	}
	select {
	case d := <-w.drifts:
		t.Errorf("unexpected drift %+v", d)
	case <-time.After(200 * time.Millisecond):
	}
}
