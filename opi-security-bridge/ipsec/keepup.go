package ipsec

import (
	"context"
	"fmt"
	"time"

	commonv1 "github.com/opi-suite/opi/opi-api/common/v1"
	securityv1 "github.com/opi-suite/opi/opi-api/security/v1"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// How long a connection that should be up waits after a failed initiation
// before the replay pass tries it again: doubling from the first to the
// last. Without it every pass (every 30 s, and sooner on retries) initiated
// every failing connection again: 500 of them cost charon 500 initiations a
// minute toward peers that were not answering.
const (
	FirstInitiateBackoff = 30 * time.Second
	MaxInitiateBackoff   = 15 * time.Minute
)

// initFailure is what the bridge remembers of a connection's failed
// initiations, in memory: a restarted bridge tries at once.
type initFailure struct {
	attempts int
	last     string    // the backend's error
	at, next time.Time // when the last attempt failed; no retry before next
}

// initiated records the outcome of initiating connection name: a success
// forgets earlier failures, a failure pushes the next try back.
func (m *Manager) initiated(name string, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err == nil {
		delete(m.failed, name)
		return
	}
	f := m.failed[name]
	if f == nil {
		f = &initFailure{}
		m.failed[name] = f
	}
	if m.counts == nil {
		m.counts = map[string]*SAEventCounts{}
	}
	if m.counts[name] == nil {
		m.counts[name] = &SAEventCounts{}
	}
	m.counts[name].InitiateFailures++
	f.attempts++
	wait := FirstInitiateBackoff << min(f.attempts-1, 10)
	f.last, f.at, f.next = err.Error(), m.now(), m.now().Add(min(wait, MaxInitiateBackoff))
}

// forget drops the failures of a connection no longer desired up.
func (m *Manager) forget(name string) { m.initiated(name, nil) }

// due says whether a pass may initiate connection name now.
func (m *Manager) due(name string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	f := m.failed[name]
	return f == nil || !m.now().Before(f.next)
}

// withInitStatus reports a failing initiation in c's status: the stored
// status says whether charon holds the connection (READY), which is true
// but hides that the tunnel does not come up.
func (m *Manager) withInitStatus(c *securityv1.IkeConnection) {
	if !c.GetDesiredUp() {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	f := m.failed[c.GetName()]
	if f == nil {
		return
	}
	c.Status = &commonv1.ResourceStatus{
		State: commonv1.ResourceState_RESOURCE_STATE_ERROR,
		Message: fmt.Sprintf("initiating failed %d times; next try after %s; last error: %s",
			f.attempts, f.next.UTC().Format(time.RFC3339), f.last),
		UpdateTime: timestamppb.New(f.at),
	}
}

// keepUp initiates the connections that should be up and have no IKE SA,
// each no sooner than its backoff allows. A failed initiation is not a
// refusal of the pass: charon holds the connection, so the pass neither
// retries with its own backoff nor reloads everything; the failure is
// shown in the connection's status and tried again when its backoff ends.
func (m *Manager) keepUp(ctx context.Context) (int, error) {
	return 0, m.Conns.Walk(ctx, func(c *securityv1.IkeConnection) error {
		up, err := m.desired(ctx, c.GetName())
		if err != nil || !up || !m.due(c.GetName()) {
			return err
		}
		id, _ := ConnPattern.ID(c.GetName())
		sas, err := m.backend.ListSAs(ctx, id)
		if err != nil || len(sas) > 0 {
			if err == nil {
				m.forget(c.GetName()) // up, by us or by the peer
			}
			return err
		}
		var failed error
		for _, ch := range c.GetChildren() {
			if ch.GetStartAction() == securityv1.StartAction_START_ACTION_START {
				continue
			}
			m.log.Info("initiating an IPsec connection that should be up", "connection", c.GetName(), "child", ch.GetName())
			if err := m.backend.Initiate(ctx, id, ch.GetName(), DefaultInitiateTimeout); err != nil {
				if errdefs.Unreachable(err) {
					return err
				}
				failed = fmt.Errorf("child %s: %w", ch.GetName(), err)
				break // the others would fail alike; the backoff covers them
			}
		}
		m.initiated(c.GetName(), failed)
		if failed != nil {
			m.log.Warn("the IPsec connection did not come up; trying again after a backoff", "connection", c.GetName(), "error", failed.Error())
		}
		return nil
	})
}
