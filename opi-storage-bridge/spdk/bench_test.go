package spdk

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/opi-suite/opi/opi-storage-bridge/internal/sim"
)

// BenchmarkCall compares one persistent, pipelined connection with a new
// connection per call, against spdk-sim with SPDK's 4 ms accept poller on
// (one new connection accepted per tick). Each op is one spdk_get_version.
// The -parallel variants run GOMAXPROCS*8 callers at once: the persistent
// client pipelines them on its one connection, while connect-per-call is
// capped at one accept per tick however many callers there are.
func BenchmarkCall(b *testing.B) {
	path := serveSim(b)
	ctx := context.Background()

	b.Run("persistent", func(b *testing.B) {
		c := New(path)
		defer c.Close()
		if err := c.Healthy(ctx); err != nil { // connect outside the timing
			b.Fatal(err)
		}
		b.ResetTimer()
		for b.Loop() {
			if err := c.Healthy(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("connect-per-call", func(b *testing.B) {
		for b.Loop() {
			if err := callOnce(ctx, path); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("persistent-parallel", func(b *testing.B) {
		c := New(path)
		defer c.Close()
		if err := c.Healthy(ctx); err != nil {
			b.Fatal(err)
		}
		b.SetParallelism(8)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := c.Healthy(ctx); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("connect-per-call-parallel", func(b *testing.B) {
		b.SetParallelism(8)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := callOnce(ctx, path); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// callOnce is the connect-per-call way: dial, one call, close.
func callOnce(ctx context.Context, path string) error {
	c := New(path)
	defer c.Close()
	return c.Healthy(ctx)
}

// serveSim starts spdk-sim with the 4 ms accept poller on a fresh socket.
func serveSim(b *testing.B) string {
	b.Helper()
	dir, err := os.MkdirTemp("", "spdk")
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(dir, "spdk.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		b.Fatal(err)
	}
	s := sim.New(sim.WithPollInterval(4 * time.Millisecond))
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	b.Cleanup(func() {
		s.Close()
		<-done
		os.RemoveAll(dir)
	})
	return path
}
