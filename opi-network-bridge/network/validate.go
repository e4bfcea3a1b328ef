package network

import (
	"net"
	"net/netip"
	"regexp"
	"strconv"
	"strings"

	networkv1 "github.com/opi-suite/opi/opi-api/network/v1"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-kit/names"
)

// Value ranges.
const (
	MinVlanID = 1
	MaxVlanID = 4094 // 0 and 4095 are reserved (IEEE 802.1Q)
	MinVNI    = 1
	MaxVNI    = 1<<24 - 1 // a VNI is 24 bits (RFC 7348)
)

// ParseMAC parses a unicast MAC address in "aa:bb:cc:dd:ee:ff" form.
func ParseMAC(field, s string) (net.HardwareAddr, error) {
	mac, err := net.ParseMAC(s)
	if err != nil || len(mac) != 6 || strings.Count(s, ":") != 5 {
		return nil, errdefs.InvalidArgumentf("%s: %s is not a MAC address of the form aa:bb:cc:dd:ee:ff", field, names.Quote(s))
	}
	switch {
	case mac[0]&1 == 1:
		return nil, errdefs.InvalidArgumentf("%s: %s is a multicast address; a port's address must be unicast", field, mac)
	case isZero(mac):
		return nil, errdefs.InvalidArgumentf("%s: 00:00:00:00:00:00 is not a usable address", field)
	}
	return mac, nil
}

func isZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}

func checkVNI(field string, vni uint32) error {
	if vni < MinVNI || vni > MaxVNI {
		return errdefs.InvalidArgumentf("%s: %d is out of range: a VNI is %d to %d", field, vni, MinVNI, MaxVNI)
	}
	return nil
}

func parseAddr(field, s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, errdefs.InvalidArgumentf("%s: %s is not an IP address", field, names.Quote(s))
	}
	if a.IsUnspecified() || a.IsMulticast() {
		return netip.Addr{}, errdefs.InvalidArgumentf("%s: %s is not a unicast address", field, a)
	}
	return a.Unmap(), nil
}

func parsePrefix(field, s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, errdefs.InvalidArgumentf("%s: %s is not an address with a prefix length, such as 10.0.0.1/24", field, names.Quote(s))
	}
	if p.Addr().IsUnspecified() || p.Addr().IsMulticast() {
		return netip.Prefix{}, errdefs.InvalidArgumentf("%s: %s is not a unicast address", field, p)
	}
	return p, nil
}

// A route distinguisher or target: ASN:NN (2- or 4-byte AS) or IPv4:NN
// (RFC 4364 section 4.2, RFC 4360).
var rdPattern = regexp.MustCompile(`^([0-9]+|[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+):([0-9]+)$`)

func checkRD(field, s string) error {
	m := rdPattern.FindStringSubmatch(s)
	if m == nil {
		return errdefs.InvalidArgumentf("%s: %s is not of the form ASN:NN or IPv4:NN", field, names.Quote(s))
	}
	admin, local := m[1], m[2]
	if a, err := netip.ParseAddr(admin); err == nil {
		if !a.Is4() {
			return errdefs.InvalidArgumentf("%s: %s: the administrator must be an IPv4 address", field, s)
		}
		if n, err := strconv.ParseUint(local, 10, 16); err != nil || n > 65535 {
			return errdefs.InvalidArgumentf("%s: %s: with an IPv4 administrator the number is 0 to 65535", field, s)
		}
		return nil
	}
	asn, err := strconv.ParseUint(admin, 10, 32)
	if err != nil {
		return errdefs.InvalidArgumentf("%s: %s: the AS number is 0 to 4294967295", field, s)
	}
	max := uint64(1<<32 - 1)
	if asn > 65535 {
		max = 65535 // a 4-byte AS leaves 2 bytes for the number
	}
	if n, err := strconv.ParseUint(local, 10, 32); err != nil || n > max {
		return errdefs.InvalidArgumentf("%s: %s: with AS %d the number is 0 to %d", field, s, asn, max)
	}
	return nil
}

// checkIfName checks a kernel interface name: 1 to 15 bytes, no '/', no
// whitespace, not "." or "..".
func checkIfName(field, s string) error {
	if s == "" || len(s) > 15 || s == "." || s == ".." || strings.ContainsAny(s, "/ \t\n\r:") {
		return errdefs.InvalidArgumentf("%s: %s is not a kernel interface name (1 to 15 characters, no '/', ':' or spaces)", field, names.Quote(s))
	}
	return nil
}

// lbSpec checks a logical bridge's values and converts it.
func (g *Gateway) lbSpec(lb *networkv1.LogicalBridge) (LogicalBridge, error) {
	out := LogicalBridge{VlanID: lb.GetVlanId()}
	if out.VlanID < MinVlanID || out.VlanID > MaxVlanID {
		return out, errdefs.InvalidArgumentf("vlan_id: %d is out of range: a VLAN id is %d to %d", out.VlanID, MinVlanID, MaxVlanID)
	}
	if lb.Vni != nil {
		if err := checkVNI("vni", lb.GetVni()); err != nil {
			return out, err
		}
		out.VNI = lb.GetVni()
	}
	if s := lb.GetVtepIp(); s != "" {
		a, err := parseAddr("vtep_ip", s)
		if err != nil {
			return out, err
		}
		out.VtepIP = a
	}
	return out, nil
}
