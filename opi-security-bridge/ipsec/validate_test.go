package ipsec

import (
	"errors"
	"strings"
	"testing"
	"time"

	securityv1 "github.com/opi-suite/opi/opi-api/security/v1"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"google.golang.org/protobuf/types/known/durationpb"
)

func TestValuesCharonWouldTakeOtherwiseAreRefused(t *testing.T) {
	conn := func(f func(c *securityv1.IkeConnection)) *securityv1.IkeConnection {
		c := &securityv1.IkeConnection{
			Version: securityv1.IkeVersion_IKE_VERSION_IKEV2, LocalPort: 4500, RemotePort: 4500,
			LocalAddrs: []string{"192.0.2.1"}, RemoteAddrs: []string{"192.0.2.2", "2001:db8::/64", "198.51.100.1-198.51.100.9", "vpn.example.com", "%any"},
			DpdDelay: durationpb.New(30 * time.Second), RekeyTime: durationpb.New(time.Hour),
			Children: []*securityv1.ChildSaConfig{{Name: "net",
				LocalTs:  []string{"10.1.0.0/16", "10.3.0.1/32[tcp/443]", "dynamic", "2001:db8:1::/128"},
				RemoteTs: []string{"10.2.0.0/16[udp]", "10.4.0.1-10.4.0.9", "10.5.0.0/24[tcp/1000-2000]", "10.6.0.0/24[icmp/3-4]", "10.7.0.0/24[udp/domain]", "10.8.0.0/24[sctp]"},
				Mode:     securityv1.IpsecMode_IPSEC_MODE_TUNNEL, RekeyTime: durationpb.New(10 * time.Minute)}},
		}
		f(c)
		return c
	}
	for _, tc := range []struct {
		name    string
		conn    *securityv1.IkeConnection
		wantErr string
	}{
		{name: "addresses, names, ranges and selectors strongSwan takes as written are valid", conn: conn(func(*securityv1.IkeConnection) {})},
		{name: "an IKE version outside the enum is refused", conn: conn(func(c *securityv1.IkeConnection) { c.Version = 99 }), wantErr: "version: 99"},
		{name: "a local port above 65535 is refused", conn: conn(func(c *securityv1.IkeConnection) { c.LocalPort = 65536 }), wantErr: "local_port: 65536"},
		{name: "a remote port above 65535 is refused", conn: conn(func(c *securityv1.IkeConnection) { c.RemotePort = 70000 }), wantErr: "remote_port: 70000"},
		{name: "a negative DPD delay is refused", conn: conn(func(c *securityv1.IkeConnection) { c.DpdDelay = durationpb.New(-time.Second) }), wantErr: "dpd_delay: -1s is negative"},
		{name: "a fractional DPD delay is refused", conn: conn(func(c *securityv1.IkeConnection) { c.DpdDelay = durationpb.New(1500 * time.Millisecond) }), wantErr: "dpd_delay: 1.5s"},
		{name: "a negative IKE rekey time is refused", conn: conn(func(c *securityv1.IkeConnection) { c.RekeyTime = durationpb.New(-time.Hour) }), wantErr: "rekey_time"},
		{name: "a negative child rekey time is refused", conn: conn(func(c *securityv1.IkeConnection) { c.Children[0].RekeyTime = durationpb.New(-time.Minute) }), wantErr: "children[0].rekey_time"},
		{name: "a child mode outside the enum is refused", conn: conn(func(c *securityv1.IkeConnection) { c.Children[0].Mode = 7 }), wantErr: "children[0].mode: 7"},
		{name: "a start action outside the enum is refused", conn: conn(func(c *securityv1.IkeConnection) { c.Children[0].StartAction = 9 }), wantErr: "children[0].start_action"},
		{name: "a DPD action outside the enum is refused", conn: conn(func(c *securityv1.IkeConnection) { c.Children[0].DpdAction = 9 }), wantErr: "children[0].dpd_action"},
		{name: "an IPv4 selector longer than /32 is refused", conn: conn(func(c *securityv1.IkeConnection) { c.Children[0].LocalTs[0] = "10.1.0.1/33" }), wantErr: `children[0].local_ts[0]: "10.1.0.1/33"`},
		{name: "an IPv6 selector longer than /128 is refused", conn: conn(func(c *securityv1.IkeConnection) { c.Children[0].RemoteTs[0] = "2001:db8::/129" }), wantErr: "children[0].remote_ts[0]"},
		{name: "a selector with host bits is refused, naming the subnet", conn: conn(func(c *securityv1.IkeConnection) { c.Children[0].LocalTs[0] = "10.1.0.1/16" }), wantErr: "10.1.0.0/16"},
		{name: "a selector with a malformed protocol part is refused", conn: conn(func(c *securityv1.IkeConnection) { c.Children[0].LocalTs[1] = "10.3.0.1/32[tcp/443" }), wantErr: "protocol/port"},
		{name: "a zero IKE rekey time is refused (charon would rekey after 4 h)", conn: conn(func(c *securityv1.IkeConnection) { c.RekeyTime = durationpb.New(0) }), wantErr: "rekey_time: zero"},
		{name: "a zero child rekey time is refused (charon would rekey after 1 h)", conn: conn(func(c *securityv1.IkeConnection) { c.Children[0].RekeyTime = durationpb.New(0) }), wantErr: "children[0].rekey_time: zero"},
		{name: "an IKE rekey time past 32 bits of seconds is refused", conn: conn(func(c *securityv1.IkeConnection) { c.RekeyTime = durationpb.New(5000000000 * time.Second) }), wantErr: "rekey_time: 5000000000s is longer"},
		{name: "a DPD delay past 32 bits of seconds is refused", conn: conn(func(c *securityv1.IkeConnection) { c.DpdDelay = durationpb.New(4294967296 * time.Second) }), wantErr: "dpd_delay: 4294967296s is longer"},
		{name: "the longest duration strongSwan holds is valid", conn: conn(func(c *securityv1.IkeConnection) { c.DpdDelay = durationpb.New(4294967295 * time.Second) })},
		{name: "a child rekey time beyond Go's durations is refused as too long", conn: conn(func(c *securityv1.IkeConnection) {
			c.Children[0].RekeyTime = &durationpb.Duration{Seconds: 315576000000}
		}), wantErr: "children[0].rekey_time: 315576000000s is longer"},
		{name: "an ICMP type above 255 is refused", conn: conn(func(c *securityv1.IkeConnection) { c.Children[0].RemoteTs[0] = "10.2.0.0/16[icmp/300]" }), wantErr: "ICMP type 300"},
		{name: "an ICMPv6 type range above 255 is refused", conn: conn(func(c *securityv1.IkeConnection) { c.Children[0].LocalTs[3] = "2001:db8:1::/128[58/1-256]" }), wantErr: "ICMP type 1-256"},
		{name: "a port above 65535 in a selector is refused", conn: conn(func(c *securityv1.IkeConnection) { c.Children[0].LocalTs[1] = "10.3.0.1/32[tcp/65536]" }), wantErr: "port 65536"},
		{name: "a port range that ends before it starts is refused", conn: conn(func(c *securityv1.IkeConnection) { c.Children[0].LocalTs[1] = "10.3.0.1/32[tcp/2048-1024]" }), wantErr: "ends before it starts"},
		{name: "a port without a protocol is refused", conn: conn(func(c *securityv1.IkeConnection) { c.Children[0].LocalTs[1] = "10.3.0.1/32[0/80]" }), wantErr: "no protocol"},
		{name: "a port with protocol %any is refused", conn: conn(func(c *securityv1.IkeConnection) { c.Children[0].LocalTs[1] = "10.3.0.1/32[%any/1000-2000]" }), wantErr: "no protocol"},
		{name: "a protocol above 255 is refused", conn: conn(func(c *securityv1.IkeConnection) { c.Children[0].LocalTs[1] = "10.3.0.1/32[300]" }), wantErr: "protocol 300"},
		{name: "a remote address that does not parse is refused", conn: conn(func(c *securityv1.IkeConnection) { c.RemoteAddrs[0] = "192.0.2.300" }), wantErr: `remote_addrs[0]: "192.0.2.300"`},
		{name: "a remote address with spaces is refused", conn: conn(func(c *securityv1.IkeConnection) { c.RemoteAddrs[0] = "not an address" }), wantErr: "remote_addrs[0]"},
		{name: "a remote subnet longer than /32 is refused", conn: conn(func(c *securityv1.IkeConnection) { c.RemoteAddrs[0] = "192.0.2.0/40" }), wantErr: "remote_addrs[0]"},
		{name: "a backwards range is refused", conn: conn(func(c *securityv1.IkeConnection) { c.LocalAddrs[0] = "192.0.2.9-192.0.2.1" }), wantErr: "local_addrs[0]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := validateValues(tc.conn)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, errdefs.ErrInvalidArgument) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error = %v, want InvalidArgument mentioning %q", err, tc.wantErr)
			}
		})
	}
}
