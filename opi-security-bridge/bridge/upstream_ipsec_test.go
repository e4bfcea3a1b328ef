package bridge_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	securityv1 "github.com/opi-suite/opi/opi-api/security/v1"
	upstreampb "github.com/opi-suite/opi/opi-upstream/security/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/opi-suite/opi/opi-security-bridge/bridge"
	"github.com/opi-suite/opi/opi-security-bridge/internal/vici/vicitest"
)

// godpuConnection is the connection godpu's TestIpsec loads
// (ipsec/ipsec.go, loadConnections), unchanged.
func godpuConnection() *upstreampb.Connection {
	return &upstreampb.Connection{
		Name: "opi-test", Version: "2",
		Vips:        &upstreampb.Vips{Vip: []string{"0.0.0.0"}},
		LocalAddrs:  []*upstreampb.Addrs{{Addr: "192.168.200.200"}},
		RemoteAddrs: []*upstreampb.Addrs{{Addr: "192.168.200.210"}},
		LocalAuth:   &upstreampb.LocalAuth{Auth: upstreampb.AuthType_AUTH_TYPE_PSK, Id: "hacker@strongswan.org"},
		RemoteAuth:  &upstreampb.RemoteAuth{Auth: upstreampb.AuthType_AUTH_TYPE_PSK, Id: "server.strongswan.org"},
		Children: []*upstreampb.Child{{
			Name: "opi-child",
			EspProposals: &upstreampb.Proposals{
				CryptoAlg: []upstreampb.CryptoAlgorithm{upstreampb.CryptoAlgorithm_CRYPTO_ALGORITHM_AES256GCM128},
				IntegAlg:  []upstreampb.IntegAlgorithm{upstreampb.IntegAlgorithm_INTEG_ALGORITHM_SHA512},
				Dhgroups:  []upstreampb.DHGroups{upstreampb.DHGroups_DH_GROUPS_CURVE25519},
			},
			RemoteTs: &upstreampb.TrafficSelectors{Ts: []*upstreampb.TrafficSelectors_TrafficSelector{{Cidr: "10.1.0.0/16"}}},
		}},
	}
}

// flowConnection is godpu's connection on the test pair: the pair's
// addresses and B's inner network, and ESP in UDP (the test charons' ESP
// is kernel-libipsec, userspace). Its virtual IP request (vips 0.0.0.0)
// and its local traffic selector (none: the virtual IP) are godpu's.
func flowConnection(p *vicitest.Pair) *upstreampb.Connection {
	c := godpuConnection()
	c.Encap = "yes"
	c.LocalAddrs = []*upstreampb.Addrs{{Addr: p.AddrA}}
	c.RemoteAddrs = []*upstreampb.Addrs{{Addr: p.AddrB}}
	c.Children[0].RemoteTs = &upstreampb.TrafficSelectors{Ts: []*upstreampb.TrafficSelectors_TrafficSelector{{Cidr: "10.2.0.0/16"}}}
	return c
}

// godpuResponder loads, through the native API on b, the peer of
// godpu's connection: the same identities, key and ESP proposal, and the
// address pool vipPool it assigns godpu's virtual IP from.
func godpuResponder(t *testing.T, ctx context.Context, b securityv1.IpsecServiceClient, p *vicitest.Pair) {
	t.Helper()
	if _, err := b.CreateAddressPool(ctx, &securityv1.CreateAddressPoolRequest{
		AddressPoolId: "clients", AddressPool: &securityv1.AddressPool{Addrs: vipPool},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.CreatePreSharedKey(ctx, &securityv1.CreatePreSharedKeyRequest{
		PreSharedKeyId: "server", PreSharedKey: &securityv1.PreSharedKey{Secret: []byte("a-shared-secret-of-32-bytes-long")},
	}); err != nil {
		t.Fatal(err)
	}
	psk := func(id string) *securityv1.Authentication {
		return &securityv1.Authentication{Method: securityv1.AuthMethod_AUTH_METHOD_PSK, Id: id, PreSharedKey: "preSharedKeys/server"}
	}
	if _, err := b.CreateIkeConnection(ctx, &securityv1.CreateIkeConnectionRequest{IkeConnectionId: "server", IkeConnection: &securityv1.IkeConnection{
		Version: securityv1.IkeVersion_IKE_VERSION_IKEV2, LocalAddrs: []string{p.AddrB}, RemoteAddrs: []string{p.AddrA},
		ForceUdpEncapsulation: true,
		LocalAuth:             psk("server.strongswan.org"), RemoteAuth: psk("hacker@strongswan.org"),
		Pools: []string{"addressPools/clients"},
		Children: []*securityv1.ChildSaConfig{{Name: "opi-child", LocalTs: []string{"10.2.0.0/16"}, RemoteTs: []string{vipPool},
			EspProposals: []string{"aes256gcm128-sha512-curve25519"}}},
	}}); err != nil {
		t.Fatal(err)
	}
}

func wantCode(t *testing.T, what string, err error, code codes.Code, inMsg string) {
	t.Helper()
	if status.Code(err) != code || !strings.Contains(status.Convert(err).Message(), inMsg) {
		t.Errorf("%s: %v, want %v naming %q", what, err, code, inMsg)
	}
}

// TestUpstreamIPsecGodpuFlow runs godpu's TestIpsec flow with a client
// generated from upstream's proto against the bridge on a real charon,
// whose peer is another charon the native API configures, and checks
// every answer against the native API and charon.
func TestUpstreamIPsecGodpuFlow(t *testing.T) {
	p := vicitest.NewPair(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r := serve(t, bridge.Config{StateDir: t.TempDir(), IPsec: true, VICISocket: p.A.Socket})
	up, native := upstreampb.NewIPsecServiceClient(r.conn), securityv1.NewIpsecServiceClient(r.conn)
	peer, _ := startIPsecBridge(t, p.B)
	godpuResponder(t, ctx, peer, p)

	// IPsecVersion, IPsecStats.
	v, err := up.IPsecVersion(ctx, &upstreampb.IPsecVersionRequest{})
	nv, nerr := native.GetIpsecVersion(ctx, &securityv1.GetIpsecVersionRequest{})
	if err != nil || nerr != nil || v.GetDaemon() != "charon" || v.GetVersion() != nv.GetVersion() || v.GetSysname() != nv.GetSysname() || v.GetMachine() != nv.GetMachine() {
		t.Fatalf("IPsecVersion = %v, %v; native %v, %v", v, err, nv, nerr)
	}
	st, err := up.IPsecStats(ctx, &upstreampb.IPsecStatsRequest{})
	if err != nil || !strings.Contains(st.GetStatus(), "Total number of IKE_SAs active: 0\n") || !strings.Contains(st.GetStatus(), " vici") {
		t.Fatalf("IPsecStats = %q, %v; want no IKE SA and the vici plugin", st.GetStatus(), err)
	}

	// Without the native pre-shared key of the connection: NOT_FOUND,
	// naming the key to create.
	_, err = up.IPsecLoadConn(ctx, &upstreampb.IPsecLoadConnRequest{Connection: flowConnection(p)})
	wantCode(t, "LoadConn before its pre-shared key", err, codes.NotFound, "preSharedKeys/opi-test")
	if _, err := native.CreatePreSharedKey(ctx, &securityv1.CreatePreSharedKeyRequest{
		PreSharedKeyId: "opi-test", PreSharedKey: &securityv1.PreSharedKey{Secret: []byte("a-shared-secret-of-32-bytes-long")},
	}); err != nil {
		t.Fatal(err)
	}

	// IPsecLoadConn: the native connection, and charon holds it.
	loaded, err := up.IPsecLoadConn(ctx, &upstreampb.IPsecLoadConnRequest{Connection: flowConnection(p)})
	if err != nil || loaded.GetSuccess() != "yes" {
		t.Fatalf("IPsecLoadConn = %v, %v\n%s", loaded, err, p.A.Log())
	}
	nc, err := native.GetIkeConnection(ctx, &securityv1.GetIkeConnectionRequest{Name: "ikeConnections/opi-test"})
	if err != nil {
		t.Fatal(err)
	}
	want := &securityv1.IkeConnection{
		Name: "ikeConnections/opi-test", Version: securityv1.IkeVersion_IKE_VERSION_IKEV2,
		LocalAddrs: []string{p.AddrA}, RemoteAddrs: []string{p.AddrB}, ForceUdpEncapsulation: true,
		Vips:       []string{"0.0.0.0"},
		LocalAuth:  &securityv1.Authentication{Method: securityv1.AuthMethod_AUTH_METHOD_PSK, Id: "hacker@strongswan.org", PreSharedKey: "preSharedKeys/opi-test"},
		RemoteAuth: &securityv1.Authentication{Method: securityv1.AuthMethod_AUTH_METHOD_PSK, Id: "server.strongswan.org", PreSharedKey: "preSharedKeys/opi-test"},
		Children: []*securityv1.ChildSaConfig{{Name: "opi-child", RemoteTs: []string{"10.2.0.0/16"},
			EspProposals: []string{"aes256gcm128-sha512-curve25519"}}},
	}
	got := proto.CloneOf(nc)
	got.Status, got.DesiredUp = nil, false
	if !proto.Equal(got, want) {
		t.Fatalf("the native API reads the loaded connection as\n%v\nwant\n%v", got, want)
	}
	if out, _ := p.A.Swanctl("--list-conns"); !strings.Contains(out, "opi-test: IKEv2") || !strings.Contains(out, "opi-child: TUNNEL") {
		t.Fatalf("swanctl --list-conns after IPsecLoadConn:\n%s", out)
	}

	// A second load of the same name replaces it (vici's load-conn).
	changed := flowConnection(p)
	changed.Children[0].RekeyTime = 1800
	if _, err := up.IPsecLoadConn(ctx, &upstreampb.IPsecLoadConnRequest{Connection: changed}); err != nil {
		t.Fatalf("second IPsecLoadConn: %v", err)
	}
	if nc, err := native.GetIkeConnection(ctx, &securityv1.GetIkeConnectionRequest{Name: "ikeConnections/opi-test"}); err != nil ||
		nc.GetChildren()[0].GetRekeyTime().AsDuration() != 30*time.Minute {
		t.Fatalf("after a second load the native connection is %v, %v; want the child's rekey_time replaced", nc, err)
	}
	if _, err := up.IPsecLoadConn(ctx, &upstreampb.IPsecLoadConnRequest{Connection: flowConnection(p)}); err != nil {
		t.Fatalf("third IPsecLoadConn: %v", err)
	}
	// Concurrent loads of the same connection answer as serial ones.
	errs := make(chan error, 4)
	for range cap(errs) {
		go func() {
			_, err := up.IPsecLoadConn(ctx, &upstreampb.IPsecLoadConnRequest{Connection: flowConnection(p)})
			errs <- err
		}()
	}
	for range cap(errs) {
		if err := <-errs; err != nil {
			t.Fatalf("concurrent IPsecLoadConn: %v", err)
		}
	}
	if list, _ := native.ListIkeConnections(ctx, &securityv1.ListIkeConnectionsRequest{}); len(list.GetIkeConnections()) != 1 {
		t.Fatalf("after repeated loads the native API lists %v, want one connection", list)
	}

	badInput(t, ctx, up, p)

	// IPsecInitiate(ike, child): up on both charons.
	if _, err := up.IPsecInitiate(ctx, &upstreampb.IPsecInitiateRequest{Ike: "opi-test", Child: "opi-child"}); err != nil {
		t.Fatalf("IPsecInitiate: %v\n%s", err, p.A.Log())
	}
	sas, err := up.IPsecListSas(ctx, &upstreampb.IPsecListSasRequest{Ike: "opi-test"})
	nsas, nerr := native.ListIkeSas(ctx, &securityv1.ListIkeSasRequest{IkeConnection: "ikeConnections/opi-test"})
	if err != nil || nerr != nil || len(sas.GetIkesas()) != 1 || len(nsas.GetIkeSas()) != 1 {
		t.Fatalf("IPsecListSas = %v, %v; native %v, %v", sas, err, nsas, nerr)
	}
	sa, nsa := sas.GetIkesas()[0], nsas.GetIkeSas()[0]
	if sa.GetName() != "opi-test" || sa.GetIkestate() != upstreampb.IkeSaState_IKE_SA_STATE_ESTABLISHED || sa.GetVersion() != "2" ||
		sa.GetUniqueid() != itoa(nsa.GetUniqueId()) || sa.GetInitiator() != "yes" || sa.GetLocalId() != "hacker@strongswan.org" ||
		sa.GetRemoteId() != "server.strongswan.org" || sa.GetLocalHost() != p.AddrA || sa.GetRemoteHost() != p.AddrB ||
		len(sa.GetChildsas()) != 1 || sa.GetChildsas()[0].GetName() != "opi-child" || sa.GetChildsas()[0].GetSpiIn() != nsa.GetChildSas()[0].GetSpiIn() {
		t.Fatalf("IPsecListSas answers %v; native %v", sa, nsa)
	}
	// The virtual IP godpu asked for, from B's pool, in both answers.
	vip := inPool(t, "the native IKE SA's local_vips", nsa.GetLocalVips())
	if got := sa.GetLocalVips(); len(got) != 1 || got[0] != vip.String() {
		t.Fatalf("IPsecListSas local_vips = %v; want %s", got, vip)
	}
	if other, err := up.IPsecListSas(ctx, &upstreampb.IPsecListSasRequest{Ike: "opi-test", Child: "other"}); err != nil || len(other.GetIkesas()) != 0 {
		t.Fatalf("IPsecListSas of a child with no SA = %v, %v; want none", other, err)
	}

	// IPsecListConns, IPsecListCerts.
	conns, err := up.IPsecListConns(ctx, &upstreampb.IPsecListConnsRequest{Ike: "opi-test"})
	if err != nil || len(conns.GetConnection()) != 1 {
		t.Fatalf("IPsecListConns = %v, %v", conns, err)
	}
	if c := conns.GetConnection()[0]; c.GetName() != "opi-test" || c.GetVersion() != "IKEv2" || c.GetRemoteAddrs()[0].GetAddr() != p.AddrB ||
		c.GetLocalAuth()[0].GetClass() != "pre-shared key" || c.GetLocalAuth()[0].GetId() != "hacker@strongswan.org" ||
		len(c.GetChildren()) != 1 || c.GetChildren()[0].GetName() != "opi-child" || c.GetChildren()[0].GetMode() != "TUNNEL" ||
		c.GetChildren()[0].GetRemoteTs().GetTs()[0].GetCidr() != "10.2.0.0/16" {
		t.Fatalf("IPsecListConns answers %v", c)
	}
	if none, err := up.IPsecListConns(ctx, &upstreampb.IPsecListConnsRequest{Ike: "missing"}); err != nil || len(none.GetConnection()) != 0 {
		t.Fatalf("IPsecListConns of an unknown connection = %v, %v; want none (list-conns)", none, err)
	}
	pk := newPKI(t)
	if _, err := native.CreateCertificate(ctx, &securityv1.CreateCertificateRequest{CertificateId: "ca", Certificate: &securityv1.Certificate{Pem: pk.caPEM}}); err != nil {
		t.Fatal(err)
	}
	certs, err := up.IPsecListCerts(ctx, &upstreampb.IPsecListCertsRequest{Type: "any"})
	if err != nil || len(certs.GetCerts()) != 1 || certs.GetCerts()[0].GetFlag() != upstreampb.X509CertificateFlag_X509_CERTIFICATE_FLAG_CA ||
		certs.GetCerts()[0].GetData() != pk.caPEM || certs.GetCerts()[0].GetSubject() == "" {
		t.Fatalf("IPsecListCerts(any) = %v, %v; want the native CA certificate", certs, err)
	}
	if crls, err := up.IPsecListCerts(ctx, &upstreampb.IPsecListCertsRequest{Type: "X509_CRL"}); err != nil || len(crls.GetCerts()) != 0 {
		t.Fatalf("IPsecListCerts(X509_CRL) = %v, %v; want none", crls, err)
	}

	// Ping across the tunnel, from the virtual IP.
	ping(t, side{d: p.A, inner: vip.String(), innerTo: p.InnerB})

	// IPsecRekey(ike), IPsecTerminate(ike), IPsecUnloadConn(name).
	rk, err := up.IPsecRekey(ctx, &upstreampb.IPsecRekeyRequest{Ike: "opi-test"})
	if err != nil || rk.GetSuccess() != "yes" || rk.GetMatches() != 1 {
		t.Fatalf("IPsecRekey = %v, %v; want one match", rk, err)
	}
	// The rekey runs on after the call: charon refuses to terminate an
	// IKE SA being rekeyed (FAILED_PRECONDITION, through either API), so
	// wait for the new IKE SA, as a client must.
	rekeyed(t, ctx, up, sa.GetUniqueid())
	term, err := up.IPsecTerminate(ctx, &upstreampb.IPsecTerminateRequest{Ike: "opi-test"})
	if err != nil || term.GetSuccess() != "yes" || term.GetTerminated() == 0 {
		t.Fatalf("IPsecTerminate = %v, %v", term, err)
	}
	if nc, _ := native.GetIkeConnection(ctx, &securityv1.GetIkeConnectionRequest{Name: "ikeConnections/opi-test"}); nc.GetDesiredUp() {
		t.Fatal("after IPsecTerminate the native connection is still desired up")
	}
	if sas, _ := up.IPsecListSas(ctx, &upstreampb.IPsecListSasRequest{Ike: "opi-test"}); len(sas.GetIkesas()) != 0 {
		t.Fatalf("after IPsecTerminate: %v, want no SA", sas)
	}
	un, err := up.IPsecUnloadConn(ctx, &upstreampb.IPsecUnloadConnRequest{Name: "opi-test"})
	if err != nil || un.GetSuccess() != "yes" {
		t.Fatalf("IPsecUnloadConn = %v, %v", un, err)
	}
	_, err = native.GetIkeConnection(ctx, &securityv1.GetIkeConnectionRequest{Name: "ikeConnections/opi-test"})
	wantCode(t, "native Get after IPsecUnloadConn", err, codes.NotFound, "opi-test")
	if out, _ := p.A.Swanctl("--list-conns"); strings.Contains(out, "opi-test") {
		t.Fatalf("after IPsecUnloadConn swanctl --list-conns shows:\n%s", out)
	}
	_, err = up.IPsecUnloadConn(ctx, &upstreampb.IPsecUnloadConnRequest{Name: "opi-test"})
	wantCode(t, "IPsecUnloadConn of a missing connection", err, codes.NotFound, "opi-test")
}

// rekeyed waits until opi-test's only IKE SA is an ESTABLISHED one other
// than old.
func rekeyed(t *testing.T, ctx context.Context, up upstreampb.IPsecServiceClient, old string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		sas, err := up.IPsecListSas(ctx, &upstreampb.IPsecListSasRequest{Ike: "opi-test"})
		if err == nil && len(sas.GetIkesas()) == 1 && sas.GetIkesas()[0].GetUniqueid() != old &&
			sas.GetIkesas()[0].GetIkestate() == upstreampb.IkeSaState_IKE_SA_STATE_ESTABLISHED {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no rekeyed IKE SA within 10s: %v, %v", sas, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func itoa(n uint32) string { return strconv.FormatUint(uint64(n), 10) }

// badInput checks upstream's bad requests: each gets its code before
// anything changes.
func badInput(t *testing.T, ctx context.Context, up upstreampb.IPsecServiceClient, p *vicitest.Pair) {
	t.Helper()
	before, _ := p.A.Swanctl("--list-conns")
	load := func(f func(c *upstreampb.Connection)) error {
		c := flowConnection(p)
		f(c)
		_, err := up.IPsecLoadConn(ctx, &upstreampb.IPsecLoadConnRequest{Connection: c})
		return err
	}
	for _, tc := range []struct {
		name  string
		err   error
		code  codes.Code
		inMsg string
	}{
		{"LoadConn without a name", load(func(c *upstreampb.Connection) { c.Name = "" }), codes.InvalidArgument, "connection.name"},
		{"LoadConn without a connection", func() error { _, err := up.IPsecLoadConn(ctx, &upstreampb.IPsecLoadConnRequest{}); return err }(), codes.InvalidArgument, "connection"},
		{"LoadConn with a name that is no id", load(func(c *upstreampb.Connection) { c.Name = "Opi_Test" }), codes.InvalidArgument, "connection.name"},
		{"LoadConn naming a pool that does not exist", load(func(c *upstreampb.Connection) { c.Pools = &upstreampb.Pools{Pool: []string{"p"}} }), codes.NotFound, "addressPools/p"},
		{"LoadConn naming a pool that is no id", load(func(c *upstreampb.Connection) { c.Pools = &upstreampb.Pools{Pool: []string{"P_1"}} }), codes.InvalidArgument, "connection.pools.pool[0]"},
		{"LoadConn with vips that are not addresses", load(func(c *upstreampb.Connection) { c.Vips = &upstreampb.Vips{Vip: []string{"any"}} }), codes.InvalidArgument, "vips[0]"},
		{"LoadConn with EAP", load(func(c *upstreampb.Connection) { c.RemoteAuth.Auth = upstreampb.AuthType_AUTH_TYPE_EAP }), codes.InvalidArgument, "connection.remote_auth.auth"},
		{"LoadConn with a child's updown", load(func(c *upstreampb.Connection) { c.Children[0].Updown = "/bin/true" }), codes.InvalidArgument, "connection.children[0].updown"},
		{"LoadConn with version 3", load(func(c *upstreampb.Connection) { c.Version = "3" }), codes.InvalidArgument, "connection.version"},
		{"LoadConn without children", load(func(c *upstreampb.Connection) { c.Children = nil }), codes.InvalidArgument, "children"},
		{"LoadConn with an ESP proposal charon refuses", load(func(c *upstreampb.Connection) {
			c.Children[0].EspProposals = &upstreampb.Proposals{IntegAlg: []upstreampb.IntegAlgorithm{99}}
		}), codes.InvalidArgument, "esp_proposals"},
		{"Initiate of an unknown child", func() error {
			_, err := up.IPsecInitiate(ctx, &upstreampb.IPsecInitiateRequest{Ike: "opi-test", Child: "nope"})
			return err
		}(), codes.NotFound, "nope"},
		{"Initiate of an unknown connection", func() error {
			_, err := up.IPsecInitiate(ctx, &upstreampb.IPsecInitiateRequest{Ike: "missing", Child: "opi-child"})
			return err
		}(), codes.NotFound, "missing"},
		{"Initiate without ike", func() error {
			_, err := up.IPsecInitiate(ctx, &upstreampb.IPsecInitiateRequest{Child: "opi-child"})
			return err
		}(), codes.InvalidArgument, "ike"},
		{"Initiate with a timeout that is no number", func() error {
			_, err := up.IPsecInitiate(ctx, &upstreampb.IPsecInitiateRequest{Ike: "opi-test", Timeout: "soon"})
			return err
		}(), codes.InvalidArgument, "timeout"},
		{"Terminate by ike_id", func() error {
			_, err := up.IPsecTerminate(ctx, &upstreampb.IPsecTerminateRequest{IkeId: 1})
			return err
		}(), codes.InvalidArgument, "ike_id"},
		{"Rekey of an unknown child", func() error {
			_, err := up.IPsecRekey(ctx, &upstreampb.IPsecRekeyRequest{Ike: "opi-test", Child: "nope"})
			return err
		}(), codes.NotFound, "nope"},
		{"Rekey with reauth maybe", func() error {
			_, err := up.IPsecRekey(ctx, &upstreampb.IPsecRekeyRequest{Ike: "opi-test", Reauth: "maybe"})
			return err
		}(), codes.InvalidArgument, "reauth"},
		{"UnloadConn without a name", func() error {
			_, err := up.IPsecUnloadConn(ctx, &upstreampb.IPsecUnloadConnRequest{})
			return err
		}(), codes.InvalidArgument, "name"},
		{"ListCerts of an unknown type", func() error {
			_, err := up.IPsecListCerts(ctx, &upstreampb.IPsecListCertsRequest{Type: "bogus"})
			return err
		}(), codes.InvalidArgument, "type"},
	} {
		wantCode(t, tc.name, tc.err, tc.code, tc.inMsg)
	}
	if after, _ := p.A.Swanctl("--list-conns"); after != before {
		t.Fatalf("bad input changed what charon holds:\nbefore\n%s\nafter\n%s", before, after)
	}
	if sas, _ := up.IPsecListSas(ctx, &upstreampb.IPsecListSasRequest{}); len(sas.GetIkesas()) != 0 {
		t.Fatalf("bad input brought SAs up: %v", sas)
	}
}
