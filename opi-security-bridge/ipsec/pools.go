package ipsec

import (
	"context"
	"net/netip"
	"strings"

	securityv1 "github.com/opi-suite/opi/opi-api/security/v1"
	"github.com/opi-suite/opi/opi-kit/errdefs"
)

// ValidatePool checks an address pool's values before charon sees them:
// addrs is a CIDR subnet without host bits or a range "a-b" of one family
// (charon would take a single address, or read a subnet with host bits
// from that address on), and every DNS server is an IP address. Errors
// name the field.
func ValidatePool(p *securityv1.AddressPool) error {
	addrs := p.GetAddrs()
	if addrs == "" {
		return errdefs.InvalidArgumentf("addrs: an address pool needs a CIDR subnet or a range a-b")
	}
	if !strings.ContainsAny(addrs, "/-") {
		return errdefs.InvalidArgumentf("addrs: %q is one address; give a CIDR subnet or a range a-b", addrs)
	}
	if err := validIPs(addrs); err != nil {
		return errdefs.InvalidArgumentf("addrs: %q %v", addrs, err)
	}
	for i, d := range p.GetDns() {
		if a, err := netip.ParseAddr(d); err != nil || a.Zone() != "" {
			return errdefs.InvalidArgumentf("dns[%d]: %q is not an IP address", i, d)
		}
	}
	return nil
}

// toPool is what charon loads for an address pool.
func toPool(p *securityv1.AddressPool) (Pool, error) {
	id, err := PoolPattern.ID(p.GetName())
	if err != nil {
		return Pool{}, err
	}
	return Pool{Name: id, Addrs: p.GetAddrs(), DNS: p.GetDns()}, nil
}

// poolIDs reads the address pools a connection names from the store and
// returns their names in charon.
func (m *Manager) poolIDs(ctx context.Context, names []string) ([]string, error) {
	var ids []string
	for _, name := range names {
		if _, err := m.Pools.Get(ctx, name); err != nil {
			return nil, err
		}
		id, err := PoolPattern.ID(name)
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// loadPool makes charon hold pool p.
func (m *Manager) loadPool(ctx context.Context, p *securityv1.AddressPool) error {
	vp, err := toPool(p)
	if err != nil {
		return err
	}
	return loading("address pool "+vp.Name, m.backend.LoadPool(ctx, vp))
}

// CreatePool checks p and creates it (stored and loaded).
func (m *Manager) CreatePool(ctx context.Context, id string, p *securityv1.AddressPool) (*securityv1.AddressPool, error) {
	if err := ValidatePool(p); err != nil {
		return nil, err
	}
	return m.Pools.Create(ctx, "", id, p)
}

// poolBackend loads address pools into charon.
type poolBackend struct{ m *Manager }

// Create checks the pool and loads it.
func (b poolBackend) Create(ctx context.Context, p *securityv1.AddressPool) error {
	if err := ValidatePool(p); err != nil {
		return err
	}
	return b.m.loadPool(ctx, p)
}

// Update reloads the pool with its new DNS servers; addrs is immutable,
// so charon keeps the pool's leases.
func (b poolBackend) Update(ctx context.Context, _, p *securityv1.AddressPool) error {
	return b.Create(ctx, p)
}

// Delete unloads the pool; no connection names it (references stop the
// delete otherwise).
func (b poolBackend) Delete(ctx context.Context, p *securityv1.AddressPool) error {
	id, err := PoolPattern.ID(p.GetName())
	if err != nil {
		return err
	}
	return b.m.backend.UnloadPool(ctx, id)
}
