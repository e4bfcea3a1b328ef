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
// all (while charon is still trying, it has one in CONNECTING). A refused
// attempt is tried again after ReviveInterval, doubling up to
// FirstInitiateBackoff: a responder that reloads within seconds gets the
// tunnel back within seconds, and a peer that keeps refusing (a key
// changed on its side) is not asked every 2 s for 5 minutes.
const (
	ReviveInterval = 2 * time.Second
	ReviveWindow   = 5 * time.Minute
)

// revival is what Revive knows of a connection that went down.
type revival struct {
	since    time.Time // the down event
	attempts int       // refused initiations since
	next     time.Time // no attempt before
}

// reviveSettle is how long after the down event Revive leaves a
// connection alone, so that it does not race charon's own restart of it.
// A connection that charon holds no IKE SA of after that was given up.
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
	now := m.now()
	m.down[name] = &revival{since: now, next: now.Add(reviveSettle)}
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
	now := m.now()
	for name, r := range m.down {
		switch {
		case now.Sub(r.since) >= ReviveWindow:
			delete(m.down, name)
		case !now.Before(r.next) && m.busy[name] == 0:
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
		} else {
			m.refused(name)
		}
	}
	return errors.Join(errs...)
}

// initiating marks connection name as being brought up by an Initiate
// call until the returned function runs: Revive leaves it alone meanwhile
// rather than initiate it a second time (once it is up, Revive's next
// check ends its watch).
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

// refused pushes the next attempt of connection name back: ReviveInterval
// after the first refusal, doubling, at most FirstInitiateBackoff.
func (m *Manager) refused(name string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if r := m.down[name]; r != nil {
		r.attempts++
		r.next = m.now().Add(min(ReviveInterval<<min(r.attempts-1, 10), FirstInitiateBackoff))
	}
}

func (m *Manager) stopWatching(name string) {
	m.mu.Lock()
	delete(m.down, name)
	m.mu.Unlock()
}
