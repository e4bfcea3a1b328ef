package resource

import (
	"context"
	"errors"
	"fmt"

	commonv1 "github.com/opi-suite/opi/opi-api/common/v1"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-kit/errdefs/errgrpc"
	"google.golang.org/protobuf/proto"
)

// A Step is one step of a bridge's replay pass: it finishes interrupted
// operations or makes the backend hold one kind again, and says how many
// resources the backend refused. An error means the pass cannot go on (the
// backend is unreachable, the store failed); refusals are not errors, they
// are recorded in the resources' status.
//
// A bridge writes its replay order once, as one Step built from these
// pieces (Sequence, Rounds, ReplayStep, RecoverStep), and its reconcile
// loop runs it.
type Step func(ctx context.Context) (refused int, err error)

// Sequence runs steps in order, adding up their refusals; it stops at the
// first error.
func Sequence(steps ...Step) Step {
	return func(ctx context.Context) (int, error) {
		refused := 0
		for _, step := range steps {
			n, err := step(ctx)
			refused += n
			if err != nil {
				return refused, err
			}
		}
		return refused, nil
	}
}

// Rounds repeats step while each round leaves fewer resources refused than
// the one before: for kinds that stack on each other in any order (a
// volume on a volume of another kind), where a resource is refused while
// its base comes later in the round. It ends when nothing is refused, when
// a round makes no progress (those are refused for another reason), or at
// an error.
func Rounds(step Step) Step {
	return func(ctx context.Context) (int, error) {
		last := -1
		for {
			refused, err := step(ctx)
			if err != nil || refused == 0 || (last >= 0 && refused >= last) {
				return refused, err
			}
			last = refused
		}
	}
}

// Recoverer finishes the operations a crash interrupted: a Collection, or
// a domain's set of them.
type Recoverer interface {
	Recover(ctx context.Context) error
}

// RecoverStep runs Recover on each, in order. Only an unreachable backend
// (errdefs.Unreachable) stops it; other failures (the backend refusing to
// finish an interrupted operation) go to report and stay in the journal
// for the next pass, so that one stuck resource cannot keep the bridge
// from serving.
func RecoverStep(report func(error), rs ...Recoverer) Step {
	return func(ctx context.Context) (int, error) {
		for _, r := range rs {
			if err := r.Recover(ctx); err != nil {
				if errdefs.Unreachable(err) {
					return 0, err
				}
				if report != nil {
					report(err)
				}
			}
		}
		return 0, nil
	}
}

// Replayer says how to put one kind back into its backend.
type Replayer[T proto.Message] struct {
	// Backend names the backend in status messages ("SPDK", "strongSwan").
	Backend string
	// Apply makes the backend hold the resource; it must be idempotent
	// (a backend that holds it already answers success). It gets a copy.
	Apply func(ctx context.Context, m T) error
	// Present, optional, says the backend holds the resource already (from
	// one listing of the backend per kind), so Apply is skipped.
	Present func(m T) bool
}

// ReplayStep walks c and applies every resource the backend lacks,
// recording READY, or ERROR with the backend's reason, as each resource's
// status (an unchanged status costs no write). A refusal is counted; an
// unreachable backend (errdefs.Unreachable) stops the walk with its error.
func ReplayStep[T proto.Message](c *Collection[T], r Replayer[T]) Step {
	return func(ctx context.Context) (int, error) {
		refused := 0
		err := c.Walk(ctx, func(m T) error {
			state, msg := commonv1.ResourceState_RESOURCE_STATE_READY, ""
			if r.Present == nil || !r.Present(m) {
				if err := r.Apply(ctx, proto.Clone(m).(T)); err != nil {
					if errdefs.Unreachable(err) {
						return err
					}
					refused++
					state, msg = commonv1.ResourceState_RESOURCE_STATE_ERROR, fmt.Sprintf("%s refused to recreate it: %s", r.Backend, errgrpc.Message(err))
				}
			}
			if cur, curMsg, ok := c.statusOf(m); ok && cur == state && curMsg == msg {
				return nil // the walk read it already: unchanged, no store access
			}
			err := c.SetStatus(ctx, c.nameOf(m), state, msg)
			if errors.Is(err, errdefs.ErrNotFound) {
				return nil // deleted meanwhile
			}
			return err
		})
		return refused, err
	}
}

// statusOf returns the state and message the walk joined into m, for kinds
// whose message has a status field (by reflection: m may be dynamic).
func (c *Collection[T]) statusOf(m T) (state commonv1.ResourceState, message string, ok bool) {
	if c.statusField == nil {
		return 0, "", false
	}
	st := m.ProtoReflect().Get(c.statusField).Message()
	fields := st.Descriptor().Fields()
	return commonv1.ResourceState(st.Get(fields.ByName("state")).Enum()), st.Get(fields.ByName("message")).String(), true
}
