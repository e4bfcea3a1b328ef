package bridge

import (
	"github.com/opi-suite/opi/opi-kit/resource"

	"github.com/opi-suite/opi/opi-security-bridge/firewall"
	"github.com/opi-suite/opi/opi-security-bridge/ipsec"
)

// The replay order of each area, in one place. A pass first finishes the
// changes a crash interrupted, then makes the backend hold the stored
// intent again, kind by kind, recording each resource's status; it stops
// only when the backend cannot be reached.

// ipsecReplay is the IPsec area's pass. Credentials and address pools come
// before the connections that name them (a connection is loaded with its
// certificates inline and its pre-shared key, and assigns virtual IPs from
// the pools it names); connections that should be up are
// initiated last, once everything they need is loaded.
func ipsecReplay(m *ipsec.Manager, report func(error)) resource.Step {
	return resource.Sequence(
		resource.RecoverStep(report, m.Keys, m.Certs, m.PSKs, m.Pools, m.Conns),
		m.Replay(func(p ipsec.Pass) resource.Step {
			return resource.Sequence(
				resource.ReplayStep(m.Certs, p.Certs),
				resource.ReplayStep(m.Keys, p.Keys),
				resource.ReplayStep(m.Pools, p.Pools),
				resource.ReplayStep(m.Conns, p.Conns),
				p.KeepUp,
			)
		}),
	)
}

// firewallReplay is the firewall area's pass, run with the policies'
// mutations held off: every stored policy is applied (the XDP backend
// re-adopts its pinned maps and links, so enforcement has no gap), then
// the policies the backend holds that are no longer stored are removed.
func firewallReplay(p *firewall.Policies, report func(error)) resource.Step {
	return p.Exclusive(resource.Sequence(
		resource.RecoverStep(report, p),
		resource.ReplayStep(p.Collection(), p.Replayer()),
		p.RemoveUnwanted,
	))
}
