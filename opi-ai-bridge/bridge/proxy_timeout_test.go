package bridge_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/opi-suite/opi/opi-ai-bridge/bridge"
)

// A request body that trickles in is cut off after ProxyReadTimeout instead
// of holding the connection (and the handler) for as long as the client
// likes.
func TestProxyCutsATricklingBody(t *testing.T) {
	old := bridge.ProxyReadTimeout
	bridge.ProxyReadTimeout = 500 * time.Millisecond
	t.Cleanup(func() { bridge.ProxyReadTimeout = old })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	readErr := make(chan error, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := io.ReadAll(r.Body)
		readErr <- err
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- bridge.ServeProxy(ctx, ln, h, time.Second) }()
	t.Cleanup(func() { cancel(); <-done })

	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n{")
	stop := time.After(10 * time.Second)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-readErr:
			if err == nil {
				t.Fatal("the handler read a whole body the client never sent")
			}
			return
		case <-tick.C:
			_, _ = conn.Write([]byte(" ")) // one byte every 100 ms
		case <-stop:
			t.Fatal("a trickling body still held the connection after 10 s")
		}
	}
}
