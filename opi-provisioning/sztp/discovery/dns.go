package discovery

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// MDNSAddr is the IPv4 multicast DNS group and port (RFC 6762).
const MDNSAddr = "224.0.0.251:5353"

// Artifacts are the three bootstrapping artifacts (RFC 8572 section 3),
// as DER. Conveyed information alone is unsigned data; with the owner
// certificate and the ownership voucher it is signed data.
type Artifacts struct {
	ConveyedInformation []byte
	OwnerCertificate    []byte
	OwnershipVoucher    []byte
}

// DNSLookup is one of the queries RFC 8572 section 4.2.1 orders: device
// specific (TXT under "<serial>._sztp") before device independent (SRV
// under "_sztp._tcp"), and for each, multicast before unicast.
type DNSLookup struct {
	DeviceSpecific bool
	Multicast      bool
	Name           string // the query name
	Server         string // the DNS server or multicast group, host:port
}

// String names the lookup for logs and errors.
func (l DNSLookup) String() string {
	kind, via := "SRV", "unicast"
	if l.DeviceSpecific {
		kind = "TXT"
	}
	if l.Multicast {
		via = "multicast"
	}
	return fmt.Sprintf("%s %s (%s via %s)", kind, l.Name, via, l.Server)
}

// DNSAnswer is what one lookup found: artifacts for a device-specific
// lookup, bootstrap servers (already in RFC 2782 order) for a
// device-independent one.
type DNSAnswer struct {
	Artifacts *Artifacts
	Servers   []Server
}

// DNS looks bootstrapping data up in DNS (RFC 8572 section 4.2).
type DNS struct {
	Serial  string   // the device's serial number, as in its IDevID
	Domains []string // unicast search domains (DHCP option 15/119, DHCPv6 24, or configured)
	Servers []string // unicast DNS servers, host:port
	// MulticastAddr is where mDNS queries go (MDNSAddr by default);
	// NoMulticast skips them.
	MulticastAddr string
	NoMulticast   bool
	Timeout       time.Duration // per query; default 2 s
	// Rand orders SRV records of equal priority by weight; nil uses the
	// default source.
	Rand *rand.Rand
}

// Lookups lists the queries in the order RFC 8572 section 4.2.1 requires.
func (d *DNS) Lookups() []DNSLookup {
	var out []DNSLookup
	mc := d.MulticastAddr
	if mc == "" {
		mc = MDNSAddr
	}
	for _, specific := range []bool{true, false} {
		label := "_sztp._tcp"
		if specific {
			label = d.Serial + "._sztp"
		}
		if !d.NoMulticast {
			out = append(out, DNSLookup{DeviceSpecific: specific, Multicast: true, Name: dns.Fqdn(label + ".local"), Server: mc})
		}
		for _, dom := range d.Domains {
			for _, srv := range d.Servers {
				out = append(out, DNSLookup{DeviceSpecific: specific, Name: dns.Fqdn(label + "." + strings.Trim(dom, ".")), Server: srv})
			}
		}
	}
	return out
}

// ErrNoRecords marks a lookup that found nothing: the agent moves on.
var ErrNoRecords = errors.New("no SZTP records")

// Lookup runs one query.
func (d *DNS) Lookup(ctx context.Context, l DNSLookup) (DNSAnswer, error) {
	if l.DeviceSpecific {
		if err := checkSerialLabel(d.Serial); err != nil {
			return DNSAnswer{}, err
		}
	}
	qtype := dns.TypeSRV
	if l.DeviceSpecific {
		qtype = dns.TypeTXT
	}
	m := new(dns.Msg)
	m.SetQuestion(l.Name, qtype)
	m.SetEdns0(4096, false)
	var resp *dns.Msg
	var err error
	if l.Multicast {
		m.Id = 0 // RFC 6762 section 18.1
		m.RecursionDesired = false
		resp, err = d.exchangeMulticast(ctx, m, l.Server)
	} else {
		resp, err = d.exchangeUnicast(ctx, m, l.Server)
	}
	if err != nil {
		return DNSAnswer{}, fmt.Errorf("%s: %w", l, err)
	}
	if resp.Rcode == dns.RcodeNameError {
		return DNSAnswer{}, fmt.Errorf("%s: %w (NXDOMAIN)", l, ErrNoRecords)
	}
	if resp.Rcode != dns.RcodeSuccess {
		return DNSAnswer{}, fmt.Errorf("%s: DNS answered %s", l, dns.RcodeToString[resp.Rcode])
	}
	if l.DeviceSpecific {
		a, err := artifactsFromTXT(resp.Answer, l.Name)
		if err != nil {
			return DNSAnswer{}, fmt.Errorf("%s: %w", l, err)
		}
		return DNSAnswer{Artifacts: a}, nil
	}
	s, err := d.serversFromSRV(resp.Answer, l.Name)
	if err != nil {
		return DNSAnswer{}, fmt.Errorf("%s: %w", l, err)
	}
	return DNSAnswer{Servers: s}, nil
}

func (d *DNS) timeout() time.Duration {
	if d.Timeout > 0 {
		return d.Timeout
	}
	return 2 * time.Second
}

// exchangeUnicast asks over UDP and, when the answer is truncated (signed
// data rarely fits a datagram, RFC 8572 section 4.2.4), again over TCP.
func (d *DNS) exchangeUnicast(ctx context.Context, m *dns.Msg, server string) (*dns.Msg, error) {
	c := &dns.Client{Net: "udp", Timeout: d.timeout()}
	resp, _, err := c.ExchangeContext(ctx, m, server)
	if err == nil && !resp.Truncated {
		return resp, checkReply(m, resp)
	}
	c.Net = "tcp"
	resp, _, err = c.ExchangeContext(ctx, m, server)
	if err != nil {
		return nil, err
	}
	return resp, checkReply(m, resp)
}

// exchangeMulticast sends a one-shot query (RFC 6762 section 5.1) from an
// unconnected socket, since the answer comes from a responder's own
// address, and takes the first answer to the question.
func (d *DNS) exchangeMulticast(ctx context.Context, m *dns.Msg, group string) (*dns.Msg, error) {
	dst, err := net.ResolveUDPAddr("udp", group)
	if err != nil {
		return nil, err
	}
	var lc net.ListenConfig
	pc, err := lc.ListenPacket(ctx, "udp4", ":0")
	if err != nil {
		return nil, err
	}
	defer pc.Close()
	q, err := m.Pack()
	if err != nil {
		return nil, err
	}
	if _, err := pc.WriteTo(q, dst); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(d.timeout())
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	_ = pc.SetReadDeadline(deadline)
	buf := make([]byte, 9000) // RFC 6762 section 17
	for {
		n, _, err := pc.ReadFrom(buf)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return nil, fmt.Errorf("%w (no mDNS answer)", ErrNoRecords)
			}
			return nil, err
		}
		r := new(dns.Msg)
		if r.Unpack(buf[:n]) != nil || !r.Response || checkReply(m, r) != nil {
			continue
		}
		return r, nil
	}
}

func checkReply(q, r *dns.Msg) error {
	if len(r.Question) > 0 && (len(q.Question) == 0 || !strings.EqualFold(r.Question[0].Name, q.Question[0].Name)) {
		return errors.New("DNS answer is for another question")
	}
	return nil
}

// artifactsFromTXT reads the "ci", "oc" and "ov" keys (RFC 8572 section
// 4.2.2). One TXT record carries one key; its character-strings are
// joined, as a value of several kilobytes cannot fit one 255-octet
// string. Other keys are ignored, as the RFC requires; a key given twice
// is refused rather than guessed at.
func artifactsFromTXT(rrs []dns.RR, name string) (*Artifacts, error) {
	var a Artifacts
	seen := map[string]bool{}
	for _, rr := range rrs {
		txt, ok := rr.(*dns.TXT)
		if !ok || !strings.EqualFold(txt.Hdr.Name, name) {
			continue
		}
		var raw []byte
		for _, s := range txt.Txt {
			b, err := unescapeTXT(s)
			if err != nil {
				return nil, err
			}
			raw = append(raw, b...)
		}
		key, val, ok := strings.Cut(string(raw), "=")
		if !ok {
			continue
		}
		key = strings.ToLower(key)
		var dst *[]byte
		switch key {
		case "ci":
			dst = &a.ConveyedInformation
		case "oc":
			dst = &a.OwnerCertificate
		case "ov":
			dst = &a.OwnershipVoucher
		default:
			continue
		}
		if seen[key] {
			return nil, fmt.Errorf("TXT key %q given twice", key)
		}
		seen[key] = true
		*dst = []byte(val)
	}
	if len(a.ConveyedInformation) == 0 {
		if len(seen) > 0 {
			return nil, errors.New(`TXT records carry "oc"/"ov" but no "ci"`)
		}
		return nil, ErrNoRecords
	}
	if (len(a.OwnerCertificate) == 0) != (len(a.OwnershipVoucher) == 0) {
		return nil, errors.New(`TXT records carry only one of "oc" and "ov"; signed data needs both`)
	}
	return &a, nil
}

// serversFromSRV orders SRV targets by RFC 2782: lowest priority first,
// and within a priority a weighted random order. A target of "." means
// the service is not offered there.
func (d *DNS) serversFromSRV(rrs []dns.RR, name string) ([]Server, error) {
	var srvs []*dns.SRV
	for _, rr := range rrs {
		if s, ok := rr.(*dns.SRV); ok && strings.EqualFold(s.Hdr.Name, name) && s.Target != "." {
			srvs = append(srvs, s)
		}
	}
	if len(srvs) == 0 {
		return nil, ErrNoRecords
	}
	slices.SortStableFunc(srvs, func(a, b *dns.SRV) int { return int(a.Priority) - int(b.Priority) })
	r := d.Rand
	if r == nil {
		r = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	var out []Server
	var ignored []error
	for i := 0; i < len(srvs); {
		j := i
		for j < len(srvs) && srvs[j].Priority == srvs[i].Priority {
			j++
		}
		for _, s := range weightedOrder(srvs[i:j], r) {
			host := strings.TrimSuffix(s.Target, ".")
			sv, err := ParseServerURI("https://" + net.JoinHostPort(host, strconv.Itoa(int(s.Port))))
			if err != nil {
				ignored = append(ignored, err)
				continue
			}
			out = append(out, sv)
		}
		i = j
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no usable SRV target: %w", errors.Join(ignored...))
	}
	return out, nil
}

// weightedOrder is RFC 2782's selection: repeatedly pick a record with
// probability proportional to its weight (zero-weight records get a small
// chance, first in line among themselves).
func weightedOrder(group []*dns.SRV, r *rand.Rand) []*dns.SRV {
	left := slices.Clone(group)
	slices.SortStableFunc(left, func(a, b *dns.SRV) int {
		return boolInt(a.Weight != 0) - boolInt(b.Weight != 0)
	})
	var out []*dns.SRV
	for len(left) > 0 {
		total := 0
		for _, s := range left {
			total += int(s.Weight)
		}
		pick := 0
		if total > 0 {
			n := r.IntN(total + 1)
			sum := 0
			for k, s := range left {
				sum += int(s.Weight)
				if sum >= n {
					pick = k
					break
				}
			}
		}
		out = append(out, left[pick])
		left = slices.Delete(left, pick, pick+1)
	}
	return out
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// checkSerialLabel refuses a serial number that cannot be one DNS label.
func checkSerialLabel(s string) error {
	if s == "" || len(s) > 63 {
		return fmt.Errorf("serial number %q cannot be a DNS label (1-63 octets)", s)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == '.' || c == '\\' || c == '"' {
			return fmt.Errorf("serial number %q cannot be a DNS label", s)
		}
	}
	return nil
}

// unescapeTXT turns miekg/dns's presentation form of a character-string
// (\DDD and \X escapes) back into its octets.
func unescapeTXT(s string) ([]byte, error) {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		if i+1 >= len(s) {
			return nil, errors.New("TXT string ends in a lone backslash")
		}
		if i+3 < len(s) && isDigit(s[i+1]) && isDigit(s[i+2]) && isDigit(s[i+3]) {
			v := int(s[i+1]-'0')*100 + int(s[i+2]-'0')*10 + int(s[i+3]-'0')
			if v > 255 {
				return nil, errors.New("TXT escape out of range")
			}
			out = append(out, byte(v))
			i += 3
			continue
		}
		out = append(out, s[i+1])
		i++
	}
	return out, nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
