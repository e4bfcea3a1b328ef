package ipsec

import (
	"fmt"
	"math"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"

	securityv1 "github.com/opi-suite/opi/opi-api/security/v1"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/durationpb"
)

// validateValues checks the values of a connection that charon would take
// without complaint but not as written: an enum number outside its set
// (charon gets "99"), a port above 65535, a negative or fractional duration
// (charon counts whole seconds), a traffic selector or address that does
// not parse (charon loads /33 as /32, and takes any text as a DNS name).
// Refusing them here keeps what the API lists equal to what charon holds.
// Errors name the field.
func validateValues(c *securityv1.IkeConnection) error {
	if err := definedEnum("version", c.GetVersion()); err != nil {
		return err
	}
	for field, port := range map[string]uint32{"local_port": c.GetLocalPort(), "remote_port": c.GetRemotePort()} {
		if port > 65535 {
			return errdefs.InvalidArgumentf("%s: %d is not a port (0 to 65535; 0 means 500)", field, port)
		}
	}
	if err := seconds("dpd_delay", c.GetDpdDelay()); err != nil {
		return err
	}
	if err := rekeyTime("rekey_time", c.GetRekeyTime()); err != nil {
		return err
	}
	for field, addrs := range map[string][]string{"local_addrs": c.GetLocalAddrs(), "remote_addrs": c.GetRemoteAddrs()} {
		for i, a := range addrs {
			if err := validAddress(a); err != nil {
				return errdefs.InvalidArgumentf("%s[%d]: %q %v", field, i, a, err)
			}
		}
	}
	for i, v := range c.GetVips() {
		if a, err := netip.ParseAddr(v); err != nil || a.Zone() != "" {
			return errdefs.InvalidArgumentf("vips[%d]: %q is not an IP address (0.0.0.0 or :: requests any address)", i, v)
		}
	}
	for i, ch := range c.GetChildren() {
		f := fmt.Sprintf("children[%d].", i)
		for _, e := range []struct {
			field string
			value protoreflect.Enum
		}{{"mode", ch.GetMode()}, {"start_action", ch.GetStartAction()}, {"dpd_action", ch.GetDpdAction()}} {
			if err := definedEnum(f+e.field, e.value); err != nil {
				return err
			}
		}
		if err := rekeyTime(f+"rekey_time", ch.GetRekeyTime()); err != nil {
			return err
		}
		for field, tss := range map[string][]string{"local_ts": ch.GetLocalTs(), "remote_ts": ch.GetRemoteTs()} {
			for j, ts := range tss {
				if err := validSelector(ts); err != nil {
					return errdefs.InvalidArgumentf("%s%s[%d]: %q %v", f, field, j, ts, err)
				}
			}
		}
	}
	return nil
}

func definedEnum(field string, e protoreflect.Enum) error {
	if e.Descriptor().Values().ByNumber(e.Number()) == nil {
		return errdefs.InvalidArgumentf("%s: %d is not a value of %s", field, e.Number(), e.Descriptor().Name())
	}
	return nil
}

// maxSeconds is the longest duration charon holds: it keeps the IKE
// rekey time and the DPD delay in 32 bits and cuts longer ones
// (5,000,000,000 s became 705,032,704 s). Child rekey times get the same
// limit, 136 years, rather than a second rule.
const maxSeconds = math.MaxUint32

// seconds checks a duration charon takes in whole seconds.
func seconds(field string, d *durationpb.Duration) error {
	if d == nil {
		return nil
	}
	if err := d.CheckValid(); err != nil {
		return errdefs.InvalidArgumentf("%s: %v", field, err)
	}
	v := d.AsDuration()
	if d.GetSeconds() < 0 || v < 0 {
		return errdefs.InvalidArgumentf("%s: %v is negative", field, v)
	}
	if d.GetSeconds() > maxSeconds {
		return errdefs.InvalidArgumentf("%s: %ds is longer than strongSwan holds (at most %ds, about 136 years)", field, d.GetSeconds(), int64(maxSeconds))
	}
	if v%time.Second != 0 {
		return errdefs.InvalidArgumentf("%s: %v is not a whole number of seconds, which is what strongSwan counts", field, v)
	}
	return nil
}

// rekeyTime checks a rekey interval: whole seconds, and not zero, which
// charon would replace by its default (4 h for IKE SAs, 1 h for child
// SAs) while the API listed zero. Unset is the default.
func rekeyTime(field string, d *durationpb.Duration) error {
	if err := seconds(field, d); err != nil {
		return err
	}
	if d != nil && d.AsDuration() == 0 {
		return errdefs.InvalidArgumentf("%s: zero is not an interval; strongSwan would rekey after its default instead (leave rekey_time unset for the default)", field)
	}
	return nil
}

// dnsName is a host name as RFC 1123 writes it.
var dnsName = regexp.MustCompile(`^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.?$`)

// validAddress accepts what strongSwan's local_addrs and remote_addrs
// take: an IP address, a CIDR subnet, a range "a-b", %any (%any4, %any6)
// or a DNS name (whose last label is not all digits, so that a mistyped
// IPv4 address is not taken for a name).
func validAddress(a string) error {
	switch a {
	case "%any", "%any4", "%any6":
		return nil
	}
	if err := validIPs(a); err == nil || strings.ContainsAny(a, ":/") {
		return err
	}
	labels := strings.Split(strings.TrimSuffix(a, "."), ".")
	if len(a) > 253 || !dnsName.MatchString(a) || strings.Trim(labels[len(labels)-1], "0123456789") == "" {
		return fmt.Errorf("is neither an IP address, a CIDR subnet, a range nor a DNS name")
	}
	return nil
}

// validIPs accepts an IP address, a CIDR subnet without host bits, or a
// range "a-b" of one family with a <= b.
func validIPs(s string) error {
	if first, last, ok := strings.Cut(s, "-"); ok {
		a, err1 := netip.ParseAddr(first)
		b, err2 := netip.ParseAddr(last)
		switch {
		case err1 != nil || err2 != nil || a.Zone() != "" || b.Zone() != "":
			return fmt.Errorf("is not a range of two IP addresses")
		case a.Is4() != b.Is4():
			return fmt.Errorf("mixes IPv4 and IPv6")
		case b.Less(a):
			return fmt.Errorf("ends before it starts")
		}
		return nil
	}
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return fmt.Errorf("is not a CIDR subnet (IPv4 prefixes go up to /32, IPv6 up to /128)")
		}
		if p.Masked() != p {
			return fmt.Errorf("has host bits set; the subnet is %s", p.Masked())
		}
		return nil
	}
	if a, err := netip.ParseAddr(s); err != nil || a.Zone() != "" {
		return fmt.Errorf("is not an IP address")
	}
	return nil
}

// selectorSuffix is the optional "[protocol/port]" of a traffic selector:
// a protocol name or number (or %any), then optionally a port, port range
// or service name (or %any, %opaque).
var selectorSuffix = regexp.MustCompile(`^\[([A-Za-z0-9%-]+)(?:/([A-Za-z0-9%-]+))?\]$`)

// validSelector accepts strongSwan's traffic selectors: "dynamic", or a
// subnet, address or range, each optionally followed by [protocol/port].
func validSelector(ts string) error {
	addr, suffix := ts, ""
	if i := strings.IndexByte(ts, '['); i >= 0 {
		addr, suffix = ts[:i], ts[i:]
		m := selectorSuffix.FindStringSubmatch(suffix)
		if m == nil {
			return fmt.Errorf("has a malformed [protocol/port] part")
		}
		if err := validProtocolPort(m[1], m[2]); err != nil {
			return err
		}
	}
	if addr == "dynamic" {
		return nil
	}
	return validIPs(addr)
}

// validProtocolPort checks the numbers of a selector's [protocol/port]
// that charon would take but hold otherwise: a port without a protocol
// (charon refuses "%any/80" but holds "0/80"), a range that ends before
// it starts (charon holds "2048-1024", which matches nothing), and an
// ICMP or ICMPv6 type above 255 (charon reads "icmp/300" as type 1,
// code 44). Names are left to charon, which refuses those it does not
// know.
func validProtocolPort(protocol, port string) error {
	if n, err := strconv.Atoi(protocol); err == nil && n > 255 {
		return fmt.Errorf("names protocol %d; protocols are 0 to 255", n)
	}
	if port == "" || port == "%any" || port == "%opaque" {
		return nil
	}
	if protocol == "%any" || protocol == "0" {
		return fmt.Errorf("has a port but no protocol; name the protocol (tcp, udp, ...)")
	}
	limit, what := 65535, "port"
	switch protocol {
	case "icmp", "1", "ipv6-icmp", "icmpv6", "58":
		limit, what = 255, "ICMP type"
	}
	first, last, isRange := strings.Cut(port, "-")
	from, err1 := strconv.Atoi(first)
	to, err2 := strconv.Atoi(last)
	switch {
	case !isRange && err1 != nil:
		return nil // a service name
	case !isRange:
		to, err2 = from, nil
	case err1 != nil || err2 != nil:
		return fmt.Errorf("has a port range %q that is not two numbers", port)
	}
	if from > limit || to > limit {
		return fmt.Errorf("names %s %s; at most %d", what, port, limit)
	}
	if to < from {
		return fmt.Errorf("has a %s range %s that ends before it starts", what, port)
	}
	return nil
}
