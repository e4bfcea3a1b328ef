package discovery

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// txtValue is a key=value TXT record holding binary data: split into
// 255-octet character-strings, each escaped as miekg/dns packs it.
func txtValue(key string, val []byte) []string {
	raw := append([]byte(key+"="), val...)
	var out []string
	for len(raw) > 0 {
		n := min(len(raw), 255)
		var b strings.Builder
		for _, c := range raw[:n] {
			if c < ' ' || c > '~' || c == '"' || c == '\\' {
				fmt.Fprintf(&b, "\\%03d", c)
			} else {
				b.WriteByte(c)
			}
		}
		out = append(out, b.String())
		raw = raw[n:]
	}
	return out
}

// dnsServer serves zone over UDP and TCP on loopback; it returns the
// address and counts the queries per transport.
func dnsServer(t *testing.T, zone map[string][]dns.RR) (addr string, tcpQueries *int) {
	t.Helper()
	var tcp int
	h := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		if _, ok := w.RemoteAddr().(*net.TCPAddr); ok {
			tcp++
		}
		q := r.Question[0]
		rrs, ok := zone[strings.ToLower(q.Name)]
		if !ok {
			m.Rcode = dns.RcodeNameError
		}
		for _, rr := range rrs {
			if rr.Header().Rrtype == q.Qtype {
				m.Answer = append(m.Answer, rr)
			}
		}
		size := 512
		if o := r.IsEdns0(); o != nil {
			size = int(o.UDPSize())
		}
		if _, ok := w.RemoteAddr().(*net.UDPAddr); ok {
			m.Truncate(size)
		}
		_ = w.WriteMsg(m)
	})
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", pc.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	us := &dns.Server{PacketConn: pc, Handler: h}
	ts := &dns.Server{Listener: ln, Handler: h}
	go func() { _ = us.ActivateAndServe() }()
	go func() { _ = ts.ActivateAndServe() }()
	t.Cleanup(func() { _ = us.Shutdown(); _ = ts.Shutdown() })
	return pc.LocalAddr().String(), &tcp
}

func hdr(name string, t uint16) dns.RR_Header {
	return dns.RR_Header{Name: name, Rrtype: t, Class: dns.ClassINET, Ttl: 60}
}

func TestDNSDeviceSpecificTXT(t *testing.T) {
	ci := bytes.Repeat([]byte{0x30, 0x82, 0, '"', '\\', 0xff}, 300) // 1800 octets, every awkward byte
	oc := bytes.Repeat([]byte{0x31}, 1500)
	ov := bytes.Repeat([]byte{0x32}, 1500)
	name := "sn-0042._sztp.example.com."
	addr, tcp := dnsServer(t, map[string][]dns.RR{
		name: {
			&dns.TXT{Hdr: hdr(name, dns.TypeTXT), Txt: txtValue("ci", ci)},
			&dns.TXT{Hdr: hdr(name, dns.TypeTXT), Txt: txtValue("oc", oc)},
			&dns.TXT{Hdr: hdr(name, dns.TypeTXT), Txt: txtValue("ov", ov)},
			&dns.TXT{Hdr: hdr(name, dns.TypeTXT), Txt: []string{"other=ignored"}},
		},
	})
	d := &DNS{Serial: "sn-0042", Domains: []string{"example.com"}, Servers: []string{addr}, NoMulticast: true, Timeout: time.Second}
	lookups := d.Lookups()
	if len(lookups) != 2 || !lookups[0].DeviceSpecific || lookups[1].DeviceSpecific {
		t.Fatalf("lookups %v: want device-specific first", lookups)
	}
	a, err := d.Lookup(context.Background(), lookups[0])
	if err != nil {
		t.Fatal(err)
	}
	if a.Artifacts == nil || !bytes.Equal(a.Artifacts.ConveyedInformation, ci) || !bytes.Equal(a.Artifacts.OwnerCertificate, oc) || !bytes.Equal(a.Artifacts.OwnershipVoucher, ov) {
		t.Fatal("artifacts did not come back octet for octet")
	}
	if *tcp == 0 {
		t.Fatal("a 4.8 KB answer should have been truncated over UDP and asked again over TCP")
	}
}

func TestDNSDeviceSpecificRefusals(t *testing.T) {
	name := "sn-1._sztp.example.com."
	for _, tc := range []struct {
		desc string
		rrs  []dns.RR
		want string
	}{
		{"a key given twice", []dns.RR{
			&dns.TXT{Hdr: hdr(name, dns.TypeTXT), Txt: []string{"ci=a"}},
			&dns.TXT{Hdr: hdr(name, dns.TypeTXT), Txt: []string{"ci=b"}}}, "given twice"},
		{"a voucher without an owner certificate", []dns.RR{
			&dns.TXT{Hdr: hdr(name, dns.TypeTXT), Txt: []string{"ci=a"}},
			&dns.TXT{Hdr: hdr(name, dns.TypeTXT), Txt: []string{"ov=b"}}}, "only one of"},
		{"no ci at all", []dns.RR{&dns.TXT{Hdr: hdr(name, dns.TypeTXT), Txt: []string{"x=1"}}}, "no SZTP records"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			addr, _ := dnsServer(t, map[string][]dns.RR{name: tc.rrs})
			d := &DNS{Serial: "sn-1", Domains: []string{"example.com"}, Servers: []string{addr}, NoMulticast: true}
			_, err := d.Lookup(context.Background(), d.Lookups()[0])
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
	d := &DNS{Serial: "bad.serial", Domains: []string{"example.com"}, Servers: []string{"127.0.0.1:1"}, NoMulticast: true}
	if _, err := d.Lookup(context.Background(), d.Lookups()[0]); err == nil || !strings.Contains(err.Error(), "DNS label") {
		t.Fatalf("a serial with a dot: %v", err)
	}
}

// The RFC's own example: four SRV records, priorities 0, 1, 2, 2.
func TestDNSDeviceIndependentSRV(t *testing.T) {
	name := "_sztp._tcp.example.com."
	srv := func(prio, weight uint16, target string) dns.RR {
		return &dns.SRV{Hdr: hdr(name, dns.TypeSRV), Priority: prio, Weight: weight, Port: 443, Target: target}
	}
	addr, _ := dnsServer(t, map[string][]dns.RR{name: {
		srv(2, 10, "sztp4.example.com."), srv(1, 0, "sztp2.example.com."), srv(2, 10, "sztp3.example.com."),
		srv(0, 0, "sztp1.example.com."), srv(3, 0, "."),
	}})
	seen := map[string]bool{}
	for seed := uint64(0); seed < 20; seed++ {
		// The lookup is sent to the test server as the multicast group
		// too: it exercises the unconnected-socket path of mDNS.
		d := &DNS{Serial: "sn-1", Domains: []string{"example.com"}, Servers: []string{addr}, MulticastAddr: addr, Rand: rand.New(rand.NewPCG(seed, 1))}
		var independent []DNSLookup
		for _, l := range d.Lookups() {
			if !l.DeviceSpecific {
				independent = append(independent, l)
			}
		}
		if len(independent) != 2 || !independent[0].Multicast || independent[0].Name != "_sztp._tcp.local." {
			t.Fatalf("device-independent lookups %v: want multicast _sztp._tcp.local first", independent)
		}
		a, err := d.Lookup(context.Background(), independent[1])
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, s := range a.Servers {
			got = append(got, s.Host)
		}
		order := strings.Join(got, " ")
		if !strings.HasPrefix(order, "sztp1.example.com sztp2.example.com ") || len(got) != 4 {
			t.Fatalf("order %s: want priority 0, then 1, then the two of priority 2", order)
		}
		seen[order] = true
		// The .local name is not in the zone: the mDNS step finds nothing.
		if _, err := d.Lookup(context.Background(), independent[0]); !errors.Is(err, ErrNoRecords) {
			t.Fatalf("mDNS lookup with no answer: %v", err)
		}
	}
	if len(seen) != 2 {
		t.Fatalf("equal-priority, equal-weight targets came in %d orders over 20 seeds; want both", len(seen))
	}
}
