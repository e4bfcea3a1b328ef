// Package spdk is a JSON-RPC 2.0 client for SPDK's RPC server.
//
// SPDK accepts one new connection per 4 ms poller tick, so a Client keeps
// one persistent unix-socket connection and pipelines concurrent calls on
// it: every request is written whole, under a write lock, and a reader
// goroutine hands each response to the caller waiting for its id (SPDK
// answers in completion order, not request order). When the connection
// drops (SPDK restarted), calls in flight fail Unavailable and the next call
// dials again, one dial at a time, with exponential backoff between failed
// attempts.
//
// Status is the one place where errors from this package become gRPC
// status errors.
package spdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opi-suite/opi/opi-kit/telemetry"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// traceScope is the instrumentation scope of the client's spans.
const traceScope = "github.com/opi-suite/opi/opi-storage-bridge/spdk"

// MaxRequestSize is the largest request SPDK can receive: its per-connection
// receive buffer is 256 KiB, and a request that does not fit makes SPDK close
// the connection without an answer. Larger requests are refused before
// sending.
const MaxRequestSize = 256 << 10

// DefaultSocketPath is where SPDK's RPC server listens unless told otherwise.
const DefaultSocketPath = "/var/tmp/spdk.sock"

// Caller is what the bridge's backend layer needs from SPDK: one JSON-RPC
// call. params nil sends no "params" member (SPDK rejects even {} for methods
// without parameters); result nil ignores the result.
type Caller interface {
	Call(ctx context.Context, method string, params, result any) error
}

// Client is a JSON-RPC client for one SPDK RPC socket, safe for concurrent
// use. The zero value is not usable; call New.
type Client struct {
	path string
	opts options
	ids  atomic.Uint64

	mu       sync.Mutex
	conn     *conn         // the live connection, nil when none
	dialing  chan struct{} // non-nil while one caller dials; closed when it is done
	lost     bool          // an established connection was lost since the last dial
	closed   bool
	done     chan struct{} // closed by Close: ends dial backoff waits
	failures int           // consecutive failed dial attempts
	retryAt  time.Time     // no dial before this (backoff after a failure)
	dialErr  error         // the last dial error, until a dial succeeds
}

var _ Caller = (*Client)(nil)

// New returns a Client for the SPDK RPC socket at socketPath. It does not
// connect: the first Call does.
func New(socketPath string, opts ...Option) *Client {
	o := defaultOptions()
	for _, opt := range opts {
		opt.apply(&o)
	}
	return &Client{path: socketPath, opts: o, done: make(chan struct{})}
}

// request is the wire form of a request. SPDK rejects unknown top-level
// members, and a present "params" for methods that take none.
type request struct {
	JSONRPC string          `json:"jsonrpc"`
	Method  string          `json:"method"`
	ID      uint64          `json:"id"`
	Params  json.RawMessage `json:"params,omitempty"`
}

// Call sends one request and waits for its response, the context's end, or
// the connection's loss. An SPDK error response is returned as *Error;
// connection failures wrap ErrUnavailable. Pass the error to Status to get a
// gRPC status.
//
// When ctx is traced the call is a client span named after the method, a
// child of the caller's, with the JSON-RPC semantic-convention attributes
// (rpc.system.name jsonrpc, rpc.method, jsonrpc.request.id, and SPDK's
// error code as rpc.response.status_code).
func (c *Client) Call(ctx context.Context, method string, params, result any) (err error) {
	ctx, span := telemetry.Start(ctx, traceScope, method, trace.SpanKindClient)
	if span.IsRecording() {
		span.SetAttributes(
			semconv.RPCSystemNameJSONRPC,
			semconv.RPCMethod(method),
			semconv.JSONRPCProtocolVersion("2.0"),
			semconv.ServerAddress(c.path),
			semconv.NetworkTransportUnix,
		)
		defer func() {
			var spdkErr *Error
			if errors.As(err, &spdkErr) {
				span.SetAttributes(semconv.RPCResponseStatusCode(strconv.Itoa(spdkErr.Code)))
			}
			telemetry.End(span, err)
		}()
	}
	if c.opts.done != nil {
		start := time.Now()
		defer func() { c.opts.done(ctx, method, time.Since(start), err) }()
	}
	raw, err := encodeParams(params)
	if err != nil {
		return fmt.Errorf("spdk %s: encode params: %w", method, err)
	}
	id := c.ids.Add(1)
	if span.IsRecording() {
		span.SetAttributes(semconv.JSONRPCRequestID(strconv.FormatUint(id, 10)))
	}
	body, err := json.Marshal(request{JSONRPC: "2.0", Method: method, ID: id, Params: raw})
	if err != nil {
		return fmt.Errorf("spdk %s: encode request: %w", method, err)
	}
	if len(body) > MaxRequestSize {
		return fmt.Errorf("spdk %s: %w: %d bytes, limit %d", method, ErrRequestTooLarge, len(body), MaxRequestSize)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("spdk %s: %w", method, err)
	}
	cn, ch, err := c.connectAndRegister(ctx, id)
	if err != nil {
		return fmt.Errorf("spdk %s: %w", method, err)
	}
	if c.opts.observer != nil {
		c.opts.observer(method, raw)
	}
	if err := cn.write(ctx, body); err != nil {
		cn.forget(id)
		return fmt.Errorf("spdk %s: %w", method, err)
	}
	select {
	case resp := <-ch:
		return resp.decode(method, result)
	case <-ctx.Done():
		cn.forget(id) // a late response for id is dropped by the reader
		return fmt.Errorf("spdk %s: %w", method, ctx.Err())
	}
}

// connectAndRegister returns a live connection with id waiting on it. A
// connection found dead before anything was written is safe to replace, so
// that is retried once.
func (c *Client) connectAndRegister(ctx context.Context, id uint64) (*conn, <-chan response, error) {
	for attempt := 0; ; attempt++ {
		cn, err := c.connect(ctx)
		if err != nil {
			return nil, nil, err
		}
		ch, err := cn.register(id)
		if err == nil {
			return cn, ch, nil
		}
		if attempt > 0 || errors.Is(err, ErrClosed) {
			return nil, nil, err
		}
	}
}

// encodeParams encodes params; nil (or anything that encodes to null) means
// no "params" member.
func encodeParams(params any) (json.RawMessage, error) {
	if params == nil {
		return nil, nil
	}
	if raw, ok := params.(json.RawMessage); ok && len(raw) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(params)
	if err != nil {
		return nil, err
	}
	if string(b) == "null" {
		return nil, nil
	}
	return b, nil
}

// Healthy probes SPDK with spdk_get_version, which works in every RPC state.
func (c *Client) Healthy(ctx context.Context) error {
	return c.Call(ctx, "spdk_get_version", nil, nil)
}

// Version asks SPDK its version (spdk_get_version), as SPDK words it,
// for example "SPDK v24.09".
func (c *Client) Version(ctx context.Context) (string, error) {
	var v struct {
		Version string `json:"version"`
	}
	if err := c.Call(ctx, "spdk_get_version", nil, &v); err != nil {
		return "", err
	}
	return v.Version, nil
}

// Close closes the connection; calls in flight and later calls fail with
// ErrClosed.
func (c *Client) Close() error {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		close(c.done)
	}
	cn := c.conn
	c.conn = nil
	c.mu.Unlock()
	if cn != nil {
		cn.fail(ErrClosed)
	}
	return nil
}

// connect returns the live connection, dialing one if there is none. One
// caller dials while the others wait for it; a waiter whose context ends
// returns, and if the dialer fails the next waiter dials in turn.
func (c *Client) connect(ctx context.Context) (*conn, error) {
	for {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return nil, ErrClosed
		}
		if c.conn != nil {
			if !c.conn.dead() {
				cn := c.conn
				c.mu.Unlock()
				return cn, nil
			}
			c.conn = nil // ended without its reader noticing yet
			c.lost = true
		}
		if wait := c.dialing; wait != nil {
			c.mu.Unlock()
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				return nil, c.giveUp(nil, ctx.Err())
			}
		}
		done := make(chan struct{})
		c.dialing = done
		c.mu.Unlock()

		cn, err := c.dialWithBackoff(ctx)

		c.mu.Lock()
		c.dialing = nil
		close(done)
		if err == nil && c.closed {
			c.mu.Unlock()
			cn.fail(ErrClosed)
			return nil, ErrClosed
		}
		if err != nil {
			c.mu.Unlock()
			return nil, err
		}
		c.conn = cn
		reconnected := c.lost
		c.lost = false
		c.mu.Unlock()
		if reconnected {
			c.opts.logger.Info("reconnected to SPDK", "socket", c.path)
			if f := c.opts.onReconnect; f != nil {
				go f()
			}
		}
		return cn, nil
	}
}

// dialWithBackoff dials until it succeeds, the context ends or the dial
// timeout passes, waiting between attempts as the backoff says. The backoff
// state lives in the Client, so successive calls against a dead SPDK do not
// hammer the socket.
func (c *Client) dialWithBackoff(ctx context.Context) (*conn, error) {
	deadline := time.Now().Add(c.opts.dialTimeout)
	var lastErr error
	giveUp := func(ctxErr error) (*conn, error) { return nil, c.giveUp(lastErr, ctxErr) }
	for {
		c.mu.Lock()
		wait := time.Until(c.retryAt)
		c.mu.Unlock()
		if wait > 0 {
			if time.Now().Add(wait).After(deadline) {
				wait = time.Until(deadline)
			}
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return giveUp(ctx.Err())
			case <-c.done:
				t.Stop()
				return nil, ErrClosed
			}
		}
		if ctx.Err() != nil {
			return giveUp(ctx.Err())
		}
		if !time.Now().Before(deadline) {
			return giveUp(nil)
		}
		dctx, cancel := context.WithDeadline(ctx, deadline)
		var d net.Dialer
		nc, err := d.DialContext(dctx, "unix", c.path)
		cancel()
		// The dialer reports its deadline as a timeout, sometimes before the
		// context itself reads as done.
		if err != nil && isTimeout(err) && lastErr != nil {
			// The deadline interrupted this attempt: the previous
			// attempt's error says better why SPDK is unreachable.
			return giveUp(ctx.Err())
		}
		c.mu.Lock()
		if err == nil {
			c.failures = 0
			c.retryAt = time.Time{}
			c.dialErr = nil
			c.mu.Unlock()
			return newConn(nc, c), nil
		}
		c.failures++
		c.retryAt = time.Now().Add(c.backoff(c.failures))
		c.dialErr = err
		c.mu.Unlock()
		lastErr = err
		c.opts.logger.Debug("SPDK dial failed", "socket", c.path, "attempt", c.failures, "err", err)
		if ctx.Err() != nil {
			return giveUp(ctx.Err())
		}
		if !time.Now().Before(deadline) {
			return giveUp(nil)
		}
	}
}

// backoff is the wait after the n-th consecutive failed dial.
func (c *Client) backoff(n int) time.Duration {
	d := c.opts.backoffMin
	for i := 1; i < n && d < c.opts.backoffMax; i++ {
		d *= 2
	}
	return min(d, c.opts.backoffMax)
}

// giveUp builds the error of a connect that gave up: Unavailable-class,
// naming the last dial error (this call's, else the client's latest), and
// also matching the context's error when that is why it gave up. With no
// dial error known it is the context's error alone.
func (c *Client) giveUp(lastErr, ctxErr error) error {
	if lastErr == nil {
		c.mu.Lock()
		lastErr = c.dialErr
		c.mu.Unlock()
	}
	switch {
	case lastErr == nil && ctxErr == nil:
		return fmt.Errorf("%w: no connection within the dial timeout", ErrUnavailable)
	case lastErr == nil:
		return ctxErr
	case ctxErr == nil:
		return fmt.Errorf("%w: %w", ErrUnavailable, lastErr)
	default:
		return fmt.Errorf("%w: %w (%w)", ErrUnavailable, lastErr, ctxErr)
	}
}

// connectionLost is called by a connection's reader when it ends.
func (c *Client) connectionLost(cn *conn, err error) {
	c.mu.Lock()
	if c.conn == cn {
		c.conn = nil
		c.lost = true
	}
	closed := c.closed
	c.mu.Unlock()
	if !closed {
		c.opts.logger.Warn("SPDK connection lost", "socket", c.path, "err", err)
	}
}

// errConnLost is what calls in flight get when the connection drops.
var errConnLost = fmt.Errorf("%w: connection lost", ErrUnavailable)

// isTimeout reports a net deadline error.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
