package spdk

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"
)

// Option tunes a Client.
type Option interface{ apply(*options) }

type options struct {
	dialTimeout time.Duration
	backoffMin  time.Duration
	backoffMax  time.Duration
	logger      *slog.Logger
	observer    func(method string, params json.RawMessage)
	done        func(ctx context.Context, method string, took time.Duration, err error)
	onReconnect func()
}

type optionFunc func(*options)

func (f optionFunc) apply(o *options) { f(o) }

func defaultOptions() options {
	return options{
		dialTimeout: 3 * time.Second,
		backoffMin:  10 * time.Millisecond,
		backoffMax:  time.Second,
		logger:      slog.New(slog.DiscardHandler),
	}
}

// WithDialTimeout bounds how long one Call may spend (re)connecting, across
// all its backoff retries, before it fails with an Unavailable-class error
// (default 3s). The Call's context bounds it too, whichever ends first; the
// bound exists so that a Call without a deadline does not wait forever for an
// SPDK that is gone for good.
func WithDialTimeout(d time.Duration) Option {
	return optionFunc(func(o *options) {
		if d > 0 {
			o.dialTimeout = d
		}
	})
}

// WithBackoff sets the wait between failed dial attempts: it starts at min
// and doubles up to max (defaults 10ms and 1s). SPDK restarting takes from
// milliseconds to seconds, so the first retries come quickly.
func WithBackoff(min, max time.Duration) Option {
	return optionFunc(func(o *options) {
		if min > 0 {
			o.backoffMin = min
		}
		if max >= o.backoffMin {
			o.backoffMax = max
		} else {
			o.backoffMax = o.backoffMin
		}
	})
}

// WithLogger sets where connection events (loss, dial failures, reconnects,
// dropped late responses) are logged. The default discards them.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(o *options) {
		if l != nil {
			o.logger = l
		}
	})
}

// WithObserver registers f, called with the method and the encoded params
// (nil when the request carries no "params" member) of every request just
// before it is written to the socket, health probes included. It runs on the
// calling goroutine and must be quick; conformance tests use it to record
// what the client really sends.
func WithObserver(f func(method string, params json.RawMessage)) Option {
	return optionFunc(func(o *options) { o.observer = f })
}

// WithCallDone registers f, called once for every Call when it returns,
// with the call's context (a traced call's span is in it), the method,
// the time from the call to its answer (or failure) and
// the error the call returns (nil on success). It runs on the calling
// goroutine and must be quick; the bridge counts calls and their
// latencies with it.
func WithCallDone(f func(ctx context.Context, method string, took time.Duration, err error)) Option {
	return optionFunc(func(o *options) { o.done = f })
}

// WithReconnectNotify registers f, called (on its own goroutine) each time the
// client connects again after having lost an established connection: SPDK
// may have restarted with none of the configuration it had, so the bridge
// uses it to kick its reconcile loop. The first connection does not call it.
func WithReconnectNotify(f func()) Option {
	return optionFunc(func(o *options) { o.onReconnect = f })
}
