// Package vici is the IPsec bridge's backend adapter: a small client of
// strongSwan's VICI interface (charon's control socket) over
// github.com/strongswan/govici, implementing ipsec.Backend.
//
// Errors are classified here, once, into opi-kit/errdefs classes: charon
// unreachable is errdefs.ErrUnavailable; charon refusing a configuration
// (load-conn, load-shared, load-cert, load-key) is
// errdefs.ErrInvalidArgument and refusing anything else
// errdefs.ErrFailedPrecondition, both with a *CommandError carrying
// charon's own text as the cause.
//
// govici's CallStreaming can lose the trailing events of a streamed command
// (list-sas, list-conns) and leave the session answering later calls with
// "unexpected response type". This package never uses it. Streamed commands
// run on a session of their own that subscribed to the list events once
// (Subscribe + NotifyEvents); each call is a plain Call while a collector
// drains the event channel. govici's reader goroutine hands every event to
// the channel before it hands over the command's response, so once Call
// returns every event of that command is in the channel, and draining what
// is left ends the listing exactly. Commands that can block for long
// (initiate, terminate, rekey) get a session of their own per call, so they
// never hold up the others. Plain commands share a few sessions (see
// cmdSessions): charon answers one session's commands one after the other,
// so concurrent creates on one session would wait for each other.
package vici

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-kit/telemetry"
	govici "github.com/strongswan/govici/vici"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// DefaultSocket is charon's VICI socket in a default installation.
const DefaultSocket = "unix:///var/run/charon.vici"

// CommandError is charon's refusal of a command: the command ran and
// answered success = no. Msg is charon's own error text. The Client
// returns it wrapped in its errdefs class (errors.As finds it).
type CommandError struct {
	// Cmd is the VICI command, such as "load-conn".
	Cmd string
	// Msg is charon's error text.
	Msg string
}

// Error renders the refusal with charon's text.
func (e *CommandError) Error() string { return fmt.Sprintf("strongSwan refused %s: %s", e.Cmd, e.Msg) }

// refusalClass is the errdefs class of charon refusing cmd: a
// configuration it will not load is the caller's to fix; anything else
// (initiate, rekey, terminate) depends on the state of charon and its peer.
func refusalClass(cmd string) error {
	if strings.HasPrefix(cmd, "load-") {
		return errdefs.ErrInvalidArgument
	}
	return errdefs.ErrFailedPrecondition
}

// Client talks to one charon over VICI. It is safe for concurrent use and
// reconnects by itself when charon restarts. The zero value is not usable;
// call New.
type Client struct {
	network, addr string
	dialTimeout   time.Duration

	slots  chan struct{} // one token per plain command running, at most cmdSessions
	mu     sync.Mutex    // guards idle, closed
	idle   []*govici.Session
	closed bool

	listMu sync.Mutex // serializes streamed commands; guards list, listCh
	list   *govici.Session
	listCh chan govici.Event
}

// cmdSessions is how many plain commands run at once, each on a session
// of its own. charon handles the commands of one session one at a time,
// but those of several sessions on several threads: eight creates in
// flight loaded 500 connections in 0.6 s on one shared session and
// in less on four (BenchmarkLoadConnections in the bridge).
const cmdSessions = 4

// listEvents are the events streamed commands produce.
var listEvents = []string{"list-sa", "list-conn"}

// New returns a client of the VICI socket at uri: "unix:///path/charon.vici",
// a plain path, or "tcp://host:port". Nothing is dialled until the first
// call.
func New(uri string) (*Client, error) {
	network, addr, err := ParseURI(uri)
	if err != nil {
		return nil, err
	}
	return &Client{network: network, addr: addr, dialTimeout: 2 * time.Second, slots: make(chan struct{}, cmdSessions)}, nil
}

// ParseURI splits a VICI URI as swanctl --uri takes it into network and
// address.
func ParseURI(uri string) (network, addr string, err error) {
	switch {
	case strings.HasPrefix(uri, "unix://"):
		network, addr = "unix", strings.TrimPrefix(uri, "unix://")
	case strings.HasPrefix(uri, "tcp://"):
		network, addr = "tcp", strings.TrimPrefix(uri, "tcp://")
	case strings.HasPrefix(uri, "/"):
		network, addr = "unix", uri
	default:
		return "", "", fmt.Errorf("vici: socket %q is neither unix://PATH, tcp://HOST:PORT nor an absolute path", uri)
	}
	if addr == "" {
		return "", "", fmt.Errorf("vici: socket %q has no address", uri)
	}
	return network, addr, nil
}

// URI returns the socket as swanctl --uri takes it.
func (c *Client) URI() string { return c.network + "://" + c.addr }

// Close closes the client's sessions.
func (c *Client) Close() error {
	c.mu.Lock()
	c.closed = true
	c.dropIdle()
	c.mu.Unlock()
	c.listMu.Lock()
	c.dropList()
	c.listMu.Unlock()
	return nil
}

func (c *Client) dial() (*govici.Session, error) {
	s, err := govici.NewSession(govici.WithAddr(c.network, c.addr), govici.WithDialContext(
		func(ctx context.Context, network, addr string) (net.Conn, error) {
			d := net.Dialer{Timeout: c.dialTimeout}
			return d.DialContext(ctx, network, addr)
		}))
	if err != nil {
		return nil, errdefs.Unavailablef("strongSwan is not reachable at %s: %v", c.URI(), err)
	}
	return s, nil
}

// call runs a plain command on one of the shared command sessions. A
// session that broke (charon restarted) is closed with every idle one, and
// the command tried once more on a new session: every command sent this way
// is idempotent.
func (c *Client) call(ctx context.Context, cmd string, in *govici.Message) (_ *govici.Message, err error) {
	ctx, span := c.span(ctx, cmd)
	defer func() { telemetry.End(span, err) }()
	select {
	case c.slots <- struct{}{}:
		defer func() { <-c.slots }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	var lastErr error
	for attempt := 0; attempt < 2; attempt++ {
		s, err := c.session()
		if err != nil {
			return nil, err
		}
		out, err := s.Call(ctx, cmd, in)
		if out != nil {
			c.release(s)
			return out, commandError(cmd, out)
		}
		s.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		lastErr = err
		// The idle sessions talk to the same charon, most likely gone too.
		c.mu.Lock()
		c.dropIdle()
		c.mu.Unlock()
	}
	return nil, errdefs.Unavailablef("strongSwan %s at %s: %v", cmd, c.URI(), lastErr)
}

// session returns an idle command session, or a new one.
func (c *Client) session() (*govici.Session, error) {
	c.mu.Lock()
	if n := len(c.idle); n > 0 {
		s := c.idle[n-1]
		c.idle = c.idle[:n-1]
		c.mu.Unlock()
		return s, nil
	}
	c.mu.Unlock()
	return c.dial()
}

// release keeps a command session that answered for the next command.
func (c *Client) release(s *govici.Session) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || len(c.idle) >= cmdSessions {
		s.Close()
		return
	}
	c.idle = append(c.idle, s)
}

// dropIdle closes the idle command sessions; c.mu is held.
func (c *Client) dropIdle() {
	for _, s := range c.idle {
		s.Close()
	}
	c.idle = nil
}

// callOnce runs a command that may block for long on a session of its own.
func (c *Client) callOnce(ctx context.Context, cmd string, in *govici.Message) (_ *govici.Message, err error) {
	ctx, span := c.span(ctx, cmd)
	defer func() { telemetry.End(span, err) }()
	s, err := c.dial()
	if err != nil {
		return nil, err
	}
	defer s.Close()
	out, err := s.Call(ctx, cmd, in)
	if out != nil {
		return out, commandError(cmd, out)
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return nil, errdefs.Unavailablef("strongSwan %s at %s: %v", cmd, c.URI(), err)
}

// traceScope is the instrumentation scope of the VICI client's spans.
const traceScope = "github.com/opi-suite/opi/opi-security-bridge/internal/vici"

// span starts the client span of one VICI command when ctx is traced:
// named after the command, rpc.system.name vici, rpc.method the command,
// server.address the socket.
func (c *Client) span(ctx context.Context, cmd string) (context.Context, trace.Span) {
	ctx, span := telemetry.Start(ctx, traceScope, cmd, trace.SpanKindClient)
	if span.IsRecording() {
		span.SetAttributes(semconv.RPCSystemNameKey.String("vici"), semconv.RPCMethod(cmd),
			semconv.ServerAddress(c.URI()))
	}
	return ctx, span
}

func commandError(cmd string, out *govici.Message) error {
	if v, ok := out.Get("success").(string); ok && v != "yes" {
		msg, _ := out.Get("errmsg").(string)
		if msg == "" {
			msg = "failed without a message"
		}
		return errdefs.Wrap(refusalClass(cmd), &CommandError{Cmd: cmd, Msg: msg})
	}
	return nil
}

// stream runs a streamed command (list-sas, list-conns) and returns the
// messages of its event, in order. See the package documentation for why
// this is race-free.
func (c *Client) stream(ctx context.Context, cmd, event string, in *govici.Message) (_ []*govici.Message, err error) {
	ctx, span := c.span(ctx, cmd)
	defer func() { telemetry.End(span, err) }()
	c.listMu.Lock()
	defer c.listMu.Unlock()
	var lastErr error
	for attempt := 0; attempt < 2; attempt++ {
		if c.list == nil {
			if err := c.openList(); err != nil {
				return nil, err
			}
		}
		msgs, out, broken, err := c.collect(ctx, cmd, event, in)
		if broken || out == nil {
			c.dropList()
		}
		if out != nil {
			return msgs, commandError(cmd, out)
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		lastErr = err
	}
	return nil, errdefs.Unavailablef("strongSwan %s at %s: %v", cmd, c.URI(), lastErr)
}

func (c *Client) openList() error {
	s, err := c.dial()
	if err != nil {
		return err
	}
	if err := s.Subscribe(listEvents...); err != nil {
		s.Close()
		return errdefs.Unavailablef("strongSwan at %s: subscribing to %v: %v", c.URI(), listEvents, err)
	}
	// Large enough that the collector, which runs while charon streams,
	// never lets it fill up: govici drops events sent to a full channel.
	ch := make(chan govici.Event, 4096)
	s.NotifyEvents(ch)
	c.list, c.listCh = s, ch
	return nil
}

func (c *Client) dropList() {
	if c.list != nil {
		c.list.Close()
	}
	c.list, c.listCh = nil, nil
}

// collect runs with listMu held. broken reports that the session's event
// channel closed (charon went away), so the session must be replaced.
func (c *Client) collect(ctx context.Context, cmd, event string, in *govici.Message) (msgs []*govici.Message, out *govici.Message, broken bool, err error) {
	ch := c.listCh
	take := func(ev govici.Event, ok bool) {
		switch {
		case !ok:
			broken = true
		case ev.Name == event:
			msgs = append(msgs, ev.Message)
		}
	}
	// Leftovers of an earlier call abandoned by its context.
	for drained := false; !drained && !broken; {
		select {
		case _, ok := <-ch:
			broken = !ok
		default:
			drained = true
		}
	}
	if broken {
		return nil, nil, true, errors.New("session closed")
	}
	stop := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for !broken {
			select {
			case ev, ok := <-ch:
				take(ev, ok)
			case <-stop:
				for !broken {
					select {
					case ev, ok := <-ch:
						take(ev, ok)
					default:
						return
					}
				}
			}
		}
	}()
	out, err = c.list.Call(ctx, cmd, in)
	close(stop)
	<-finished
	if out == nil && err == nil {
		err = errors.New("no response")
	}
	return msgs, out, broken, err
}
