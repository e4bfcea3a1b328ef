package ipsec

import (
	"context"
	"errors"
	"net/netip"

	securityv1 "github.com/opi-suite/opi/opi-api/security/v1"
	"github.com/opi-suite/opi/opi-kit/aip"
	"github.com/opi-suite/opi/opi-kit/errdefs"
)

// MinPSKLength is the shortest pre-shared key accepted, in bytes.
const MinPSKLength = 16

// sharedKeyID is the id under which a connection's pre-shared key is
// loaded into charon.
func sharedKeyID(connID string) string { return "opi-" + connID }

// ValidateConnection checks what can be checked without charon or the
// store: required fields, names of the credentials, child names, and that
// each authentication method names what it needs.
func ValidateConnection(c *securityv1.IkeConnection) error {
	if len(c.GetChildren()) == 0 {
		return errdefs.InvalidArgumentf("children: a connection needs at least one child SA")
	}
	seen := map[string]bool{}
	for i, ch := range c.GetChildren() {
		if err := aip.ValidateID(ch.GetName()); err != nil {
			return errdefs.InvalidArgumentf("children[%d].name: %v", i, err)
		}
		if seen[ch.GetName()] {
			return errdefs.InvalidArgumentf("children[%d].name: %q appears twice", i, ch.GetName())
		}
		seen[ch.GetName()] = true
	}
	local, remote := c.GetLocalAuth(), c.GetRemoteAuth()
	if local == nil || remote == nil {
		return errdefs.InvalidArgumentf("local_auth and remote_auth are required")
	}
	for _, side := range []struct {
		field string
		auth  *securityv1.Authentication
		local bool
	}{{"local_auth", local, true}, {"remote_auth", remote, false}} {
		if err := validateAuth(side.field, side.auth, side.local); err != nil {
			return err
		}
	}
	lp, rp := local.GetPreSharedKey(), remote.GetPreSharedKey()
	if lp != "" && rp != "" && lp != rp {
		return errdefs.InvalidArgumentf("local_auth.pre_shared_key and remote_auth.pre_shared_key name different keys; a PSK connection uses one key")
	}
	if (local.GetMethod() == securityv1.AuthMethod_AUTH_METHOD_PSK || remote.GetMethod() == securityv1.AuthMethod_AUTH_METHOD_PSK) && lp == "" && rp == "" {
		return errdefs.InvalidArgumentf("local_auth.pre_shared_key: PSK authentication needs a pre-shared key")
	}
	return validatePoolNames(c.GetPools())
}

// validatePoolNames checks the names of a connection's address pools.
func validatePoolNames(pools []string) error {
	seen := map[string]bool{}
	for i, p := range pools {
		if err := PoolPattern.Validate(p); err != nil {
			return errdefs.InvalidArgumentf("pools[%d]: %v", i, err)
		}
		if seen[p] {
			return errdefs.InvalidArgumentf("pools[%d]: %q appears twice", i, p)
		}
		seen[p] = true
	}
	return nil
}

func validateAuth(field string, a *securityv1.Authentication, local bool) error {
	refs := []struct {
		name, value string
		pattern     *aip.Pattern
	}{
		{"pre_shared_key", a.GetPreSharedKey(), PSKPattern},
		{"certificate", a.GetCertificate(), CertPattern},
		{"private_key", a.GetPrivateKey(), KeyPattern},
		{"ca_certificate", a.GetCaCertificate(), CertPattern},
	}
	for _, r := range refs {
		if r.value == "" {
			continue
		}
		if err := r.pattern.Validate(r.value); err != nil {
			return errdefs.InvalidArgumentf("%s.%s: %v", field, r.name, err)
		}
	}
	switch a.GetMethod() {
	case securityv1.AuthMethod_AUTH_METHOD_PSK:
		if a.GetCertificate() != "" || a.GetPrivateKey() != "" || a.GetCaCertificate() != "" {
			return errdefs.InvalidArgumentf("%s: PSK authentication takes no certificate or private key", field)
		}
	case securityv1.AuthMethod_AUTH_METHOD_PUBKEY:
		if a.GetPreSharedKey() != "" {
			return errdefs.InvalidArgumentf("%s.pre_shared_key: PUBKEY authentication takes no pre-shared key", field)
		}
		if local && (a.GetCertificate() == "" || a.GetPrivateKey() == "") {
			return errdefs.InvalidArgumentf("%s: local PUBKEY authentication needs certificate and private_key", field)
		}
		if local && a.GetCaCertificate() != "" {
			return errdefs.InvalidArgumentf("%s.ca_certificate: only the remote side names a CA", field)
		}
		if !local && a.GetPrivateKey() != "" {
			return errdefs.InvalidArgumentf("%s.private_key: the remote side has no private key here", field)
		}
		if !local && a.GetCertificate() == "" && a.GetCaCertificate() == "" {
			return errdefs.InvalidArgumentf("%s: remote PUBKEY authentication needs ca_certificate or certificate", field)
		}
	default:
		return errdefs.InvalidArgumentf("%s.method: must be PSK or PUBKEY", field)
	}
	return nil
}

// toBackend builds what the daemon loads for c: the connection and, for PSK
// connections, its shared key (nil otherwise). It reads the credentials c
// names from the store.
func (m *Manager) toBackend(ctx context.Context, c *securityv1.IkeConnection) (Conn, *SharedKey, error) {
	if err := ValidateConnection(c); err != nil {
		return Conn{}, nil, err
	}
	id, err := ConnPattern.ID(c.GetName())
	if err != nil {
		return Conn{}, nil, err
	}
	vc := Conn{
		Name: id, Version: int(c.GetVersion()),
		LocalAddrs: c.GetLocalAddrs(), RemoteAddrs: c.GetRemoteAddrs(),
		LocalPort: int(c.GetLocalPort()), RemotePort: int(c.GetRemotePort()),
		Proposals: c.GetProposals(), Encap: c.GetForceUdpEncapsulation(),
		DPDSeconds:   dpdSeconds(c),
		RekeySeconds: int64(c.GetRekeyTime().AsDuration().Seconds()),
		VIPs:         c.GetVips(),
	}
	if vc.Pools, err = m.poolIDs(ctx, c.GetPools()); err != nil {
		return vc, nil, err
	}
	if vc.Local, err = m.auth(ctx, c.GetLocalAuth()); err != nil {
		return vc, nil, err
	}
	if vc.Remote, err = m.auth(ctx, c.GetRemoteAuth()); err != nil {
		return vc, nil, err
	}
	initiator := canInitiate(c)
	for _, ch := range c.GetChildren() {
		action := dpdAction(ch, initiator)
		// A restart that gives up after one attempt (charon's keyingtries
		// default) loses the tunnel when the peer is still down at that
		// moment; restarting means trying until the peer answers.
		vc.KeepTrying = vc.KeepTrying || action == "restart"
		vc.Children = append(vc.Children, Child{
			Name: ch.GetName(), LocalTS: ch.GetLocalTs(), RemoteTS: ch.GetRemoteTs(),
			ESPProposals: ch.GetEspProposals(),
			Mode:         map[securityv1.IpsecMode]string{securityv1.IpsecMode_IPSEC_MODE_TRANSPORT: "transport", securityv1.IpsecMode_IPSEC_MODE_TUNNEL: "tunnel"}[ch.GetMode()],
			StartAction:  map[securityv1.StartAction]string{securityv1.StartAction_START_ACTION_TRAP: "trap", securityv1.StartAction_START_ACTION_START: "start"}[ch.GetStartAction()],
			DPDAction:    action,
			RekeySeconds: int64(ch.GetRekeyTime().AsDuration().Seconds()),
		})
	}
	pskName := c.GetLocalAuth().GetPreSharedKey()
	if pskName == "" {
		pskName = c.GetRemoteAuth().GetPreSharedKey()
	}
	if pskName == "" {
		return vc, nil, nil
	}
	psk, err := m.PSKs.Get(ctx, pskName)
	if err != nil {
		return vc, nil, err
	}
	key := &SharedKey{ID: sharedKeyID(id), Data: psk.GetSecret()}
	for _, owner := range []string{identity(c.GetLocalAuth(), c.GetLocalAddrs()), identity(c.GetRemoteAuth(), c.GetRemoteAddrs())} {
		if owner != "" {
			key.Owners = append(key.Owners, owner)
		}
	}
	return vc, key, nil
}

// identity is the IKE identity a side presents: its id, or else its single
// IP address; "" when neither is known (the key then serves any identity).
func identity(a *securityv1.Authentication, addrs []string) string {
	if a.GetId() != "" {
		return a.GetId()
	}
	if len(addrs) == 1 {
		if _, err := netip.ParseAddr(addrs[0]); err == nil {
			return addrs[0]
		}
	}
	return ""
}

func (m *Manager) auth(ctx context.Context, a *securityv1.Authentication) (Auth, error) {
	out := Auth{ID: a.GetId(), Method: "psk"}
	if a.GetMethod() == securityv1.AuthMethod_AUTH_METHOD_PUBKEY {
		out.Method = "pubkey"
	}
	if name := a.GetCertificate(); name != "" {
		cert, err := m.Certs.Get(ctx, name)
		if err != nil {
			return out, err
		}
		out.Certs = [][]byte{[]byte(cert.GetPem())}
	}
	if name := a.GetCaCertificate(); name != "" {
		cert, err := m.Certs.Get(ctx, name)
		if err != nil {
			return out, err
		}
		if !cert.GetIsCa() {
			return out, errdefs.InvalidArgumentf("%s is not a CA certificate", name)
		}
		out.CACerts = [][]byte{[]byte(cert.GetPem())}
	}
	if name := a.GetPrivateKey(); name != "" {
		if _, err := m.Keys.Get(ctx, name); err != nil {
			return out, err
		}
	}
	return out, nil
}

// load makes charon hold connection c (and its shared key). When charon
// refuses, it unloads what this call loaded and returns InvalidArgument
// with charon's text. prev, when not nil, is what charon held before (an
// update): it is put back on failure.
func (m *Manager) load(ctx context.Context, c, prev *securityv1.IkeConnection) error {
	vc, key, err := m.toBackend(ctx, c)
	if err != nil {
		return err
	}
	if err := m.backend.LoadConn(ctx, vc); err != nil {
		// Charon discards a connection it refuses: it still holds prev.
		return loading("connection "+vc.Name, err)
	}
	if key != nil {
		err = m.backend.LoadShared(ctx, *key)
	} else {
		err = m.backend.UnloadShared(ctx, sharedKeyID(vc.Name))
	}
	if err == nil {
		return nil
	}
	err = loading("the pre-shared key of connection "+vc.Name, err)
	undo := context.WithoutCancel(ctx)
	if prev != nil {
		return errors.Join(err, m.load(undo, prev, nil))
	}
	return errors.Join(err, m.backend.UnloadConn(undo, vc.Name))
}
