package spdk_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk/spdktest"
)

// BenchmarkRealCall is BenchmarkCall against a real spdk_tgt: the
// persistent, pipelined client against a connection per call, with 1, 16
// and 64 callers at once, side by side on one target. Each op is one
// spdk_get_version.
//
//	go test -run '^$' -bench RealCall -benchtime 2s ./spdk/
func BenchmarkRealCall(b *testing.B) {
	tg := spdktest.Start(b)
	ctx := context.Background()
	for _, callers := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("callers=%d/persistent", callers), func(b *testing.B) {
			c := spdk.New(tg.Socket)
			defer c.Close()
			if err := c.Healthy(ctx); err != nil { // connect outside the timing
				b.Fatal(err)
			}
			b.ResetTimer()
			runCallers(b, callers, func() error { return c.Healthy(ctx) })
		})
		b.Run(fmt.Sprintf("callers=%d/connect-per-call", callers), func(b *testing.B) {
			runCallers(b, callers, func() error { return callOnce(ctx, tg.Socket) })
		})
	}
}
