package spdk

import (
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
)

// fakeSPDK is the client's peer in these tests: a unix-socket JSON-RPC
// server that decodes a stream of requests per connection and lets the test
// answer each one when and how it likes.
type fakeSPDK struct {
	t       *testing.T
	path    string
	handle  func(r *fakeRequest)
	accepts atomic.Int32

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]bool
	reqs  []*fakeRequest
	wg    sync.WaitGroup
}

// fakeRequest is one request as received, with its raw members.
type fakeRequest struct {
	JSONRPC string          `json:"jsonrpc"`
	Method  string          `json:"method"`
	ID      json.RawMessage `json:"id"`
	Params  json.RawMessage `json:"params"`
	Raw     map[string]json.RawMessage
	conn    *fakeConn
}

type fakeConn struct {
	mu sync.Mutex
	nc net.Conn
}

// reply sends a result, compact JSON and a newline as SPDK does.
func (r *fakeRequest) reply(result any) {
	res, err := json.Marshal(result)
	if err != nil {
		panic(err)
	}
	r.send(map[string]json.RawMessage{"jsonrpc": json.RawMessage(`"2.0"`), "id": r.ID, "result": res})
}

// fail sends an error response.
func (r *fakeRequest) fail(code int, message string) {
	e, _ := json.Marshal(ErrorObject{Code: code, Message: message})
	r.send(map[string]json.RawMessage{"jsonrpc": json.RawMessage(`"2.0"`), "id": r.ID, "error": e})
}

func (r *fakeRequest) send(resp map[string]json.RawMessage) {
	b, _ := json.Marshal(resp)
	r.conn.mu.Lock()
	defer r.conn.mu.Unlock()
	_, _ = r.conn.nc.Write(append(b, '\n'))
}

// newFakeSPDK starts a fake on a fresh socket. handle answers requests; nil
// answers spdk_get_version with a version and everything else by echoing
// its params.
func newFakeSPDK(t *testing.T, handle func(r *fakeRequest)) *fakeSPDK {
	t.Helper()
	dir, err := os.MkdirTemp("", "spdk") // short: unix socket paths max out at 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if handle == nil {
		handle = echo
	}
	f := &fakeSPDK{t: t, path: filepath.Join(dir, "spdk.sock"), handle: handle, conns: map[net.Conn]bool{}}
	f.start()
	t.Cleanup(f.stop)
	return f
}

func echo(r *fakeRequest) {
	if r.Method == "spdk_get_version" {
		r.reply(map[string]any{"version": "SPDK v26.05"})
		return
	}
	r.reply(r.Params)
}

// start listens (again) on the fake's path.
func (f *fakeSPDK) start() {
	ln, err := net.Listen("unix", f.path)
	if err != nil {
		f.t.Fatal(err)
	}
	f.mu.Lock()
	f.ln = ln
	f.mu.Unlock()
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			f.accepts.Add(1)
			f.mu.Lock()
			f.conns[nc] = true
			f.mu.Unlock()
			f.wg.Add(1)
			go f.serve(nc)
		}
	}()
}

func (f *fakeSPDK) serve(nc net.Conn) {
	defer f.wg.Done()
	fc := &fakeConn{nc: nc}
	dec := json.NewDecoder(nc)
	for {
		var raw map[string]json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return
		}
		b, _ := json.Marshal(raw)
		r := &fakeRequest{Raw: raw, conn: fc}
		_ = json.Unmarshal(b, r)
		f.mu.Lock()
		f.reqs = append(f.reqs, r)
		f.mu.Unlock()
		f.handle(r)
	}
}

// stop closes the listener (removing the socket) and every connection, as
// an SPDK that exits does.
func (f *fakeSPDK) stop() {
	f.mu.Lock()
	if f.ln != nil {
		f.ln.Close()
		f.ln = nil
	}
	for nc := range f.conns {
		nc.Close()
	}
	f.conns = map[net.Conn]bool{}
	f.mu.Unlock()
	f.wg.Wait()
}

// restart is stop then start: SPDK restarted on the same socket.
func (f *fakeSPDK) restart() {
	f.stop()
	f.start()
}

// requests returns the requests received so far.
func (f *fakeSPDK) requests() []*fakeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*fakeRequest(nil), f.reqs...)
}

// refusedSocket returns a socket path that exists but has no listener, so
// dialing it gives "connection refused".
func refusedSocket(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "spdk")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "dead.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		t.Fatal("socket file vanished")
	}
	return path
}
