package ipsec

import (
	"context"
	"slices"

	securityv1 "github.com/opi-suite/opi/opi-api/security/v1"
	"github.com/opi-suite/opi/opi-kit/resource"
)

// backendName names the daemon in the statuses replay records.
const backendName = "strongSwan"

// Pass is what one replay pass knows of the daemon, as replayers for
// resource.ReplayStep and a last step, so that the bridge writes the order
// of the pass in one place (bridge.ipsecReplay).
type Pass struct {
	// Certs loads certificates, all of them when the daemon restarted
	// since the last complete pass, none otherwise (VICI cannot list
	// them, and a daemon that kept running kept them).
	Certs resource.Replayer[*securityv1.Certificate]
	// Keys loads the private keys the daemon lacks.
	Keys resource.Replayer[*securityv1.PrivateKey]
	// Pools loads address pools: every one after a restart, otherwise
	// those the daemon lacks. They come before the connections that name
	// them.
	Pools resource.Replayer[*securityv1.AddressPool]
	// Conns loads connections with their pre-shared keys: every one after
	// a restart, otherwise those the daemon lacks (someone unloaded them,
	// for example `swanctl --load-conns`).
	Conns resource.Replayer[*securityv1.IkeConnection]
	// KeepUp initiates the connections that should be up and have no IKE
	// SA; a failed initiation counts as refused. Children that start on
	// their own (START_ACTION_START) are left to the daemon.
	KeepUp resource.Step
}

// Replay returns a replay pass: it asks the daemon whether it restarted
// (its start time changed, or the event session lost it) and what it
// holds, runs the step build makes of that Pass, and remembers a complete
// pass, so that the next one loads only what the daemon lacks. A pass
// with refusals or an error is repeated in full next time. Connections
// the daemon has that the store does not know are never touched.
func (m *Manager) Replay(build func(Pass) resource.Step) resource.Step {
	return func(ctx context.Context) (int, error) {
		stats, err := m.backend.Stats(ctx)
		if err != nil {
			return 0, err
		}
		m.mu.Lock()
		full := m.forceReload || stats.Since != m.lastSince
		m.forceReload = false
		m.mu.Unlock()
		loaded, err := m.backend.ListConns(ctx)
		if err != nil {
			m.retryFull(full)
			return 0, err
		}
		pools, err := m.backend.Pools(ctx)
		if err != nil {
			m.retryFull(full)
			return 0, err
		}
		var keys []string
		if full {
			m.log.Info("loading every IPsec credential and connection into strongSwan", "charon_started", stats.Since)
			if keys, err = m.backend.Keys(ctx); err != nil {
				m.retryFull(full)
				return 0, err
			}
		}
		refused, err := build(m.pass(full, loaded, keys, pools))(ctx)
		if err != nil || refused > 0 {
			m.retryFull(full)
			return refused, err
		}
		m.mu.Lock()
		m.lastSince = stats.Since
		m.mu.Unlock()
		return 0, nil
	}
}

// retryFull makes the next pass a full one again when this one was.
func (m *Manager) retryFull(full bool) {
	m.mu.Lock()
	m.forceReload = m.forceReload || full
	m.mu.Unlock()
}

func (m *Manager) pass(full bool, loaded, keys, pools []string) Pass {
	return Pass{
		Certs: resource.Replayer[*securityv1.Certificate]{
			Backend: backendName,
			Present: func(*securityv1.Certificate) bool { return !full },
			Apply: func(ctx context.Context, c *securityv1.Certificate) error {
				return loading(c.GetName(), m.backend.LoadCert(ctx, []byte(c.GetPem()), c.GetIsCa()))
			},
		},
		Keys: resource.Replayer[*securityv1.PrivateKey]{
			Backend: backendName,
			Present: func(k *securityv1.PrivateKey) bool { return !full || slices.Contains(keys, k.GetKeyId()) },
			Apply: func(ctx context.Context, k *securityv1.PrivateKey) error {
				_, err := m.backend.LoadKey(ctx, k.GetPem())
				return loading(k.GetName(), err)
			},
		},
		Pools: resource.Replayer[*securityv1.AddressPool]{
			Backend: backendName,
			Present: func(p *securityv1.AddressPool) bool {
				id, _ := PoolPattern.ID(p.GetName())
				return !full && slices.Contains(pools, id)
			},
			Apply: m.loadPool,
		},
		Conns: resource.Replayer[*securityv1.IkeConnection]{
			Backend: backendName,
			Present: func(c *securityv1.IkeConnection) bool {
				id, _ := ConnPattern.ID(c.GetName())
				return !full && slices.Contains(loaded, id)
			},
			Apply: func(ctx context.Context, c *securityv1.IkeConnection) error { return m.load(ctx, c, nil) },
		},
		KeepUp: m.keepUp,
	}
}
