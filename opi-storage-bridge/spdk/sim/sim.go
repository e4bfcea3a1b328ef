// Package sim is spdk-sim, a stand-in for SPDK's spdk_tgt used where SPDK
// cannot run: tests, demos and the compose stack on machines without
// hugepages or NVMe devices. It is not SPDK and moves no data.
//
// It speaks SPDK v26.05's JSON-RPC over a unix socket the way spdk_tgt does:
// the same method names and parameter decoding (strict, typed), the same
// error codes and messages, the same result shapes, and the transport's
// quirks (one poller every 4 ms that accepts at most one connection per
// tick, reads requests and sends queued responses, so every round trip waits
// for it; 64 connections, unframed requests, responses in completion order,
// 256 KiB request limit). It keeps
// real in-memory state for the methods the storage bridge uses: bdevs and
// their claims, logical volumes, crypto keys, keyring, NVMe-oF transports,
// subsystems, namespaces, listeners and hosts, NVMe-oF initiator
// controllers (loopback to its own subsystems only), vhost and vfio-user
// endpoints. Like a restarted spdk_tgt, a new Sim starts empty.
package sim

import (
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opi-suite/opi/opi-storage-bridge/spdk/contract"
)

// Sim is one simulated SPDK application. Create it with New, serve it with
// Serve or ListenAndServe, stop it with Close.
type Sim struct {
	cfg config

	// contract is SPDK's JSON-RPC contract: every method's RPC states and
	// params decoding come from it, not from tables of the sim's own.
	contract *contract.Contract

	mu sync.Mutex // guards st
	st *state

	methods map[string]*method
	order   []string // registration order, for rpc_get_methods

	tmu      sync.Mutex // guards the transport fields below
	listener net.Listener
	conns    map[net.Conn]struct{}
	closed   bool
	done     chan struct{} // closed by Close: stops the poller
	lockFile *os.File
	sockPath string
	wg       sync.WaitGroup // connection goroutines (no poller)

	ticks atomic.Int64 // poller ticks so far, for tests
}

type config struct {
	pollInterval time.Duration
	maxConns     int
	logger       *slog.Logger
	delays       map[string]time.Duration
	without      map[string]bool
}

// Option configures a Sim.
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// WithPollInterval sets the period of the RPC poller (SPDK: 4 ms). Each
// tick accepts at most one new connection, sends every connection's queued
// responses and reads what each connection has sent, dispatching every
// complete request, so a round trip takes one to two periods (the wait for
// the reading tick, then one tick to the sending one) and new connections
// are taken one per period. Zero runs no poller: connections are accepted,
// requests read and responses written as soon as possible, for tests that
// do not care about timing.
func WithPollInterval(d time.Duration) Option {
	return optionFunc(func(c *config) {
		if d >= 0 {
			c.pollInterval = d
		}
	})
}

// WithAcceptInterval is the former name of WithPollInterval, from when
// the poller paced only accepts.
//
// Deprecated: use WithPollInterval.
func WithAcceptInterval(d time.Duration) Option { return WithPollInterval(d) }

// WithLogger sets the logger for connection and request events.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(c *config) {
		if l != nil {
			c.logger = l
		}
	})
}

// WithMaxConnections sets how many connections are served at once (SPDK:
// 64). Further clients wait in the listen backlog until a slot frees.
func WithMaxConnections(n int) Option {
	return optionFunc(func(c *config) {
		if n > 0 {
			c.maxConns = n
		}
	})
}

// WithoutMethods leaves methods out, as an spdk_tgt built without the
// module that registers them: they answer "Method not found" and are
// missing from rpc_get_methods. Tests use it to see how a bridge handles
// an SPDK that lacks a feature (vfio-user, say) that this SPDK build has.
func WithoutMethods(methods ...string) Option {
	return optionFunc(func(c *config) {
		if c.without == nil {
			c.without = map[string]bool{}
		}
		for _, m := range methods {
			c.without[m] = true
		}
	})
}

// withMethodDelay makes a method complete after d, as SPDK's asynchronous
// handlers do; tests use it to see responses arrive in completion order.
func withMethodDelay(method string, d time.Duration) Option {
	return optionFunc(func(c *config) {
		if c.delays == nil {
			c.delays = map[string]time.Duration{}
		}
		c.delays[method] = d
	})
}

// New returns a Sim with empty state.
func New(opts ...Option) *Sim {
	cfg := config{
		pollInterval: 4 * time.Millisecond,
		maxConns:     64,
		logger:       slog.New(slog.DiscardHandler),
	}
	for _, o := range opts {
		o.apply(&cfg)
	}
	ct, err := contract.Load()
	if err != nil {
		// The contract is embedded and tested; failing here is a broken build.
		panic(err)
	}
	s := &Sim{cfg: cfg, contract: ct, st: newState(), conns: map[net.Conn]struct{}{}, done: make(chan struct{})}
	s.registerMethods()
	s.unregister(cfg.without)
	return s
}

// unregister removes methods after registration (WithoutMethods).
func (s *Sim) unregister(methods map[string]bool) {
	if len(methods) == 0 {
		return
	}
	kept := s.order[:0]
	for _, n := range s.order {
		if methods[n] {
			delete(s.methods, n)
			continue
		}
		kept = append(kept, n)
	}
	s.order = kept
}
