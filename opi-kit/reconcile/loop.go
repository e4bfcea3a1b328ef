// Package reconcile runs a bridge's reconciler: once at start (so the
// backend is rebuilt from stored intent after a restart), whenever the
// bridge kicks it (the backend came back, a resource went to ERROR), and
// periodically (to repair drift nobody reported). Failed passes are retried
// with exponential backoff.
package reconcile

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// Reconciler brings the backend in line with the stored intent. A pass
// must be idempotent and safe to run at any time: typically it calls
// resource.Collection.Recover for each kind, then walks the intent, creates
// what the backend lacks, deletes what it has and nobody asked for, and
// records each resource's status.
type Reconciler interface {
	Reconcile(ctx context.Context) error
}

// Func adapts a function to Reconciler.
type Func func(ctx context.Context) error

// Reconcile calls f.
func (f Func) Reconcile(ctx context.Context) error { return f(ctx) }

// Defaults for the options.
const (
	DefaultInterval   = 5 * time.Minute
	DefaultMinBackoff = time.Second
	DefaultMaxBackoff = time.Minute
)

// Option configures New.
type Option interface{ apply(*config) }

type config struct {
	interval               time.Duration
	minBackoff, maxBackoff time.Duration
	logger                 *slog.Logger
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// WithInterval sets the time between passes after a successful one; a
// non-positive d keeps DefaultInterval.
func WithInterval(d time.Duration) Option {
	return optionFunc(func(c *config) { c.interval = d })
}

// WithBackoff sets the first retry delay after a failed pass; each further
// failure doubles it, up to max. A non-positive min keeps DefaultMinBackoff:
// a zero delay would retry a failing backend in a tight loop.
func WithBackoff(min, max time.Duration) Option {
	return optionFunc(func(c *config) { c.minBackoff, c.maxBackoff = min, max })
}

// WithLogger sets where failed passes are logged (default slog.Default()).
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(c *config) { c.logger = l })
}

// Loop schedules the passes of one Reconciler. Passes never overlap.
type Loop struct {
	r      Reconciler
	cfg    config
	kick   chan struct{}
	synced chan struct{}

	mu      sync.Mutex
	lastErr error
	running bool
}

// New returns a loop for r; call Run to start it.
func New(r Reconciler, opts ...Option) *Loop {
	cfg := config{interval: DefaultInterval, minBackoff: DefaultMinBackoff, maxBackoff: DefaultMaxBackoff, logger: slog.Default()}
	for _, o := range opts {
		o.apply(&cfg)
	}
	if cfg.interval <= 0 {
		cfg.interval = DefaultInterval
	}
	if cfg.minBackoff <= 0 {
		cfg.minBackoff = DefaultMinBackoff
	}
	if cfg.logger == nil {
		cfg.logger = slog.Default()
	}
	cfg.maxBackoff = max(cfg.maxBackoff, cfg.minBackoff)
	return &Loop{r: r, cfg: cfg, kick: make(chan struct{}, 1), synced: make(chan struct{})}
}

// Kick asks for a pass as soon as the current one (if any) ends, skipping
// any backoff wait. It never blocks; kicks that arrive before the pass
// starts are merged into one.
func (l *Loop) Kick() {
	select {
	case l.kick <- struct{}{}:
	default:
	}
}

// Synced is closed after the first successful pass: every stored resource
// has been checked against the backend since start.
func (l *Loop) Synced() <-chan struct{} { return l.synced }

// Err returns the result of the last pass (nil before the first).
func (l *Loop) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lastErr
}

// Run runs passes until ctx is done, then returns ctx's error. Call it
// once: a second Run fails at once, since two would overlap passes.
func (l *Loop) Run(ctx context.Context) error {
	l.mu.Lock()
	if l.running {
		l.mu.Unlock()
		return errors.New("reconcile: Run called twice")
	}
	l.running = true
	l.mu.Unlock()
	var backoff time.Duration
	syncedOnce := sync.OnceFunc(func() { close(l.synced) })
	for {
		err := l.r.Reconcile(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		l.mu.Lock()
		l.lastErr = err
		l.mu.Unlock()
		wait := l.cfg.interval
		if err != nil {
			backoff = min(max(2*backoff, l.cfg.minBackoff), l.cfg.maxBackoff)
			wait = backoff
			l.cfg.logger.WarnContext(ctx, "reconcile failed; retrying", "error", err, "retry_in", wait)
		} else {
			backoff = 0
			syncedOnce()
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		case <-l.kick:
			timer.Stop()
		case <-timer.C:
		}
	}
}
