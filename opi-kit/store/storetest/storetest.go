// Package storetest is the contract every store.Store implementation must
// meet. The bbolt and memory stores both run it, so unit tests that use the
// memory store exercise the same behaviour the bridges get in production.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/opi-suite/opi/opi-kit/store"
)

// Run runs the contract suite; open returns a fresh, empty store for each
// case (the suite closes it).
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := context.Background()
	const kind = "nvmeNamespaces"
	tests := []struct {
		name string
		run  func(t *testing.T, s store.Store)
	}{
		{"a missing key is not found", func(t *testing.T, s store.Store) {
			if _, err := store.Get(ctx, s, kind, "nope"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("Get = %v, want ErrNotFound", err)
			}
		}},
		{"a value put is read back", func(t *testing.T, s store.Store) {
			must(t, store.Put(ctx, s, kind, "a", []byte("1")))
			must(t, store.Put(ctx, s, kind, "a", []byte("2")))
			if v, err := store.Get(ctx, s, kind, "a"); err != nil || string(v) != "2" {
				t.Fatalf("Get = %q, %v; want the last value", v, err)
			}
		}},
		{"an empty value is a value", func(t *testing.T, s store.Store) {
			must(t, store.Put(ctx, s, kind, "a", nil))
			if v, err := store.Get(ctx, s, kind, "a"); err != nil || len(v) != 0 {
				t.Fatalf("Get = %q, %v; want an empty value", v, err)
			}
		}},
		{"kinds do not share keys", func(t *testing.T, s store.Store) {
			must(t, store.Put(ctx, s, kind, "a", []byte("1")))
			if _, err := store.Get(ctx, s, "other", "a"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("Get in another kind = %v, want ErrNotFound", err)
			}
		}},
		{"an empty kind or key is refused", func(t *testing.T, s store.Store) {
			if err := store.Put(ctx, s, "", "a", nil); !errors.Is(err, store.ErrInvalidKey) {
				t.Fatalf("Put empty kind = %v", err)
			}
			if err := store.Put(ctx, s, kind, "", nil); !errors.Is(err, store.ErrInvalidKey) {
				t.Fatalf("Put empty key = %v", err)
			}
		}},
		{"deleting removes the key and a missing key is fine", func(t *testing.T, s store.Store) {
			must(t, store.Put(ctx, s, kind, "a", []byte("1")))
			must(t, store.Delete(ctx, s, kind, "a"))
			must(t, store.Delete(ctx, s, kind, "a"))
			must(t, store.Delete(ctx, s, "never-written", "a"))
			if _, err := store.Get(ctx, s, kind, "a"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("Get after Delete = %v", err)
			}
		}},
		{"values are copies in both directions", func(t *testing.T, s store.Store) {
			in := []byte("abc")
			must(t, store.Put(ctx, s, kind, "a", in))
			in[0] = 'X'
			out, _ := store.Get(ctx, s, kind, "a")
			out[1] = 'Y'
			if v, _ := store.Get(ctx, s, kind, "a"); string(v) != "abc" {
				t.Fatalf("stored value changed to %q through a caller's slice", v)
			}
		}},
		{"list walks one prefix in key order after a key", func(t *testing.T, s store.Store) {
			for _, k := range []string{"p/b", "p/a", "q/a", "p/c", "o/z", "p/d"} {
				must(t, store.Put(ctx, s, kind, k, []byte(k)))
			}
			cases := []struct {
				prefix, after string
				limit         int
				want          []string
			}{
				{"p/", "", 0, []string{"p/a", "p/b", "p/c", "p/d"}},
				{"p/", "", 2, []string{"p/a", "p/b"}},
				{"p/", "p/b", 2, []string{"p/c", "p/d"}},
				{"p/", "p/bb", 0, []string{"p/c", "p/d"}},
				{"p/", "p/d", 0, nil},
				{"p/", "a", 1, []string{"p/a"}},
				{"", "o/z", 2, []string{"p/a", "p/b"}},
				{"r/", "", 0, nil},
			}
			for _, c := range cases {
				items, err := store.List(ctx, s, kind, c.prefix, c.after, c.limit)
				must(t, err)
				var got []string
				for _, it := range items {
					if string(it.Value) != it.Key {
						t.Fatalf("item %s has value %q", it.Key, it.Value)
					}
					got = append(got, it.Key)
				}
				if !slices.Equal(got, c.want) {
					t.Errorf("List(%q, after %q, limit %d) = %v, want %v", c.prefix, c.after, c.limit, got, c.want)
				}
			}
		}},
		{"list of a kind never written is empty", func(t *testing.T, s store.Store) {
			if items, err := store.List(ctx, s, "never-written", "", "", 0); err != nil || len(items) != 0 {
				t.Fatalf("List = %v, %v", items, err)
			}
		}},
		{"a failed update leaves nothing behind", func(t *testing.T, s store.Store) {
			must(t, store.Put(ctx, s, kind, "keep", []byte("old")))
			boom := errors.New("boom")
			err := s.Update(ctx, func(tx store.Tx) error {
				must(t, tx.Put(kind, "keep", []byte("new")))
				must(t, tx.Put(kind, "fresh", []byte("1")))
				must(t, tx.Put("status", "fresh", []byte("PENDING")))
				must(t, tx.Delete(kind, "keep"))
				return boom
			})
			if !errors.Is(err, boom) {
				t.Fatalf("Update = %v, want the callback's error", err)
			}
			if v, err := store.Get(ctx, s, kind, "keep"); err != nil || string(v) != "old" {
				t.Fatalf("keep = %q, %v; want the old value", v, err)
			}
			for _, k := range []string{kind, "status"} {
				if _, err := store.Get(ctx, s, k, "fresh"); !errors.Is(err, store.ErrNotFound) {
					t.Fatalf("%s/fresh survived a failed update: %v", k, err)
				}
			}
			if items, _ := store.List(ctx, s, kind, "", "", 0); len(items) != 1 {
				t.Fatalf("List after rollback = %v", items)
			}
		}},
		{"an update sees its own writes and commits them together", func(t *testing.T, s store.Store) {
			must(t, s.Update(ctx, func(tx store.Tx) error {
				must(t, tx.Put(kind, "a", []byte("1")))
				must(t, tx.Put("status", "a", []byte("READY")))
				if v, err := tx.Get(kind, "a"); err != nil || string(v) != "1" {
					t.Fatalf("read own write = %q, %v", v, err)
				}
				items, err := tx.List(kind, "", "", 0)
				if err != nil || len(items) != 1 {
					t.Fatalf("list own write = %v, %v", items, err)
				}
				return nil
			}))
			if _, err := store.Get(ctx, s, "status", "a"); err != nil {
				t.Fatal(err)
			}
		}},
		{"a read transaction cannot write", func(t *testing.T, s store.Store) {
			err := s.View(ctx, func(tx store.Tx) error { return tx.Put(kind, "a", nil) })
			if !errors.Is(err, store.ErrReadOnly) {
				t.Fatalf("Put in View = %v, want ErrReadOnly", err)
			}
			err = s.View(ctx, func(tx store.Tx) error { return tx.Delete(kind, "a") })
			if !errors.Is(err, store.ErrReadOnly) {
				t.Fatalf("Delete in View = %v, want ErrReadOnly", err)
			}
		}},
		{"a cancelled context runs nothing", func(t *testing.T, s store.Store) {
			cctx, cancel := context.WithCancel(ctx)
			cancel()
			ran := false
			err := s.Update(cctx, func(store.Tx) error { ran = true; return nil })
			if !errors.Is(err, context.Canceled) || ran {
				t.Fatalf("Update = %v, ran %v", err, ran)
			}
		}},
		{"a closed store refuses work", func(t *testing.T, s store.Store) {
			must(t, s.Close())
			if err := store.Put(ctx, s, kind, "a", nil); !errors.Is(err, store.ErrClosed) {
				t.Fatalf("Put after Close = %v, want ErrClosed", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			defer s.Close()
			tt.run(t, s)
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(fmt.Errorf("unexpected error: %w", err))
	}
}
