// Package upstream serves upstream OPI's IPsec API
// (`opi_api.security.v1.IPsecService`, the vici-shaped API godpu's ipsec
// package and upstream's opi-strongswan-bridge speak) over the bridge's
// IPsec domain, the one the native `opi.security.v1` API uses: a
// connection loaded through one API is seen, initiated and deleted
// through the other. Each call is translated onto the domain, not onto the
// native gRPC API; opi-upstream's README lists what differs.
package upstream

import (
	"context"
	"errors"
	"strconv"
	"time"

	securityv1 "github.com/opi-suite/opi/opi-api/security/v1"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	upstreampb "github.com/opi-suite/opi/opi-upstream/security/v1"

	"github.com/opi-suite/opi/opi-security-bridge/ipsec"
)

// listPage is the page size the facade reads the domain's collections in.
const listPage = 1000

// IPsec implements upstream's IPsecServiceServer over the IPsec domain.
type IPsec struct {
	upstreampb.UnimplementedIPsecServiceServer
	m *ipsec.Manager
}

// NewIPsec returns upstream's IPsec service over m.
func NewIPsec(m *ipsec.Manager) *IPsec { return &IPsec{m: m} }

// connName is the native name of upstream's connection name, which must
// be a native id (AIP-122: 1 to 63 of [a-z0-9-], starting with a letter).
func connName(field, name string) (string, error) {
	if name == "" {
		return "", errdefs.InvalidArgumentf("%s: required", field)
	}
	out, err := ipsec.ConnPattern.Format(name)
	if err != nil {
		return "", errdefs.InvalidArgumentf("%s: %v", field, err)
	}
	return out, nil
}

// IPsecVersion answers charon's version.
func (s *IPsec) IPsecVersion(ctx context.Context, _ *upstreampb.IPsecVersionRequest) (*upstreampb.IPsecVersionResponse, error) {
	v, err := s.m.Version(ctx)
	if err != nil {
		return nil, err
	}
	return &upstreampb.IPsecVersionResponse{Daemon: v.GetDaemon(), Version: v.GetVersion(),
		Sysname: v.GetSysname(), Release: v.GetRelease(), Machine: v.GetMachine()}, nil
}

// IPsecStats answers charon's counters as upstream's one status text.
func (s *IPsec) IPsecStats(ctx context.Context, _ *upstreampb.IPsecStatsRequest) (*upstreampb.IPsecStatsResponse, error) {
	st, err := s.m.Stats(ctx)
	if err != nil {
		return nil, err
	}
	return &upstreampb.IPsecStatsResponse{Status: statsText(st)}, nil
}

// IPsecLoadConn creates the native connection, or replaces the one of
// that name, as vici's load-conn does.
func (s *IPsec) IPsecLoadConn(ctx context.Context, r *upstreampb.IPsecLoadConnRequest) (*upstreampb.IPsecLoadConnResponse, error) {
	c, err := toNative(r.GetConnection())
	if err != nil {
		return nil, err
	}
	id := r.GetConnection().GetName()
	if _, err := connName("connection.name", id); err != nil {
		return nil, err
	}
	if _, err := s.m.PSKs.Get(ctx, PSKName(id)); errors.Is(err, errdefs.ErrNotFound) {
		return nil, errdefs.NotFoundf("connection.local_auth: PSK authentication of %q uses the pre-shared key %s, which does not exist: "+
			"upstream's API carries no secret, create it with opi.security.v1's CreatePreSharedKey (pre_shared_key_id %q) first", id, PSKName(id), id)
	} else if err != nil {
		return nil, err
	}
	if _, err := s.m.LoadConnection(ctx, id, c); err != nil {
		return nil, err
	}
	return &upstreampb.IPsecLoadConnResponse{Success: "yes"}, nil
}

// IPsecUnloadConn closes, unloads and deletes a connection.
func (s *IPsec) IPsecUnloadConn(ctx context.Context, r *upstreampb.IPsecUnloadConnRequest) (*upstreampb.IPsecUnloadConnResponse, error) {
	name, err := connName("name", r.GetName())
	if err != nil {
		return nil, err
	}
	if err := s.m.DeleteConnection(ctx, name, false); err != nil {
		return nil, err
	}
	return &upstreampb.IPsecUnloadConnResponse{Success: "yes"}, nil
}

// target is the native connection name of an action's ike, after checking
// that the connection exists and, when child is given, has that child.
func (s *IPsec) target(ctx context.Context, ike, child string, ikeID, childID uint64) (string, error) {
	if ikeID != 0 || childID != 0 {
		return "", errdefs.InvalidArgumentf("ike_id, child_id: not supported: name the connection (ike) and child")
	}
	name, err := connName("ike", ike)
	if err != nil {
		return "", err
	}
	c, err := s.m.GetConnection(ctx, name)
	if err != nil {
		return "", err
	}
	if child == "" {
		return name, nil
	}
	for _, ch := range c.GetChildren() {
		if ch.GetName() == child {
			return name, nil
		}
	}
	return "", errdefs.NotFoundf("child: connection %q has no child %q", ike, child)
}

// IPsecInitiate brings a connection (or one child) up and waits until it
// is; the connection is then kept up, as with the native Initiate.
func (s *IPsec) IPsecInitiate(ctx context.Context, r *upstreampb.IPsecInitiateRequest) (*upstreampb.IPsecInitiateResponse, error) {
	timeout, err := millis("timeout", r.GetTimeout())
	if err != nil {
		return nil, err
	}
	name, err := s.target(ctx, r.GetIke(), r.GetChild(), 0, 0)
	if err != nil {
		return nil, err
	}
	if _, err := s.m.Initiate(ctx, name, r.GetChild(), timeout); err != nil {
		return nil, err
	}
	return &upstreampb.IPsecInitiateResponse{}, nil
}

// millis reads vici's timeout, in milliseconds; empty or 0 is the
// domain's default.
func millis(field, v string) (time.Duration, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(v, 10, 32)
	if err != nil {
		return 0, errdefs.InvalidArgumentf("%s: %q is not a number of milliseconds", field, v)
	}
	return time.Duration(n) * time.Millisecond, nil
}

// IPsecTerminate closes a connection's SAs (or one child's); terminating
// the whole connection keeps it down, as with the native Terminate.
func (s *IPsec) IPsecTerminate(ctx context.Context, r *upstreampb.IPsecTerminateRequest) (*upstreampb.IPsecTerminateResponse, error) {
	if r.GetTimeout() != "" {
		return nil, errdefs.InvalidArgumentf("timeout: not supported (the bridge waits up to 10 s for the peer)")
	}
	force, err := yesNo("force", r.GetForce())
	if err != nil {
		return nil, err
	}
	name, err := s.target(ctx, r.GetIke(), r.GetChild(), r.GetIkeId(), r.GetChildId())
	if err != nil {
		return nil, err
	}
	n, err := s.m.Terminate(ctx, name, r.GetChild(), force)
	if err != nil {
		return nil, err
	}
	return &upstreampb.IPsecTerminateResponse{Success: "yes", Matches: uint32(n), Terminated: uint32(n)}, nil
}

// IPsecRekey rekeys a connection's IKE SA (or one child's SAs).
func (s *IPsec) IPsecRekey(ctx context.Context, r *upstreampb.IPsecRekeyRequest) (*upstreampb.IPsecRekeyResponse, error) {
	reauth, err := yesNo("reauth", r.GetReauth())
	if err != nil {
		return nil, err
	}
	name, err := s.target(ctx, r.GetIke(), r.GetChild(), r.GetIkeId(), r.GetChildId())
	if err != nil {
		return nil, err
	}
	n, err := s.m.Rekey(ctx, name, r.GetChild(), reauth)
	if err != nil {
		return nil, err
	}
	return &upstreampb.IPsecRekeyResponse{Success: "yes", Matches: uint32(n)}, nil
}

// IPsecListSas lists charon's live SAs, filtered as vici's list-sas
// filters them (ike, ike_id, child, child_id). noblock is not read: the
// listing never waits.
func (s *IPsec) IPsecListSas(ctx context.Context, r *upstreampb.IPsecListSasRequest) (*upstreampb.IPsecListSasResponse, error) {
	sas, err := s.m.ListIkeSas(ctx, "")
	if err != nil {
		return nil, err
	}
	out := &upstreampb.IPsecListSasResponse{}
	for _, sa := range sas {
		if !matchIke(sa, r) {
			continue
		}
		u := toIkeSa(sa)
		all := u.Childsas
		u.Childsas = nil
		for i, ch := range sa.GetChildSas() {
			if (r.GetChild() == "" || ch.GetName() == r.GetChild()) && (r.GetChildId() == 0 || uint64(ch.GetUniqueId()) == r.GetChildId()) {
				u.Childsas = append(u.Childsas, all[i])
			}
		}
		if (r.GetChild() != "" || r.GetChildId() != 0) && len(u.Childsas) == 0 {
			continue
		}
		out.Ikesas = append(out.Ikesas, u)
	}
	return out, nil
}

func matchIke(sa *securityv1.IkeSa, r *upstreampb.IPsecListSasRequest) bool {
	return (r.GetIke() == "" || upstreamName(sa.GetIkeConnection()) == r.GetIke()) &&
		(r.GetIkeId() == 0 || uint64(sa.GetUniqueId()) == r.GetIkeId())
}

// IPsecListConns lists the bridge's connections (the native ones: what
// charon holds of them), or the one named ike.
func (s *IPsec) IPsecListConns(ctx context.Context, r *upstreampb.IPsecListConnsRequest) (*upstreampb.IPsecListConnsResponse, error) {
	out := &upstreampb.IPsecListConnsResponse{}
	for token := ""; ; {
		conns, next, err := s.m.ListConnections(ctx, listPage, token)
		if err != nil {
			return nil, err
		}
		for _, c := range conns {
			if r.GetIke() == "" || upstreamName(c.GetName()) == r.GetIke() {
				out.Connection = append(out.Connection, toConn(c))
			}
		}
		if token = next; token == "" {
			return out, nil
		}
	}
}

// IPsecListCerts lists the native certificates (X.509), filtered by type,
// flag and subject as vici's list-certs filters them.
func (s *IPsec) IPsecListCerts(ctx context.Context, r *upstreampb.IPsecListCertsRequest) (*upstreampb.IPsecListCertsResponse, error) {
	match, err := certFilter(r)
	if err != nil {
		return nil, err
	}
	out := &upstreampb.IPsecListCertsResponse{}
	for token := ""; ; {
		certs, next, err := s.m.Certs.List(ctx, "", listPage, token)
		if err != nil {
			return nil, err
		}
		for _, c := range certs {
			if match(c) {
				out.Certs = append(out.Certs, toCert(c))
			}
		}
		if token = next; token == "" {
			return out, nil
		}
	}
}
