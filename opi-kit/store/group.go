package store

import (
	"context"
	"errors"
	"fmt"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// Group commit. Every bbolt commit costs two fdatasyncs whatever it holds,
// so with one writer at a time the disk, not the work, bounds how many
// intents a bridge can acknowledge per second. Update therefore lets the
// writers that arrive while a commit is in progress share the next one:
//
//   - a lone writer finds no commit in progress and commits at once (no
//     added latency, unlike bbolt's Batch, which waits for company);
//   - writers arriving meanwhile queue; when the commit ends, the writer
//     that started it runs everything queued in ONE transaction, each
//     function in turn, and commits once for all of them;
//   - each function keeps its own atomicity inside the shared transaction:
//     its writes go through an undo log, and when it fails (or panics)
//     they are undone before the next function runs, so the others never
//     see them and its caller gets its own error; functions never run twice;
//   - when the commit itself fails, every function of the batch gets that
//     error: none of their writes is durable.

// groupCommitter queues Update calls for one Bolt store.
type groupCommitter struct {
	mu      sync.Mutex
	pending []*groupCall
	leading bool // a writer is running batches
}

type groupCall struct {
	ctx   context.Context
	fn    func(Tx) error
	err   error
	pnc   any // a panic of fn, re-raised in its caller's goroutine
	batch int // how many calls shared the commit
	done  chan struct{}
}

// update runs fn in a shared transaction, as described above.
// It returns how many updates shared the commit.
func (b *Bolt) groupUpdate(ctx context.Context, fn func(Tx) error) (int, error) {
	call := &groupCall{ctx: ctx, fn: fn, done: make(chan struct{})}
	g := &b.group
	g.mu.Lock()
	g.pending = append(g.pending, call)
	if g.leading {
		g.mu.Unlock()
		<-call.done
		return call.batch, call.result()
	}
	g.leading = true
	for len(g.pending) > 0 {
		batch := g.pending
		g.pending = nil
		g.mu.Unlock()
		b.runBatch(batch)
		g.mu.Lock()
	}
	g.leading = false
	g.mu.Unlock()
	<-call.done
	return call.batch, call.result()
}

func (c *groupCall) result() error {
	if c.pnc != nil {
		panic(c.pnc)
	}
	return c.err
}

// runBatch runs the calls in one transaction and commits it once.
func (b *Bolt) runBatch(batch []*groupCall) {
	commitErr := b.db.Update(func(tx *bolt.Tx) error {
		for _, c := range batch {
			if err := c.ctx.Err(); err != nil {
				c.err = err
				continue
			}
			u := &undoTx{boltTx: boltTx{tx}}
			c.err, c.pnc = runOne(c.fn, u)
			if c.err != nil || c.pnc != nil {
				if err := u.undo(); err != nil {
					// The transaction cannot be trusted any more: fail all.
					return fmt.Errorf("store: undoing a failed update: %w", err)
				}
			}
		}
		return nil
	})
	for _, c := range batch {
		c.batch = len(batch)
		if commitErr != nil && c.pnc == nil {
			c.err = b.mapErr(commitErr)
		} else if c.err != nil {
			c.err = b.mapErr(c.err)
		}
		close(c.done)
	}
}

func runOne(fn func(Tx) error, tx Tx) (err error, pnc any) {
	defer func() {
		if p := recover(); p != nil {
			pnc = p
		}
	}()
	return fn(tx), nil
}

// undoTx records, for every write, what the key held before, so that a
// failed function's writes can be taken back inside a shared transaction.
type undoTx struct {
	boltTx
	log []undoEntry
}

type undoEntry struct {
	kind, key string
	prev      []byte // nil: the key was absent
}

func (u *undoTx) remember(kind, key string) error {
	prev, err := u.boltTx.Get(kind, key)
	if err != nil && !isNotFoundErr(err) {
		return err
	}
	u.log = append(u.log, undoEntry{kind: kind, key: key, prev: prev})
	return nil
}

// Put implements Tx, remembering the previous value.
func (u *undoTx) Put(kind, key string, value []byte) error {
	if kind != "" && key != "" {
		if err := u.remember(kind, key); err != nil {
			return err
		}
	}
	return u.boltTx.Put(kind, key, value)
}

// Delete implements Tx, remembering the previous value.
func (u *undoTx) Delete(kind, key string) error {
	if kind != "" && key != "" {
		if err := u.remember(kind, key); err != nil {
			return err
		}
	}
	return u.boltTx.Delete(kind, key)
}

// undo restores every key written, newest write first.
func (u *undoTx) undo() error {
	for i := len(u.log) - 1; i >= 0; i-- {
		e := u.log[i]
		var err error
		if e.prev == nil {
			err = u.boltTx.Delete(e.kind, e.key)
		} else {
			err = u.boltTx.Put(e.kind, e.key, e.prev)
		}
		if err != nil {
			return err
		}
	}
	u.log = nil
	return nil
}

func isNotFoundErr(err error) bool { return errors.Is(err, ErrNotFound) }
