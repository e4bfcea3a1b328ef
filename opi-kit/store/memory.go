package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Memory is a Store in process memory for unit tests: same semantics as
// Bolt (ordered keys, atomic Update with rollback, copied values), no file.
type Memory struct {
	mu     sync.RWMutex
	kinds  map[string]*memKind
	closed bool
}

var _ Store = (*Memory)(nil)

// memKind keeps keys sorted beside the map so List is a binary search plus
// a walk, like a bbolt cursor.
type memKind struct {
	keys []string
	vals map[string][]byte
}

// NewMemory returns an empty in-memory store.
func NewMemory() *Memory { return &Memory{kinds: map[string]*memKind{}} }

// Close implements Store.
func (m *Memory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	return nil
}

// View implements Store.
func (m *Memory) View(ctx context.Context, fn func(Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return ErrClosed
	}
	return fn(&memTx{m: m})
}

// Update implements Store. Each write records how to undo itself; on error
// or panic the undo log runs backwards, which is what a bbolt rollback does.
func (m *Memory) Update(ctx context.Context, fn func(Tx) error) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	tx := &memTx{m: m, writable: true}
	committed := false
	defer func() {
		tx.writable = false
		if !committed {
			for i := len(tx.undo) - 1; i >= 0; i-- {
				tx.undo[i]()
			}
		}
	}()
	if err := fn(tx); err != nil {
		return err
	}
	committed = true
	return nil
}

type memTx struct {
	m        *Memory
	writable bool
	undo     []func()
}

func (t *memTx) Get(kind, key string) ([]byte, error) {
	if kind == "" || key == "" {
		return nil, ErrInvalidKey
	}
	if k := t.m.kinds[kind]; k != nil {
		if v, ok := k.vals[key]; ok {
			return slices.Clone(v), nil
		}
	}
	return nil, fmt.Errorf("%w: %s %s", ErrNotFound, kind, key)
}

func (t *memTx) Put(kind, key string, value []byte) error {
	if kind == "" || key == "" {
		return ErrInvalidKey
	}
	if !t.writable {
		return ErrReadOnly
	}
	k := t.m.kinds[kind]
	if k == nil {
		k = &memKind{vals: map[string][]byte{}}
		t.m.kinds[kind] = k
	}
	if old, ok := k.vals[key]; ok {
		t.undo = append(t.undo, func() { k.vals[key] = old })
	} else {
		i, _ := slices.BinarySearch(k.keys, key)
		k.keys = slices.Insert(k.keys, i, key)
		t.undo = append(t.undo, func() { k.remove(key) })
	}
	// A non-nil empty slice, so Get returns []byte{} like bbolt does.
	k.vals[key] = append([]byte{}, value...)
	return nil
}

func (t *memTx) Delete(kind, key string) error {
	if kind == "" || key == "" {
		return ErrInvalidKey
	}
	if !t.writable {
		return ErrReadOnly
	}
	k := t.m.kinds[kind]
	if k == nil {
		return nil
	}
	old, ok := k.vals[key]
	if !ok {
		return nil
	}
	k.remove(key)
	t.undo = append(t.undo, func() {
		i, _ := slices.BinarySearch(k.keys, key)
		k.keys = slices.Insert(k.keys, i, key)
		k.vals[key] = old
	})
	return nil
}

func (k *memKind) remove(key string) {
	if i, ok := slices.BinarySearch(k.keys, key); ok {
		k.keys = slices.Delete(k.keys, i, i+1)
	}
	delete(k.vals, key)
}

func (t *memTx) List(kind, prefix, after string, limit int) ([]Item, error) {
	if kind == "" {
		return nil, ErrInvalidKey
	}
	k := t.m.kinds[kind]
	if k == nil {
		return nil, nil
	}
	seek, skipEqual := startKey(prefix, after)
	i, found := slices.BinarySearch(k.keys, seek)
	if found && skipEqual {
		i++
	}
	var items []Item
	for ; i < len(k.keys) && strings.HasPrefix(k.keys[i], prefix); i++ {
		if limit > 0 && len(items) == limit {
			break
		}
		items = append(items, Item{Key: k.keys[i], Value: slices.Clone(k.vals[k.keys[i]])})
	}
	return items, nil
}
