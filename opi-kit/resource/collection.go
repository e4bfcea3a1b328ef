// Package resource is the domain layer every bridge builds on: a typed
// collection of one resource kind, kept as intent in a store.Store, that
// serves AIP CRUD (idempotent create, list with page tokens, update with a
// field mask, delete with allow_missing), enforces parent and reference
// dependencies, and runs the bridge's backend call inside each operation so
// that an acknowledged change is durable in both the store and the backend.
//
// # Crash safety
//
// With a Backend configured, every mutation is intent-then-commit:
//
//  1. one transaction stores the new intent, a PENDING status, the reference
//     index entries and a journal entry naming the operation;
//  2. the backend call runs (no store lock is held);
//  3. one transaction commits (READY, journal entry removed) or, if the
//     backend failed, rolls the intent back, so nothing is left stored.
//
// The caller sees success only after step 3 is on disk. A process killed in
// between leaves a journal entry; Recover, run by the first reconcile pass
// (the resource reads PENDING until then), finishes it:
// it replays the backend call (Backend methods must be idempotent) and
// commits, or undoes the change. So after a restart every acknowledged
// create exists in store and backend, and nothing is left half made.
package resource

import (
	"context"
	"fmt"
	"strings"

	commonv1 "github.com/opi-suite/opi/opi-api/common/v1"
	"github.com/opi-suite/opi/opi-kit/aip"
	"github.com/opi-suite/opi/opi-kit/store"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Backend is what a bridge implements for one kind to make the backend
// (SPDK, strongSwan, the kernel) hold the intent. Each method is called
// with no store lock held, and must be idempotent: after a crash Recover
// calls it again for the operation that was interrupted.
type Backend[T proto.Message] interface {
	// Create makes msg exist in the backend. It may fill OUTPUT_ONLY fields
	// of msg (a UUID the backend assigned); they are stored with the intent.
	// On error it leaves nothing behind in the backend.
	Create(ctx context.Context, msg T) error
	// Update changes the backend object from old to msg.
	Update(ctx context.Context, old, msg T) error
	// Delete removes msg from the backend; a missing object is success.
	Delete(ctx context.Context, msg T) error
}

// Ref names a resource another one depends on. While the reference exists
// the target cannot be deleted (FailedPrecondition); creating a resource
// whose target is missing is NotFound.
type Ref struct {
	Kind string // the target's collection kind, e.g. "nvmeSubsystems"
	Name string // the target's full name
}

// Option configures New.
type Option interface{ apply(*config) }

type config struct {
	messageType protoreflect.MessageType
	parentKind  string
	refs        func(proto.Message) []Ref
	backend     any // Backend[T], checked by New

	pendingUntilReplayed bool
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// WithMessageType gives the message type explicitly; needed only when T is
// *dynamicpb.Message, whose zero value cannot tell its type.
func WithMessageType(mt protoreflect.MessageType) Option {
	return optionFunc(func(c *config) { c.messageType = mt })
}

// WithParentKind names the collection that holds the parents, so that a
// child cannot be created under a missing parent and a parent with children
// cannot be deleted.
func WithParentKind(kind string) Option {
	return optionFunc(func(c *config) { c.parentKind = kind })
}

// WithReferences extracts, from a resource, the other resources it uses
// (a controller's subsystem, a tunnel's key). References must not form
// cycles.
func WithReferences[T proto.Message](fn func(T) []Ref) Option {
	return optionFunc(func(c *config) {
		c.refs = func(m proto.Message) []Ref { return fn(m.(T)) }
	})
}

// WithBackend runs b inside every Create, Update and Delete; see the package
// documentation for the protocol. Without a backend the collection is plain
// stored intent.
func WithBackend[T proto.Message](b Backend[T]) Option {
	return optionFunc(func(c *config) { c.backend = b })
}

// Collection is the stored intent of one resource kind. Use one Collection
// per kind per store: it serializes operations on each name in-process.
type Collection[T proto.Message] struct {
	store       store.Store
	kind        string
	statusKind  string
	pattern     *aip.Pattern
	mt          protoreflect.MessageType
	nameField   protoreflect.FieldDescriptor
	statusField protoreflect.FieldDescriptor // nil when T has no ResourceStatus
	parentKind  string
	refs        func(proto.Message) []Ref
	backend     Backend[T]
	locks       nameLocks
	verified    verification // what was checked against the backend since start
}

// Names of the store kinds shared by all collections.
const (
	refsKind    = "_refs"    // target + "\x00" + referrer -> referrer kind
	journalKind = "_journal" // kind + "\x00" + name -> interrupted operation
)

// New returns the collection of kind (e.g. "nvmeNamespaces", also the store
// bucket) whose names follow pattern. T must have a string field "name"
// (AIP-122); a field of type opi.common.v1.ResourceStatus, if any, is
// filled from the collection's status records on every read.
func New[T proto.Message](s store.Store, kind string, pattern *aip.Pattern, opts ...Option) (*Collection[T], error) {
	var cfg config
	for _, o := range opts {
		o.apply(&cfg)
	}
	if kind == "" || strings.HasPrefix(kind, "_") || strings.Contains(kind, "\x00") {
		return nil, fmt.Errorf("resource: kind %q is empty or reserved", kind)
	}
	if pattern.Collection() == "" {
		return nil, fmt.Errorf("resource: pattern %q must end in collection/{id}", pattern)
	}
	mt := cfg.messageType
	if mt == nil {
		var err error
		if mt, err = typeOf[T](); err != nil {
			return nil, err
		}
	}
	md := mt.Descriptor()
	c := &Collection[T]{
		store: s, kind: kind, statusKind: kind + ".status", pattern: pattern, mt: mt,
		parentKind: cfg.parentKind, refs: cfg.refs,
	}
	if _, ok := mt.New().Interface().(T); !ok {
		return nil, fmt.Errorf("resource: message type %s is not the collection's type %T", md.FullName(), *new(T))
	}
	c.nameField = md.Fields().ByName("name")
	if c.nameField == nil || c.nameField.Kind() != protoreflect.StringKind || c.nameField.IsList() {
		return nil, fmt.Errorf("resource: %s has no string field \"name\"", md.FullName())
	}
	statusName := (&commonv1.ResourceStatus{}).ProtoReflect().Descriptor().FullName()
	for i := 0; i < md.Fields().Len(); i++ {
		fd := md.Fields().Get(i)
		if fd.Message() != nil && fd.Message().FullName() == statusName && !fd.IsList() && !fd.IsMap() {
			c.statusField = fd
			break
		}
	}
	if cfg.backend != nil {
		b, ok := cfg.backend.(Backend[T])
		if !ok {
			return nil, fmt.Errorf("resource: backend %T does not handle %T", cfg.backend, *new(T))
		}
		c.backend = b
	}
	c.verified.init(cfg.pendingUntilReplayed && c.backend != nil)
	if err := c.verify(); err != nil {
		return nil, err
	}
	return c, nil
}

// verify decodes every stored record of the kind once, at start: a record
// that cannot be read would otherwise fail every reconcile pass, and the
// bridge would retry forever without serving or exiting.
func (c *Collection[T]) verify() error {
	const page = 1024
	after := ""
	for {
		n := 0
		err := c.store.View(context.Background(), func(tx store.Tx) error {
			items, err := tx.List(c.kind, "", after, page)
			for _, it := range items {
				n, after = n+1, it.Key
				if _, err := c.decode(it.Value); err != nil {
					return fmt.Errorf("%w: record %q of kind %s cannot be read (%v): restore the intent store "+
						"from a backup, or delete that resource's record", store.ErrDamaged, it.Key, c.kind, err)
				}
			}
			return err
		})
		if err != nil || n < page {
			return err
		}
	}
}

// Kind returns the collection's kind, the name other collections use in Ref.
func (c *Collection[T]) Kind() string { return c.kind }

// Pattern returns the resource name pattern.
func (c *Collection[T]) Pattern() *aip.Pattern { return c.pattern }

// Get returns the resource with its current status, or NotFound.
func (c *Collection[T]) Get(ctx context.Context, name string) (T, error) {
	var out T
	if err := c.pattern.Validate(name); err != nil {
		return out, err
	}
	err := c.store.View(ctx, func(tx store.Tx) error {
		m, ok, err := c.read(tx, name)
		if err != nil {
			return err
		}
		if !ok {
			return aip.NotFoundf("%s not found", name)
		}
		out = m
		return c.joinStatus(tx, m)
	})
	if err == nil {
		c.overlayStatus(out)
	}
	return out, err
}

// List returns one page of the direct children of parent ("" for a
// top-level kind), ordered by name, and the token of the next page ("" on
// the last page). fingerprint holds the request's other list parameters
// (filter, order_by, ...) so a token cannot be reused with different ones.
// Each page costs one seek plus its items, whatever the collection's size,
// and items created between pages never make the listing repeat or skip.
func (c *Collection[T]) List(ctx context.Context, parent string, pageSize int32, pageToken string, fingerprint ...string) ([]T, string, error) {
	prefix, err := c.pattern.ChildPrefix(parent)
	if err != nil {
		return nil, "", err
	}
	size, err := aip.PageSize(pageSize)
	if err != nil {
		return nil, "", err
	}
	fp := append([]string{c.kind, parent}, fingerprint...)
	after, err := aip.DecodePageToken(pageToken, fp...)
	if err != nil {
		return nil, "", err
	}
	var out []T
	var next string
	err = c.store.View(ctx, func(tx store.Tx) error {
		// One extra item tells whether another page exists, so the last
		// page carries no token and clients never fetch an empty page.
		items, err := tx.List(c.kind, prefix, after, size+1)
		if err != nil {
			return err
		}
		if len(items) > size {
			items = items[:size]
			next = aip.EncodePageToken(items[size-1].Key, fp...)
		}
		out = make([]T, 0, len(items))
		for _, it := range items {
			m, err := c.decode(it.Value)
			if err != nil {
				return fmt.Errorf("resource: %s %s: %w", c.kind, it.Key, err)
			}
			if err := c.joinStatus(tx, m); err != nil {
				return err
			}
			c.overlayStatus(m)
			out = append(out, m)
		}
		return nil
	})
	return out, next, err
}

// Empty reports whether the collection holds no resource, under any
// parent: one seek.
func (c *Collection[T]) Empty(ctx context.Context) (bool, error) {
	empty := true
	err := c.store.View(ctx, func(tx store.Tx) error {
		items, err := tx.List(c.kind, "", "", 1)
		empty = len(items) == 0
		return err
	})
	return empty, err
}

// Walk calls fn for every resource of the kind, across all parents, in name
// order. It reads in pages, each in its own snapshot, so a long reconcile
// pass does not pin one transaction; fn may write to the collection.
func (c *Collection[T]) Walk(ctx context.Context, fn func(T) error) error {
	return c.walkPages(ctx, func(page []T) error {
		for _, m := range page {
			if err := fn(m); err != nil {
				return err
			}
		}
		return nil
	})
}

// Names returns the names of every stored resource of the kind, in name
// order, without decoding them: what a metrics scrape needs to count the
// kind or to label its resources. It reads in pages, like Walk.
func (c *Collection[T]) Names(ctx context.Context) ([]string, error) {
	var names []string
	after := ""
	for {
		n := len(names)
		err := c.store.View(ctx, func(tx store.Tx) error {
			items, err := tx.List(c.kind, "", after, namesPage)
			for _, it := range items {
				names = append(names, it.Key)
				after = it.Key
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		if len(names)-n < namesPage {
			return names, nil
		}
	}
}

// namesPage is how many names Names reads in one snapshot: keys are small,
// so pages are larger than Walk's.
const namesPage = 4096

// walkPage is how many resources walkPages reads in one snapshot.
const walkPage = 256

// walkPages is Walk a page at a time.
func (c *Collection[T]) walkPages(ctx context.Context, fn func([]T) error) error {
	after := ""
	for {
		var batch []T
		err := c.store.View(ctx, func(tx store.Tx) error {
			items, err := tx.List(c.kind, "", after, walkPage)
			for _, it := range items {
				m, err := c.decode(it.Value)
				if err != nil {
					return fmt.Errorf("resource: %s %s: %w", c.kind, it.Key, err)
				}
				if err := c.joinStatus(tx, m); err != nil {
					return err
				}
				batch = append(batch, m)
				after = it.Key
			}
			return err
		})
		if err != nil {
			return err
		}
		if len(batch) > 0 {
			if err := fn(batch); err != nil {
				return err
			}
		}
		if len(batch) < walkPage {
			return nil
		}
	}
}

// read returns the stored intent (without status) under name.
func (c *Collection[T]) read(tx store.Tx, name string) (T, bool, error) {
	var zero T
	v, err := tx.Get(c.kind, name)
	if err != nil {
		if isNotFound(err) {
			return zero, false, nil
		}
		return zero, false, err
	}
	m, err := c.decode(v)
	if err != nil {
		return zero, false, fmt.Errorf("resource: %s %s: %w", c.kind, name, err)
	}
	return m, true, nil
}

func (c *Collection[T]) decode(v []byte) (T, error) {
	m := c.mt.New().Interface().(T)
	return m, proto.Unmarshal(v, m)
}

// encode stores the intent without its status: the status lives in its own
// record so a reconcile pass can update it without rewriting the intent.
func (c *Collection[T]) encode(m T) ([]byte, error) {
	if c.statusField != nil && m.ProtoReflect().Has(c.statusField) {
		m = proto.Clone(m).(T)
		m.ProtoReflect().Clear(c.statusField)
	}
	return proto.MarshalOptions{Deterministic: true}.Marshal(m)
}

func (c *Collection[T]) joinStatus(tx store.Tx, m T) error {
	if c.statusField == nil {
		return nil
	}
	st, err := c.readStatus(tx, c.nameOf(m))
	if err != nil || st == nil {
		return err
	}
	m.ProtoReflect().Set(c.statusField, protoreflect.ValueOfMessage(st.ProtoReflect()))
	return nil
}

// overlayStatus shows a client PENDING in place of a stored status that
// nobody has checked against the backend since start
// (PendingUntilReplayed). A replay walk sees the stored one.
func (c *Collection[T]) overlayStatus(m T) {
	if c.statusField == nil {
		return
	}
	if st := c.verified.overlay(c.nameOf(m)); st != nil {
		m.ProtoReflect().Set(c.statusField, protoreflect.ValueOfMessage(st.ProtoReflect()))
	}
}

func (c *Collection[T]) readStatus(tx store.Tx, name string) (*commonv1.ResourceStatus, error) {
	v, err := tx.Get(c.statusKind, name)
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	st := &commonv1.ResourceStatus{}
	return st, proto.Unmarshal(v, st)
}

func (c *Collection[T]) nameOf(m T) string { return m.ProtoReflect().Get(c.nameField).String() }

func (c *Collection[T]) setName(m T, name string) {
	m.ProtoReflect().Set(c.nameField, protoreflect.ValueOfString(name))
}

// typeOf finds T's message type from its zero value, which works for
// generated messages; dynamic ones panic, and must use WithMessageType.
func typeOf[T proto.Message]() (mt protoreflect.MessageType, err error) {
	defer func() {
		if recover() != nil {
			err = fmt.Errorf("resource: the type of %T is not known from its zero value; use WithMessageType", *new(T))
		}
	}()
	var zero T
	return zero.ProtoReflect().Type(), nil
}
