// Package store is the durable intent store of a bridge: ordered key/value
// collections ("kinds", one per resource kind), read and written in
// transactions. The bbolt implementation (Open) is what bridges run; Memory
// is for unit tests. Both pass the same contract suite (storetest).
//
// Keys are resource names and sort bytewise, so every direct child of one
// parent is a contiguous range: List seeks to it and costs the same whether
// a kind holds a thousand records or a million.
package store

import (
	"context"
	"errors"
)

// Errors a Store reports; callers test them with errors.Is.
var (
	// ErrNotFound: Get found no value under the key.
	ErrNotFound = errors.New("store: key not found")
	// ErrReadOnly: a write was attempted inside View.
	ErrReadOnly = errors.New("store: write in a read-only transaction")
	// ErrLocked: another process holds the store file. Two bridges on one
	// state file would each believe their intent is the truth.
	ErrLocked = errors.New("store: locked by another process")
	// ErrClosed: the store was used after Close.
	ErrClosed = errors.New("store: closed")
	// ErrInvalidKey: an empty kind or key, which no backend can store.
	ErrInvalidKey = errors.New("store: empty kind or key")
	// ErrDamaged: the store file exists but is not a whole, consistent
	// store (empty, truncated, a damaged page). Open refuses it rather
	// than start empty over the user's intent or crash later.
	ErrDamaged = errors.New("store: damaged")
)

// Store is a set of ordered kinds with atomic multi-record transactions.
// A bridge writes a resource, its status and its reference index entries in
// one Update so that a crash leaves all or none of them.
type Store interface {
	// View runs fn in a consistent read-only snapshot.
	View(ctx context.Context, fn func(Tx) error) error
	// Update runs fn in a read-write transaction: either every write of fn
	// is made durable before Update returns nil, or none is (fn returned an
	// error, panicked, or the commit failed). Updates are serialized.
	Update(ctx context.Context, fn func(Tx) error) error
	// Close releases the store; later calls fail with ErrClosed.
	Close() error
}

// Tx reads and writes inside one transaction. Values passed in and
// returned are copies, so callers may keep or reuse them.
type Tx interface {
	// Get returns the value under key, or ErrNotFound.
	Get(kind, key string) ([]byte, error)
	// Put stores value under key, replacing any previous value.
	Put(kind, key string, value []byte) error
	// Delete removes key; deleting a missing key is not an error.
	Delete(kind, key string) error
	// List returns, in key order, up to limit items (all when limit <= 0)
	// whose key starts with prefix and sorts strictly after after ("" for
	// the first). Cost is one seek plus the items returned.
	List(kind, prefix, after string, limit int) ([]Item, error)
}

// Item is one record returned by List.
type Item struct {
	Key   string
	Value []byte
}

// Get reads one value in its own read transaction.
func Get(ctx context.Context, s Store, kind, key string) ([]byte, error) {
	var v []byte
	err := s.View(ctx, func(tx Tx) (err error) {
		v, err = tx.Get(kind, key)
		return err
	})
	return v, err
}

// Put writes one value in its own transaction.
func Put(ctx context.Context, s Store, kind, key string, value []byte) error {
	return s.Update(ctx, func(tx Tx) error { return tx.Put(kind, key, value) })
}

// Delete removes one key in its own transaction.
func Delete(ctx context.Context, s Store, kind, key string) error {
	return s.Update(ctx, func(tx Tx) error { return tx.Delete(kind, key) })
}

// List reads one page in its own read transaction; see Tx.List.
func List(ctx context.Context, s Store, kind, prefix, after string, limit int) ([]Item, error) {
	var items []Item
	err := s.View(ctx, func(tx Tx) (err error) {
		items, err = tx.List(kind, prefix, after, limit)
		return err
	})
	return items, err
}

// startKey is where a List begins: the first key after `after`, or the
// prefix itself when after sorts before the range.
func startKey(prefix, after string) (seek string, skipEqual bool) {
	if after != "" && after >= prefix {
		return after, true
	}
	return prefix, false
}
