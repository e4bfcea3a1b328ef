package resource

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	commonv1 "github.com/opi-suite/opi/opi-api/common/v1"
	"github.com/opi-suite/opi/opi-kit/aip"
	"github.com/opi-suite/opi/opi-kit/store"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Journal operations: what was in flight when the process stopped.
const (
	opNone   byte = 0
	opCreate byte = 'c'
	opUpdate byte = 'u'
	opDelete byte = 'd'
)

// encodeJournal packs the operation with what an update needs to roll back:
// the previous status (nil when there was none) and the previous intent.
func encodeJournal(op byte, prevStatus, prevIntent []byte) []byte {
	b := []byte{op}
	n := uint64(0)
	if prevStatus != nil {
		n = uint64(len(prevStatus)) + 1
	}
	b = binary.AppendUvarint(b, n)
	b = append(b, prevStatus...)
	return append(b, prevIntent...)
}

func decodeJournal(b []byte) (op byte, prevStatus, prevIntent []byte, err error) {
	if len(b) < 2 {
		return 0, nil, nil, fmt.Errorf("resource: journal entry too short")
	}
	n, k := binary.Uvarint(b[1:])
	rest := b[1+k:]
	if k <= 0 || (n > 0 && uint64(len(rest)) < n-1) {
		return 0, nil, nil, fmt.Errorf("resource: journal entry corrupt")
	}
	if n > 0 {
		prevStatus, rest = rest[:n-1], rest[n-1:]
	}
	return b[0], prevStatus, rest, nil
}

func (c *Collection[T]) journalKey(name string) string { return c.kind + "\x00" + name }

func (c *Collection[T]) journal(tx store.Tx, name string) (byte, []byte, error) {
	return journalOf(tx, c.journalKey(name))
}

func journalOf(tx store.Tx, key string) (byte, []byte, error) {
	v, err := tx.Get(journalKind, key)
	if isNotFound(err) {
		return opNone, nil, nil
	}
	if err != nil {
		return opNone, nil, err
	}
	return v[0], v, nil
}

// refsOf lists what m depends on: its parent (when the parent kind is
// known) and the bridge's own references.
func (c *Collection[T]) refsOf(m T) []Ref {
	var refs []Ref
	if c.parentKind != "" {
		if parent, err := c.pattern.Parent(c.nameOf(m)); err == nil && parent != "" {
			refs = append(refs, Ref{Kind: c.parentKind, Name: parent})
		}
	}
	if c.refs != nil {
		for _, r := range c.refs(m) {
			if r.Name != "" {
				refs = append(refs, r)
			}
		}
	}
	return refs
}

// refKey sorts every referrer of target together, so "is it referenced" is
// one seek.
func refKey(target, referrer string) string { return target + "\x00" + referrer }

// checkRefs runs in the same transaction that records the references, so a
// concurrent Delete of a target either sees the reference or is seen here.
func (c *Collection[T]) checkRefs(tx store.Tx, refs []Ref) error {
	for _, r := range refs {
		if _, err := tx.Get(r.Kind, r.Name); err != nil {
			if isNotFound(err) {
				return aip.NotFoundf("%s not found", r.Name)
			}
			return err
		}
		op, _, err := journalOf(tx, r.Kind+"\x00"+r.Name)
		if err != nil {
			return err
		}
		if op == opDelete {
			return aip.FailedPreconditionf("%s is being deleted", r.Name)
		}
	}
	return nil
}

func (c *Collection[T]) swapRefs(tx store.Tx, name string, old, next []Ref) error {
	for _, r := range old {
		if err := tx.Delete(refsKind, refKey(r.Name, name)); err != nil {
			return err
		}
	}
	for _, r := range next {
		if err := tx.Put(refsKind, refKey(r.Name, name), []byte(c.kind)); err != nil {
			return err
		}
	}
	return nil
}

func (c *Collection[T]) checkUnreferenced(tx store.Tx, name string) error {
	items, err := tx.List(refsKind, name+"\x00", "", 1)
	if err != nil || len(items) == 0 {
		return err
	}
	referrer := items[0].Key[len(name)+1:]
	return aip.FailedPreconditionf("%s is in use by %s; delete that first", name, referrer)
}

func (c *Collection[T]) putStatus(tx store.Tx, name string, state commonv1.ResourceState, message string) error {
	cur, err := c.readStatus(tx, name)
	if err != nil {
		return err
	}
	if cur != nil && cur.GetState() == state && cur.GetMessage() == message {
		return nil
	}
	v, err := proto.MarshalOptions{Deterministic: true}.Marshal(&commonv1.ResourceStatus{
		State: state, Message: message, UpdateTime: timestamppb.Now(),
	})
	if err != nil {
		return err
	}
	return tx.Put(c.statusKind, name, v)
}

// Status returns the stored status of name, for kinds whose message has no
// status field. A resource with no status record yet reports UNSPECIFIED.
func (c *Collection[T]) Status(ctx context.Context, name string) (*commonv1.ResourceStatus, error) {
	var st *commonv1.ResourceStatus
	err := c.store.View(ctx, func(tx store.Tx) error {
		if _, ok, err := c.read(tx, name); err != nil || !ok {
			if err == nil {
				err = aip.NotFoundf("%s not found", name)
			}
			return err
		}
		var err error
		st, err = c.readStatus(tx, name)
		return err
	})
	if st == nil && err == nil {
		st = &commonv1.ResourceStatus{}
	}
	if err == nil {
		if o := c.verified.overlay(name); o != nil {
			st = o
		}
	}
	return st, err
}

// SetStatus records what a reconcile pass found: READY when the backend
// matches the intent, ERROR (with the reason) when it refused, PENDING while
// it is unreachable. update_time changes only when state or message do.
func (c *Collection[T]) SetStatus(ctx context.Context, name string, state commonv1.ResourceState, message string) error {
	// Reconcile passes confirm the same status over and over; a read-write
	// transaction costs an fsync even when it writes nothing, so look first.
	unchanged := false
	if err := c.store.View(ctx, func(tx store.Tx) error {
		if _, ok, err := c.read(tx, name); err != nil || !ok {
			return err
		}
		cur, err := c.readStatus(tx, name)
		unchanged = err == nil && cur != nil && cur.GetState() == state && cur.GetMessage() == message
		return err
	}); err != nil {
		return err
	}
	if unchanged {
		return nil
	}
	return c.store.Update(ctx, func(tx store.Tx) error {
		if _, ok, err := c.read(tx, name); err != nil || !ok {
			if err == nil {
				err = aip.NotFoundf("%s not found", name)
			}
			return err
		}
		return c.putStatus(tx, name, state, message)
	})
}

// Recover finishes the operations a crash interrupted, oldest name first.
// Run it (from the bridge's reconcile pass) at start and after the
// backend comes back. Interrupted creates and updates are completed by
// calling the backend again; if the backend refuses, the create is removed
// (it was never acknowledged) and the update rolled back. Interrupted
// deletes are completed. Entries the backend cannot handle yet stay for the
// next call, whose errors are returned joined.
func (c *Collection[T]) Recover(ctx context.Context) error {
	if c.backend == nil {
		return nil
	}
	items, err := store.List(ctx, c.store, journalKind, c.kind+"\x00", "", 0)
	if err != nil {
		return err
	}
	var errs []error
	for _, it := range items {
		name := it.Key[len(c.kind)+1:]
		if err := c.recoverOne(ctx, name); err != nil {
			errs = append(errs, fmt.Errorf("recover %s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

func (c *Collection[T]) recoverOne(ctx context.Context, name string) error {
	unlock := c.locks.lock(name)
	defer unlock()
	var cur T
	var found bool
	var entry []byte
	err := c.store.View(ctx, func(tx store.Tx) error {
		var err error
		if _, entry, err = c.journal(tx, name); err != nil {
			return err
		}
		cur, found, err = c.read(tx, name)
		return err
	})
	if err != nil || entry == nil {
		return err
	}
	op, prevStatus, prevIntent, err := decodeJournal(entry)
	if err != nil {
		return err
	}
	if !found {
		// Nothing to finish: drop the stray entry.
		return c.store.Update(ctx, func(tx store.Tx) error { return tx.Delete(journalKind, c.journalKey(name)) })
	}
	switch op {
	case opCreate:
		if err := c.backend.Create(ctx, cur); err != nil {
			if derr := c.backend.Delete(ctx, cur); derr != nil {
				return errors.Join(err, derr)
			}
			return c.rollbackCreate(ctx, name, cur, nil)
		}
		return c.commit(ctx, name, cur)
	case opUpdate:
		prev, err := c.decode(prevIntent)
		if err != nil {
			return err
		}
		if err := c.backend.Update(ctx, prev, cur); err != nil {
			return c.rollbackUpdate(ctx, name, prev, cur, prevStatus, err)
		}
		return c.commit(ctx, name, cur)
	case opDelete:
		if err := c.backend.Delete(ctx, cur); err != nil {
			return err
		}
		return c.store.Update(ctx, func(tx store.Tx) error { return c.remove(tx, name, cur) })
	}
	return fmt.Errorf("resource: unknown journal operation %q", op)
}

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

// nameLocks serializes operations on one name while the backend call runs
// outside any store transaction; different names proceed in parallel.
type nameLocks struct {
	mu   sync.Mutex
	held map[string]*nameLock
}

type nameLock struct {
	sync.Mutex
	users int
}

func (l *nameLocks) lock(name string) (unlock func()) {
	l.mu.Lock()
	if l.held == nil {
		l.held = map[string]*nameLock{}
	}
	nl := l.held[name]
	if nl == nil {
		nl = &nameLock{}
		l.held[name] = nl
	}
	nl.users++
	l.mu.Unlock()
	nl.Lock()
	return func() {
		nl.Unlock()
		l.mu.Lock()
		if nl.users--; nl.users == 0 {
			delete(l.held, name)
		}
		l.mu.Unlock()
	}
}

// Referrers returns the names of the resources, of any collection on s,
// that reference target (declared with WithReferences), in name order.
// It reads the reference index: one seek and the referrers, however many
// resources the collections hold.
func Referrers(ctx context.Context, s store.Store, target string) ([]string, error) {
	var out []string
	err := s.View(ctx, func(tx store.Tx) error {
		items, err := tx.List(refsKind, target+"\x00", "", 0)
		for _, it := range items {
			out = append(out, it.Key[len(target)+1:])
		}
		return err
	})
	return out, err
}
