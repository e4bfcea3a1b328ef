package ipsec

import (
	"context"
	"errors"
	"fmt"
	"time"

	securityv1 "github.com/opi-suite/opi/opi-api/security/v1"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-kit/store"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// DefaultInitiateTimeout bounds Initiate when the caller gives no timeout.
const DefaultInitiateTimeout = 30 * time.Second

// terminateTimeout bounds how long Terminate waits for the peer to confirm
// the SAs' deletion before it gives up waiting (they are closed anyway).
const terminateTimeout = 10 * time.Second

// CreateConnection validates c and creates it (stored and loaded).
func (m *Manager) CreateConnection(ctx context.Context, id string, c *securityv1.IkeConnection) (*securityv1.IkeConnection, error) {
	if err := ValidateConnection(c); err != nil {
		return nil, err
	}
	if err := validateValues(c); err != nil {
		return nil, err
	}
	out, err := m.Conns.Create(ctx, "", id, c)
	return m.withDesired(ctx, out, err)
}

// CreateCertificate checks that c holds one PEM X.509 certificate, then
// stores it and loads it into the daemon.
func (m *Manager) CreateCertificate(ctx context.Context, id string, c *securityv1.Certificate) (*securityv1.Certificate, error) {
	if _, err := ParseCertificate(c.GetPem()); err != nil {
		return nil, err
	}
	return m.Certs.Create(ctx, "", id, c)
}

// loadMask replaces every updatable field of a connection.
var loadMask = &fieldmaskpb.FieldMask{Paths: []string{"*"}}

// LoadConnection creates connection id from c, or replaces the stored one
// with c if it exists, as charon's load-conn does: validated as a create,
// then stored and loaded under the connection's lock. A replaced
// connection keeps its desired up/down state and its SAs.
func (m *Manager) LoadConnection(ctx context.Context, id string, c *securityv1.IkeConnection) (*securityv1.IkeConnection, error) {
	name, err := ConnPattern.Format(id)
	if err != nil {
		return nil, err
	}
	if err := ValidateConnection(c); err != nil {
		return nil, err
	}
	if err := validateValues(c); err != nil {
		return nil, err
	}
	c = proto.CloneOf(c)
	c.Name = name
	return m.UpdateConnection(ctx, c, loadMask, true)
}

// UpdateConnection applies c per mask and reloads the connection.
func (m *Manager) UpdateConnection(ctx context.Context, c *securityv1.IkeConnection, mask *fieldmaskpb.FieldMask, allowMissing bool) (*securityv1.IkeConnection, error) {
	out, err := m.Conns.Update(ctx, c, mask, allowMissing)
	return m.withDesired(ctx, out, err)
}

// GetConnection returns a stored connection with its desired state.
func (m *Manager) GetConnection(ctx context.Context, name string) (*securityv1.IkeConnection, error) {
	out, err := m.Conns.Get(ctx, name)
	return m.withDesired(ctx, out, err)
}

// ListConnections returns a page of connections with their desired state.
func (m *Manager) ListConnections(ctx context.Context, pageSize int32, pageToken string) ([]*securityv1.IkeConnection, string, error) {
	out, next, err := m.Conns.List(ctx, "", pageSize, pageToken)
	for _, c := range out {
		if err == nil {
			c.DesiredUp, err = m.desired(ctx, c.GetName())
			m.withInitStatus(c)
		}
	}
	return out, next, err
}

// DeleteConnection closes, unloads and forgets a connection.
func (m *Manager) DeleteConnection(ctx context.Context, name string, allowMissing bool) error {
	if err := m.Conns.Delete(ctx, name, allowMissing); err != nil {
		return err
	}
	m.forget(name)
	m.dropCounts(name)
	return m.st.Update(context.WithoutCancel(ctx), func(tx store.Tx) error { return tx.Delete(kindDesired, name) })
}

func (m *Manager) withDesired(ctx context.Context, c *securityv1.IkeConnection, err error) (*securityv1.IkeConnection, error) {
	if err != nil {
		return nil, err
	}
	c.DesiredUp, err = m.desired(ctx, c.GetName())
	m.withInitStatus(c)
	return c, err
}

func (m *Manager) desired(ctx context.Context, name string) (bool, error) {
	_, err := store.Get(ctx, m.st, kindDesired, name)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

func (m *Manager) setDesired(ctx context.Context, name string, up bool) error {
	return m.st.Update(ctx, func(tx store.Tx) error {
		if up {
			return tx.Put(kindDesired, name, []byte{1})
		}
		return tx.Delete(kindDesired, name)
	})
}

// connection returns the stored connection and its charon name, checking
// that child (when given) is one of its children.
func (m *Manager) connection(ctx context.Context, name, child string) (*securityv1.IkeConnection, string, error) {
	c, err := m.Conns.Get(ctx, name)
	if err != nil {
		return nil, "", err
	}
	id, _ := ConnPattern.ID(name)
	if child == "" {
		return c, id, nil
	}
	for _, ch := range c.GetChildren() {
		if ch.GetName() == child {
			return c, id, nil
		}
	}
	return nil, "", errdefs.InvalidArgumentf("child: %s has no child SA %q", name, child)
}

// Initiate brings a connection (or one child) up and records that it
// should stay up.
func (m *Manager) Initiate(ctx context.Context, name, child string, timeout time.Duration) ([]*securityv1.IkeSa, error) {
	if timeout < 0 {
		return nil, errdefs.InvalidArgumentf("timeout: must not be negative")
	}
	c, id, err := m.connection(ctx, name, child)
	if err != nil {
		return nil, err
	}
	children := []string{child}
	if child == "" {
		// Initiating only the IKE SA would bring up no child (charon
		// 5.9.6+ initiates it childless); the first child brings the IKE
		// SA up, the others join it.
		children = children[:0]
		for _, ch := range c.GetChildren() {
			children = append(children, ch.GetName())
		}
	}
	if timeout <= 0 {
		timeout = DefaultInitiateTimeout
	}
	if err := m.setDesired(ctx, name, true); err != nil {
		return nil, err
	}
	done := m.initiating(name)
	defer done()
	ctx, cancel := context.WithTimeout(ctx, timeout+5*time.Second)
	defer cancel()
	for _, child := range children {
		if err := m.backend.Initiate(ctx, id, child, timeout); err != nil {
			// The backend classified it: a refusal is FailedPrecondition.
			// The connection stays desired up; the replay pass tries
			// again after a backoff, and its status shows this error.
			err = fmt.Errorf("initiating %s child %s: %w", name, child, err)
			if !errdefs.Unreachable(err) {
				m.initiated(name, err)
			}
			return nil, err
		}
	}
	m.initiated(name, nil)
	return m.ListIkeSas(ctx, name)
}

// Terminate closes a connection's SAs (or one child's). Terminating the
// whole connection also records that it should stay down.
func (m *Manager) Terminate(ctx context.Context, name, child string, force bool) (int, error) {
	_, id, err := m.connection(ctx, name, child)
	if err != nil {
		return 0, err
	}
	if child == "" {
		if err := m.setDesired(ctx, name, false); err != nil {
			return 0, err
		}
		m.forget(name)
	}
	return m.backend.Terminate(ctx, id, child, force, terminateTimeout)
}

// Rekey starts rekeying a connection's IKE SA (or one child's SAs).
func (m *Manager) Rekey(ctx context.Context, name, child string, reauth bool) (int, error) {
	_, id, err := m.connection(ctx, name, child)
	if err != nil {
		return 0, err
	}
	n, err := m.backend.Rekey(ctx, id, child, reauth)
	if err != nil {
		return 0, fmt.Errorf("rekeying %s: %w", name, err)
	}
	return n, nil
}

// ListIkeSas lists live IKE SAs: those of connection name, or all when
// name is empty.
func (m *Manager) ListIkeSas(ctx context.Context, name string) ([]*securityv1.IkeSa, error) {
	ike := ""
	if name != "" {
		var err error
		if ike, err = ConnPattern.ID(name); err != nil {
			return nil, err
		}
	}
	sas, err := m.backend.ListSAs(ctx, ike)
	if err != nil {
		return nil, err
	}
	out := make([]*securityv1.IkeSa, 0, len(sas))
	for _, sa := range sas {
		out = append(out, m.ikeSA(ctx, sa))
	}
	return out, nil
}

// connName is the API name of a charon connection: its resource name when
// the bridge owns it, charon's name otherwise.
func (m *Manager) connName(ctx context.Context, charonName string) string {
	name, err := ConnPattern.Format(charonName)
	if err != nil {
		return charonName
	}
	if _, err := m.Conns.Get(ctx, name); err != nil {
		return charonName
	}
	return name
}

func (m *Manager) ikeSA(ctx context.Context, sa IkeSA) *securityv1.IkeSa {
	conn := m.connName(ctx, sa.Conn)
	out := &securityv1.IkeSa{
		IkeConnection: conn, UniqueId: sa.UniqueID,
		State:     securityv1.IkeSaState(securityv1.IkeSaState_value["IKE_SA_STATE_"+sa.State]),
		Version:   securityv1.IkeVersion(sa.Version),
		LocalHost: sa.LocalHost, RemoteHost: sa.RemoteHost, LocalId: sa.LocalID, RemoteId: sa.RemoteID,
		Initiator: sa.Initiator, Proposal: sa.Proposal, Established: durationpb.New(sa.Established),
		LocalVips: sa.LocalVIPs, RemoteVips: sa.RemoteVIPs,
	}
	for _, ch := range sa.Children {
		out.ChildSas = append(out.ChildSas, &securityv1.ChildSa{
			IkeConnection: conn, Name: ch.Name, UniqueId: ch.UniqueID, IkeSaUniqueId: sa.UniqueID,
			State:    securityv1.ChildSaState(securityv1.ChildSaState_value["CHILD_SA_STATE_"+ch.State]),
			Mode:     securityv1.IpsecMode(securityv1.IpsecMode_value["IPSEC_MODE_"+ch.Mode]),
			Proposal: ch.Proposal, SpiIn: ch.SPIIn, SpiOut: ch.SPIOut,
			BytesIn: ch.BytesIn, PacketsIn: ch.PacketsIn, BytesOut: ch.BytesOut, PacketsOut: ch.PacketsOut,
			LocalTs: ch.LocalTS, RemoteTs: ch.RemoteTS, Installed: durationpb.New(ch.Installed),
		})
	}
	return out
}

// Version returns charon's version.
func (m *Manager) Version(ctx context.Context) (*securityv1.IpsecVersion, error) {
	v, err := m.backend.Version(ctx)
	if err != nil {
		return nil, err
	}
	return &securityv1.IpsecVersion{Daemon: v.Daemon, Version: v.Version, Sysname: v.Sysname, Release: v.Release, Machine: v.Machine}, nil
}

// Stats returns charon's counters.
func (m *Manager) Stats(ctx context.Context) (*securityv1.IpsecStats, error) {
	s, err := m.backend.Stats(ctx)
	if err != nil {
		return nil, err
	}
	out := &securityv1.IpsecStats{
		Uptime: durationpb.New(s.Running), WorkersTotal: s.WorkersTotal, WorkersIdle: s.WorkersIdle,
		ScheduledJobs: s.Scheduled, IkeSasTotal: s.IkeSAsTotal, IkeSasHalfOpen: s.IkeSAsHalf, Plugins: s.Plugins,
	}
	// charon writes its start time as "Nov 27 16:40:40 2026", local time.
	if t, err := time.ParseInLocation("Jan _2 15:04:05 2006", s.Since, time.Local); err == nil {
		out.StartTime = timestamppb.New(t)
	}
	return out, nil
}
