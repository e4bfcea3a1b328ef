package ipsec

import (
	"context"
	"errors"
	"fmt"
	"slices"

	commonv1 "github.com/opi-suite/opi/opi-api/common/v1"
	securityv1 "github.com/opi-suite/opi/opi-api/security/v1"
)

// Reconcile is one pass of the reconcile loop (reconcile.Reconciler). It
// finishes operations a crash interrupted, then makes charon hold the
// intent: when charon restarted (its start time changed, or the event
// session lost it) every credential and connection is loaded again;
// otherwise only connections charon lacks are. Connections that should be
// up and have no IKE SA are initiated. Connections charon has that the
// store does not know are left alone.
func (m *Manager) Reconcile(ctx context.Context) error {
	if err := errors.Join(m.Keys.Recover(ctx), m.Certs.Recover(ctx), m.PSKs.Recover(ctx), m.Conns.Recover(ctx)); err != nil {
		return err
	}
	stats, err := m.backend.Stats(ctx)
	if err != nil {
		return err
	}
	m.mu.Lock()
	full := m.forceReload || stats.Since != m.lastSince
	m.forceReload = false
	m.mu.Unlock()
	loaded, err := m.backend.ListConns(ctx)
	if err != nil {
		return err
	}
	var errs []error
	if full {
		m.log.Info("loading every IPsec credential and connection into strongSwan", "charon_started", stats.Since)
		errs = append(errs, m.reloadCredentials(ctx))
	}
	err = m.Conns.Walk(ctx, func(c *securityv1.IkeConnection) error {
		id, _ := ConnPattern.ID(c.GetName())
		if !full && slices.Contains(loaded, id) {
			return nil
		}
		if err := m.load(ctx, c, nil); err != nil {
			errs = append(errs, fmt.Errorf("loading %s: %w", c.GetName(), err))
			return m.Conns.SetStatus(ctx, c.GetName(), commonv1.ResourceState_RESOURCE_STATE_ERROR, err.Error())
		}
		return m.Conns.SetStatus(ctx, c.GetName(), commonv1.ResourceState_RESOURCE_STATE_READY, "")
	})
	errs = append(errs, err, m.keepUp(ctx))
	if err := errors.Join(errs...); err != nil {
		m.mu.Lock()
		m.forceReload = m.forceReload || full // try the whole reload again
		m.mu.Unlock()
		return err
	}
	m.mu.Lock()
	m.lastSince = stats.Since
	m.mu.Unlock()
	return nil
}

// reloadCredentials loads every certificate and every private key charon
// does not hold. Pre-shared keys are loaded with their connections.
func (m *Manager) reloadCredentials(ctx context.Context) error {
	var errs []error
	err := m.Certs.Walk(ctx, func(c *securityv1.Certificate) error {
		if err := m.backend.LoadCert(ctx, []byte(c.GetPem()), c.GetIsCa()); err != nil {
			errs = append(errs, fmt.Errorf("loading %s: %w", c.GetName(), refused(c.GetName(), err)))
		}
		return nil
	})
	errs = append(errs, err)
	have, err := m.backend.Keys(ctx)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	err = m.Keys.Walk(ctx, func(k *securityv1.PrivateKey) error {
		if slices.Contains(have, k.GetKeyId()) {
			return nil
		}
		if _, err := m.backend.LoadKey(ctx, k.GetPem()); err != nil {
			errs = append(errs, fmt.Errorf("loading %s: %w", k.GetName(), refused(k.GetName(), err)))
		}
		return nil
	})
	return errors.Join(append(errs, err)...)
}

// keepUp initiates the connections that should be up and have no IKE SA.
// Children that start on their own (START_ACTION_START) are left to
// charon.
func (m *Manager) keepUp(ctx context.Context) error {
	var errs []error
	err := m.Conns.Walk(ctx, func(c *securityv1.IkeConnection) error {
		up, err := m.desired(ctx, c.GetName())
		if err != nil || !up {
			return err
		}
		id, _ := ConnPattern.ID(c.GetName())
		sas, err := m.backend.ListSAs(ctx, id)
		if err != nil {
			return err
		}
		if len(sas) > 0 {
			return nil
		}
		for _, ch := range c.GetChildren() {
			if ch.GetStartAction() == securityv1.StartAction_START_ACTION_START {
				continue
			}
			m.log.Info("initiating an IPsec connection that should be up", "connection", c.GetName(), "child", ch.GetName())
			if err := m.backend.Initiate(ctx, id, ch.GetName(), int(DefaultInitiateTimeout.Milliseconds())); err != nil {
				errs = append(errs, fmt.Errorf("initiating %s child %s: %w", c.GetName(), ch.GetName(), err))
			}
		}
		return nil
	})
	return errors.Join(append(errs, err)...)
}
