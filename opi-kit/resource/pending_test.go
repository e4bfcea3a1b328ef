package resource_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	commonv1 "github.com/opi-suite/opi/opi-api/common/v1"
	"github.com/opi-suite/opi/opi-kit/aip/aiptest"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-kit/resource"
	"github.com/opi-suite/opi/opi-kit/store"
)

// restarted returns the subsystems collection of a bridge that stored n
// subsystems s000.. (READY) and started again on the same store: the
// collection is new, with PendingUntilReplayed.
func restarted(t *testing.T, s store.Store, n int) *resource.Collection[msg] {
	t.Helper()
	ctx := context.Background()
	before := newFixture(t, s, newFakeBackend())
	for i := range n {
		must(before.subsystems.Create(ctx, "", fmt.Sprintf("s%03d", i), subsystem(fmt.Sprintf("nqn.2016-06.io.spdk:s%03d", i))))
	}
	c, err := resource.New[msg](s, "nvmeSubsystems", subsystemPattern, resource.WithMessageType(aiptest.SubsystemType()),
		resource.WithBackend[msg](newFakeBackend()), resource.PendingUntilReplayed())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func stateOf(t *testing.T, c *resource.Collection[msg], name string) commonv1.ResourceState {
	t.Helper()
	return must(c.Status(context.Background(), name)).GetState()
}

func nameOf(m msg) string {
	return m.ProtoReflect().Get(m.Descriptor().Fields().ByName("name")).String()
}

func TestResourcesReadPendingUntilAReplayChecksThem(t *testing.T) {
	ctx := context.Background()
	const pending, ready = commonv1.ResourceState_RESOURCE_STATE_PENDING, commonv1.ResourceState_RESOURCE_STATE_READY
	c := restarted(t, store.NewMemory(), 3)

	t.Run("every read shows PENDING before the first pass", func(t *testing.T) {
		if got := stateOf(t, c, "nvmeSubsystems/s000"); got != pending {
			t.Errorf("Status = %v, want PENDING", got)
		}
		m := must(c.Get(ctx, "nvmeSubsystems/s001"))
		if st := statusField(m); st.GetState() != pending || st.GetMessage() == "" {
			t.Errorf("Get status = %v, want PENDING with a reason", st)
		}
		items, _ := must2(c.List(ctx, "", 10, ""))
		for _, m := range items {
			if statusField(m).GetState() != pending {
				t.Errorf("List: %s reads %v, want PENDING", nameOf(m), statusField(m))
			}
		}
		if c.Verified() {
			t.Error("Verified() before any pass")
		}
	})

	t.Run("the walk's progress shows as it goes", func(t *testing.T) {
		reached := make(chan struct{})
		release := make(chan struct{})
		done := make(chan error, 1)
		go func() {
			_, err := resource.ReplayStep(c, resource.Replayer[msg]{Backend: "SPDK",
				Apply: func(_ context.Context, m msg) error {
					if nameOf(m) == "nvmeSubsystems/s002" {
						close(reached)
						<-release
					}
					return nil
				},
				Present: func(m msg) bool { return nameOf(m) != "nvmeSubsystems/s002" },
			})(ctx)
			done <- err
		}()
		<-reached
		// s000 and s001 are in the backend (Present), s002 is being applied.
		if got := stateOf(t, c, "nvmeSubsystems/s000"); got != pending {
			t.Errorf("s000 = %v before its page is done, want PENDING", got)
		}
		close(release)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		for _, n := range []string{"s000", "s001", "s002"} {
			if got := stateOf(t, c, "nvmeSubsystems/"+n); got != ready {
				t.Errorf("%s = %v after the pass, want READY", n, got)
			}
		}
		if !c.Verified() {
			t.Error("not Verified() after a complete pass")
		}
	})

	t.Run("Unverify makes them PENDING again until the next pass", func(t *testing.T) {
		c.Unverify()
		if got := stateOf(t, c, "nvmeSubsystems/s000"); got != pending {
			t.Errorf("after Unverify = %v, want PENDING", got)
		}
		if _, err := c.Create(ctx, "", "new", subsystem("nqn.2016-06.io.spdk:new")); err != nil {
			t.Fatal(err)
		}
		if got := stateOf(t, c, "nvmeSubsystems/new"); got != ready {
			t.Errorf("a resource created since = %v, want READY: its create checked it", got)
		}
		applied := 0
		if _, err := resource.ReplayStep(c, resource.Replayer[msg]{Backend: "SPDK",
			Apply: func(context.Context, msg) error { applied++; return nil }})(ctx); err != nil {
			t.Fatal(err)
		}
		if got := stateOf(t, c, "nvmeSubsystems/s000"); got != ready {
			t.Errorf("after the next pass = %v, want READY", got)
		}
		if applied != 3 {
			t.Errorf("the pass applied %d resources, want 3: not the one created since", applied)
		}
	})
}

func TestAReplayNeverRecreatesWhatAClientDeletedMeanwhile(t *testing.T) {
	ctx := context.Background()
	s := store.NewMemory()
	restarted(t, s, 2)
	b := newFakeBackend()
	c, err := resource.New[msg](s, "nvmeSubsystems", subsystemPattern, resource.WithMessageType(aiptest.SubsystemType()),
		resource.WithBackend[msg](b), resource.PendingUntilReplayed())
	if err != nil {
		t.Fatal(err)
	}
	// The walk read both in one page; while it applies s000, a client
	// deletes s001.
	reached, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		_, err := resource.ReplayStep(c, resource.Replayer[msg]{Backend: "SPDK",
			Apply: func(ctx context.Context, m msg) error {
				if nameOf(m) == "nvmeSubsystems/s000" {
					close(reached)
					<-release
				}
				return b.Create(ctx, m)
			}})(ctx)
		done <- err
	}()
	<-reached
	if err := c.Delete(ctx, "nvmeSubsystems/s001", false); err != nil {
		t.Fatal(err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if b.has("nvmeSubsystems/s001") {
		t.Error("the replay recreated in the backend a subsystem deleted while it walked")
	}
	if !b.has("nvmeSubsystems/s000") {
		t.Error("the replay did not recreate s000")
	}
}

func TestAReplayAppliesUpToParallelAtOnce(t *testing.T) {
	ctx := context.Background()
	c := restarted(t, store.NewMemory(), 40)
	var now, most atomic.Int32
	var mu sync.Mutex
	gate := sync.NewCond(&mu)
	arrived := 0
	refused, err := resource.ReplayStep(c, resource.Replayer[msg]{Backend: "SPDK", Parallel: 8,
		Apply: func(_ context.Context, m msg) error {
			n := now.Add(1)
			defer now.Add(-1)
			for {
				if m := most.Load(); n <= m || most.CompareAndSwap(m, n) {
					break
				}
			}
			// The first eight wait for each other, so all eight overlap.
			mu.Lock()
			if arrived++; arrived < 8 {
				for arrived < 8 {
					gate.Wait()
				}
			} else {
				gate.Broadcast()
			}
			mu.Unlock()
			if nameOf(m) == "nvmeSubsystems/s013" {
				return errdefs.InvalidArgumentf("taken")
			}
			return nil
		}})(ctx)
	if err != nil || refused != 1 {
		t.Fatalf("replay = %d refused, %v; want 1, nil", refused, err)
	}
	if got := most.Load(); got != 8 {
		t.Errorf("at most %d applies ran at once, want 8", got)
	}
	if got := stateOf(t, c, "nvmeSubsystems/s013"); got != commonv1.ResourceState_RESOURCE_STATE_ERROR {
		t.Errorf("the refused one reads %v, want ERROR", got)
	}

	t.Run("an unreachable backend stops the pass and leaves the rest PENDING", func(t *testing.T) {
		c.Unverify()
		_, err := resource.ReplayStep(c, resource.Replayer[msg]{Backend: "SPDK", Parallel: 8,
			Apply: func(context.Context, msg) error { return errdefs.Unavailablef("no SPDK socket") }})(ctx)
		if !errdefs.Unreachable(err) {
			t.Fatalf("err = %v, want unreachable", err)
		}
		if got := stateOf(t, c, "nvmeSubsystems/s000"); got != commonv1.ResourceState_RESOURCE_STATE_PENDING {
			t.Errorf("s000 = %v, want PENDING while the backend is unreachable", got)
		}
	})
}

func TestStatusesOfWhatTheBackendHoldsAreWrittenOneTransactionPerPage(t *testing.T) {
	ctx := context.Background()
	s := &countingStore{Store: store.NewMemory()}
	c := restarted(t, s, 600)
	// Every one was refused by the previous pass...
	if _, err := resource.ReplayStep(c, resource.Replayer[msg]{Backend: "SPDK",
		Apply: func(context.Context, msg) error { return errdefs.InvalidArgumentf("no") }})(ctx); err != nil {
		t.Fatal(err)
	}
	// ...and the backend holds them all now.
	before := s.updates.Load()
	if _, err := resource.ReplayStep(c, resource.Replayer[msg]{Backend: "SPDK",
		Apply:   func(context.Context, msg) error { t.Error("applied a resource the backend holds"); return nil },
		Present: func(msg) bool { return true }})(ctx); err != nil {
		t.Fatal(err)
	}
	if got := s.updates.Load() - before; got > 3 {
		t.Errorf("600 statuses written in %d transactions, want one per page of 256 (3)", got)
	}
	if got := stateOf(t, c, "nvmeSubsystems/s599"); got != commonv1.ResourceState_RESOURCE_STATE_READY {
		t.Errorf("s599 = %v, want READY", got)
	}
}

func statusField(m msg) *commonv1.ResourceStatus {
	fd := m.Descriptor().Fields().ByName("status")
	st := &commonv1.ResourceStatus{}
	if !m.Has(fd) {
		return st
	}
	sm := m.Get(fd).Message()
	fields := sm.Descriptor().Fields()
	st.State = commonv1.ResourceState(sm.Get(fields.ByName("state")).Enum())
	st.Message = sm.Get(fields.ByName("message")).String()
	return st
}

func TestApplyGetsTheResourceWithItsStoredStatus(t *testing.T) {
	ctx := context.Background()
	c := restarted(t, store.NewMemory(), 1)
	if _, err := resource.ReplayStep(c, resource.Replayer[msg]{Backend: "SPDK",
		Apply: func(context.Context, msg) error { return errdefs.InvalidArgumentf("no") }})(ctx); err != nil {
		t.Fatal(err)
	}
	var seen commonv1.ResourceState
	if _, err := resource.ReplayStep(c, resource.Replayer[msg]{Backend: "SPDK",
		Apply: func(_ context.Context, m msg) error { seen = statusField(m).GetState(); return nil }})(ctx); err != nil {
		t.Fatal(err)
	}
	// A backend logs when a resource in ERROR works again.
	if seen != commonv1.ResourceState_RESOURCE_STATE_ERROR {
		t.Errorf("Apply saw status %v, want the stored ERROR", seen)
	}
}
