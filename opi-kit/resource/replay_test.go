package resource_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	commonv1 "github.com/opi-suite/opi/opi-api/common/v1"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-kit/resource"
	"github.com/opi-suite/opi/opi-kit/store"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

const s2 = "nvmeSubsystems/s2"

func TestReplayStepPutsEveryResourceBackAndRecordsItsStatus(t *testing.T) {
	ctx := context.Background()
	s := &countingStore{Store: store.NewMemory()}
	f := newFixture(t, s, newFakeBackend())
	must(f.subsystems.Create(ctx, "", "s1", subsystem("nqn.2016-06.io.spdk:s1")))
	must(f.subsystems.Create(ctx, "", "s2", subsystem("nqn.2016-06.io.spdk:s2")))

	var applied []string
	refuse := map[string]error{s2: errdefs.InvalidArgumentf("SPDK says the NQN is taken")}
	step := resource.ReplayStep(f.subsystems, resource.Replayer[msg]{
		Backend: "SPDK",
		Apply: func(_ context.Context, m msg) error {
			name := m.ProtoReflect().Get(m.Descriptor().Fields().ByName("name")).String()
			applied = append(applied, name)
			return refuse[name]
		},
	})
	refused, err := step(ctx)
	if err != nil || refused != 1 {
		t.Fatalf("replay = %d refused, %v; want 1, nil", refused, err)
	}
	if strings.Join(applied, ",") != s1+","+s2 {
		t.Errorf("applied %v, want both in name order", applied)
	}
	if st := must(f.subsystems.Status(ctx, s1)); st.GetState() != commonv1.ResourceState_RESOURCE_STATE_READY {
		t.Errorf("s1 status %v, want READY", st)
	}
	st := must(f.subsystems.Status(ctx, s2))
	if st.GetState() != commonv1.ResourceState_RESOURCE_STATE_ERROR || !strings.Contains(st.GetMessage(), "SPDK refused to recreate it: SPDK says the NQN is taken") {
		t.Errorf("s2 status %v, want ERROR with SPDK's reason", st)
	}

	t.Run("a second pass with nothing changed writes nothing", func(t *testing.T) {
		before := s.updates.Load()
		if _, err := step(ctx); err != nil {
			t.Fatal(err)
		}
		if got := s.updates.Load() - before; got != 0 {
			t.Errorf("an unchanged pass ran %d read-write transactions", got)
		}
	})
	t.Run("what the backend holds already is not applied again", func(t *testing.T) {
		applied = nil
		present := resource.ReplayStep(f.subsystems, resource.Replayer[msg]{Backend: "SPDK",
			Apply:   func(context.Context, msg) error { applied = append(applied, "x"); return nil },
			Present: func(msg) bool { return true }})
		if refused, err := present(ctx); err != nil || refused != 0 || len(applied) != 0 {
			t.Errorf("refused %d, err %v, applied %d times; want nothing applied", refused, err, len(applied))
		}
		if st := must(f.subsystems.Status(ctx, s2)); st.GetState() != commonv1.ResourceState_RESOURCE_STATE_READY {
			t.Errorf("s2 status %v, want READY once the backend holds it", st)
		}
	})
	t.Run("an unreachable backend stops the pass without marking anything", func(t *testing.T) {
		down := resource.ReplayStep(f.subsystems, resource.Replayer[msg]{Backend: "SPDK",
			Apply: func(context.Context, msg) error { return errdefs.Unavailablef("no SPDK socket") }})
		if _, err := down(ctx); !errors.Is(err, errdefs.ErrUnavailable) {
			t.Fatalf("err = %v, want unavailable", err)
		}
		if st := must(f.subsystems.Status(ctx, s1)); st.GetState() != commonv1.ResourceState_RESOURCE_STATE_READY {
			t.Errorf("s1 status %v: an unreachable backend must not mark resources failed", st)
		}
	})
	t.Run("a backend's gRPC refusal is recorded as its message, not nested rpc error text", func(t *testing.T) {
		grpcBackend := resource.ReplayStep(f.subsystems, resource.Replayer[msg]{Backend: "vendor",
			Apply: func(context.Context, msg) error {
				return fmt.Errorf("creating it: %w", status.Error(codes.FailedPrecondition, "port busy"))
			}})
		if _, err := grpcBackend(ctx); err != nil {
			t.Fatal(err)
		}
		st := must(f.subsystems.Status(ctx, s1))
		if st.GetMessage() != "vendor refused to recreate it: creating it: port busy" {
			t.Errorf("status message %q; want the status's own message, no \"rpc error\"", st.GetMessage())
		}
	})
}

func TestSequenceAndRoundsOrderAPass(t *testing.T) {
	ctx := context.Background()
	var ran []string
	step := func(name string, refused int, err error) resource.Step {
		return func(context.Context) (int, error) { ran = append(ran, name); return refused, err }
	}
	t.Run("sequence adds refusals and stops at the first error", func(t *testing.T) {
		ran = nil
		boom := errors.New("store failed")
		n, err := resource.Sequence(step("a", 1, nil), step("b", 2, boom), step("c", 4, nil))(ctx)
		if n != 3 || err != boom || strings.Join(ran, "") != "ab" {
			t.Errorf("got %d, %v after %v; want 3, the error, a and b only", n, err, ran)
		}
	})
	t.Run("rounds repeat while they make progress", func(t *testing.T) {
		left := []int{3, 1, 0}
		rounds := 0
		n, err := resource.Rounds(func(context.Context) (int, error) { r := left[rounds]; rounds++; return r, nil })(ctx)
		if n != 0 || err != nil || rounds != 3 {
			t.Errorf("got %d, %v after %d rounds; want 0 after 3", n, err, rounds)
		}
	})
	t.Run("rounds stop when a round makes no progress", func(t *testing.T) {
		rounds := 0
		n, _ := resource.Rounds(func(context.Context) (int, error) { rounds++; return 2, nil })(ctx)
		if n != 2 || rounds != 2 {
			t.Errorf("got %d after %d rounds; want 2 after 2", n, rounds)
		}
	})
}

type recoverFunc func(context.Context) error

func (f recoverFunc) Recover(ctx context.Context) error { return f(ctx) }

func TestRecoverStepReportsRefusalsAndStopsOnlyWhenUnreachable(t *testing.T) {
	ctx := context.Background()
	var reported []error
	refusal := errdefs.FailedPreconditionf("SPDK will not delete a claimed bdev")
	calls := 0
	count := recoverFunc(func(context.Context) error { calls++; return nil })
	step := resource.RecoverStep(func(err error) { reported = append(reported, err) },
		recoverFunc(func(context.Context) error { return refusal }), count)
	if _, err := step(ctx); err != nil || len(reported) != 1 || calls != 1 {
		t.Fatalf("err %v, reported %v, later recoverers ran %d times; want nil, the refusal, 1", err, reported, calls)
	}
	down := resource.RecoverStep(nil, recoverFunc(func(context.Context) error { return errdefs.Unavailablef("down") }), count)
	if _, err := down(ctx); !errdefs.Unreachable(err) || calls != 1 {
		t.Fatalf("err %v, later recoverers ran %d times; want unreachable and no further recoverer", err, calls)
	}
}
