package ipsec

import (
	"net/netip"
	"strings"
	"time"

	securityv1 "github.com/opi-suite/opi/opi-api/security/v1"
)

// DefaultDPDDelay is the dead peer detection interval of a connection that
// leaves dpd_delay unset. Without DPD a tunnel whose peer crashed stays
// "up" on this side until its next rekey, and never comes back by itself
// (issue 9: a peer's charon killed with SIGKILL); 30 s of idleness costs
// one small message.
const DefaultDPDDelay = 30 * time.Second

// dpdSeconds is the DPD interval loaded for c: the default when unset, 0
// (disabled) when the user set zero.
func dpdSeconds(c *securityv1.IkeConnection) int64 {
	if c.GetDpdDelay() == nil {
		return int64(DefaultDPDDelay / time.Second)
	}
	return int64(c.GetDpdDelay().AsDuration().Seconds())
}

// dpdAction is the action loaded for a child: what the user chose, or
// else restart on a connection that can initiate, so that the tunnel comes
// back once the peer answers again, and clear on one that only responds
// (it has no address to initiate to; the peer's own restart brings the
// tunnel back).
func dpdAction(ch *securityv1.ChildSaConfig, initiator bool) string {
	switch ch.GetDpdAction() {
	case securityv1.DpdAction_DPD_ACTION_TRAP:
		return "trap"
	case securityv1.DpdAction_DPD_ACTION_RESTART:
		return "restart"
	case securityv1.DpdAction_DPD_ACTION_CLEAR:
		return "clear"
	}
	if initiator {
		return "restart"
	}
	return "clear"
}

// canInitiate reports whether the daemon can initiate c: it initiates to
// the first remote address, which must then be one host, an IP address or
// a DNS name, not %any, a subnet or a range.
func canInitiate(c *securityv1.IkeConnection) bool {
	if len(c.GetRemoteAddrs()) == 0 {
		return false
	}
	a := c.GetRemoteAddrs()[0]
	if strings.HasPrefix(a, "%") || strings.Contains(a, "/") {
		return false
	}
	if first, _, ok := strings.Cut(a, "-"); ok {
		if _, err := netip.ParseAddr(first); err == nil {
			return false // a range; a DNS name may hold hyphens too
		}
	}
	return true
}
