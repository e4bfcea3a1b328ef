package spdk_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk/sim"
)

// BenchmarkCall compares one persistent, pipelined connection with a new
// connection per call, against spdk-sim with SPDK's 4 ms RPC poller (one
// accept per tick; requests read and responses sent only on ticks), with
// 1, 16 and 64 callers at once. Each op is one spdk_get_version.
//
// Expected from the poller alone: a caller on the persistent connection
// waits two ticks per call (its next request misses the recv that follows
// the send of its previous answer), and all callers share those ticks, so
// an op costs 8 ms / callers. Connect-per-call needs an accept per call
// and SPDK accepts one per tick, so with two or more callers an op costs
// one tick (4 ms) whatever their number: the persistent connection wins
// by about callers / 2.
//
//	go test -run '^$' -bench Call -benchtime 2s ./spdk/
func BenchmarkCall(b *testing.B) {
	path := serveSim(b)
	ctx := context.Background()
	for _, callers := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("callers=%d/persistent", callers), func(b *testing.B) {
			c := spdk.New(path)
			defer c.Close()
			if err := c.Healthy(ctx); err != nil { // connect outside the timing
				b.Fatal(err)
			}
			b.ResetTimer()
			runCallers(b, callers, func() error { return c.Healthy(ctx) })
		})
		b.Run(fmt.Sprintf("callers=%d/connect-per-call", callers), func(b *testing.B) {
			runCallers(b, callers, func() error { return callOnce(ctx, path) })
		})
	}
}

// runCallers shares b.N calls of fn among callers goroutines.
func runCallers(b *testing.B, callers int, fn func() error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				if err := fn(); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// callOnce is the connect-per-call way: dial, one call, close.
func callOnce(ctx context.Context, path string) error {
	c := spdk.New(path)
	defer c.Close()
	return c.Healthy(ctx)
}

// serveSim starts spdk-sim with SPDK's 4 ms RPC poller on a fresh socket.
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
