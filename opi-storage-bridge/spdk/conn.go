package spdk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"
)

// conn is one connection to SPDK: requests are written whole under wsem,
// responses are read by one reader goroutine and handed to the waiting
// caller by id.
type conn struct {
	nc     net.Conn
	client *Client
	wsem   chan struct{} // write lock a caller can give up waiting for

	mu      sync.Mutex
	pending map[uint64]chan response
	err     error // why the connection ended; nil while it is live
}

// response is one decoded response, or the error that ended its call.
type response struct {
	Result json.RawMessage `json:"result"`
	Error  *ErrorObject    `json:"error"`
	err    error
}

// envelope is a response as it comes off the wire.
type envelope struct {
	ID json.RawMessage `json:"id"`
	response
}

func newConn(nc net.Conn, c *Client) *conn {
	cn := &conn{
		nc:      nc,
		client:  c,
		wsem:    make(chan struct{}, 1),
		pending: make(map[uint64]chan response),
	}
	go cn.read()
	return cn
}

// dead reports whether the connection has ended.
func (cn *conn) dead() bool {
	cn.mu.Lock()
	defer cn.mu.Unlock()
	return cn.err != nil
}

// register makes id wait for a response.
func (cn *conn) register(id uint64) (<-chan response, error) {
	cn.mu.Lock()
	defer cn.mu.Unlock()
	if cn.err != nil {
		return nil, cn.err
	}
	ch := make(chan response, 1)
	cn.pending[id] = ch
	return ch, nil
}

// forget stops waiting for id; a response arriving later is dropped.
func (cn *conn) forget(id uint64) {
	cn.mu.Lock()
	delete(cn.pending, id)
	cn.mu.Unlock()
}

// write sends one request. A request cut off half-way (deadline, cancel,
// write error) leaves the stream unparseable for SPDK, so the connection is
// then closed and every call on it fails.
func (cn *conn) write(ctx context.Context, body []byte) error {
	select {
	case cn.wsem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-cn.wsem }()
	if dl, ok := ctx.Deadline(); ok {
		_ = cn.nc.SetWriteDeadline(dl)
	} else {
		_ = cn.nc.SetWriteDeadline(time.Time{})
	}
	// A cancel without a deadline unblocks the write too. If the cut-off
	// has started, wait for it so it cannot hit the next writer's request.
	cut := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		_ = cn.nc.SetWriteDeadline(time.Now())
		close(cut)
	})
	_, err := cn.nc.Write(body)
	if !stop() {
		<-cut
	}
	if err == nil {
		return nil
	}
	if isTimeout(err) && ctx.Err() != nil {
		err = fmt.Errorf("%w (request cut off, connection closed)", ctx.Err())
	} else {
		err = fmt.Errorf("%w: write: %w", ErrUnavailable, err)
	}
	cn.fail(err)
	return err
}

// fail ends the connection: it is closed and every waiting call gets err.
// Only the first call has an effect.
func (cn *conn) fail(err error) {
	cn.mu.Lock()
	if cn.err != nil {
		cn.mu.Unlock()
		return
	}
	cn.err = err
	pending := cn.pending
	cn.pending = nil
	cn.mu.Unlock()
	_ = cn.nc.Close()
	for _, ch := range pending {
		ch <- response{err: err}
	}
}

// read dispatches responses until the connection ends. SPDK ends each
// response with a newline, but the decoder does not depend on it.
func (cn *conn) read() {
	dec := json.NewDecoder(cn.nc)
	var err error
	for {
		var env envelope
		if err = dec.Decode(&env); err != nil {
			var typeErr *json.UnmarshalTypeError
			if errors.As(err, &typeErr) {
				// A whole value was read but is not a response object (a
				// batch array, which this client never sends): skip it.
				cn.client.opts.logger.Warn("SPDK sent an unexpected JSON value", "err", err)
				continue
			}
			break
		}
		cn.dispatch(env)
	}
	cn.mu.Lock()
	ended := cn.err
	cn.mu.Unlock()
	if ended == nil {
		cn.fail(fmt.Errorf("%w: %w", errConnLost, err))
		cn.client.connectionLost(cn, err)
	}
}

// dispatch hands a response to the call waiting for its id.
func (cn *conn) dispatch(env envelope) {
	id, err := strconv.ParseUint(string(bytes.Trim(env.ID, `"`)), 10, 64)
	if err != nil {
		// id null: SPDK could not tell which request this answers (a parse
		// error, after which it closes the connection).
		if env.Error != nil {
			cn.client.opts.logger.Warn("SPDK error without a request id", "code", env.Error.Code, "message", env.Error.Message)
		}
		return
	}
	cn.mu.Lock()
	ch, ok := cn.pending[id]
	delete(cn.pending, id)
	cn.mu.Unlock()
	if !ok {
		cn.client.opts.logger.Debug("dropped SPDK response for an abandoned call", "id", id)
		return
	}
	ch <- env.response
}

// decode turns a response into the call's outcome.
func (r response) decode(method string, result any) error {
	switch {
	case r.err != nil:
		return fmt.Errorf("spdk %s: %w", method, r.err)
	case r.Error != nil:
		return &Error{Code: r.Error.Code, Message: r.Error.Message, Method: method}
	case result == nil:
		return nil
	}
	if err := json.Unmarshal(r.Result, result); err != nil {
		return fmt.Errorf("spdk %s: decode result: %w", method, err)
	}
	return nil
}
