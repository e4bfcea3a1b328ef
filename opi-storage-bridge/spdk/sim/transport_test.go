package sim

import (
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestTransportFollowsSPDK(t *testing.T) {
	cases := []struct {
		name, send, want string
	}{
		{"a response is compact JSON followed by a newline", `{"jsonrpc":"2.0","id":7,"method":"spdk_get_version"}`,
			`{"jsonrpc":"2.0","id":7,"result":{"version":"SPDK v26.05","fields":{"major":26,"minor":5,"patch":0,"suffix":""}}}` + "\n"},
		{"a request split over writes is answered once whole", `{"jsonrpc":"2.0",` + "\n" + `"id":"a","method":"framework_wait_init"}`,
			`{"jsonrpc":"2.0","id":"a","result":true}` + "\n"},
		{"an extra top-level member is an invalid request", `{"jsonrpc":"2.0","id":1,"method":"spdk_get_version","x":1}`,
			`{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Invalid request"}}` + "\n"},
		{"a wrong jsonrpc version is an invalid request", `{"jsonrpc":"1.0","id":1,"method":"spdk_get_version"}`,
			`{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Invalid request"}}` + "\n"},
		{"params of a scalar type are an invalid request", `{"id":1,"method":"bdev_get_bdevs","params":3}`,
			`{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Invalid request"}}` + "\n"},
		{"a notification gets no response but its error does", `{"method":"framework_wait_init"}{"method":"nope"}`,
			`{"jsonrpc":"2.0","id":null,"error":{"code":-32601,"message":"Method not found"}}` + "\n"},
		{"an empty batch is one invalid-request object", `[]`,
			`{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Invalid request"}}` + "\n"},
		{"a batch is answered as one array", `[{"id":1,"method":"framework_wait_init"},5]`,
			`[{"jsonrpc":"2.0","id":1,"result":true},{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Invalid request"}}]` + "\n"},
	}
	for _, tc := range cases {
		forEachMode(t, tc.name, func(t *testing.T, mode Option) {
			_, path := startSim(t, mode)
			c := dial(t, path)
			for _, part := range strings.SplitAfter(tc.send, "\n") {
				c.send(part)
				time.Sleep(2 * time.Millisecond)
			}
			got := readN(t, c.c, len(tc.want))
			if got != tc.want {
				t.Fatalf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func readN(t *testing.T, c net.Conn, n int) string {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
	buf := make([]byte, n)
	if _, err := io.ReadFull(c, buf); err != nil {
		t.Fatalf("read: %v (got %q)", err, buf)
	}
	return string(buf)
}

func expectClosed(t *testing.T, c net.Conn) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
	if _, err := io.ReadAll(c); err != nil {
		t.Fatalf("connection not closed: %v", err)
	}
}

func TestAParseErrorIsAnsweredThenTheConnectionCloses(t *testing.T) {
	forEachMode(t, "a parse error is answered then the connection closes", func(t *testing.T, mode Option) {
		_, path := startSim(t, mode)
		c := dial(t, path)
		c.send(`{"id":1,"method":}`)
		want := `{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}` + "\n"
		if got := readN(t, c.c, len(want)); got != want {
			t.Fatalf("got %q", got)
		}
		expectClosed(t, c.c)
	})
}

func TestARequestOver256KiBClosesTheConnection(t *testing.T) {
	forEachMode(t, "a request over 256 KiB closes the connection", func(t *testing.T, mode Option) {
		_, path := startSim(t, mode)
		c := dial(t, path)
		big := `{"id":1,"method":"bdev_get_bdevs","params":{"name":"` + strings.Repeat("x", 300*1024) + `"}}`
		go func() { _, _ = c.c.Write([]byte(big)) }()
		_ = c.c.SetReadDeadline(time.Now().Add(3 * time.Second))
		b, err := io.ReadAll(c.c)
		if errors.Is(err, syscall.ECONNRESET) {
			err = nil // closed with our bytes unread
		}
		if err != nil || len(b) != 0 {
			t.Fatalf("got %q, %v; want a close with no response", b, err)
		}
	})
}

func TestPipelinedRequestsAreAnsweredInCompletionOrder(t *testing.T) {
	forEachMode(t, "pipelined requests are answered in completion order", func(t *testing.T, mode Option) {
		_, path := startSim(t, mode, withMethodDelay("bdev_malloc_create", 50*time.Millisecond))
		c := dial(t, path)
		c.send(`{"id":1,"method":"bdev_malloc_create","params":{"name":"M","block_size":512,"num_blocks":8}}` +
			`{"id":2,"method":"spdk_get_version"}{"id":3,"method":"framework_wait_init"}`)
		var ids []string
		for range 3 {
			ids = append(ids, string(c.read().ID))
		}
		if got := strings.Join(ids, ","); got != "2,3,1" {
			t.Fatalf("completion order %s, want 2,3,1", got)
		}
	})
}

func TestThePollerTakesOneConnectionPerTick(t *testing.T) {
	cases := []struct {
		name     string
		interval time.Duration
		min, max time.Duration
	}{
		{"ten connections take about ten 4 ms ticks", 4 * time.Millisecond, 36 * time.Millisecond, 400 * time.Millisecond},
		{"without the poller they are served at once", 0, 0, 30 * time.Millisecond},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, path := startSim(t, WithPollInterval(tc.interval))
			var conns []*client
			for range 10 {
				conns = append(conns, dial(t, path))
			}
			start := time.Now()
			for _, c := range conns {
				c.send(`{"id":1,"method":"framework_wait_init"}`)
			}
			for _, c := range conns {
				c.read()
			}
			if d := time.Since(start); d < tc.min || d > tc.max {
				t.Fatalf("10 connections served in %v, want %v..%v", d, tc.min, tc.max)
			}
		})
	}
}

func TestConnectionsBeyondTheCapWaitForAFreeSlot(t *testing.T) {
	forEachMode(t, "connections beyond the cap wait for a free slot", func(t *testing.T, mode Option) {
		_, path := startSim(t, mode, WithMaxConnections(3))
		var first []*client
		for range 3 {
			c := dial(t, path)
			c.must("framework_wait_init", "")
			first = append(first, c)
		}
		late := dial(t, path)
		late.send(`{"id":9,"method":"framework_wait_init"}`)
		_ = late.c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		if n, _ := late.c.Read(make([]byte, 1)); n != 0 {
			t.Fatal("a fourth connection was served while three were open")
		}
		first[0].c.Close()
		_ = late.c.SetReadDeadline(time.Time{})
		late.dec = newDecoder(late.c)
		if r := late.read(); string(r.ID) != "9" {
			t.Fatalf("got %+v", r)
		}
	})
}

func TestListenAndServeTakesTheSocketLikeSPDK(t *testing.T) {
	path := filepath.Join(t.TempDir(), "spdk.sock")
	a := New(WithPollInterval(0))
	errc := make(chan error, 1)
	go func() { errc <- a.ListenAndServe(path) }()
	deadline := time.Now().Add(2 * time.Second)
	for {
		if c, err := net.Dial("unix", path); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("socket never came up")
		}
		time.Sleep(5 * time.Millisecond)
	}
	err := New().ListenAndServe(path)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("RPC Unix domain socket path %s in use", path)) {
		t.Fatalf("second sim on the same path: %v", err)
	}
	a.Close()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}
