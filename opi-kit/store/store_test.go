package store_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/opi-suite/opi/opi-kit/store"
	"github.com/opi-suite/opi/opi-kit/store/storetest"
)

func TestMemoryContract(t *testing.T) {
	storetest.Run(t, func(*testing.T) store.Store { return store.NewMemory() })
}

func TestBoltContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := store.Open(filepath.Join(t.TempDir(), "intent.db"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestBoltOpen(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		run  func(t *testing.T, path string)
	}{
		{"a missing state directory is created", func(t *testing.T, path string) {
			s, err := store.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
		}},
		{"writes survive closing and reopening the file", func(t *testing.T, path string) {
			s, err := store.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := store.Put(ctx, s, "k", "a", []byte("1")); err != nil {
				t.Fatal(err)
			}
			s.Close()
			s, err = store.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if v, err := store.Get(ctx, s, "k", "a"); err != nil || string(v) != "1" {
				t.Fatalf("Get after reopen = %q, %v", v, err)
			}
		}},
		{"a second opener gets a clear lock error", func(t *testing.T, path string) {
			s, err := store.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			start := time.Now()
			_, err = store.Open(path, store.WithLockTimeout(100*time.Millisecond))
			if !errors.Is(err, store.ErrLocked) {
				t.Fatalf("second Open = %v, want ErrLocked", err)
			}
			if waited := time.Since(start); waited > 2*time.Second {
				t.Fatalf("second Open waited %s, longer than its timeout", waited)
			}
			t.Logf("lock error reads: %v", err)
		}},
		{"the lock is released by Close", func(t *testing.T, path string) {
			s, err := store.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
			s, err = store.Open(path, store.WithLockTimeout(100*time.Millisecond))
			if err != nil {
				t.Fatalf("Open after Close = %v", err)
			}
			s.Close()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.run(t, filepath.Join(t.TempDir(), "state", "nested", "intent.db"))
		})
	}
}
