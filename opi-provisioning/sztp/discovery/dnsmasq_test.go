package discovery

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opi-suite/opi/opi-provisioning/internal/netnstest"
)

func hexList(tb testing.TB, uris ...string) string {
	tb.Helper()
	b, err := EncodeServerList(uris...)
	if err != nil {
		tb.Fatal(err)
	}
	return netnstest.HexOctets(b)
}

// A real DHCP server (dnsmasq) announces option 143 in one namespace; the
// client in the other namespace gets a lease and reads the list back,
// including a list too long for one option instance (RFC 3396).
func TestDHCPv4Option143FromDnsmasq(t *testing.T) {
	netnstest.Require(t, "dnsmasq")
	// dnsmasq refuses an option over 255 octets ("dhcp-option too long")
	// rather than splitting it per RFC 3396, so the longest list it can
	// announce is one full instance; reassembly across instances is
	// proven by TestOption143SplitOverInstancesIsReassembled.
	var full []string
	for i := 0; i < 5; i++ {
		full = append(full, fmt.Sprintf("https://bootstrap-%d.%s.example.com:8443", i, strings.Repeat("z", 10)))
	}
	for _, tc := range []struct {
		name string
		uris []string
	}{
		{"two servers", []string{"https://10.213.0.1:8443", "https://redirect.example.com"}},
		{"a list filling one whole option instance", full},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := netnstest.NewPair(t)
			netnstest.Run(t, "ip", "-n", p.Server, "addr", "add", "10.213.0.1/24", "dev", p.SrvIf)
			netnstest.Dnsmasq(t, p, "--dhcp-range=10.213.0.10,10.213.0.50,255.255.255.0,1h",
				"--dhcp-option-force=143,"+hexList(t, tc.uris...), "--domain=sztp.test")
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			var lease *Lease4
			err := netnstest.Do(p.Device, func() (err error) {
				lease, err = (&Client4{Interface: p.DevIf, Timeout: time.Second, Retries: 6}).Lease(ctx)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if !lease.Addr.IsValid() || !strings.HasPrefix(lease.Addr.String(), "10.213.0.") || lease.Addr.Bits() != 24 {
				t.Fatalf("lease address %v", lease.Addr)
			}
			if !lease.HasSZTP || lease.SZTPErr != nil {
				t.Fatalf("option 143: present %v, error %v", lease.HasSZTP, lease.SZTPErr)
			}
			var got []string
			for _, s := range lease.SZTP.Servers {
				got = append(got, s.URL())
			}
			want := make([]string, len(tc.uris))
			for i, u := range tc.uris {
				s, _ := ParseServerURI(u)
				want[i] = s.URL()
			}
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Fatalf("servers = %v, want %v", got, want)
			}
		})
	}
}

// dnsmasq answers a stateless DHCPv6 Information-request with option 136.
func TestDHCPv6Option136FromDnsmasq(t *testing.T) {
	netnstest.Require(t, "dnsmasq")
	p := netnstest.NewPair(t)
	netnstest.Run(t, "ip", "-n", p.Server, "addr", "add", "fd00:5a::1/64", "dev", p.SrvIf, "nodad")
	uris := []string{"https://[fd00:5a::1]:8443", "https://redirect.example.com"}
	netnstest.Dnsmasq(t, p, "--dhcp-range=fd00:5a::,ra-stateless,64", "--dhcp-option-force=option6:136,"+hexList(t, uris...))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var info *Info6
	err := netnstest.Do(p.Device, func() (err error) {
		info, err = (&Client6{Interface: p.DevIf, Timeout: time.Second, Retries: 6}).Info(ctx)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if !info.HasSZTP || info.SZTPErr != nil || len(info.SZTP.Servers) != 2 || info.SZTP.Servers[0].URL() != "https://[fd00:5a::1]:8443" {
		t.Fatalf("option 136: %+v", info)
	}
}

// dnsmasq as the DNS server: the device-independent SRV lookup, from the
// device's namespace, returns the targets in priority order.
func TestDNSSRVFromDnsmasq(t *testing.T) {
	netnstest.Require(t, "dnsmasq")
	p := netnstest.NewPair(t)
	netnstest.Run(t, "ip", "-n", p.Server, "addr", "add", "10.213.2.1/24", "dev", p.SrvIf)
	netnstest.Run(t, "ip", "-n", p.Device, "addr", "add", "10.213.2.99/24", "dev", p.DevIf)
	netnstest.Dnsmasq(t, p, "--port=53", "--no-resolv", "--no-hosts", "--local=/sztp.test/",
		"--srv-host=_sztp._tcp.sztp.test,backup.sztp.test,8443,10,0",
		"--srv-host=_sztp._tcp.sztp.test,primary.sztp.test,443,0,0")
	d := &DNS{Serial: "SN-1", Domains: []string{"sztp.test"}, Servers: []string{"10.213.2.1:53"}, NoMulticast: true}
	var got []string
	err := netnstest.Do(p.Device, func() error {
		for _, l := range d.Lookups() {
			a, err := d.Lookup(context.Background(), l)
			if l.DeviceSpecific {
				if !errors.Is(err, ErrNoRecords) {
					return fmt.Errorf("device-specific lookup: %v, want no records", err)
				}
				continue
			}
			if err != nil {
				return err
			}
			for _, s := range a.Servers {
				got = append(got, s.URL())
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, " ") != "https://primary.sztp.test:443 https://backup.sztp.test:8443" {
		t.Fatalf("SRV targets %v", got)
	}
}
