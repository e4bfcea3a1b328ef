package resource

import (
	"sync"
	"time"

	commonv1 "github.com/opi-suite/opi/opi-api/common/v1"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// unverifiedMessage is the status message of a resource nobody has checked
// against the backend since the bridge started (or the backend restarted).
const unverifiedMessage = "not yet checked against the backend since the bridge or the backend started"

// PendingUntilReplayed makes the collection's resources read PENDING from
// New (and again after Unverify) until a replay pass (ReplayStep) or a
// mutation has checked them against the backend: a bridge can then serve
// at once after a restart without reporting READY for what the backend may
// have lost. The stored statuses are not rewritten; the overlay is kept in
// memory, so it costs nothing per resource at start. Use it only for kinds
// that a ReplayStep walks, or they stay PENDING.
func PendingUntilReplayed() Option {
	return optionFunc(func(c *config) { c.pendingUntilReplayed = true })
}

// verification is, in memory, what has been checked against the backend
// in the current generation (since start, or since the last Unverify): a
// replay walk checks names in order up to a watermark; a mutation that
// committed checks its own name. Once a walk ends, everything is checked
// and the sets are dropped.
type verification struct {
	enabled bool

	mu    sync.Mutex
	gen   uint64
	since time.Time           // when this generation began
	all   bool                // a walk of this generation ended: every name checked
	upTo  string              // the walk checked every name <= upTo ("" none)
	fresh map[string]struct{} // names a mutation committed in this generation
}

func (v *verification) init(enabled bool) {
	v.enabled = enabled
	v.since = time.Now()
	v.all = !enabled
}

// overlay returns the status a client sees for name instead of the
// stored one, or nil when the stored one stands.
func (v *verification) overlay(name string) *commonv1.ResourceStatus {
	if !v.enabled {
		return nil
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.checkedLocked(name) {
		return nil
	}
	return &commonv1.ResourceStatus{State: commonv1.ResourceState_RESOURCE_STATE_PENDING,
		Message: unverifiedMessage, UpdateTime: timestamppb.New(v.since)}
}

func (v *verification) checkedLocked(name string) bool {
	if v.all || (v.upTo != "" && name <= v.upTo) {
		return true
	}
	_, ok := v.fresh[name]
	return ok
}

// committed records that a mutation put name into the backend.
func (v *verification) committed(name string) {
	if !v.enabled {
		return
	}
	v.mu.Lock()
	if !v.all {
		if v.fresh == nil {
			v.fresh = map[string]struct{}{}
		}
		v.fresh[name] = struct{}{}
	}
	v.mu.Unlock()
}

// freshIn reports whether a mutation committed name in generation gen, so
// that the backend holds it already.
func (v *verification) freshIn(gen uint64, name string) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	_, ok := v.fresh[name]
	return ok && v.gen == gen
}

// generation returns the current generation, which a walk passes back to
// advance and finish: a walk that began before an Unverify checks nothing
// in the new generation.
func (v *verification) generation() uint64 {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.gen
}

// advance records that a walk of generation gen checked every name up to
// name.
func (v *verification) advance(gen uint64, name string) {
	v.mu.Lock()
	if v.gen == gen && name > v.upTo {
		v.upTo = name
	}
	v.mu.Unlock()
}

// finish records that a walk of generation gen ended.
func (v *verification) finish(gen uint64) {
	v.mu.Lock()
	if v.gen == gen {
		v.all, v.upTo, v.fresh = true, "", nil
	}
	v.mu.Unlock()
}

// reset starts a new generation in which nothing is checked.
func (v *verification) reset() {
	if !v.enabled {
		return
	}
	v.mu.Lock()
	v.gen++
	v.since = time.Now()
	v.all, v.upTo, v.fresh = false, "", nil
	v.mu.Unlock()
}

// Unverify makes every resource of a PendingUntilReplayed collection read
// PENDING again until the next replay pass checks it: the backend may have
// restarted and lost what it held. Without that option it does nothing.
func (c *Collection[T]) Unverify() { c.verified.reset() }

// Verified reports whether every resource of the collection has been
// checked against the backend in the current generation (always true
// without PendingUntilReplayed).
func (c *Collection[T]) Verified() bool {
	c.verified.mu.Lock()
	defer c.verified.mu.Unlock()
	return c.verified.all
}
