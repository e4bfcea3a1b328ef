package network

import (
	"context"
	"errors"

	"github.com/opi-suite/opi/opi-kit/aip"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-kit/resource"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

// crud is the CRUD every kind of the gateway shares over its collection:
// claims around creates, status decoration on every answer, claims
// released after deletes. Each kind's value rules run before it.
type crud[T proto.Message] struct {
	g        *Gateway
	coll     *resource.Collection[T]
	claims   func(T) map[string]string
	decorate func(T) T
}

func (c crud[T]) create(ctx context.Context, id string, m T) (T, error) {
	var zero T
	name, err := c.coll.Pattern().Format(id)
	if err != nil {
		return zero, err
	}
	var out T
	err = c.g.withClaims(name, c.claims(m), func() error {
		var err error
		out, err = c.coll.Create(ctx, "", id, m)
		return err
	})
	if err != nil {
		// A refused create leaves no resource: forget what its components
		// reported, or every failed create would stay in memory.
		if _, gerr := c.coll.Get(ctx, name); errors.Is(gerr, errdefs.ErrNotFound) {
			c.g.comps.forget(name)
		}
		return zero, err
	}
	return c.decorate(out), nil
}

func (c crud[T]) get(ctx context.Context, name string) (T, error) {
	m, err := c.coll.Get(ctx, name)
	if err != nil {
		var zero T
		return zero, err
	}
	return c.decorate(m), nil
}

func (c crud[T]) list(ctx context.Context, size int32, token string) ([]T, string, error) {
	items, next, err := c.coll.List(ctx, "", size, token)
	for i := range items {
		items[i] = c.decorate(items[i])
	}
	return items, next, err
}

// checkedUpdate updates m per mask after check accepted what the update
// leaves. The check runs on the merged resource under the collection's
// lock for the name (resource.Collection.UpdateChecked), so two updates
// of one object at once cannot store a combination neither was checked
// against; the claims are taken for the resource as it will be.
func (c crud[T]) checkedUpdate(ctx context.Context, m T, mask *fieldmaskpb.FieldMask, allowMissing bool, check func(T) error) (T, error) {
	next, err := c.next(ctx, m, mask, allowMissing)
	if err != nil {
		var zero T
		return zero, err
	}
	var out T
	err = c.g.withClaims(nameOf(next), c.claims(next), func() error {
		var err error
		out, err = c.coll.UpdateChecked(ctx, m, mask, allowMissing, check)
		return err
	})
	if err != nil {
		var zero T
		return zero, err
	}
	return c.decorate(out), nil
}

func (c crud[T]) delete(ctx context.Context, name string, allowMissing bool) error {
	if err := c.coll.Delete(ctx, name, allowMissing); err != nil {
		return err
	}
	c.g.claims.releaseAll(name)
	c.g.comps.forget(name)
	c.g.kickRouting()
	return nil
}

func nameOf(m proto.Message) string {
	r := m.ProtoReflect()
	return r.Get(r.Descriptor().Fields().ByName("name")).String()
}

// next returns the resource m's update would leave (the stored one with
// mask applied, or m itself for an allow_missing create), for the value
// rules to check before anything changes.
func (c crud[T]) next(ctx context.Context, m T, mask *fieldmaskpb.FieldMask, allowMissing bool) (T, error) {
	var zero T
	name := nameOf(m)
	cur, err := c.coll.Get(ctx, name)
	switch {
	case errors.Is(err, errdefs.ErrNotFound) && allowMissing:
		cur = m.ProtoReflect().New().Interface().(T)
		mask = nil
	case err != nil:
		return zero, err
	}
	next := proto.Clone(cur).(T)
	if err := aip.ApplyFieldMask(next, m, mask); err != nil {
		return zero, err
	}
	next.ProtoReflect().Set(next.ProtoReflect().Descriptor().Fields().ByName("name"), m.ProtoReflect().Get(m.ProtoReflect().Descriptor().Fields().ByName("name")))
	return next, nil
}
