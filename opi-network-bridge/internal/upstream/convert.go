// Package upstream serves upstream OPI's EVPN gateway API
// (opi_api.network.evpn_gw.v1alpha1, vendored in opi-upstream) beside the
// bridge's own: each call is translated to one call of the network domain,
// the same one the native API makes, so both APIs see the same resources.
//
// Upstream's rules that its clients depend on are kept here, at the edge:
// resources wrapped in spec and status, addresses as IPPrefix messages and
// MAC addresses as bytes, upstream's enums, an empty *_id answered with a
// server-generated UUID, and names in the forms upstream's clients send
// (a bare id, "logicalBridges/x", godpu's "//network.opiproject.org/bridges/x").
// Names are answered in the form upstream's protos declare
// ("logicalBridges/x"). Errors are the domain's, unchanged: the runtime maps
// their classes to gRPC codes, which are the ones upstream's bridges use.
package upstream

import (
	"encoding/binary"
	"net"
	"net/netip"
	"strings"

	commonv1 "github.com/opi-suite/opi/opi-api/common/v1"
	networkv1 "github.com/opi-suite/opi/opi-api/network/v1"
	"github.com/opi-suite/opi/opi-kit/aip"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-kit/names"
	evpn "github.com/opi-suite/opi/opi-upstream/network/evpngw/v1alpha1"
	netcommon "github.com/opi-suite/opi/opi-upstream/network/opinetcommon/v1alpha1"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

// servicePrefix is the service part of the full resource names upstream's
// EVPN clients (godpu, opi-evpn-bridge's tests) send.
const servicePrefix = "//network.opiproject.org/"

// kind is one resource kind's naming: the native pattern, and the
// collection names upstream's clients use for it besides the pattern's own
// (godpu names logical bridges "bridges/x" and bridge ports "ports/x").
type kind struct {
	coll    string
	aliases []string
}

// name turns a name in any form upstream's clients send into the native
// name. A name in none of those forms is passed on unchanged, for the
// domain to refuse with its own message.
func (k kind) name(s string) string {
	s = strings.TrimPrefix(s, servicePrefix)
	coll := k.coll
	if !strings.Contains(s, "/") && s != "" {
		return coll + "/" + s
	}
	for _, a := range k.aliases {
		if id, ok := strings.CutPrefix(s, a+"/"); ok {
			return coll + "/" + id
		}
	}
	return s
}

// names turns every name of a list.
func (k kind) names(in []string) []string {
	if in == nil {
		return nil
	}
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = k.name(s)
	}
	return out
}

// newID returns a random (version 4) UUID for a create that named no id.
func newID() (string, error) { return aip.NewID() }

// idOrNew returns id, or a new UUID when it is empty.
func idOrNew(id string) (string, error) {
	if id != "" {
		return id, nil
	}
	return newID()
}

// macFromUpstream reads a MAC address sent as bytes: six octets, as
// upstream's protos mean, or the text "aa:bb:cc:dd:ee:ff" as bytes, which
// godpu's CLI sends.
func macFromUpstream(field string, b []byte) (string, error) {
	switch len(b) {
	case 0:
		return "", nil
	case 6:
		return net.HardwareAddr(b).String(), nil
	}
	if m, err := net.ParseMAC(string(b)); err == nil && len(m) == 6 {
		return m.String(), nil
	}
	return "", errdefs.InvalidArgumentf("%s: %d bytes are not a MAC address: send its 6 octets", field, len(b))
}

// macToUpstream returns the six octets of a stored MAC address.
func macToUpstream(s string) []byte {
	m, err := net.ParseMAC(s)
	if err != nil {
		return nil
	}
	return m
}

// addrFromUpstream reads an IPAddress message.
func addrFromUpstream(field string, a *netcommon.IPAddress) (netip.Addr, error) {
	switch v := a.GetV4OrV6().(type) {
	case *netcommon.IPAddress_V4Addr:
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], v.V4Addr)
		return netip.AddrFrom4(b), nil
	case *netcommon.IPAddress_V6Addr:
		if ip, ok := netip.AddrFromSlice(v.V6Addr); ok && len(v.V6Addr) == 16 {
			return ip, nil
		}
		return netip.Addr{}, errdefs.InvalidArgumentf("%s: v6_addr has %d bytes, not 16", field, len(v.V6Addr))
	}
	return netip.Addr{}, errdefs.InvalidArgumentf("%s: the address has neither v4_addr nor v6_addr", field)
}

// prefixFromUpstream reads an IPPrefix message as "addr/len"; nil is "".
func prefixFromUpstream(field string, p *netcommon.IPPrefix) (string, error) {
	if p == nil {
		return "", nil
	}
	a, err := addrFromUpstream(field+".addr", p.GetAddr())
	if err != nil {
		return "", err
	}
	pfx, err := a.Prefix(int(p.GetLen()))
	if err != nil || p.GetLen() < 0 {
		return "", errdefs.InvalidArgumentf("%s.len: %d is not a prefix length of %s", field, p.GetLen(), a)
	}
	return netip.PrefixFrom(a, pfx.Bits()).String(), nil
}

// addrOfPrefix reads an IPPrefix message where the native API keeps only
// the address (a VTEP): the length is not kept.
func addrOfPrefix(field string, p *netcommon.IPPrefix) (string, error) {
	if p == nil {
		return "", nil
	}
	a, err := addrFromUpstream(field+".addr", p.GetAddr())
	if err != nil {
		return "", err
	}
	return a.String(), nil
}

// prefixToUpstream writes "addr/len" or a bare address (a host prefix) as
// an IPPrefix message; "" is nil.
func prefixToUpstream(s string) *netcommon.IPPrefix {
	if s == "" {
		return nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	out := &netcommon.IPPrefix{Len: int32(p.Bits())}
	if a := p.Addr(); a.Is4() {
		b := a.As4()
		out.Addr = &netcommon.IPAddress{Af: netcommon.IpAf_IP_AF_INET, V4OrV6: &netcommon.IPAddress_V4Addr{V4Addr: binary.BigEndian.Uint32(b[:])}}
	} else {
		b := a.As16()
		out.Addr = &netcommon.IPAddress{Af: netcommon.IpAf_IP_AF_INET6, V4OrV6: &netcommon.IPAddress_V6Addr{V6Addr: b[:]}}
	}
	return out
}

// up says whether a resource's overall state reads as upstream's UP: every
// component has applied it. Anything else is DOWN, as in upstream's bridge.
func up(st *commonv1.ResourceStatus) (isUp, known bool) {
	switch st.GetState() {
	case commonv1.ResourceState_RESOURCE_STATE_READY:
		return true, true
	case commonv1.ResourceState_RESOURCE_STATE_UNSPECIFIED:
		return false, false
	}
	return false, true
}

var compStatus = map[networkv1.ComponentState]evpn.CompStatus{
	networkv1.ComponentState_COMPONENT_STATE_PENDING: evpn.CompStatus_COMP_STATUS_PENDING,
	networkv1.ComponentState_COMPONENT_STATE_APPLIED: evpn.CompStatus_COMP_STATUS_SUCCESS,
	networkv1.ComponentState_COMPONENT_STATE_ERROR:   evpn.CompStatus_COMP_STATUS_ERROR,
}

func components(in []*networkv1.ComponentStatus) []*evpn.Component {
	out := make([]*evpn.Component, 0, len(in))
	for _, c := range in {
		out = append(out, &evpn.Component{Name: c.GetName(), Status: compStatus[c.GetState()], Details: c.GetMessage()})
	}
	return out
}

// mask translates an update mask's upstream paths into the native ones:
// paths maps "spec.x" to the native field; "spec" names every spec field;
// "*" stays "*". A nil mask stays nil (every field the request sets).
func mask(m *fieldmaskpb.FieldMask, paths map[string]string) (*fieldmaskpb.FieldMask, error) {
	if m == nil {
		return nil, nil
	}
	out := &fieldmaskpb.FieldMask{}
	for _, p := range m.GetPaths() {
		switch {
		case p == "*":
			out.Paths = append(out.Paths, p)
		case p == "spec":
			for _, native := range paths {
				out.Paths = append(out.Paths, native)
			}
		case paths[p] != "":
			out.Paths = append(out.Paths, paths[p])
		default:
			return nil, errdefs.InvalidArgumentf("update_mask: %s is not an updatable field", names.Quote(p))
		}
	}
	return out, nil
}
