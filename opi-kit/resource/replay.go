package resource

import (
	"context"
	"fmt"
	"sync"

	commonv1 "github.com/opi-suite/opi/opi-api/common/v1"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-kit/errdefs/errgrpc"
	"github.com/opi-suite/opi/opi-kit/store"
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
	// Parallel is how many Apply calls may run at once; 0 or 1 runs them
	// one after another, in name order. More suits a backend that answers
	// concurrent calls together (SPDK answers every request it read in
	// one poller tick); only for kinds whose resources do not depend on
	// each other.
	Parallel int
}

// ReplayStep walks c and applies every resource the backend lacks,
// recording READY, or ERROR with the backend's reason, as each resource's
// status (an unchanged status costs no write; the changed ones of a page
// of resources the backend holds are written in one transaction). A
// refusal is counted; an unreachable backend (errdefs.Unreachable) stops
// the walk with its error.
//
// Each Apply runs with the resource's name held, as the collection's own
// mutations do, and on the resource as stored then: a resource deleted,
// or created or changed by a client, while the walk goes on is left to
// that operation, so the walk never recreates in the backend what a client
// just deleted. The walk also tells the collection how far it has checked
// the backend (see PendingUntilReplayed).
func ReplayStep[T proto.Message](c *Collection[T], r Replayer[T]) Step {
	return func(ctx context.Context) (int, error) {
		gen := c.verified.generation()
		refused := 0
		err := c.walkPages(ctx, func(page []T) error {
			var held, missing []T
			for _, m := range page {
				if r.Present != nil && r.Present(m) {
					held = append(held, m)
				} else {
					missing = append(missing, m)
				}
			}
			if err := c.markReady(ctx, held); err != nil {
				return err
			}
			n, err := c.applyAll(ctx, r, gen, missing)
			refused += n
			if err != nil {
				return err
			}
			c.verified.advance(gen, c.nameOf(page[len(page)-1]))
			return nil
		})
		if err == nil {
			c.verified.finish(gen)
		}
		return refused, err
	}
}

// markReady records READY for resources the backend holds, in one
// transaction for those whose status changes and none when no status
// does. A resource deleted meanwhile, or with an operation in flight
// (which records its own status), is skipped.
func (c *Collection[T]) markReady(ctx context.Context, ms []T) error {
	if len(ms) == 0 {
		return nil
	}
	var changed []string
	if err := c.store.View(ctx, func(tx store.Tx) error {
		for _, m := range ms {
			name := c.nameOf(m)
			st, err := c.readStatus(tx, name)
			if err != nil {
				return err
			}
			if st.GetState() != commonv1.ResourceState_RESOURCE_STATE_READY || st.GetMessage() != "" {
				changed = append(changed, name)
			}
		}
		return nil
	}); err != nil || len(changed) == 0 {
		return err
	}
	return c.store.Update(ctx, func(tx store.Tx) error {
		for _, name := range changed {
			_, found, err := c.read(tx, name)
			if err != nil {
				return err
			}
			op, _, err := c.journal(tx, name)
			if err != nil {
				return err
			}
			if !found || op != opNone {
				continue
			}
			if err := c.putStatus(tx, name, commonv1.ResourceState_RESOURCE_STATE_READY, ""); err != nil {
				return err
			}
		}
		return nil
	})
}

// applyAll replays ms, r.Parallel at a time, and returns how many the
// backend refused; an unreachable backend stops it.
func (c *Collection[T]) applyAll(ctx context.Context, r Replayer[T], gen uint64, ms []T) (int, error) {
	workers := max(r.Parallel, 1)
	if workers == 1 || len(ms) < 2 {
		refused := 0
		for _, m := range ms {
			no, err := c.replayOne(ctx, r, gen, m)
			if err != nil {
				return refused, err
			}
			if no {
				refused++
			}
		}
		return refused, nil
	}
	var (
		mu      sync.Mutex
		refused int
		errs    []error
		wg      sync.WaitGroup
		slots   = make(chan struct{}, workers)
	)
	stop, cancel := context.WithCancel(ctx)
	defer cancel()
	for _, m := range ms {
		if stop.Err() != nil {
			break
		}
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			no, err := c.replayOne(stop, r, gen, m)
			mu.Lock()
			defer mu.Unlock()
			if no {
				refused++
			}
			if err != nil {
				errs = append(errs, err)
				cancel() // the backend is gone: start no more
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		return refused, errs[0]
	}
	return refused, ctx.Err()
}

// replayOne applies one resource, with its name held, and records the
// outcome; refused says the backend refused it.
func (c *Collection[T]) replayOne(ctx context.Context, r Replayer[T], gen uint64, m T) (refused bool, err error) {
	name := c.nameOf(m)
	unlock := c.locks.lock(name)
	defer unlock()
	var (
		cur   T
		found bool
		op    byte
		st    *commonv1.ResourceStatus
	)
	if err := c.store.View(ctx, func(tx store.Tx) error {
		var err error
		if cur, found, err = c.read(tx, name); err != nil || !found {
			return err
		}
		if op, _, err = c.journal(tx, name); err != nil {
			return err
		}
		if st, err = c.readStatus(tx, name); err != nil {
			return err
		}
		// Apply gets the resource as a walk gives it, with its status
		// (the firewall logs when a policy in ERROR is enforced again).
		return c.joinStatus(tx, cur)
	}); err != nil {
		return false, err
	}
	// Deleted meanwhile, an operation under way or interrupted (it, or
	// Recover, settles the backend), or committed by a client since the
	// bridge (or the backend) started, so the backend holds it: nothing to
	// replay.
	if !found || op != opNone || c.verified.freshIn(gen, name) {
		return false, nil
	}
	state, msg := commonv1.ResourceState_RESOURCE_STATE_READY, ""
	if err := r.Apply(ctx, proto.Clone(cur).(T)); err != nil {
		if errdefs.Unreachable(err) || ctx.Err() != nil {
			return false, err
		}
		refused = true
		state, msg = commonv1.ResourceState_RESOURCE_STATE_ERROR, fmt.Sprintf("%s refused to recreate it: %s", r.Backend, errgrpc.Message(err))
	}
	if st.GetState() == state && st.GetMessage() == msg {
		return refused, nil // unchanged: no store write
	}
	return refused, c.store.Update(context.WithoutCancel(ctx), func(tx store.Tx) error {
		if _, ok, err := c.read(tx, name); err != nil || !ok {
			return err
		}
		return c.putStatus(tx, name, state, msg)
	})
}
