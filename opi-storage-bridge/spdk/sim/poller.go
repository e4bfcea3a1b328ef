package sim

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"syscall"
	"time"
)

// The poller models SPDK's RPC poller: lib/init/rpc.c registers
// rpc_subsystem_poll_servers every 4 ms, and each run of
// spdk_jsonrpc_server_poll (lib/jsonrpc/jsonrpc_server_tcp.c)
//
//  1. reaps connections that are closed and have nothing outstanding,
//  2. accept()s at most one new connection, when a slot is free,
//  3. for every connection, sends its queued responses, then (unless it is
//     closing) does one non-blocking recv() and dispatches every complete
//     request in its buffer.
//
// Handlers never write: a response is queued when its request completes and
// leaves in the send phase of the next tick. A request therefore waits
// 0-4 ms for the tick that reads it and one more tick for the one that sends
// its answer, and a client that sends its next request as soon as it has
// the previous answer has missed that tick's recv (which follows the send
// at once) so sequential calls cost two ticks each. Requests pipelined on
// one connection are all read by one recv and answered together one tick
// later; new connections are taken one per tick.

// servePolled runs the poller until Close (nil) or until the listener fails.
func (s *Sim) servePolled(l net.Listener) error {
	p := &poller{s: s, accepted: make(chan net.Conn), acceptErr: make(chan error, 1)}
	acceptDone := make(chan struct{})
	go func() {
		defer close(acceptDone)
		p.acceptLoop(l)
	}()
	t := time.NewTicker(s.cfg.pollInterval)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			<-acceptDone // Close closed the listener
			p.closeAll()
			return nil
		case err := <-p.acceptErr:
			l.Close()
			<-acceptDone
			p.closeAll()
			return fmt.Errorf("spdk-sim: accept: %w", err)
		case <-t.C:
			p.tick()
		}
	}
}

// poller is the state the poller goroutine owns.
type poller struct {
	s         *Sim
	conns     []*pconn
	accepted  chan net.Conn // from acceptLoop, taken at most one per tick
	acceptErr chan error
}

// acceptLoop accepts connections and holds each until a tick takes it, so
// the poller's accept never blocks. A client cannot tell this apart from
// waiting in the kernel's backlog: either way its connect has succeeded
// and nothing it sends is read until the poller takes the connection.
func (p *poller) acceptLoop(l net.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			if p.s.isClosed() {
				return
			}
			if isTimeout(err) {
				continue
			}
			p.acceptErr <- err
			return
		}
		select {
		case p.accepted <- c:
		case <-p.s.done:
			c.Close()
			return
		}
	}
}

// tick is one run of spdk_jsonrpc_server_poll.
func (p *poller) tick() {
	p.s.ticks.Add(1)
	live := p.conns[:0]
	for _, pc := range p.conns {
		if pc.reap() {
			p.s.untrack(pc.c)
			continue
		}
		live = append(live, pc)
	}
	clear(p.conns[len(live):])
	p.conns = live

	if len(p.conns) < p.s.cfg.maxConns {
		select {
		case c := <-p.accepted:
			if p.s.track(c) {
				p.conns = append(p.conns, newPconn(c))
			} else {
				c.Close()
			}
		default:
		}
	}

	for _, pc := range p.conns {
		if err := pc.send(); err != nil {
			p.s.cfg.logger.Debug("send", "err", err)
			pc.kill()
			continue
		}
		if err := pc.recv(p.s); err != nil {
			p.s.cfg.logger.Debug("recv", "err", err)
			pc.kill()
		}
	}
}

func (p *poller) closeAll() {
	for _, pc := range p.conns {
		pc.kill()
		p.s.untrack(pc.c)
	}
	p.conns = nil
}

// pconn is one connection driven by the poller: SPDK's
// spdk_jsonrpc_server_conn.
type pconn struct {
	c     net.Conn
	raw   syscall.RawConn // for non-blocking recv and send; nil if c has no descriptor
	buf   []byte          // received, not yet parsed (SPDK's 256 KiB recv_buf)
	chunk []byte

	mu          sync.Mutex
	queue       [][]byte // completed responses not yet sent, in completion order
	outstanding int      // dispatched requests not yet answered and sent
	closing     bool     // no more recv: the peer closed, a parse error or a full buffer
	dead        bool     // the socket is closed; responses are dropped
}

func newPconn(c net.Conn) *pconn {
	pc := &pconn{c: c, chunk: make([]byte, 64*1024)}
	if sc, ok := c.(syscall.Conn); ok {
		if raw, err := sc.SyscallConn(); err == nil {
			pc.raw = raw
		}
	}
	return pc
}

// reap closes a closing connection with nothing outstanding and reports
// whether the connection can be forgotten (its slot freed), which SPDK
// does only once no request of it is outstanding.
func (pc *pconn) reap() bool {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if pc.closing && pc.outstanding == 0 && !pc.dead {
		pc.c.Close()
		pc.dead = true
	}
	return pc.dead && pc.outstanding == 0
}

// kill closes the socket at once; responses still to come are dropped.
func (pc *pconn) kill() {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if !pc.dead {
		pc.c.Close()
		pc.dead = true
	}
	pc.outstanding -= len(pc.queue)
	pc.queue = nil
}

// complete queues the response of one dispatched request (nil: nothing to
// send); it may run on any goroutine.
func (pc *pconn) complete(resp []byte) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if resp == nil || pc.dead {
		pc.outstanding--
		return
	}
	pc.queue = append(pc.queue, resp)
}

// send writes queued responses until the socket would block; the rest waits
// for the next tick.
func (pc *pconn) send() error {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if pc.dead {
		return nil
	}
	for len(pc.queue) > 0 {
		b := pc.queue[0]
		n, err := pc.write(b)
		if err != nil {
			return err
		}
		if n < len(b) {
			pc.queue[0] = b[n:]
			return nil
		}
		pc.queue[0] = nil
		pc.queue = pc.queue[1:]
		pc.outstanding--
	}
	return nil
}

// recv does one non-blocking read and dispatches every complete request
// now in the buffer.
func (pc *pconn) recv(s *Sim) error {
	pc.mu.Lock()
	stop := pc.dead || pc.closing
	pc.mu.Unlock()
	if stop {
		return nil
	}
	room := maxRequestBytes - len(pc.buf)
	if room <= 0 {
		// The buffer is full and holds no complete request: SPDK's recv of
		// length 0 returns 0, which it takes for the peer closing.
		s.cfg.logger.Warn("request exceeds 256 KiB, closing connection")
		pc.setClosing()
		return nil
	}
	n, err := pc.read(pc.chunk[:min(room, len(pc.chunk))])
	if errors.Is(err, io.EOF) {
		pc.setClosing()
		return nil
	}
	if err != nil {
		return err
	}
	pc.buf = append(pc.buf, pc.chunk[:n]...)
	for {
		value, rest, err := nextValue(pc.buf)
		if err != nil {
			// No resync point in a stream: answer, then close once sent.
			pc.dispatched()
			pc.complete(parseErrorResponse())
			pc.buf = nil
			pc.setClosing()
			return nil
		}
		pc.buf = rest
		if value == nil {
			return nil
		}
		pc.dispatched()
		s.process(value, pc.complete)
	}
}

func (pc *pconn) dispatched() {
	pc.mu.Lock()
	pc.outstanding++
	pc.mu.Unlock()
}

func (pc *pconn) setClosing() {
	pc.mu.Lock()
	pc.closing = true
	pc.mu.Unlock()
}

// read is a non-blocking recv(): what the socket holds now, possibly
// nothing (0, nil); io.EOF when the peer has closed.
func (pc *pconn) read(b []byte) (int, error) {
	if pc.raw == nil {
		// No descriptor to poll: wait a moment for bytes already sent.
		_ = pc.c.SetReadDeadline(time.Now().Add(100 * time.Microsecond))
		n, err := pc.c.Read(b)
		if isTimeout(err) {
			err = nil
		}
		return n, err
	}
	var n int
	var rerr error
	err := pc.raw.Read(func(fd uintptr) bool {
		n, rerr = syscall.Read(int(fd), b)
		return true // never wait for readiness
	})
	switch {
	case err != nil:
		return 0, err
	case rerr == syscall.EAGAIN || rerr == syscall.EINTR:
		return 0, nil
	case rerr != nil:
		return 0, rerr
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

// write is a non-blocking send(): how much of b the socket took.
func (pc *pconn) write(b []byte) (int, error) {
	if pc.raw == nil {
		return pc.c.Write(b)
	}
	var n int
	var werr error
	err := pc.raw.Write(func(fd uintptr) bool {
		n, werr = syscall.Write(int(fd), b)
		return true
	})
	switch {
	case err != nil:
		return 0, err
	case werr == syscall.EAGAIN || werr == syscall.EINTR:
		return 0, nil
	case werr != nil:
		return 0, werr
	}
	return n, nil
}
