package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/opi-suite/opi/opi-kit/store"
)

// BenchmarkStore measures single-record operations on the bbolt store with
// 10,000 records present. put includes bbolt's fsync, as in production.
func BenchmarkStore(b *testing.B) {
	ctx := context.Background()
	s, err := store.Open(filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	const n = 10000
	value := make([]byte, 200) // about the size of a namespace message
	err = s.Update(ctx, func(tx store.Tx) error {
		for i := range n {
			if err := tx.Put("nvmeNamespaces", fmt.Sprintf("nvmeSubsystems/s1/nvmeNamespaces/ns%06d", i), value); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("put", func(b *testing.B) {
		i := 0
		for b.Loop() {
			if err := store.Put(ctx, s, "nvmeNamespaces", fmt.Sprintf("nvmeSubsystems/s2/nvmeNamespaces/ns%06d", i), value); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("get", func(b *testing.B) {
		i := 0
		for b.Loop() {
			if _, err := store.Get(ctx, s, "nvmeNamespaces", fmt.Sprintf("nvmeSubsystems/s1/nvmeNamespaces/ns%06d", i%n)); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("list", func(b *testing.B) {
		for b.Loop() {
			items, err := store.List(ctx, s, "nvmeNamespaces", "nvmeSubsystems/s1/nvmeNamespaces/", "nvmeSubsystems/s1/nvmeNamespaces/ns005000", 100)
			if err != nil || len(items) != 100 {
				b.Fatal(len(items), err)
			}
		}
	})
}
