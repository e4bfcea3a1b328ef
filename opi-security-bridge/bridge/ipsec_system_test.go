package bridge_test

import (
	"context"
	"strings"
	"testing"
	"time"

	securityv1 "github.com/opi-suite/opi/opi-api/security/v1"
	"github.com/opi-suite/opi/opi-security-bridge/internal/vici"
	"github.com/opi-suite/opi/opi-security-bridge/internal/vici/vicitest"
	"github.com/opi-suite/opi/opi-security-bridge/ipsec"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

// events subscribes to SA events of site on s and returns a function that
// waits for an event of the given type.
func events(t *testing.T, ctx context.Context, s side) func(securityv1.SaEventType) *securityv1.SaEvent {
	t.Helper()
	stream, err := s.api.WatchSaEvents(ctx, &securityv1.WatchSaEventsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan *securityv1.SaEvent, 1024)
	go func() {
		for {
			ev, err := stream.Recv()
			if err != nil {
				close(ch)
				return
			}
			ch <- ev
		}
	}()
	// The server sends the headers once the watch is registered: no
	// event after this is missed, however slow the machine.
	if _, err := stream.Header(); err != nil {
		t.Fatal(err)
	}
	// Events waited for are taken out of the order they came in (charon
	// reports a child up before or after its IKE SA), the others kept.
	var pending []*securityv1.SaEvent
	return func(want securityv1.SaEventType) *securityv1.SaEvent {
		t.Helper()
		timeout := time.After(20 * time.Second)
		for {
			for i, ev := range pending {
				if ev.GetType() == want {
					pending = append(pending[:i], pending[i+1:]...)
					return ev
				}
			}
			select {
			case ev, ok := <-ch:
				if !ok {
					t.Fatalf("event stream ended while waiting for %v", want)
				}
				pending = append(pending, ev)
			case <-timeout:
				t.Fatalf("no %v event within 20s (pending: %v)", want, pending)
			}
		}
	}
}

func TestTunnelWithPreSharedKey(t *testing.T) {
	p := vicitest.NewPair(t)
	a, b := sides(t, p)
	ctx := context.Background()
	setupPSK(t, ctx, a)
	setupPSK(t, ctx, b)
	next := events(t, ctx, a)

	resp, err := a.api.InitiateIkeConnection(ctx, &securityv1.InitiateIkeConnectionRequest{Name: "ikeConnections/site"})
	if err != nil {
		t.Fatalf("Initiate: %v\n%s", err, p.A.Log())
	}
	if len(resp.GetIkeSas()) == 0 || resp.GetIkeSas()[0].GetState() != securityv1.IkeSaState_IKE_SA_STATE_ESTABLISHED {
		t.Fatalf("Initiate returned %v, want an ESTABLISHED IKE SA", resp)
	}
	next(securityv1.SaEventType_SA_EVENT_TYPE_IKE_UP)
	if ev := next(securityv1.SaEventType_SA_EVENT_TYPE_CHILD_UP); ev.GetIkeConnection() != "ikeConnections/site" {
		t.Fatalf("CHILD_UP event names %q, want ikeConnections/site", ev.GetIkeConnection())
	}
	for _, s := range []side{a, b} {
		sa := waitUp(t, ctx, s, 5*time.Second)
		out, err := s.d.Swanctl("--list-sas")
		if err != nil || !strings.Contains(out, "site:") || !strings.Contains(out, "ESTABLISHED") || !strings.Contains(out, "INSTALLED") {
			t.Fatalf("%s: swanctl --list-sas disagrees with the API (%v, SA %d):\n%s", s.d.NS, err, sa.GetUniqueId(), out)
		}
	}
	ping(t, a)
	children, err := a.api.ListChildSas(ctx, &securityv1.ListChildSasRequest{IkeConnection: "ikeConnections/site"})
	if err != nil || len(children.GetChildSas()) != 1 {
		t.Fatalf("ListChildSas = %v, %v", children, err)
	}
	if c := children.GetChildSas()[0]; c.GetPacketsOut() == 0 || c.GetBytesOut() == 0 || c.GetPacketsIn() == 0 {
		t.Fatalf("child SA counters after a ping: %v, want packets and bytes both ways", c)
	}
	// The same on scrape: the IKE SA by state, the child SA's traffic.
	c := children.GetChildSas()[0]
	got := scrape(t, a.b)
	for key, want := range map[string]float64{
		"opi_security_ipsec_up{}": 1,
		"opi_security_ike_sas{connection=ikeConnections/site,state=established}":                      1,
		"opi_security_child_sa_packets_total{child=net,connection=ikeConnections/site,direction=out}": float64(c.GetPacketsOut()),
		"opi_security_child_sa_bytes_total{child=net,connection=ikeConnections/site,direction=out}":   float64(c.GetBytesOut()),
	} {
		if v, ok := got[key]; !ok || v < want || want == 0 {
			t.Errorf("%s = %v (present %v), want at least %v (the listing's, read before)", key, v, ok, want)
		}
	}
	if got["opi_security_child_sa_packets_total{child=net,connection=ikeConnections/site,direction=in}"] == 0 {
		t.Errorf("no packets in on scrape: %v", got)
	}
	t.Logf("child SA after ping: %s %s in=%dB/%dp out=%dB/%dp", children.GetChildSas()[0].GetName(), children.GetChildSas()[0].GetProposal(),
		children.GetChildSas()[0].GetBytesIn(), children.GetChildSas()[0].GetPacketsIn(), children.GetChildSas()[0].GetBytesOut(), children.GetChildSas()[0].GetPacketsOut())

	// swanctl --list-conns agrees with the API on what the bridge loaded.
	conns, err := a.api.ListIkeConnections(ctx, &securityv1.ListIkeConnectionsRequest{})
	if err != nil || len(conns.GetIkeConnections()) != 1 || !conns.GetIkeConnections()[0].GetDesiredUp() {
		t.Fatalf("ListIkeConnections = %v, %v; want site, desired up", conns, err)
	}
	if out, _ := p.A.Swanctl("--list-conns"); !strings.Contains(out, "site: IKEv2") || !strings.Contains(out, "net: TUNNEL") ||
		!strings.Contains(out, p.InnerA+"/32") || !strings.Contains(out, "pre-shared key") {
		t.Fatalf("swanctl --list-conns does not show the API's connection:\n%s", out)
	}

	if _, err := a.api.TerminateIkeConnection(ctx, &securityv1.TerminateIkeConnectionRequest{Name: "ikeConnections/site"}); err != nil {
		t.Fatal(err)
	}
	next(securityv1.SaEventType_SA_EVENT_TYPE_CHILD_DOWN)
	next(securityv1.SaEventType_SA_EVENT_TYPE_IKE_DOWN)
	if sas, _ := a.api.ListIkeSas(ctx, &securityv1.ListIkeSasRequest{}); len(sas.GetIkeSas()) != 0 {
		t.Fatalf("after Terminate: %v, want no SA", sas)
	}

	// Up again, then charon restarts empty: the bridge loads everything
	// again and re-initiates, and leaves a connection it did not load alone.
	if _, err := a.api.InitiateIkeConnection(ctx, &securityv1.InitiateIkeConnectionRequest{Name: "ikeConnections/site"}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond) // charon's start time has one-second resolution
	p.A.Restart()
	next(securityv1.SaEventType_SA_EVENT_TYPE_DAEMON_RECONNECTED)
	outside, _ := vici.New(p.A.Socket)
	defer outside.Close()
	foreign := ipsec.Conn{Name: "outside", Version: 2, RemoteAddrs: []string{"198.51.100.1"},
		Local: ipsec.Auth{Method: "psk"}, Remote: ipsec.Auth{Method: "psk"}, Children: []ipsec.Child{{Name: "x"}}}
	if err := outside.LoadConn(ctx, foreign); err != nil {
		t.Fatal(err)
	}
	waitUp(t, ctx, a, 20*time.Second)
	waitUp(t, ctx, b, 5*time.Second)
	ping(t, a)
	out, _ := p.A.Swanctl("--list-conns")
	if !strings.Contains(out, "site:") || !strings.Contains(out, "outside:") {
		t.Fatalf("after charon's restart swanctl --list-conns shows:\n%s\nwant site (restored) and outside (left alone)", out)
	}
	if conns, _ := a.api.ListIkeConnections(ctx, &securityv1.ListIkeConnectionsRequest{}); len(conns.GetIkeConnections()) != 1 {
		t.Fatalf("the API lists %v; the outside connection is not the bridge's", conns)
	}

	// Deleting the connection closes and unloads it, and only it.
	if _, err := a.api.DeleteIkeConnection(ctx, &securityv1.DeleteIkeConnectionRequest{Name: "ikeConnections/site"}); err != nil {
		t.Fatal(err)
	}
	if out, _ := p.A.Swanctl("--list-conns"); strings.Contains(out, "site:") || !strings.Contains(out, "outside:") {
		t.Fatalf("after DeleteIkeConnection swanctl --list-conns shows:\n%s", out)
	}
}

func TestTunnelWithCertificates(t *testing.T) {
	p := vicitest.NewPair(t)
	a, b := sides(t, p)
	ctx := context.Background()
	pk := newPKI(t)
	setupX509(t, ctx, a, pk.caPEM, pk.certA, pk.keyA)
	setupX509(t, ctx, b, pk.caPEM, pk.certB, pk.keyB)
	if _, err := a.api.InitiateIkeConnection(ctx, &securityv1.InitiateIkeConnectionRequest{Name: "ikeConnections/site"}); err != nil {
		t.Fatalf("Initiate: %v\n%s", err, p.A.Log())
	}
	sa := waitUp(t, ctx, a, 5*time.Second)
	if !strings.Contains(sa.GetLocalId(), "a.opi.test") || !strings.Contains(sa.GetRemoteId(), "b.opi.test") {
		t.Fatalf("IKE SA identities %q / %q, want the certificates' subjects", sa.GetLocalId(), sa.GetRemoteId())
	}
	waitUp(t, ctx, b, 5*time.Second)
	ping(t, a)
	key, err := a.api.GetPrivateKey(ctx, &securityv1.GetPrivateKeyRequest{Name: "privateKeys/own"})
	if err != nil || len(key.GetPem()) != 0 || key.GetKeyId() == "" || key.GetAlgorithm() != "ECDSA" {
		t.Fatalf("GetPrivateKey = %v, %v; want no key material, a key id and ECDSA", key, err)
	}
	ca, err := a.api.GetCertificate(ctx, &securityv1.GetCertificateRequest{Name: "certificates/ca"})
	if err != nil || !ca.GetIsCa() || !strings.Contains(ca.GetSubject(), "OPI test CA") {
		t.Fatalf("GetCertificate = %v, %v", ca, err)
	}
	if out, _ := p.A.Swanctl("--list-conns"); !strings.Contains(out, "public key") || !strings.Contains(out, "a.opi.test") {
		t.Fatalf("swanctl --list-conns does not show certificate authentication:\n%s", out)
	}
	p.A.Restart()
	waitUp(t, ctx, a, 20*time.Second)
	ping(t, a)
}

func TestIPsecBadInputChangesNothing(t *testing.T) {
	p := vicitest.NewPair(t)
	a := side{api: startIPsec(t, p.A), d: p.A, addr: p.AddrA, peer: p.AddrB, inner: p.InnerA, innerTo: p.InnerB}
	ctx := context.Background()
	setupPSK(t, ctx, a)
	before, _ := p.A.Swanctl("--list-conns")
	with := func(f func(c *securityv1.IkeConnection)) *securityv1.IkeConnection {
		c := a.connection(pskAuth(), pskAuth())
		f(c)
		return c
	}
	create := func(f func(c *securityv1.IkeConnection)) error {
		_, err := a.api.CreateIkeConnection(ctx, &securityv1.CreateIkeConnectionRequest{IkeConnectionId: "bad", IkeConnection: with(f)})
		return err
	}
	pk := newPKI(t)
	for _, tc := range []struct {
		name      string
		call      func() error
		code      codes.Code
		wantInMsg string
	}{
		{name: "an IKE proposal strongSwan rejects is InvalidArgument with its text", code: codes.InvalidArgument, wantInMsg: "invalid value for: proposals",
			call: func() error {
				_, err := a.api.CreateIkeConnection(ctx, &securityv1.CreateIkeConnectionRequest{IkeConnectionId: "bad", IkeConnection: with(func(c *securityv1.IkeConnection) { c.Proposals = []string{"aes999-bogus"} })})
				return err
			}},
		{name: "an ESP proposal strongSwan rejects is InvalidArgument with its text", code: codes.InvalidArgument, wantInMsg: "esp_proposals",
			call: func() error {
				_, err := a.api.CreateIkeConnection(ctx, &securityv1.CreateIkeConnectionRequest{IkeConnectionId: "bad", IkeConnection: with(func(c *securityv1.IkeConnection) { c.Children[0].EspProposals = []string{"nope"} })})
				return err
			}},
		{name: "a connection naming a missing pre-shared key is NotFound", code: codes.NotFound, wantInMsg: "preSharedKeys/missing",
			call: func() error {
				_, err := a.api.CreateIkeConnection(ctx, &securityv1.CreateIkeConnectionRequest{IkeConnectionId: "bad", IkeConnection: with(func(c *securityv1.IkeConnection) {
					c.LocalAuth.PreSharedKey, c.RemoteAuth.PreSharedKey = "preSharedKeys/missing", ""
				})})
				return err
			}},
		{name: "a connection naming a missing certificate is NotFound", code: codes.NotFound, wantInMsg: "certificates/missing",
			call: func() error {
				_, err := a.api.CreateIkeConnection(ctx, &securityv1.CreateIkeConnectionRequest{IkeConnectionId: "bad", IkeConnection: with(func(c *securityv1.IkeConnection) {
					c.LocalAuth = &securityv1.Authentication{Method: securityv1.AuthMethod_AUTH_METHOD_PUBKEY, Certificate: "certificates/missing", PrivateKey: "privateKeys/missing"}
				})})
				return err
			}},
		{name: "public key authentication without a certificate is InvalidArgument", code: codes.InvalidArgument, wantInMsg: "certificate",
			call: func() error {
				_, err := a.api.CreateIkeConnection(ctx, &securityv1.CreateIkeConnectionRequest{IkeConnectionId: "bad", IkeConnection: with(func(c *securityv1.IkeConnection) {
					c.LocalAuth = &securityv1.Authentication{Method: securityv1.AuthMethod_AUTH_METHOD_PUBKEY}
				})})
				return err
			}},
		{name: "an update with a rejected proposal keeps the loaded connection", code: codes.InvalidArgument, wantInMsg: "invalid value for: proposals",
			call: func() error {
				c := with(func(c *securityv1.IkeConnection) { c.Proposals = []string{"aes999-bogus"} })
				c.Name = "ikeConnections/site"
				_, err := a.api.UpdateIkeConnection(ctx, &securityv1.UpdateIkeConnectionRequest{IkeConnection: c})
				return err
			}},
		{name: "an IKE version outside the enum is InvalidArgument before charon", code: codes.InvalidArgument, wantInMsg: "version: 99",
			call: func() error { return create(func(c *securityv1.IkeConnection) { c.Version = 99 }) }},
		{name: "a port above 65535 is InvalidArgument before charon", code: codes.InvalidArgument, wantInMsg: "remote_port",
			call: func() error { return create(func(c *securityv1.IkeConnection) { c.RemotePort = 70000 }) }},
		{name: "a negative DPD delay is InvalidArgument before charon", code: codes.InvalidArgument, wantInMsg: "dpd_delay",
			call: func() error {
				return create(func(c *securityv1.IkeConnection) { c.DpdDelay = durationpb.New(-time.Second) })
			}},
		{name: "a /33 traffic selector is InvalidArgument before charon", code: codes.InvalidArgument, wantInMsg: "children[0].local_ts[0]",
			call: func() error {
				return create(func(c *securityv1.IkeConnection) { c.Children[0].LocalTs = []string{"10.1.0.1/33"} })
			}},
		{name: "a /129 traffic selector is InvalidArgument before charon", code: codes.InvalidArgument, wantInMsg: "children[0].remote_ts[0]",
			call: func() error {
				return create(func(c *securityv1.IkeConnection) { c.Children[0].RemoteTs = []string{"2001:db8::/129"} })
			}},
		{name: "a remote address that does not parse is InvalidArgument before charon", code: codes.InvalidArgument, wantInMsg: "remote_addrs[0]",
			call: func() error {
				return create(func(c *securityv1.IkeConnection) { c.RemoteAddrs = []string{"192.0.2.300"} })
			}},
		{name: "an update with a /33 traffic selector keeps the loaded connection", code: codes.InvalidArgument, wantInMsg: "local_ts",
			call: func() error {
				c := with(func(c *securityv1.IkeConnection) { c.Children[0].LocalTs = []string{"10.1.0.1/33"} })
				c.Name = "ikeConnections/site"
				_, err := a.api.UpdateIkeConnection(ctx, &securityv1.UpdateIkeConnectionRequest{IkeConnection: c})
				return err
			}},
		{name: "a certificate followed by its private key is InvalidArgument and not stored", code: codes.InvalidArgument, wantInMsg: "PRIVATE KEY",
			call: func() error {
				_, err := a.api.CreateCertificate(ctx, &securityv1.CreateCertificateRequest{CertificateId: "leaky", Certificate: &securityv1.Certificate{Pem: pk.certA + string(pk.keyA)}})
				if _, gerr := a.api.GetCertificate(ctx, &securityv1.GetCertificateRequest{Name: "certificates/leaky"}); status.Code(gerr) != codes.NotFound {
					t.Errorf("GetCertificate after the refusal: %v, want NotFound", gerr)
				}
				return err
			}},
		{name: "a pre-shared key shorter than 16 bytes is InvalidArgument", code: codes.InvalidArgument, wantInMsg: "16 bytes",
			call: func() error {
				_, err := a.api.CreatePreSharedKey(ctx, &securityv1.CreatePreSharedKeyRequest{PreSharedKeyId: "short", PreSharedKey: &securityv1.PreSharedKey{Secret: []byte("short")}})
				return err
			}},
		{name: "deleting a pre-shared key in use is FailedPrecondition", code: codes.FailedPrecondition,
			call: func() error {
				_, err := a.api.DeletePreSharedKey(ctx, &securityv1.DeletePreSharedKeyRequest{Name: "preSharedKeys/site-psk"})
				return err
			}},
		{name: "a certificate that is not PEM is InvalidArgument", code: codes.InvalidArgument, wantInMsg: "PEM",
			call: func() error {
				_, err := a.api.CreateCertificate(ctx, &securityv1.CreateCertificateRequest{CertificateId: "junk", Certificate: &securityv1.Certificate{Pem: "junk"}})
				return err
			}},
		{name: "initiating an unknown child is InvalidArgument", code: codes.InvalidArgument, wantInMsg: "nochild",
			call: func() error {
				_, err := a.api.InitiateIkeConnection(ctx, &securityv1.InitiateIkeConnectionRequest{Name: "ikeConnections/site", Child: "nochild"})
				return err
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if status.Code(err) != tc.code || !strings.Contains(status.Convert(err).Message(), tc.wantInMsg) {
				t.Fatalf("error = %v, want %v mentioning %q", err, tc.code, tc.wantInMsg)
			}
			if after, _ := p.A.Swanctl("--list-conns"); after != before {
				t.Fatalf("charon changed:\nbefore:\n%s\nafter:\n%s", before, after)
			}
			conns, _ := a.api.ListIkeConnections(ctx, &securityv1.ListIkeConnectionsRequest{})
			if len(conns.GetIkeConnections()) != 1 || conns.GetIkeConnections()[0].GetProposals()[0] != "aes128-sha256-modp2048" {
				t.Fatalf("stored connections changed: %v", conns)
			}
		})
	}
	psk, err := a.api.GetPreSharedKey(ctx, &securityv1.GetPreSharedKeyRequest{Name: "preSharedKeys/site-psk"})
	if err != nil || len(psk.GetSecret()) != 0 {
		t.Fatalf("GetPreSharedKey = %v, %v; the secret must never be returned", psk, err)
	}
}

// TestEventsAndListingsUnderRepetition brings the tunnel up and down 50
// times, each time waiting for the up and down events on the Watch stream
// and checking the streamed SA listing: the race-free replacement of
// govici's CallStreaming must neither lose events nor desynchronize.
func TestEventsAndListingsUnderRepetition(t *testing.T) {
	p := vicitest.NewPair(t)
	a, b := sides(t, p)
	ctx := context.Background()
	setupPSK(t, ctx, a)
	setupPSK(t, ctx, b)
	next := events(t, ctx, a)
	const iterations = 50
	start := time.Now()
	for i := range iterations {
		if _, err := a.api.InitiateIkeConnection(ctx, &securityv1.InitiateIkeConnectionRequest{Name: "ikeConnections/site"}); err != nil {
			t.Fatalf("iteration %d: Initiate: %v", i, err)
		}
		next(securityv1.SaEventType_SA_EVENT_TYPE_CHILD_UP)
		sas, err := a.api.ListIkeSas(ctx, &securityv1.ListIkeSasRequest{})
		if err != nil || len(sas.GetIkeSas()) != 1 || len(sas.GetIkeSas()[0].GetChildSas()) != 1 {
			t.Fatalf("iteration %d: ListIkeSas = %v, %v; want one IKE SA with one child", i, sas, err)
		}
		if _, err := a.api.GetIpsecStats(ctx, &securityv1.GetIpsecStatsRequest{}); err != nil {
			t.Fatalf("iteration %d: a plain call after a listing: %v", i, err)
		}
		if _, err := a.api.TerminateIkeConnection(ctx, &securityv1.TerminateIkeConnectionRequest{Name: "ikeConnections/site"}); err != nil {
			t.Fatalf("iteration %d: Terminate: %v", i, err)
		}
		next(securityv1.SaEventType_SA_EVENT_TYPE_IKE_DOWN)
		if sas, err := a.api.ListIkeSas(ctx, &securityv1.ListIkeSasRequest{}); err != nil || len(sas.GetIkeSas()) != 0 {
			t.Fatalf("iteration %d: after Terminate ListIkeSas = %v, %v", i, sas, err)
		}
	}
	t.Logf("%d up/down cycles with events and listings in %v", iterations, time.Since(start).Round(time.Millisecond))
	v, err := a.api.GetIpsecVersion(ctx, &securityv1.GetIpsecVersionRequest{})
	if err != nil || v.GetDaemon() == "" || v.GetVersion() == "" {
		t.Fatalf("GetIpsecVersion = %v, %v", v, err)
	}
}
