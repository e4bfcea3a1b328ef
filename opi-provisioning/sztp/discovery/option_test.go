package discovery

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

// entry is one length-prefixed URI as RFC 8572 section 8.3 frames it.
func entry(s string) []byte {
	return append(binary.BigEndian.AppendUint16(nil, uint16(len(s))), s...)
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func TestParseServerList(t *testing.T) {
	long := "https://" + strings.Repeat("a", 60) + "." + strings.Repeat("b", 60) + ".example.com"
	tests := []struct {
		name    string
		in      []byte
		want    []string
		ignored int
		err     error
	}{
		{"one URI with a port", entry("https://sztp.example.com:8443"), []string{"https://sztp.example.com:8443"}, 0, nil},
		{"a URI without a port gets 443", entry("https://sztp.example.com"), []string{"https://sztp.example.com:443"}, 0, nil},
		{"several URIs keep their order", cat(entry("https://b.example"), entry("https://a.example:1"), entry("https://192.0.2.1:2")),
			[]string{"https://b.example:443", "https://a.example:1", "https://192.0.2.1:2"}, 0, nil},
		{"an IPv6 literal in brackets", entry("https://[2001:db8::1]:8443"), []string{"https://[2001:db8::1]:8443"}, 0, nil},
		{"a host name is lower-cased and loses its final dot", entry("https://SZTP.Example.COM.:1"), []string{"https://sztp.example.com:1"}, 0, nil},
		{"a long host name over 255 octets of list", cat(entry(long), entry(long)), []string{long + ":443", long + ":443"}, 0, nil},
		{"an http URI is ignored, the https one kept", cat(entry("http://a.example"), entry("https://b.example")), []string{"https://b.example:443"}, 1, nil},
		{"a URI with a path is ignored", cat(entry("https://a.example/restconf"), entry("https://b.example")), []string{"https://b.example:443"}, 1, nil},
		{"user information, query, fragment, empty entry are ignored",
			cat(entry("https://u:p@a.example"), entry("https://a.example?x=1"), entry("https://a.example#f"), entry(""), entry("https://ok.example")),
			[]string{"https://ok.example:443"}, 4, nil},
		{"an empty list is malformed", nil, nil, 0, ErrMalformed},
		{"a length past the end is malformed", cat(entry("https://a.example"), []byte{0, 50, 'h'}), nil, 0, ErrMalformed},
		{"one trailing octet is malformed", cat(entry("https://a.example"), []byte{0}), nil, 0, ErrMalformed},
		{"only invalid URIs: the option is discarded", cat(entry("ftp://a.example"), entry("https://")), nil, 2, ErrNoValidServer},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, err := ParseServerList(tc.in)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("error = %v, want %v", err, tc.err)
				}
				if len(l.Servers) != 0 {
					t.Fatalf("a refused list returned servers %v", l.Servers)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range l.Servers {
				got = append(got, s.URL())
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Fatalf("servers = %v, want %v", got, tc.want)
			}
			if len(l.Ignored) != tc.ignored {
				t.Fatalf("ignored %d (%v), want %d", len(l.Ignored), l.Ignored, tc.ignored)
			}
		})
	}
}

func TestParseServerURIRefuses(t *testing.T) {
	for _, raw := range []string{
		"", "https", "https:", "https://", "https://:443", "HTTP://a.example", "https:opaque",
		"https://a.example:0", "https://a.example:65536", "https://a.example:", "https://a.example:x",
		"https://2001:db8::1", "https://[192.0.2.1]", "https://[fe80::1%25eth0]", "https://a_b.example",
		"https://-a.example", "https://a-.example", "https://" + strings.Repeat("a", 64) + ".example",
		"https://a.example/", "https://a .example", "https://a.example\n", "https://a.exa\x00mple",
		"https://a.example?", "https://\xff.example", "https://" + strings.Repeat("a.", 127) + "aa",
	} {
		if s, err := ParseServerURI(raw); err == nil {
			t.Errorf("ParseServerURI(%q) = %v, want an error", raw, s)
		}
	}
}

func TestEncodeServerListRoundTrips(t *testing.T) {
	in := []string{"https://redirect.example:8443", "https://192.0.2.7", "https://[2001:db8::7]:9"}
	b, err := EncodeServerList(in...)
	if err != nil {
		t.Fatal(err)
	}
	l, err := ParseServerList(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Servers) != 3 || l.Servers[1].URL() != "https://192.0.2.7:443" {
		t.Fatalf("round trip gave %v", l.Servers)
	}
	if _, err := EncodeServerList("http://a.example"); err == nil {
		t.Fatal("EncodeServerList accepted an http URI")
	}
}

// RFC 3396: a list longer than 255 octets is split over several instances
// of option 143, and the client concatenates them in order, across the
// options, file and sname fields as option 52 directs.
func TestOption143SplitOverInstancesIsReassembled(t *testing.T) {
	var uris []string
	for i := 0; i < 12; i++ {
		uris = append(uris, "https://bootstrap-server-"+strings.Repeat("x", 20)+string(rune('a'+i))+".example.com:8443")
	}
	list, err := EncodeServerList(uris...)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) <= 255 {
		t.Fatalf("test list is %d octets; it must need more than one instance", len(list))
	}
	m := &Message4{Op: 2, XID: 7, CHAddr: []byte{2, 0, 0, 0, 0, 1}}
	m.Options.Add(opt4MessageType, []byte{dhcpAck})
	m.Options.Add(OptionV4SZTPRedirect, list)
	m.Options.Add(opt4ServerID, []byte{192, 0, 2, 1})
	if n := count(m.Options, OptionV4SZTPRedirect); n < 2 {
		t.Fatalf("Add split the list into %d instance(s)", n)
	}
	got, err := ParseMessage4(m.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	l, ok, err := got.SZTPServers()
	if !ok || err != nil || len(l.Servers) != len(uris) {
		t.Fatalf("SZTPServers = %d servers, %v, %v; want %d", len(l.Servers), ok, err, len(uris))
	}
	for i, s := range l.Servers {
		if s.URL() != uris[i] {
			t.Fatalf("server %d = %s, want %s", i, s.URL(), uris[i])
		}
	}

	// The same list, its second half carried in the file field (option
	// overload 1): reassembled options-then-file.
	half := 200
	m2 := &Message4{Op: 2, XID: 7, CHAddr: []byte{2, 0, 0, 0, 0, 1}}
	m2.Options.Add(opt4Overload, []byte{1})
	m2.Options.Add(OptionV4SZTPRedirect, list[:half])
	b := m2.Marshal()
	file := []byte{OptionV4SZTPRedirect, byte(len(list) - half)}
	file = append(file, list[half:]...)
	if len(file) > 127 {
		t.Skip("remaining list does not fit the file field")
	}
	copy(b[108:], append(file, opt4End))
	got2, err := ParseMessage4(b)
	if err != nil {
		t.Fatal(err)
	}
	if l, _, err := got2.SZTPServers(); err != nil || len(l.Servers) != len(uris) {
		t.Fatalf("with overload: %d servers, %v", len(l.Servers), err)
	}
}

func count(o Options4, code byte) int {
	n := 0
	for _, op := range o {
		if op.Code == code {
			n++
		}
	}
	return n
}

func TestParseMessage4Refuses(t *testing.T) {
	good := (&Message4{Op: 2, CHAddr: []byte{2, 0, 0, 0, 0, 1}}).Marshal()
	bad := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	for name, b := range map[string][]byte{
		"shorter than the header":        good[:100],
		"without the magic cookie":       bad(func(b []byte) []byte { b[236] = 0; return b }),
		"an option running past the end": bad(func(b []byte) []byte { return append(b[:240], 143, 10, 0, 5) }),
		"an option without its length":   bad(func(b []byte) []byte { return append(b[:240], 143) }),
		"a bad overload value":           bad(func(b []byte) []byte { return append(b[:240], opt4Overload, 1, 9, opt4End) }),
		"an hlen over 16":                bad(func(b []byte) []byte { b[2] = 17; return b }),
	} {
		if _, err := ParseMessage4(b); err == nil {
			t.Errorf("%s: ParseMessage4 accepted it", name)
		}
	}
}

func TestParseMessage6(t *testing.T) {
	list, _ := EncodeServerList("https://[2001:db8::5]:8443", "https://b.example")
	m := &Message6{Type: dhcp6Reply, XID: [3]byte{1, 2, 3}, Options: []Option6{{opt6ServerID, []byte{0, 3, 0, 1, 1, 2, 3, 4, 5, 6}}, {OptionV6SZTPRedirect, list}}}
	got, err := ParseMessage6(m.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	l, ok, err := got.SZTPServers()
	if !ok || err != nil || len(l.Servers) != 2 || l.Servers[0].URL() != "https://[2001:db8::5]:8443" {
		t.Fatalf("SZTPServers = %v %v %v", l.Servers, ok, err)
	}
	m.Options = append(m.Options, Option6{OptionV6SZTPRedirect, list})
	got, _ = ParseMessage6(m.Marshal())
	if _, _, err := got.SZTPServers(); !errors.Is(err, ErrMalformed) {
		t.Fatalf("two option 136 instances: %v, want ErrMalformed", err)
	}
	for name, b := range map[string][]byte{
		"shorter than the header": {7, 0},
		"trailing octets":         append(m.Marshal(), 0, 1),
		"an option past the end":  append(m.Marshal(), 0, 136, 0, 9, 0),
	} {
		if _, err := ParseMessage6(b); err == nil {
			t.Errorf("%s: ParseMessage6 accepted it", name)
		}
	}
}
