package sim

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// startSim serves a new Sim on a socket in a temporary directory; by
// default without the poller, so tests get answers at once.
func startSim(t *testing.T, opts ...Option) (*Sim, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "spdk.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	s := New(append([]Option{WithPollInterval(0)}, opts...)...)
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	t.Cleanup(func() {
		s.Close()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return s, path
}

// forEachMode runs fn as a subtest named name, once without the poller
// and once with a 2 ms poller: the transport's rules hold either way.
func forEachMode(t *testing.T, name string, fn func(t *testing.T, mode Option)) {
	t.Helper()
	for _, m := range []struct {
		label    string
		interval time.Duration
	}{{"without the poller", 0}, {"with the poller", 2 * time.Millisecond}} {
		t.Run(name+" "+m.label, func(t *testing.T) { fn(t, WithPollInterval(m.interval)) })
	}
}

// client is a minimal SPDK JSON-RPC client for tests.
type client struct {
	t    *testing.T
	c    net.Conn
	dec  *json.Decoder
	next int
}

type response struct {
	ID     json.RawMessage `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  *rpcError       `json:"error"`
}

func dial(t *testing.T, path string) *client {
	t.Helper()
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &client{t: t, c: c, dec: json.NewDecoder(c)}
}

func (c *client) send(raw string) {
	c.t.Helper()
	if _, err := c.c.Write([]byte(raw)); err != nil {
		c.t.Fatal(err)
	}
}

func (c *client) read() response {
	c.t.Helper()
	_ = c.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var r response
	if err := c.dec.Decode(&r); err != nil {
		c.t.Fatalf("read response: %v", err)
	}
	return r
}

// call sends one request; params "" omits the member.
func (c *client) call(method, params string) response {
	c.t.Helper()
	c.next++
	req := map[string]any{"jsonrpc": "2.0", "id": c.next, "method": method}
	if params != "" {
		req["params"] = json.RawMessage(params)
	}
	b, _ := json.Marshal(req)
	c.send(string(b))
	return c.read()
}

// must calls and fails the test on an error response.
func (c *client) must(method, params string) json.RawMessage {
	c.t.Helper()
	r := c.call(method, params)
	if r.Error != nil {
		c.t.Fatalf("%s %s: %v", method, params, r.Error)
	}
	return r.Result
}

// keyFile writes a PSK file with the 0600 mode keyring_file requires, in
// the interchange format and with nothing after it (spdk_tgt refuses a
// trailing newline when the key is used).
func keyFile(t *testing.T, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "psk.key")
	if err := os.WriteFile(p, []byte("NVMeTLSkey-1:01:MDAxMTIyMzM0NDU1NjY3Nzg4OTlhYWJiY2NkZGVlZmZwJEiQ:"), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	return p
}

func newDecoder(c net.Conn) *json.Decoder { return json.NewDecoder(c) }
