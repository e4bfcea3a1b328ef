package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"syscall"

	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
)

// Limits of SPDK's JSON-RPC server (lib/jsonrpc/jsonrpc_internal.h).
const (
	maxRequestBytes = spdk.MaxRequestSize // SPDK_JSONRPC_RECV_BUF_SIZE
	maxJSONValues   = 8192                // SPDK_JSONRPC_MAX_VALUES
)

// ErrClosed is returned by Serve and ListenAndServe when the Sim was
// already closed before they started.
var ErrClosed = errors.New("spdk-sim: closed")

// ListenAndServe listens on a unix socket at socketPath the way spdk_tgt
// does: it takes an exclusive flock on "<socketPath>.lock", removes a stale
// socket left by a dead process, listens and serves until Close. A path held
// by another live process fails at once.
func (s *Sim) ListenAndServe(socketPath string) error {
	lockPath := socketPath + ".lock"
	lf, err := os.OpenFile(lockPath, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("spdk-sim: open lock file %s: %w", lockPath, err)
	}
	if err := syscall.Flock(int(lf.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lf.Close()
		return fmt.Errorf("spdk-sim: RPC Unix domain socket path %s in use. Specify another.", socketPath)
	}
	if err := os.Remove(socketPath); err != nil && !errors.Is(err, os.ErrNotExist) {
		lf.Close()
		return fmt.Errorf("spdk-sim: remove stale socket %s: %w", socketPath, err)
	}
	l, err := net.Listen("unix", socketPath)
	if err != nil {
		lf.Close()
		return fmt.Errorf("spdk-sim: listen on %s: %w", socketPath, err)
	}
	s.tmu.Lock()
	s.lockFile = lf
	s.sockPath = socketPath
	s.tmu.Unlock()
	return s.Serve(l)
}

// Serve serves connections accepted on l until Close, and returns nil
// after Close. With a poll interval (the default, SPDK's 4 ms) one poller
// goroutine drives every connection as SPDK's RPC poller does (see
// poller.go); with interval zero each connection is served by its own
// goroutine without waiting for ticks. Either way at most the configured
// number of connections are served at once; further clients wait in the
// listen backlog.
func (s *Sim) Serve(l net.Listener) error {
	s.tmu.Lock()
	if s.closed {
		s.tmu.Unlock()
		l.Close()
		return ErrClosed
	}
	s.listener = l
	s.tmu.Unlock()
	if s.cfg.pollInterval > 0 {
		return s.servePolled(l)
	}
	return s.serveImmediate(l)
}

// serveImmediate accepts every connection as it arrives and serves each on
// its own goroutine, answering each request as soon as it completes.
func (s *Sim) serveImmediate(l net.Listener) error {
	slots := make(chan struct{}, s.cfg.maxConns)
	for {
		slots <- struct{}{} // wait for a free connection slot
		c, err := l.Accept()
		if err != nil {
			<-slots
			if s.isClosed() {
				s.wg.Wait()
				return nil
			}
			if isTimeout(err) {
				continue
			}
			return fmt.Errorf("spdk-sim: accept: %w", err)
		}
		cc := &conn{s: s, c: c}
		if !s.track(c) {
			c.Close()
			<-slots
			continue
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer func() { <-slots }()
			cc.serve()
		}()
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func (s *Sim) isClosed() bool {
	s.tmu.Lock()
	defer s.tmu.Unlock()
	return s.closed
}

func (s *Sim) track(c net.Conn) bool {
	s.tmu.Lock()
	defer s.tmu.Unlock()
	if s.closed {
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

func (s *Sim) untrack(c net.Conn) {
	s.tmu.Lock()
	defer s.tmu.Unlock()
	delete(s.conns, c)
}

// Close stops the listener and closes every connection. The state is
// dropped with the Sim, as a stopped spdk_tgt's is.
func (s *Sim) Close() error {
	s.tmu.Lock()
	if s.closed {
		s.tmu.Unlock()
		return nil
	}
	s.closed = true
	var err error
	if s.listener != nil {
		err = s.listener.Close()
	}
	close(s.done)
	for c := range s.conns {
		c.Close()
	}
	lf, path := s.lockFile, s.sockPath
	s.tmu.Unlock()
	if lf != nil {
		os.Remove(path)
		os.Remove(path + ".lock")
		lf.Close()
	}
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

// conn is one client connection served without the poller: requests are
// read as a stream of JSON values, responses written whole under wmu, in
// completion order.
type conn struct {
	s           *Sim
	c           net.Conn
	wmu         sync.Mutex
	outstanding sync.WaitGroup
}

func (c *conn) serve() {
	defer c.s.untrack(c.c)
	defer c.c.Close()
	buf := make([]byte, 0, 4096)
	chunk := make([]byte, 64*1024)
	for {
		room := maxRequestBytes - len(buf)
		if room <= 0 {
			// The receive buffer is full and holds no complete request:
			// SPDK's recv of length 0 reads as a close; so does ours.
			c.s.cfg.logger.Warn("request exceeds 256 KiB, closing connection")
			c.outstanding.Wait()
			return
		}
		n, err := c.c.Read(chunk[:min(room, len(chunk))])
		buf = append(buf, chunk[:n]...)
		var ok bool
		buf, ok = c.consume(buf)
		if !ok {
			c.outstanding.Wait()
			return
		}
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				c.s.cfg.logger.Debug("read", "err", err)
			}
			c.outstanding.Wait()
			return
		}
	}
}

// consume dispatches every complete JSON value at the front of buf and
// returns what is left. It reports false when the connection must close
// (parse error).
func (c *conn) consume(buf []byte) ([]byte, bool) {
	for {
		value, rest, err := nextValue(buf)
		if err != nil {
			c.write(parseErrorResponse())
			return nil, false
		}
		if value == nil {
			return rest, true
		}
		buf = rest
		c.outstanding.Add(1)
		c.s.process(value, func(resp []byte) {
			if resp != nil {
				c.write(resp)
			}
			c.outstanding.Done()
		})
	}
}

// nextValue takes the first complete JSON value off buf, as SPDK's
// incremental parser consumes one value at a time. It returns the value (a
// copy) and the bytes after it; a nil value means buf holds no complete one
// yet (rest is buf without leading whitespace). An error is a parse error,
// including a value of more than SPDK's 8192 JSON tokens.
func nextValue(buf []byte) (value json.RawMessage, rest []byte, err error) {
	buf = bytes.TrimLeft(buf, " \t\r\n")
	if len(buf) == 0 {
		return nil, buf[:0], nil
	}
	dec := json.NewDecoder(bytes.NewReader(buf))
	var raw json.RawMessage
	err = dec.Decode(&raw)
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return nil, buf, nil // incomplete: wait for more bytes
	}
	if err != nil {
		return nil, nil, err
	}
	if countValues(raw) > maxJSONValues {
		return nil, nil, errors.New("more than 8192 JSON values")
	}
	return append(json.RawMessage(nil), raw...), buf[dec.InputOffset():], nil
}

func parseErrorResponse() []byte {
	return errorResponse(nil, &rpcError{Code: spdk.CodeParseError, Message: "Parse error"})
}

func (c *conn) write(resp []byte) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if _, err := c.c.Write(resp); err != nil {
		c.s.cfg.logger.Debug("write", "err", err)
	}
}

// countValues counts JSON tokens the way SPDK's parser does: every scalar,
// every object name and every begin/end of an object or array.
func countValues(raw []byte) int {
	n := 0
	inStr, esc := false, false
	prevScalar := false
	for _, b := range raw {
		if inStr {
			switch {
			case esc:
				esc = false
			case b == '\\':
				esc = true
			case b == '"':
				inStr = false
			}
			continue
		}
		switch b {
		case '"':
			inStr = true
			n++
			prevScalar = false
		case '{', '}', '[', ']':
			n++
			prevScalar = false
		case ',', ':', ' ', '\t', '\r', '\n':
			prevScalar = false
		default:
			if !prevScalar {
				n++
				prevScalar = true
			}
		}
	}
	return n
}
