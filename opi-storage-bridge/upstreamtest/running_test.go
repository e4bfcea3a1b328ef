package upstreamtest_test

import (
	"os"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/opi-suite/opi/opi-storage-bridge/upstreamtest"
)

// TestAgainstARunningBridge runs the suite against the bridge at
// OPI_UPSTREAM_TEST_ADDR (host:port, plaintext), as the compose end-to-end
// suite does from a container on the stack's network; without it the test
// skips. Listeners go on ports from OPI_UPSTREAM_TEST_PORT (default 4600)
// up, on 127.0.0.1 of the bridge's SPDK.
func TestAgainstARunningBridge(t *testing.T) {
	addr := os.Getenv("OPI_UPSTREAM_TEST_ADDR")
	if addr == "" {
		t.Skip("OPI_UPSTREAM_TEST_ADDR is not set: no running bridge to test (tests/e2e/run.sh sets it)")
	}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var next atomic.Uint32
	next.Store(4600)
	upstreamtest.Run(t, upstreamtest.Config{Conn: conn, Prefix: "e2e-upt", AioFile: os.Getenv("OPI_UPSTREAM_TEST_AIO_FILE"),
		Port: func(testing.TB) uint32 { return next.Add(1) }})
}
