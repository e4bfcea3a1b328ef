package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/opi-suite/opi/opi-kit/telemetry"
	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// DefaultLockTimeout is how long Open waits for another process to release
// the file: long enough to ride out a restart where the old process is still
// exiting, short enough that a second instance fails fast with ErrLocked.
const DefaultLockTimeout = 2 * time.Second

// Option configures Open.
type Option interface{ apply(*config) }

type config struct {
	lockTimeout time.Duration
	solo        bool
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// WithLockTimeout sets how long Open waits for the file lock.
func WithLockTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) { c.lockTimeout = d })
}

// WithoutGroupCommit gives every Update its own commit (two fdatasyncs),
// as before group commit; for comparing the two in benchmarks.
func WithoutGroupCommit() Option {
	return optionFunc(func(c *config) { c.solo = true })
}

// Bolt is the durable Store: one bbolt file, one bucket per kind. Every
// Update is fsynced before it returns (bbolt's default), so an acknowledged
// write survives a power cut.
type Bolt struct {
	db    *bolt.DB
	group groupCommitter
	solo  bool // WithoutGroupCommit: one commit per Update
}

var _ Store = (*Bolt)(nil)

// Open opens (creating it and its directory if missing) the store at path.
// It holds an exclusive lock on the file until Close; if another process
// holds it, Open fails with ErrLocked after the lock timeout.
func Open(path string, opts ...Option) (*Bolt, error) {
	cfg := config{lockTimeout: DefaultLockTimeout}
	for _, o := range opts {
		o.apply(&cfg)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("store: create state directory: %w", err)
	}
	if fi, err := os.Stat(path); err == nil && fi.Size() == 0 {
		// bbolt would silently initialise it: the bridge would start with
		// no intent, and then acknowledge new intent over the lost one.
		return nil, damaged(path, errors.New("the file is empty (0 bytes): it was truncated or never written"))
	}
	db, err := openChecked(path, cfg)
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("%w: %s (waited %s; is another instance of this bridge running?)", ErrLocked, path, cfg.lockTimeout)
	}
	if err != nil {
		return nil, err
	}
	return &Bolt{db: db, solo: cfg.solo}, nil
}

// openChecked opens the file and checks every page before the store is
// used, so that damage is found at start, with the file named, instead of
// as an Internal error at the first write or a SIGSEGV later. A damaged
// page can make bbolt read past the end of its mapping or follow a bad
// pointer: such faults are turned into panics here and recovered.
func openChecked(path string, cfg config) (db *bolt.DB, err error) {
	defer func() {
		if p := recover(); p != nil {
			if db != nil {
				_ = db.Close()
			}
			db, err = nil, damaged(path, fmt.Errorf("reading it failed: %v", p))
		}
	}()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	db, err = bolt.Open(path, 0o600, &bolt.Options{Timeout: cfg.lockTimeout})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, err
	}
	if err != nil {
		return nil, damaged(path, err)
	}
	if err := checkPages(db); err != nil {
		_ = db.Close()
		return nil, damaged(path, err)
	}
	return db, nil
}

// checkPages runs bbolt's consistency check over the whole file (every
// page reachable once, the free list sound): tens of milliseconds for a
// store of 100,000 resources.
func checkPages(db *bolt.DB) error {
	if fi, err := os.Stat(db.Path()); err == nil {
		var hwm int64
		_ = db.View(func(tx *bolt.Tx) error { hwm = int64(tx.Size()); return nil })
		if fi.Size() < hwm {
			return fmt.Errorf("the file is truncated: %d bytes, its header says %d", fi.Size(), hwm)
		}
	}
	return db.View(func(tx *bolt.Tx) error {
		var errs []error
		for err := range tx.Check() {
			if len(errs) < 5 {
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	})
}

func damaged(path string, cause error) error {
	return fmt.Errorf("%w: intent store %s: %v. The bridge will not start over damaged intent: "+
		"restore the file from a backup, or move it aside to start with no intent (the backend's objects are then not managed)",
		ErrDamaged, path, cause)
}

// Path returns the file the store lives in.
func (b *Bolt) Path() string { return b.db.Path() }

// Close releases the file lock.
func (b *Bolt) Close() error { return b.db.Close() }

// traceScope is the instrumentation scope of the store's spans.
const traceScope = "github.com/opi-suite/opi/opi-kit/store"

// span starts the span of one transaction, a child of the call's span
// when the call is traced (nothing otherwise): db.system.name bbolt, the
// operation, and the file.
func (b *Bolt) span(ctx context.Context, op string) (context.Context, trace.Span) {
	ctx, span := telemetry.Start(ctx, traceScope, "bbolt "+op, trace.SpanKindInternal)
	if span.IsRecording() {
		span.SetAttributes(
			semconv.DBSystemNameKey.String("bbolt"),
			semconv.DBOperationName(op),
			semconv.DBNamespace(filepath.Base(b.db.Path())),
		)
	}
	return ctx, span
}

// View implements Store.
func (b *Bolt) View(ctx context.Context, fn func(Tx) error) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	_, span := b.span(ctx, "view")
	defer func() { telemetry.End(span, err) }()
	return b.mapErr(b.db.View(func(tx *bolt.Tx) error { return fn(boltTx{tx}) }))
}

// Update implements Store. Concurrent Updates share commits (group
// commit, see group.go); each keeps its own all-or-nothing effect. Its
// span (when the call is traced) lasts until the write is durable and
// says how many updates shared the commit (db.operation.batch.size).
func (b *Bolt) Update(ctx context.Context, fn func(Tx) error) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	ctx, span := b.span(ctx, "update")
	defer func() { telemetry.End(span, err) }()
	if b.solo {
		return b.mapErr(b.db.Update(func(tx *bolt.Tx) error { return fn(boltTx{tx}) }))
	}
	batch, err := b.groupUpdate(ctx, fn)
	if span.IsRecording() {
		span.SetAttributes(semconv.DBOperationBatchSize(batch))
	}
	return err
}

func (b *Bolt) mapErr(err error) error {
	switch {
	case errors.Is(err, bolterrors.ErrDatabaseNotOpen):
		return fmt.Errorf("%w: %w", ErrClosed, err)
	case errors.Is(err, bolterrors.ErrTxNotWritable):
		return fmt.Errorf("%w: %w", ErrReadOnly, err)
	}
	return Classify(err)
}

type boltTx struct{ tx *bolt.Tx }

func (t boltTx) bucket(kind string) *bolt.Bucket { return t.tx.Bucket([]byte(kind)) }

func (t boltTx) Get(kind, key string) ([]byte, error) {
	if kind == "" || key == "" {
		return nil, ErrInvalidKey
	}
	if b := t.bucket(kind); b != nil {
		// bbolt's slice points into the memory map and dies with the
		// transaction; the caller gets its own copy.
		if v := b.Get([]byte(key)); v != nil {
			return append([]byte{}, v...), nil
		}
	}
	return nil, fmt.Errorf("%w: %s %s", ErrNotFound, kind, key)
}

func (t boltTx) Put(kind, key string, value []byte) error {
	if kind == "" || key == "" {
		return ErrInvalidKey
	}
	if !t.tx.Writable() {
		return ErrReadOnly
	}
	b, err := t.tx.CreateBucketIfNotExists([]byte(kind))
	if err != nil {
		return err
	}
	// bbolt keeps the slice until commit, so it must not alias the caller's.
	return b.Put([]byte(key), append([]byte{}, value...))
}

func (t boltTx) Delete(kind, key string) error {
	if kind == "" || key == "" {
		return ErrInvalidKey
	}
	if !t.tx.Writable() {
		return ErrReadOnly
	}
	if b := t.bucket(kind); b != nil {
		return b.Delete([]byte(key))
	}
	return nil
}

func (t boltTx) List(kind, prefix, after string, limit int) ([]Item, error) {
	if kind == "" {
		return nil, ErrInvalidKey
	}
	b := t.bucket(kind)
	if b == nil {
		return nil, nil
	}
	seek, skipEqual := startKey(prefix, after)
	c := b.Cursor()
	k, v := c.Seek([]byte(seek))
	if skipEqual && k != nil && string(k) == seek {
		k, v = c.Next()
	}
	var items []Item
	for ; k != nil && strings.HasPrefix(string(k), prefix); k, v = c.Next() {
		if limit > 0 && len(items) == limit {
			break
		}
		items = append(items, Item{Key: string(k), Value: append([]byte{}, v...)})
	}
	return items, nil
}
