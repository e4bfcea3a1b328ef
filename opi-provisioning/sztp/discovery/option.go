// Package discovery finds SZTP bootstrap servers (RFC 8572 sections 4
// and 8): the DHCPv4 (143) and DHCPv6 (136) SZTP redirect options, DNS
// (device-specific TXT and device-independent SRV records), and a
// configured list. Everything learned here comes from an untrusted source:
// a server found here is only a place to ask, never a trust anchor.
package discovery

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// Option codes assigned by RFC 8572 section 10.
const (
	OptionV4SZTPRedirect = 143 // OPTION_V4_SZTP_REDIRECT
	OptionV6SZTPRedirect = 136 // OPTION_V6_SZTP_REDIRECT
)

// maxURILength bounds one URI of a bootstrap-server-list. The field is
// two octets wide; a host name is at most 253 octets (RFC 1035), so a
// valid "https://host:port" is far below this.
const maxURILength = 2048

// Server is one bootstrap server, as RFC 8572 section 8.3 restricts it:
// "https://<ip-address-or-hostname>[:<port>]".
type Server struct {
	Host string // host name or IP address, without brackets
	Port uint16 // 443 when the URI gave none
}

// URL is the server's base URI in canonical form.
func (s Server) URL() string {
	return "https://" + net.JoinHostPort(s.Host, strconv.Itoa(int(s.Port)))
}

// String is the canonical URI.
func (s Server) String() string { return s.URL() }

// ServerList is a decoded bootstrap-server-list: the valid entries in the
// order the option gave them, and each entry that was ignored with why.
// RFC 8572 section 8: invalid URI entries are ignored; an option without
// any valid entry is discarded (ParseServerList returns an error).
type ServerList struct {
	Servers []Server
	Ignored []error
}

// ErrMalformed marks a bootstrap-server-list whose framing is broken
// (a length running past the end, bytes left over): no entry of it can
// be trusted to start where it claims, so the whole option is refused.
var ErrMalformed = errors.New("malformed bootstrap-server-list")

// ErrNoValidServer marks a list whose framing is sound but which holds
// no valid URI; RFC 8572 section 8 says the option is then discarded.
var ErrNoValidServer = errors.New("bootstrap-server-list holds no valid https URI")

// ParseServerList decodes a bootstrap-server-list (RFC 8572 section 8.3):
// a sequence of entries, each a 2-octet big-endian uri-length followed by
// that many octets of URI. For DHCPv4 the caller passes the RFC 3396
// concatenation of every instance of option 143 (Options4.Get does it).
func ParseServerList(b []byte) (ServerList, error) {
	var l ServerList
	if len(b) == 0 {
		return l, fmt.Errorf("%w: empty", ErrMalformed)
	}
	for off := 0; off < len(b); {
		if len(b)-off < 2 {
			return ServerList{}, fmt.Errorf("%w: %d trailing octet(s) at offset %d, too short for a uri-length", ErrMalformed, len(b)-off, off)
		}
		n := int(binary.BigEndian.Uint16(b[off:]))
		off += 2
		if n > len(b)-off {
			return ServerList{}, fmt.Errorf("%w: uri-length %d at offset %d runs past the end (%d octets left)", ErrMalformed, n, off-2, len(b)-off)
		}
		raw := b[off : off+n]
		off += n
		s, err := ParseServerURI(string(raw))
		if err != nil {
			l.Ignored = append(l.Ignored, err)
			continue
		}
		l.Servers = append(l.Servers, s)
	}
	if len(l.Servers) == 0 {
		return l, fmt.Errorf("%w (%d ignored: %v)", ErrNoValidServer, len(l.Ignored), errors.Join(l.Ignored...))
	}
	return l, nil
}

// EncodeServerList is the inverse of ParseServerList, for servers and
// tests (the dnsmasq flow test announces its output). It refuses a URI
// that ParseServerList would ignore, so what it encodes reads back whole.
func EncodeServerList(uris ...string) ([]byte, error) {
	if len(uris) == 0 {
		return nil, errors.New("no URI to encode")
	}
	var b []byte
	for _, u := range uris {
		if _, err := ParseServerURI(u); err != nil {
			return nil, err
		}
		b = binary.BigEndian.AppendUint16(b, uint16(len(u)))
		b = append(b, u...)
	}
	return b, nil
}

// ParseServerURI checks one bootstrap server URI against RFC 8572
// section 8.3: scheme https, a host (name or IP address), an optional
// port, and nothing else (no user information, path, query or fragment).
func ParseServerURI(raw string) (Server, error) {
	bad := func(why string) (Server, error) {
		return Server{}, fmt.Errorf("bootstrap server URI %q: %s", truncate(raw), why)
	}
	if raw == "" {
		return bad("empty")
	}
	if len(raw) > maxURILength {
		return bad(fmt.Sprintf("longer than %d octets", maxURILength))
	}
	for i := 0; i < len(raw); i++ {
		if c := raw[i]; c <= ' ' || c >= 0x7f {
			return bad(fmt.Sprintf("octet 0x%02x at %d is not a printable ASCII character", c, i))
		}
	}
	u, err := url.Parse(raw)
	if err != nil {
		return bad("not a URI")
	}
	switch {
	case !strings.EqualFold(u.Scheme, "https"):
		return bad("scheme must be https")
	case u.Opaque != "":
		return bad("must be https://host[:port]")
	case u.User != nil:
		return bad("must not carry user information")
	case u.Path != "" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(raw, "#"):
		return bad("must not have a path, query or fragment")
	}
	host := u.Hostname()
	if host == "" {
		return bad("has no host")
	}
	port := uint16(443)
	if p := u.Port(); p != "" {
		v, err := strconv.ParseUint(p, 10, 16)
		if err != nil || v == 0 {
			return bad("port must be 1-65535")
		}
		port = uint16(v)
	} else if strings.HasSuffix(u.Host, ":") {
		return bad("empty port")
	}
	if strings.HasPrefix(u.Host, "[") {
		a, err := netip.ParseAddr(host)
		if err != nil || !a.Is6() || a.Zone() != "" {
			return bad("bracketed host must be an IPv6 address")
		}
		return Server{Host: a.String(), Port: port}, nil
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if !a.Is4() {
			return bad("an IPv6 address must be in brackets")
		}
		return Server{Host: a.String(), Port: port}, nil
	}
	if err := checkHostname(host); err != nil {
		return bad(err.Error())
	}
	return Server{Host: strings.ToLower(strings.TrimSuffix(host, ".")), Port: port}, nil
}

// checkHostname applies the preferred name syntax (RFC 1123 section 2.1):
// labels of letters, digits and hyphens, 1-63 octets, not starting or
// ending with a hyphen, 253 octets in all.
func checkHostname(h string) error {
	h = strings.TrimSuffix(h, ".")
	if len(h) == 0 || len(h) > 253 {
		return errors.New("host name must be 1-253 octets")
	}
	for _, label := range strings.Split(h, ".") {
		if len(label) == 0 || len(label) > 63 {
			return errors.New("host name label must be 1-63 octets")
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return errors.New("host name label must not start or end with a hyphen")
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return fmt.Errorf("host name has invalid character %q", c)
			}
		}
	}
	return nil
}

func truncate(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// ParseConfigured reads a configured list of bootstrap servers (the
// device's well-known servers, RFC 8572 section 5.1 item 3), one URI
// each. Unlike a DHCP option, a configured list is refused whole when
// any entry is invalid: a typo in configuration must not pass silently.
func ParseConfigured(uris []string) ([]Server, error) {
	out := make([]Server, 0, len(uris))
	for _, u := range uris {
		s, err := ParseServerURI(strings.TrimSpace(u))
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}
