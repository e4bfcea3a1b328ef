package resource

import (
	"context"
	"errors"

	commonv1 "github.com/opi-suite/opi/opi-api/common/v1"
	"github.com/opi-suite/opi/opi-kit/aip"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-kit/store"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

// Create stores msg as parent/collection/id (AIP-133) and, with a backend,
// creates it there. OUTPUT_ONLY fields of msg are ignored. A repeated Create
// with the same id and an equal spec returns the stored resource without
// writing (a client retry after a lost reply); a different spec is
// AlreadyExists. A missing parent is NotFound.
func (c *Collection[T]) Create(ctx context.Context, parent, id string, msg T) (T, error) {
	var zero T
	name, err := c.pattern.Child(parent, id)
	if err != nil {
		return zero, err
	}
	in := proto.Clone(msg).(T)
	aip.ClearOutputOnly(in)
	c.setName(in, name)
	unlock := c.locks.lock(name)
	defer unlock()
	return c.create(ctx, name, in)
}

// create runs with the name locked.
func (c *Collection[T]) create(ctx context.Context, name string, in T) (T, error) {
	var zero, stored T
	var exists, resume bool
	err := c.store.Update(ctx, func(tx store.Tx) error {
		cur, ok, err := c.read(tx, name)
		if err != nil {
			return err
		}
		if ok {
			if !aip.SpecEqual(cur, in) {
				return aip.AlreadyExistsf("%s already exists with a different spec", name)
			}
			op, _, err := c.journal(tx, name)
			if err != nil {
				return err
			}
			if op == opDelete {
				return aip.FailedPreconditionf("%s is being deleted", name)
			}
			// A create interrupted by a crash is finished by the retry.
			stored, exists, resume = cur, true, op == opCreate
			return nil
		}
		if err := c.checkRefs(tx, c.refsOf(in)); err != nil {
			return err
		}
		return c.writePending(tx, name, in, opCreate, nil)
	})
	switch {
	case err != nil:
		return zero, err
	case exists && !resume:
		return c.Get(ctx, name)
	case c.backend == nil:
		return c.Get(ctx, name)
	case resume:
		in = stored
	}
	if err := c.backend.Create(ctx, in); err != nil {
		return zero, c.rollbackCreate(ctx, name, in, err)
	}
	if err := c.commit(ctx, name, in); err != nil {
		return zero, err
	}
	return c.Get(ctx, name)
}

// Update applies msg onto the stored resource named by msg's name, per
// mask (see aip.ApplyFieldMask), and updates the backend. With allowMissing
// a missing resource is created from msg (AIP-134). An update that changes
// nothing writes nothing and does not call the backend.
func (c *Collection[T]) Update(ctx context.Context, msg T, mask *fieldmaskpb.FieldMask, allowMissing bool) (T, error) {
	return c.UpdateChecked(ctx, msg, mask, allowMissing, nil)
}

// UpdateChecked is Update with check run first on the resource the update
// would leave (the stored one with mask applied, or msg for an
// allow_missing create), under the resource's lock: a concurrent update of
// the same resource cannot come between the check and the write, so what
// is stored is what was checked. check runs outside any store transaction
// (it may ask the backend); its error is returned and nothing changes.
func (c *Collection[T]) UpdateChecked(ctx context.Context, msg T, mask *fieldmaskpb.FieldMask, allowMissing bool, check func(next T) error) (T, error) {
	var zero T
	name := c.nameOf(msg)
	if err := c.pattern.Validate(name); err != nil {
		return zero, err
	}
	unlock := c.locks.lock(name)
	defer unlock()
	if check != nil {
		next, err := c.merged(ctx, name, msg, mask, allowMissing)
		if err != nil {
			return zero, err
		}
		if err := check(next); err != nil {
			return zero, err
		}
	}

	var cur, next T
	var found bool
	var prevStatus []byte
	err := c.store.Update(ctx, func(tx store.Tx) error {
		var err error
		cur, found, err = c.read(tx, name)
		if err != nil || !found {
			return err
		}
		if op, _, err := c.journal(tx, name); err != nil || op != opNone {
			if err == nil {
				err = aip.FailedPreconditionf("%s has an unfinished operation; retry after it is recovered", name)
			}
			return err
		}
		next = proto.Clone(cur).(T)
		if err := aip.ApplyFieldMask(next, msg, mask); err != nil {
			return err
		}
		if aip.SpecEqual(next, cur) {
			return nil
		}
		oldRefs, newRefs := c.refsOf(cur), c.refsOf(next)
		if err := c.checkRefs(tx, newRefs); err != nil {
			return err
		}
		if err := c.swapRefs(tx, name, oldRefs, newRefs); err != nil {
			return err
		}
		if c.backend == nil {
			return c.putIntent(tx, name, next)
		}
		if prevStatus, err = tx.Get(c.statusKind, name); err != nil && !isNotFound(err) {
			return err
		}
		prev, err := c.encode(cur)
		if err != nil {
			return err
		}
		return c.writePending(tx, name, next, opUpdate, encodeJournal(opUpdate, prevStatus, prev))
	})
	switch {
	case err != nil:
		return zero, err
	case !found && allowMissing:
		in := proto.Clone(msg).(T)
		aip.ClearOutputOnly(in)
		return c.create(ctx, name, in)
	case !found:
		return zero, aip.NotFoundf("%s not found", name)
	case c.backend == nil || aip.SpecEqual(next, cur):
		return c.Get(ctx, name)
	}
	if err := c.backend.Update(ctx, cur, next); err != nil {
		return zero, c.rollbackUpdate(ctx, name, cur, next, prevStatus, err)
	}
	if err := c.commit(ctx, name, next); err != nil {
		return zero, err
	}
	return c.Get(ctx, name)
}

// merged returns what an update of name with msg and mask would leave: the
// stored resource with mask applied, or, for an allow_missing create, msg
// without its OUTPUT_ONLY fields.
func (c *Collection[T]) merged(ctx context.Context, name string, msg T, mask *fieldmaskpb.FieldMask, allowMissing bool) (T, error) {
	var zero T
	cur, err := c.Get(ctx, name)
	switch {
	case err == nil:
		next := proto.Clone(cur).(T)
		if err := aip.ApplyFieldMask(next, msg, mask); err != nil {
			return zero, err
		}
		return next, nil
	case allowMissing && errors.Is(err, errdefs.ErrNotFound):
		next := proto.Clone(msg).(T)
		aip.ClearOutputOnly(next)
		return next, nil
	}
	return zero, err
}

// Delete removes the resource from the backend and then from the store. A
// missing resource is NotFound, or success with allowMissing (AIP-135). A
// resource that others reference (children included) is FailedPrecondition.
func (c *Collection[T]) Delete(ctx context.Context, name string, allowMissing bool) error {
	if err := c.pattern.Validate(name); err != nil {
		return err
	}
	unlock := c.locks.lock(name)
	defer unlock()
	var cur T
	var found bool
	err := c.store.Update(ctx, func(tx store.Tx) error {
		var err error
		if cur, found, err = c.read(tx, name); err != nil || !found {
			return err
		}
		if err := c.checkUnreferenced(tx, name); err != nil {
			return err
		}
		if c.backend == nil {
			return c.remove(tx, name, cur)
		}
		// The journal entry also stops new references to name from here on.
		return tx.Put(journalKind, c.journalKey(name), encodeJournal(opDelete, nil, nil))
	})
	switch {
	case err != nil:
		return err
	case !found && allowMissing:
		return nil
	case !found:
		return aip.NotFoundf("%s not found", name)
	case c.backend == nil:
		return nil
	}
	if err := c.backend.Delete(ctx, cur); err != nil {
		// The resource stays as it was; only the delete mark goes.
		return errors.Join(err, c.store.Update(context.WithoutCancel(ctx), func(tx store.Tx) error {
			return tx.Delete(journalKind, c.journalKey(name))
		}))
	}
	return c.store.Update(context.WithoutCancel(ctx), func(tx store.Tx) error { return c.remove(tx, name, cur) })
}

// writePending is step 1 of the protocol: intent, status, references and,
// with a backend, the journal entry, in the caller's transaction.
func (c *Collection[T]) writePending(tx store.Tx, name string, m T, op byte, journal []byte) error {
	if op == opCreate {
		for _, r := range c.refsOf(m) {
			if err := tx.Put(refsKind, refKey(r.Name, name), []byte(c.kind)); err != nil {
				return err
			}
		}
	}
	if err := c.putIntent(tx, name, m); err != nil {
		return err
	}
	state := commonv1.ResourceState_RESOURCE_STATE_PENDING
	if c.backend == nil {
		return c.putStatus(tx, name, commonv1.ResourceState_RESOURCE_STATE_READY, "")
	}
	if journal == nil {
		journal = encodeJournal(op, nil, nil)
	}
	if err := tx.Put(journalKind, c.journalKey(name), journal); err != nil {
		return err
	}
	return c.putStatus(tx, name, state, "the backend is being updated")
}

// commit is step 3 on success. It must not be cancelled with the request:
// the backend already holds the change.
func (c *Collection[T]) commit(ctx context.Context, name string, m T) error {
	err := c.store.Update(context.WithoutCancel(ctx), func(tx store.Tx) error {
		if err := c.putIntent(tx, name, m); err != nil {
			return err
		}
		if err := c.putStatus(tx, name, commonv1.ResourceState_RESOURCE_STATE_READY, ""); err != nil {
			return err
		}
		return tx.Delete(journalKind, c.journalKey(name))
	})
	if err == nil {
		c.verified.committed(name)
	}
	return err
}

// rollbackCreate is step 3 when the backend refused: nothing stays stored.
func (c *Collection[T]) rollbackCreate(ctx context.Context, name string, m T, cause error) error {
	return errors.Join(cause, c.store.Update(context.WithoutCancel(ctx), func(tx store.Tx) error {
		return c.remove(tx, name, m)
	}))
}

// rollbackUpdate restores the previous intent, references and status.
func (c *Collection[T]) rollbackUpdate(ctx context.Context, name string, prev, next T, prevStatus []byte, cause error) error {
	return errors.Join(cause, c.store.Update(context.WithoutCancel(ctx), func(tx store.Tx) error {
		if err := c.swapRefs(tx, name, c.refsOf(next), c.refsOf(prev)); err != nil {
			return err
		}
		if err := c.putIntent(tx, name, prev); err != nil {
			return err
		}
		if err := c.restoreStatus(tx, name, prevStatus); err != nil {
			return err
		}
		return tx.Delete(journalKind, c.journalKey(name))
	}))
}

func (c *Collection[T]) restoreStatus(tx store.Tx, name string, prev []byte) error {
	if prev == nil {
		return tx.Delete(c.statusKind, name)
	}
	return tx.Put(c.statusKind, name, prev)
}

// remove deletes every record of name: intent, status, outgoing references
// and journal entry.
func (c *Collection[T]) remove(tx store.Tx, name string, m T) error {
	for _, r := range c.refsOf(m) {
		if err := tx.Delete(refsKind, refKey(r.Name, name)); err != nil {
			return err
		}
	}
	for _, k := range []struct{ kind, key string }{{c.kind, name}, {c.statusKind, name}, {journalKind, c.journalKey(name)}} {
		if err := tx.Delete(k.kind, k.key); err != nil {
			return err
		}
	}
	return nil
}

func (c *Collection[T]) putIntent(tx store.Tx, name string, m T) error {
	v, err := c.encode(m)
	if err != nil {
		return err
	}
	return tx.Put(c.kind, name, v)
}
