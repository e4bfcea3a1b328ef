package bridge_test

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"net/netip"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	securityv1 "github.com/opi-suite/opi/opi-api/security/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/opi-suite/opi/opi-security-bridge/internal/vici"
	"github.com/opi-suite/opi/opi-security-bridge/internal/vici/vicitest"
)

// TestAPIListingEqualsCharon creates a varied set of connections through
// the API (IKE versions, addresses, ports, proposals, PSK and public key
// authentication, identities, children with /32, /128, subnet, range,
// dynamic and protocol/port selectors, every mode, start and DPD action,
// rekey times, DPD on, off and default) and checks, field by field, that
// what List and Get return is what charon holds (VICI list-conns, what
// `swanctl --list-conns --raw` prints), with the bridge's defaults and
// charon's applied. charon does not report proposals, ports, forced UDP
// encapsulation, a child's start action or the keys: those are compared
// between the request and the API only.
func TestAPIListingEqualsCharon(t *testing.T) {
	p := vicitest.NewPair(t)
	a := side{api: startIPsec(t, p.A), d: p.A, addr: p.AddrA, peer: p.AddrB, inner: p.InnerA, innerTo: p.InnerB}
	ctx := context.Background()
	if _, err := a.api.CreatePreSharedKey(ctx, &securityv1.CreatePreSharedKeyRequest{
		PreSharedKeyId: "site-psk", PreSharedKey: &securityv1.PreSharedKey{Secret: []byte("a-shared-secret-of-32-bytes-long")},
	}); err != nil {
		t.Fatal(err)
	}
	pk := newPKI(t)
	for id, c := range map[string]string{"ca": pk.caPEM, "own": pk.certA, "peer": pk.certB} {
		if _, err := a.api.CreateCertificate(ctx, &securityv1.CreateCertificateRequest{CertificateId: id, Certificate: &securityv1.Certificate{Pem: c}}); err != nil {
			t.Fatalf("CreateCertificate %s: %v", id, err)
		}
	}
	if _, err := a.api.CreatePrivateKey(ctx, &securityv1.CreatePrivateKeyRequest{PrivateKeyId: "own", PrivateKey: &securityv1.PrivateKey{Pem: pk.keyA}}); err != nil {
		t.Fatal(err)
	}
	subjects := map[string]string{}
	for name, c := range map[string]string{"certificates/ca": pk.caPEM, "certificates/own": pk.certA, "certificates/peer": pk.certB} {
		subjects[name] = certSubject(t, c)
	}

	psk := pskAuth
	pub := func(id string) *securityv1.Authentication {
		return &securityv1.Authentication{Method: securityv1.AuthMethod_AUTH_METHOD_PUBKEY, Id: id, Certificate: "certificates/own", PrivateKey: "privateKeys/own"}
	}
	sec := func(s int) *durationpb.Duration { return durationpb.New(time.Duration(s) * time.Second) }
	child := func(name string, local, remote []string) *securityv1.ChildSaConfig {
		return &securityv1.ChildSaConfig{Name: name, LocalTs: local, RemoteTs: remote}
	}
	conns := map[string]*securityv1.IkeConnection{
		// IKEv2 between two hosts, everything set.
		"v2-full": {
			Version: securityv1.IkeVersion_IKE_VERSION_IKEV2, LocalAddrs: []string{a.addr}, RemoteAddrs: []string{a.peer},
			LocalPort: 4500, RemotePort: 4501, Proposals: []string{"aes256-sha256-modp2048", "aes128gcm16-prfsha256-x25519"},
			ForceUdpEncapsulation: true, DpdDelay: sec(10), RekeyTime: sec(7200),
			LocalAuth:  &securityv1.Authentication{Method: securityv1.AuthMethod_AUTH_METHOD_PSK, Id: "a.opi.test", PreSharedKey: "preSharedKeys/site-psk"},
			RemoteAuth: &securityv1.Authentication{Method: securityv1.AuthMethod_AUTH_METHOD_PSK, Id: "b@opi.test"},
			Children: []*securityv1.ChildSaConfig{{
				Name: "net", LocalTs: []string{"10.1.0.1/32"}, RemoteTs: []string{"10.2.0.1/32"},
				EspProposals: []string{"aes128gcm16", "aes256-sha256"}, Mode: securityv1.IpsecMode_IPSEC_MODE_TUNNEL,
				DpdAction: securityv1.DpdAction_DPD_ACTION_CLEAR,
				RekeyTime: sec(1200),
			}},
		},
		// IKEv1, DPD off, transport mode, trap, IPv6 /128 selectors.
		"v1-transport": {
			Version: securityv1.IkeVersion_IKE_VERSION_IKEV1, LocalAddrs: []string{"2001:db8::1"}, RemoteAddrs: []string{"2001:db8::2"},
			DpdDelay: sec(0), LocalAuth: psk(), RemoteAuth: psk(),
			Children: []*securityv1.ChildSaConfig{{
				Name: "host", LocalTs: []string{"2001:db8::1/128"}, RemoteTs: []string{"2001:db8::2/128[tcp/443]"},
				Mode: securityv1.IpsecMode_IPSEC_MODE_TRANSPORT, StartAction: securityv1.StartAction_START_ACTION_TRAP,
				DpdAction: securityv1.DpdAction_DPD_ACTION_TRAP,
			}},
		},
		// Either version, a responder for anyone: no addresses, the
		// defaults of DPD (30 s, CLEAR on a responder) and rekeying,
		// several children with subnets, ranges, dynamic and protocols.
		"any-responder": {
			LocalAuth: psk(), RemoteAuth: psk(),
			Children: []*securityv1.ChildSaConfig{
				child("subnets", []string{"10.1.0.0/16", "10.3.0.0-10.3.0.255"}, []string{"10.4.0.1-10.4.0.9", "0.0.0.0/0[udp/53]"}),
				child("dyn", nil, []string{"dynamic[tcp/1024-2048]", "10.5.0.0/24[17]", "10.6.0.0/24[icmp/8]", "10.7.0.0/24[icmp/3-4]", "10.8.0.0/24[udp/domain]"}),
				child("v6", []string{"2001:db8:1::/48"}, []string{"2001:db8:2::/64[udp/500]"}),
			},
		},
		// Public keys: the local certificate's subject is the identity;
		// the peer is pinned to its certificate and must chain to the CA.
		"pubkey": {
			Version: securityv1.IkeVersion_IKE_VERSION_IKEV2, LocalAddrs: []string{a.addr, "192.0.2.0/24"},
			RemoteAddrs: []string{"peer.opi.test", "198.51.100.1-198.51.100.9"}, RekeyTime: sec(86400),
			LocalAuth:  pub(""),
			RemoteAuth: &securityv1.Authentication{Method: securityv1.AuthMethod_AUTH_METHOD_PUBKEY, Certificate: "certificates/peer", CaCertificate: "certificates/ca"},
			Children: []*securityv1.ChildSaConfig{{
				Name: "net", LocalTs: []string{a.inner + "/32"}, RemoteTs: []string{a.innerTo + "/32"},
				DpdAction: securityv1.DpdAction_DPD_ACTION_RESTART, RekeyTime: sec(3 * 86400),
			}},
		},
		// Public key with an explicit identity, to a peer that should be
		// up (the default DPD action of an initiator is RESTART), and a
		// child that starts on its own.
		"pubkey-id": {
			LocalAddrs: []string{a.addr}, RemoteAddrs: []string{a.peer}, DpdDelay: sec(120),
			LocalAuth:  pub("CN=a.opi.test, O=OPI"),
			RemoteAuth: &securityv1.Authentication{Method: securityv1.AuthMethod_AUTH_METHOD_PUBKEY, Id: "CN=b.opi.test, O=OPI", CaCertificate: "certificates/ca"},
			Children: []*securityv1.ChildSaConfig{
				child("first", []string{"10.1.0.1/32"}, []string{"10.2.0.1/32"}),
				{Name: "second", LocalTs: []string{"10.1.1.0/24"}, RemoteTs: []string{"10.2.1.0/24"}, StartAction: securityv1.StartAction_START_ACTION_START},
			},
		},
	}
	for id, c := range conns {
		if _, err := a.api.CreateIkeConnection(ctx, &securityv1.CreateIkeConnectionRequest{IkeConnectionId: id, IkeConnection: c}); err != nil {
			t.Fatalf("CreateIkeConnection %s: %v", id, err)
		}
	}

	client, err := vici.New(p.A.Socket)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	// compare checks that the API lists the connections of want (by id,
	// as sent), List, Get and the request agreeing, and that charon holds
	// exactly them, as the API lists them.
	compare := func(t *testing.T, want map[string]*securityv1.IkeConnection) {
		t.Helper()
		loaded, err := client.LoadedConns(ctx)
		if err != nil {
			t.Fatal(err)
		}
		held := map[string]vici.LoadedConn{}
		for _, lc := range loaded {
			held[lc.Name] = lc
		}
		var listed []*securityv1.IkeConnection
		for token := ""; ; {
			resp, err := a.api.ListIkeConnections(ctx, &securityv1.ListIkeConnectionsRequest{PageSize: 2, PageToken: token})
			if err != nil {
				t.Fatal(err)
			}
			listed = append(listed, resp.GetIkeConnections()...)
			if token = resp.GetNextPageToken(); token == "" {
				break
			}
		}
		if len(listed) != len(want) || len(held) != len(want) {
			t.Fatalf("the API lists %d connections and charon holds %d; want %d each\n%s", len(listed), len(held), len(want), swanctlConns(p.A))
		}
		for _, c := range listed {
			id := strings.TrimPrefix(c.GetName(), "ikeConnections/")
			got, err := a.api.GetIkeConnection(ctx, &securityv1.GetIkeConnectionRequest{Name: c.GetName()})
			if err != nil {
				t.Fatal(err)
			}
			// List, Get and the request agree on every field the user set.
			spec := func(m *securityv1.IkeConnection) *securityv1.IkeConnection {
				m = proto.Clone(m).(*securityv1.IkeConnection)
				m.Name, m.Status, m.DesiredUp = "", nil, false
				return m
			}
			if !proto.Equal(spec(c), spec(got)) || !proto.Equal(spec(c), spec(want[id])) {
				t.Errorf("%s: List, Get and the request differ:\nlist: %v\nget:  %v\nsent: %v", id, c, got, want[id])
			}
			lc, ok := held[id]
			if !ok {
				t.Errorf("%s: listed by the API, not held by charon", id)
				continue
			}
			for _, f := range diffFields(charonView(c, subjects), normalize(t, lc)) {
				t.Errorf("%s: %s", id, f)
			}
		}
		if t.Failed() {
			t.Logf("charon holds:\n%s", swanctlConns(p.A))
		}
	}
	compare(t, conns)

	// An update reloads the connection: charon holds the new values. A
	// delete unloads it.
	updated := proto.Clone(conns["v2-full"]).(*securityv1.IkeConnection)
	updated.Name = "ikeConnections/v2-full"
	updated.Version, updated.RekeyTime, updated.DpdDelay = securityv1.IkeVersion_IKE_VERSION_IKEV1, sec(10800), sec(0)
	updated.LocalAuth.Id = "CN=a.opi.test, O=OPI"
	updated.Children = append(updated.Children, child("more", []string{"10.9.0.0/24[tcp/22]"}, []string{"2001:db8:9::/64"}))
	updated.Children[0].Mode, updated.Children[0].RekeyTime = securityv1.IpsecMode_IPSEC_MODE_TRANSPORT, nil
	if _, err := a.api.UpdateIkeConnection(ctx, &securityv1.UpdateIkeConnectionRequest{IkeConnection: updated}); err != nil {
		t.Fatalf("UpdateIkeConnection: %v", err)
	}
	conns["v2-full"] = updated
	if _, err := a.api.DeleteIkeConnection(ctx, &securityv1.DeleteIkeConnectionRequest{Name: "ikeConnections/v1-transport"}); err != nil {
		t.Fatal(err)
	}
	delete(conns, "v1-transport")
	t.Run("after an update and a delete", func(t *testing.T) { compare(t, conns) })

	// charon restarts empty: the replay pass loads everything again, as
	// the API lists it.
	p.A.Restart()
	deadline := time.Now().Add(20 * time.Second)
	for {
		loaded, err := client.LoadedConns(ctx)
		if err == nil && len(loaded) == len(conns) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after charon restarted the bridge did not load the connections again: %d, %v", len(loaded), err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Run("after charon restarted and the bridge replayed", func(t *testing.T) { compare(t, conns) })

	// Values charon takes without complaint but holds otherwise: each is
	// refused before charon, or else charon must hold what the API lists.
	for _, tc := range []struct {
		name string
		edit func(c *securityv1.IkeConnection)
	}{
		{"a zero IKE rekey time (charon: its default, 4 h)", func(c *securityv1.IkeConnection) { c.RekeyTime = sec(0) }},
		{"a zero child rekey time (charon: its default, 1 h)", func(c *securityv1.IkeConnection) { c.Children[0].RekeyTime = sec(0) }},
		{"an IKE rekey time past 2^32 s (charon: cut to 32 bits)", func(c *securityv1.IkeConnection) { c.RekeyTime = sec(5000000000) }},
		{"a DPD delay past 2^32 s (charon: cut to 32 bits)", func(c *securityv1.IkeConnection) { c.DpdDelay = sec(5000000000) }},
		{"a child rekey time of 10,000 years (charon: 292 years)", func(c *securityv1.IkeConnection) {
			c.Children[0].RekeyTime = &durationpb.Duration{Seconds: 315576000000}
		}},
		{"an ICMP type above 255 (charon: type 1 code 44)", func(c *securityv1.IkeConnection) { c.Children[0].RemoteTs = []string{"10.2.0.0/16[icmp/300]"} }},
		{"a port range that ends before it starts (charon: held, matches nothing)", func(c *securityv1.IkeConnection) { c.Children[0].RemoteTs = []string{"10.2.0.0/16[tcp/2048-1024]"} }},
		{"a port without a protocol (charon: held as 0/http)", func(c *securityv1.IkeConnection) { c.Children[0].RemoteTs = []string{"10.2.0.0/16[0/80]"} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := a.connection(pskAuth(), pskAuth())
			tc.edit(c)
			out, err := a.api.CreateIkeConnection(ctx, &securityv1.CreateIkeConnectionRequest{IkeConnectionId: "odd", IkeConnection: c})
			if err == nil {
				defer func() {
					_, _ = a.api.DeleteIkeConnection(ctx, &securityv1.DeleteIkeConnectionRequest{Name: "ikeConnections/odd"})
				}()
				loaded, lerr := client.LoadedConns(ctx)
				if lerr != nil {
					t.Fatal(lerr)
				}
				for _, lc := range loaded {
					if lc.Name == "odd" {
						for _, f := range diffFields(charonView(out, subjects), normalize(t, lc)) {
							t.Errorf("accepted, and %s", f)
						}
					}
				}
			}
			if status.Code(err) != codes.InvalidArgument {
				t.Fatalf("CreateIkeConnection: %v, want InvalidArgument before charon", err)
			}
			if _, err := a.api.GetIkeConnection(ctx, &securityv1.GetIkeConnectionRequest{Name: "ikeConnections/odd"}); status.Code(err) != codes.NotFound {
				t.Fatalf("GetIkeConnection after the refusal: %v, want NotFound", err)
			}
		})
	}
}

func swanctlConns(d *vicitest.Daemon) string {
	out, _ := d.Swanctl("--list-conns")
	return out
}

func certSubject(t *testing.T, p string) string {
	t.Helper()
	block, _ := pem.Decode([]byte(p))
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	// charon writes RDNs in the certificate's order, ", "-separated;
	// Go's String() reverses them.
	rdns := strings.Split(cert.Subject.String(), ",")
	for i, j := 0, len(rdns)-1; i < j; i, j = i+1, j-1 {
		rdns[i], rdns[j] = rdns[j], rdns[i]
	}
	return strings.Join(rdns, ", ")
}

// charonView is what charon must report for connection c as the API
// lists it: the API's values with the bridge's defaults (DPD 30 s, the DPD
// action by whether c can initiate) and charon's (rekeying after 4 h and
// 1 h, %any addresses, dynamic selectors, the certificate's subject as the
// identity) filled in, in charon's words.
func charonView(c *securityv1.IkeConnection, subjects map[string]string) vici.LoadedConn {
	secs := func(d *durationpb.Duration, def string) string {
		if d == nil {
			return def
		}
		return strconv.FormatInt(int64(d.AsDuration()/time.Second), 10)
	}
	orAny := func(addrs []string) []string {
		if len(addrs) == 0 {
			return []string{"%any"}
		}
		return addrs
	}
	out := vici.LoadedConn{
		Name:       strings.TrimPrefix(c.GetName(), "ikeConnections/"),
		Version:    map[securityv1.IkeVersion]string{0: "IKEv1/2", 1: "IKEv1", 2: "IKEv2"}[c.GetVersion()],
		LocalAddrs: orAny(c.GetLocalAddrs()), RemoteAddrs: orAny(c.GetRemoteAddrs()),
		RekeyTime: secs(c.GetRekeyTime(), "14400"), ReauthTime: "0", DPDDelay: secs(c.GetDpdDelay(), "30"),
	}
	if out.DPDDelay == "0" {
		out.DPDDelay = "" // off: not reported
	}
	auth := func(a *securityv1.Authentication) []vici.LoadedAuth {
		la := vici.LoadedAuth{Class: "pre-shared key", ID: a.GetId()}
		if a.GetMethod() == securityv1.AuthMethod_AUTH_METHOD_PUBKEY {
			la.Class = "public key"
		}
		if cert := a.GetCertificate(); cert != "" {
			la.Certs = []string{subjects[cert]}
			// The identity of a side with a certificate, local or
			// pinned remote, is the certificate's subject.
			if la.ID == "" {
				la.ID = subjects[cert]
			}
		}
		if ca := a.GetCaCertificate(); ca != "" {
			la.CACerts = []string{subjects[ca]}
		}
		return []vici.LoadedAuth{la}
	}
	out.Local, out.Remote = auth(c.GetLocalAuth()), auth(c.GetRemoteAuth())
	initiator := len(c.GetRemoteAddrs()) > 0 && !strings.ContainsAny(c.GetRemoteAddrs()[0], "/-%")
	for _, ch := range c.GetChildren() {
		dpd := map[securityv1.DpdAction]string{
			securityv1.DpdAction_DPD_ACTION_CLEAR: "none", securityv1.DpdAction_DPD_ACTION_TRAP: "trap", securityv1.DpdAction_DPD_ACTION_RESTART: "start",
		}[ch.GetDpdAction()]
		if dpd == "" {
			dpd = map[bool]string{true: "start", false: "none"}[initiator]
		}
		ts := func(tss []string) []string {
			if len(tss) == 0 {
				return []string{"dynamic"}
			}
			out := make([]string, len(tss))
			for i, s := range tss {
				out[i] = canonicalTS(s)
			}
			return out
		}
		out.Children = append(out.Children, vici.LoadedChild{
			Name: ch.GetName(), Mode: map[securityv1.IpsecMode]string{0: "TUNNEL", 1: "TUNNEL", 2: "TRANSPORT"}[ch.GetMode()],
			RekeyTime: secs(ch.GetRekeyTime(), "3600"), DPDAction: dpd, CloseAction: "none",
			LocalTS: ts(ch.GetLocalTs()), RemoteTS: ts(ch.GetRemoteTs()),
		})
	}
	return out
}

// normalize puts what charon reports in the form charonView writes: its
// selectors canonical, empty lists nil.
func normalize(t *testing.T, lc vici.LoadedConn) vici.LoadedConn {
	nilIfEmpty := func(l []string) []string {
		if len(l) == 0 {
			return nil
		}
		return l
	}
	for _, auths := range [][]vici.LoadedAuth{lc.Local, lc.Remote} {
		for i := range auths {
			auths[i].Certs, auths[i].CACerts = nilIfEmpty(auths[i].Certs), nilIfEmpty(auths[i].CACerts)
		}
	}
	for i := range lc.Children {
		for _, tss := range [][]string{lc.Children[i].LocalTS, lc.Children[i].RemoteTS} {
			for j := range tss {
				tss[j] = canonicalTS(tss[j])
			}
		}
	}
	return lc
}

// canonicalTS writes a traffic selector, as the API takes it or as charon
// prints it, in one form: a bare address as a /32 or /128, a range that is
// a subnet as the subnet, addresses as netip writes them, protocols and
// ports as numbers.
func canonicalTS(ts string) string {
	addr, suffix, _ := strings.Cut(ts, "[")
	switch {
	case addr == "dynamic":
	case strings.Contains(addr, "-") || strings.Contains(addr, ".."):
		first, last, ok := strings.Cut(addr, "-")
		if !ok {
			first, last, _ = strings.Cut(addr, "..")
		}
		from, to := netip.MustParseAddr(first), netip.MustParseAddr(last)
		addr = from.String() + "-" + to.String()
		for bits := 0; bits <= from.BitLen(); bits++ {
			if p := netip.PrefixFrom(from, bits); p.Masked().Addr() == from && lastOf(p) == to {
				addr = p.String()
				break
			}
		}
	case strings.Contains(addr, "/"):
		addr = netip.MustParsePrefix(addr).String()
	default:
		a := netip.MustParseAddr(addr)
		addr = netip.PrefixFrom(a, a.BitLen()).String()
	}
	if suffix == "" {
		return addr
	}
	protocol, port, _ := strings.Cut(strings.TrimSuffix(suffix, "]"), "/")
	numbers := map[string]string{"tcp": "6", "udp": "17", "icmp": "1", "ipv6-icmp": "58", "sctp": "132"}
	if n, ok := numbers[protocol]; ok {
		protocol = n
	}
	if port != "" && !strings.ContainsAny(port[:1], "0123456789") {
		if n, err := net.LookupPort(map[string]string{"6": "tcp", "17": "udp"}[protocol], port); err == nil {
			port = strconv.Itoa(n)
		}
	}
	if port == "" {
		return fmt.Sprintf("%s[%s]", addr, protocol)
	}
	return fmt.Sprintf("%s[%s/%s]", addr, protocol, port)
}

func lastOf(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	for i := range b {
		if bit := i * 8; bit+8 > p.Bits() {
			keep := max(p.Bits()-bit, 0)
			b[i] |= byte(0xff >> keep)
		}
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// diffFields names every field in which want and have differ.
func diffFields(want, have any) []string {
	var out []string
	var walk func(path string, w, h reflect.Value)
	walk = func(path string, w, h reflect.Value) {
		switch w.Kind() {
		case reflect.Struct:
			for i := range w.NumField() {
				walk(path+"."+w.Type().Field(i).Name, w.Field(i), h.Field(i))
			}
		case reflect.Slice:
			if w.Len() != h.Len() || w.Type().Elem().Kind() != reflect.Struct {
				if !reflect.DeepEqual(w.Interface(), h.Interface()) {
					out = append(out, fmt.Sprintf("%s: the API means %v, charon holds %v", path, w.Interface(), h.Interface()))
				}
				return
			}
			for i := range w.Len() {
				walk(fmt.Sprintf("%s[%d]", path, i), w.Index(i), h.Index(i))
			}
		default:
			if !reflect.DeepEqual(w.Interface(), h.Interface()) {
				out = append(out, fmt.Sprintf("%s: the API means %q, charon holds %q", path, w.Interface(), h.Interface()))
			}
		}
	}
	walk("", reflect.ValueOf(want), reflect.ValueOf(have))
	return out
}
