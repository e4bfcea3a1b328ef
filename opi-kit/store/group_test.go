package store_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/opi-suite/opi/opi-kit/store"
)

// TestGroupCommitKeepsEachUpdateAllOrNothing queues 60 updates behind a
// commit in progress, so that they share one transaction, and makes every
// third fail after writing (a new key, an overwrite and a delete of keys
// others rely on). Each caller must see its own result, and the store,
// reopened, must hold exactly the successful writes.
func TestGroupCommitKeepsEachUpdateAllOrNothing(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "intent.db")
	s, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	must(t, store.Put(ctx, s, "k", "shared", []byte("orig")))
	must(t, store.Put(ctx, s, "k", "keep", []byte("kept")))

	// The first update holds the commit open until the others are queued.
	release, started := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		must(t, s.Update(ctx, func(tx store.Tx) error {
			close(started)
			<-release
			return tx.Put("k", "first", []byte("1"))
		}))
	}()
	<-started
	const n = 60
	errs := make([]error, n)
	boom := errors.New("refused after writing")
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.Update(ctx, func(tx store.Tx) error {
				if err := tx.Put("k", fmt.Sprintf("k%02d", i), []byte("v")); err != nil {
					return err
				}
				if i%3 != 0 {
					return nil
				}
				if err := tx.Put("k", "shared", []byte("clobbered")); err != nil {
					return err
				}
				if err := tx.Delete("k", "keep"); err != nil {
					return err
				}
				return boom
			})
		}()
	}
	close(release)
	wg.Wait()
	must(t, s.Close())

	s, err = store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := range n {
		_, getErr := store.Get(ctx, s, "k", fmt.Sprintf("k%02d", i))
		if i%3 == 0 {
			if !errors.Is(errs[i], boom) || !errors.Is(getErr, store.ErrNotFound) {
				t.Errorf("update %d: returned %v, its key %v; want its own error and nothing stored", i, errs[i], getErr)
			}
		} else if errs[i] != nil || getErr != nil {
			t.Errorf("update %d: returned %v, its key %v; want success, durable", i, errs[i], getErr)
		}
	}
	for key, want := range map[string]string{"shared": "orig", "keep": "kept", "first": "1"} {
		if v, err := store.Get(ctx, s, "k", key); err != nil || string(v) != want {
			t.Errorf("%s = %q, %v; want %q: a failed update's writes leaked", key, v, err, want)
		}
	}
}

func TestAPanicInOneUpdateReachesOnlyItsCaller(t *testing.T) {
	ctx := context.Background()
	s, err := store.Open(filepath.Join(t.TempDir(), "intent.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	release, started := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(3)
	go func() {
		defer wg.Done()
		must(t, s.Update(ctx, func(tx store.Tx) error { close(started); <-release; return nil }))
	}()
	<-started
	var panicked any
	go func() {
		defer wg.Done()
		defer func() { panicked = recover() }()
		_ = s.Update(ctx, func(tx store.Tx) error {
			_ = tx.Put("k", "half", []byte("x"))
			panic("handler bug")
		})
	}()
	var otherErr error
	go func() {
		defer wg.Done()
		otherErr = s.Update(ctx, func(tx store.Tx) error { return tx.Put("k", "other", []byte("y")) })
	}()
	close(release)
	wg.Wait()
	if panicked != "handler bug" {
		t.Errorf("the panicking caller recovered %v, want its own panic", panicked)
	}
	if otherErr != nil {
		t.Errorf("a neighbour of the panic failed: %v", otherErr)
	}
	if _, err := store.Get(ctx, s, "k", "half"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the panicking update's write was kept: %v", err)
	}
}
