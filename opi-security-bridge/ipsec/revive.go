package ipsec

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/opi-suite/opi/opi-kit/errdefs"
)

// How the bridge brings back, soon, a connection whose IKE SA went down
// while it should be up. charon restarts such a connection itself (DPD
// action restart, retrying until the peer answers), but gives up for good
// when the peer answers with an error: a responder whose charon restarted
// and that hears the attempt before its bridge loaded the connection again
// answers NO_PROPOSAL_CHOSEN. The replay pass would initiate it again only
// on its next run (30 s), and after a failed try not before the backoff
// (30 s more). So for ReviveWindow after the down event the connection is
// checked every ReviveInterval and initiated whenever it has no IKE SA at
// all (while charon is still trying, it has one in CONNECTING).
const (
	ReviveInterval = 2 * time.Second
	ReviveWindow   = 5 * time.Minute
)

// reviveSettle is how long after the down event Revive leaves a
// connection alone, so that it does not race charon's own restart of it.
const reviveSettle = time.Second

// reviveTimeout bounds one initiation by Revive: a peer that refuses
// answers at once; one that does not answer is charon's to retry.
const reviveTimeout = 10 * time.Second

// wentDown records that an IKE SA of the daemon's connection charonName
// went down, so that Revive watches it.
func (m *Manager) wentDown(charonName string) {
	name, err := ConnPattern.Format(charonName)
	if err != nil {
		return
	}
	m.mu.Lock()
	m.down[name] = m.now()
	m.mu.Unlock()
}

// RunRevive runs Revive every ReviveInterval until ctx ends.
func (m *Manager) RunRevive(ctx context.Context) {
	tick := time.NewTicker(ReviveInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if err := m.Revive(ctx); err != nil && ctx.Err() == nil {
				m.log.Debug("reviving IPsec connections that went down", "error", err)
			}
		}
	}
}

// Revive initiates the connections whose IKE SA went down in the last
// ReviveWindow, that should be up, and that have no IKE SA now, whatever
// their initiation backoff (which the replay pass keeps to). A connection
// leaves the watch once it has an established IKE SA, is no longer
// desired up or deleted, or its window ended. It costs nothing while no
// connection went down.
func (m *Manager) Revive(ctx context.Context) error {
	m.mu.Lock()
	var names []string
	for name, at := range m.down {
		switch since := m.now().Sub(at); {
		case since >= ReviveWindow:
			delete(m.down, name)
		case since >= reviveSettle && m.busy[name] == 0:
			names = append(names, name)
		}
	}
	m.mu.Unlock()
	if len(names) == 0 {
		return nil
	}
	sas, err := m.backend.ListSAs(ctx, "")
	if err != nil {
		return err
	}
	established, present := map[string]bool{}, map[string]bool{}
	for _, sa := range sas {
		present[sa.Conn] = true
		established[sa.Conn] = established[sa.Conn] || sa.State == "ESTABLISHED"
	}
	var errs []error
	for _, name := range names {
		id, _ := ConnPattern.ID(name)
		c, err := m.Conns.Get(ctx, name)
		if errors.Is(err, errdefs.ErrNotFound) {
			m.stopWatching(name)
			continue
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		up, err := m.desired(ctx, name)
		switch {
		case err != nil:
			errs = append(errs, err)
			continue
		case !up || established[id]:
			m.stopWatching(name)
			continue
		case present[id]:
			continue // charon is still trying
		}
		m.log.Info("initiating an IPsec connection that went down and that charon gave up on", "connection", name)
		var failed error
		for _, ch := range c.GetChildren() {
			if err := m.backend.Initiate(ctx, id, ch.GetName(), reviveTimeout); err != nil {
				if errdefs.Unreachable(err) {
					return err
				}
				failed = fmt.Errorf("child %s: %w", ch.GetName(), err)
				break
			}
		}
		m.initiated(name, failed)
		if failed == nil {
			m.stopWatching(name)
		}
	}
	return errors.Join(errs...)
}

// initiating marks connection name as being brought up by an Initiate
// call until the returned function runs: Revive leaves it alone meanwhile
// rather than initiate it a second time, and a success ends its watch.
func (m *Manager) initiating(name string) (done func()) {
	m.mu.Lock()
	m.busy[name]++
	m.mu.Unlock()
	return func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		if m.busy[name]--; m.busy[name] == 0 {
			delete(m.busy, name)
		}
	}
}

func (m *Manager) stopWatching(name string) {
	m.mu.Lock()
	delete(m.down, name)
	m.mu.Unlock()
}
