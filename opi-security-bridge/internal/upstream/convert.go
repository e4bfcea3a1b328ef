package upstream

import (
	"fmt"
	"strings"
	"time"

	securityv1 "github.com/opi-suite/opi/opi-api/security/v1"
	"github.com/opi-suite/opi/opi-kit/aip"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	upstreampb "github.com/opi-suite/opi/opi-upstream/security/v1"
	"google.golang.org/protobuf/types/known/durationpb"
)

// PSKName is the native pre-shared key an upstream connection with PSK
// authentication uses: `preSharedKeys/{connection name}`. Upstream's PSK
// authentication carries no secret (charon looks the shared key up by the
// two identities), so the key is created through the native API
// beforehand, under the connection's name; the domain then loads it into
// charon for exactly that connection's identities.
func PSKName(conn string) string { return "preSharedKeys/" + conn }

// toNative maps upstream's connection onto the native one. A field the
// native domain has no counterpart for is INVALID_ARGUMENT naming it.
func toNative(c *upstreampb.Connection) (*securityv1.IkeConnection, error) {
	if c == nil {
		return nil, errdefs.InvalidArgumentf("connection: required")
	}
	if c.GetName() == "" {
		return nil, errdefs.InvalidArgumentf("connection.name: required")
	}
	if err := unmappedConn(c); err != nil {
		return nil, err
	}
	out := &securityv1.IkeConnection{
		LocalAddrs: addrs(c.GetLocalAddrs()), RemoteAddrs: addrs(c.GetRemoteAddrs()),
		LocalPort: c.GetLocalPort(), RemotePort: c.GetRemotePort(),
	}
	var err error
	if out.Version, err = version(c.GetVersion()); err != nil {
		return nil, err
	}
	out.Vips = c.GetVips().GetVip()
	if out.Pools, err = pools(c.GetPools().GetPool()); err != nil {
		return nil, err
	}
	if out.ForceUdpEncapsulation, err = yesNo("connection.encap", c.GetEncap()); err != nil {
		return nil, err
	}
	if p := c.GetProposals(); p != nil {
		out.Proposals = []string{proposal(p)}
	}
	if c.GetDpdDelay() != 0 {
		out.DpdDelay = durationpb.New(time.Duration(c.GetDpdDelay()) * time.Second)
	}
	if c.GetRekeyTime() != 0 {
		out.RekeyTime = durationpb.New(time.Duration(c.GetRekeyTime()) * time.Second)
	}
	if out.LocalAuth, err = localAuth(c.GetName(), c.GetLocalAuth()); err != nil {
		return nil, err
	}
	if out.RemoteAuth, err = remoteAuth(c.GetName(), c.GetRemoteAuth()); err != nil {
		return nil, err
	}
	for i, ch := range c.GetChildren() {
		child, err := toNativeChild(i, ch)
		if err != nil {
			return nil, err
		}
		out.Children = append(out.Children, child)
	}
	return out, nil
}

// unmappedConn refuses the connection fields the native domain has no
// counterpart for.
func unmappedConn(c *upstreampb.Connection) error {
	for _, f := range []struct {
		field string
		set   bool
	}{
		{"connection.dscp", c.GetDscp() != 0},
		{"connection.mobike", c.GetMobike() != ""},
		{"connection.dpd_timeout", c.GetDpdTimeout() != 0},
		{"connection.reauth_time", c.GetReauthTime() != 0},
	} {
		if f.set {
			return errdefs.InvalidArgumentf("%s: not supported (the native IKE connection has no counterpart)", f.field)
		}
	}
	return nil
}

// PoolName is the native address pool an upstream connection's pool name
// stands for: `addressPools/{pool}`. Upstream has no pool API (its pools
// are loaded into charon by other means), so the pool is created through
// the native API beforehand; a connection naming one that does not exist
// is NOT_FOUND naming it.
func PoolName(pool string) string { return "addressPools/" + pool }

// pools maps upstream's pool names onto native pool names.
func pools(in []string) ([]string, error) {
	var out []string
	for i, p := range in {
		if err := aip.ValidateID(p); err != nil {
			return nil, errdefs.InvalidArgumentf("connection.pools.pool[%d]: %q: %v", i, p, err)
		}
		out = append(out, PoolName(p))
	}
	return out, nil
}

func addrs(in []*upstreampb.Addrs) []string {
	var out []string
	for _, a := range in {
		out = append(out, a.GetAddr())
	}
	return out
}

// version maps vici's "1" and "2" (empty is IKEv2, as upstream's bridge
// loads it); "0" (either version) has no native counterpart.
func version(v string) (securityv1.IkeVersion, error) {
	switch v {
	case "", "2":
		return securityv1.IkeVersion_IKE_VERSION_IKEV2, nil
	case "1":
		return securityv1.IkeVersion_IKE_VERSION_IKEV1, nil
	}
	return 0, errdefs.InvalidArgumentf("connection.version: %q is not supported: \"1\" or \"2\"", v)
}

// yesNo reads a vici boolean.
func yesNo(field, v string) (bool, error) {
	switch strings.ToLower(v) {
	case "", "no", "false":
		return false, nil
	case "yes", "true":
		return true, nil
	}
	return false, errdefs.InvalidArgumentf("%s: %q is not \"yes\" or \"no\"", field, v)
}

// proposal is one strongSwan proposal, built as upstream's bridge builds
// it: the algorithms of each kind, lowercase without their enum prefix,
// joined by "-" (CRYPTO_ALGORITHM_AES256GCM128, INTEG_ALGORITHM_SHA512,
// DH_GROUPS_CURVE25519 is "aes256gcm128-sha512-curve25519").
func proposal(p *upstreampb.Proposals) string {
	var parts []string
	for _, a := range p.GetCryptoAlg() {
		parts = append(parts, algorithm(a.String(), "CRYPTO_ALGORITHM_"))
	}
	for _, a := range p.GetIntegAlg() {
		parts = append(parts, algorithm(a.String(), "INTEG_ALGORITHM_"))
	}
	for _, a := range p.GetPrf() {
		parts = append(parts, algorithm(a.String(), "PR_FUNCTION_"))
	}
	for _, a := range p.GetDhgroups() {
		parts = append(parts, algorithm(a.String(), "DH_GROUPS_"))
	}
	return strings.Join(parts, "-")
}

func algorithm(name, prefix string) string {
	return strings.ToLower(strings.TrimPrefix(name, prefix))
}

// method maps upstream's authentication type; only PSK is served.
func method(field string, t upstreampb.AuthType) error {
	if t != upstreampb.AuthType_AUTH_TYPE_PSK {
		return errdefs.InvalidArgumentf("%s.auth: %v is not supported: only AUTH_TYPE_PSK (certificates are the native API's)", field, t)
	}
	return nil
}

func localAuth(conn string, a *upstreampb.LocalAuth) (*securityv1.Authentication, error) {
	const field = "connection.local_auth"
	if a == nil {
		return nil, errdefs.InvalidArgumentf("%s: required", field)
	}
	if err := method(field, a.GetAuth()); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		name string
		set  bool
	}{
		{"eap_id", a.GetEapId() != ""}, {"aaa_id", a.GetAaaId() != ""}, {"xauth_id", a.GetXauthId() != ""},
		{"certs", len(a.GetCerts().GetCert()) > 0}, {"pubkeys", len(a.GetPubkeys().GetPubkey()) > 0},
	} {
		if f.set {
			return nil, errdefs.InvalidArgumentf("%s.%s: not supported with PSK authentication", field, f.name)
		}
	}
	return &securityv1.Authentication{Method: securityv1.AuthMethod_AUTH_METHOD_PSK, Id: a.GetId(), PreSharedKey: PSKName(conn)}, nil
}

func remoteAuth(conn string, a *upstreampb.RemoteAuth) (*securityv1.Authentication, error) {
	const field = "connection.remote_auth"
	if a == nil {
		return nil, errdefs.InvalidArgumentf("%s: required", field)
	}
	if err := method(field, a.GetAuth()); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		name string
		set  bool
	}{
		{"eap_id", a.GetEapId() != ""}, {"groups", len(a.GetGroups().GetGroup()) > 0},
		{"cert_policy", len(a.GetCertPolicy().GetCertPolicy()) > 0}, {"certs", len(a.GetCerts().GetCert()) > 0},
		{"ca_certs", len(a.GetCaCerts().GetCacert()) > 0}, {"pubkeys", len(a.GetPubkeys().GetPubkey()) > 0},
	} {
		if f.set {
			return nil, errdefs.InvalidArgumentf("%s.%s: not supported with PSK authentication", field, f.name)
		}
	}
	return &securityv1.Authentication{Method: securityv1.AuthMethod_AUTH_METHOD_PSK, Id: a.GetId(), PreSharedKey: PSKName(conn)}, nil
}

func toNativeChild(i int, ch *upstreampb.Child) (*securityv1.ChildSaConfig, error) {
	field := fmt.Sprintf("connection.children[%d]", i)
	for _, f := range []struct {
		name string
		set  bool
	}{
		{"ag_proposals", ch.GetAgProposals() != nil}, {"life_time", ch.GetLifeTime() != 0},
		{"rand_time", ch.GetRandTime() != 0}, {"updown", ch.GetUpdown() != ""},
		{"inactivity", ch.GetInactivity() != 0}, {"mark_in", ch.GetMarkIn() != 0},
		{"mark_in_sa", ch.GetMarkInSa() != ""}, {"mark_out", ch.GetMarkOut() != 0},
		{"set_mark_in", ch.GetSetMarkIn() != 0}, {"set_mark_out", ch.GetSetMarkOut() != 0},
		{"hw_offload", ch.GetHwOffload() != ""},
	} {
		if f.set {
			return nil, errdefs.InvalidArgumentf("%s.%s: not supported (the native child SA has no counterpart)", field, f.name)
		}
	}
	out := &securityv1.ChildSaConfig{Name: ch.GetName()}
	var err error
	if out.LocalTs, err = selectors(field+".local_ts", ch.GetLocalTs()); err != nil {
		return nil, err
	}
	if out.RemoteTs, err = selectors(field+".remote_ts", ch.GetRemoteTs()); err != nil {
		return nil, err
	}
	if p := ch.GetEspProposals(); p != nil {
		out.EspProposals = []string{proposal(p)}
	}
	if ch.GetRekeyTime() != 0 {
		out.RekeyTime = durationpb.New(time.Duration(ch.GetRekeyTime()) * time.Second)
	}
	return out, nil
}

// selectors maps upstream's traffic selectors onto the native syntax,
// "cidr[proto/port]".
func selectors(field string, ts *upstreampb.TrafficSelectors) ([]string, error) {
	var out []string
	for i, t := range ts.GetTs() {
		if t.GetCidr() == "" {
			return nil, errdefs.InvalidArgumentf("%s.ts[%d].cidr: required", field, i)
		}
		s := t.GetCidr()
		switch {
		case t.GetProto() != "":
			s += "[" + t.GetProto()
			if t.GetPort() != "" {
				s += "/" + t.GetPort()
			}
			s += "]"
		case t.GetPort() != "":
			return nil, errdefs.InvalidArgumentf("%s.ts[%d].port: needs a proto", field, i)
		}
		out = append(out, s)
	}
	return out, nil
}
