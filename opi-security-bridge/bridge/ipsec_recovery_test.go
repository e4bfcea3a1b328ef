package bridge_test

import (
	"context"
	"io"
	"log/slog"
	"os/exec"
	"strings"
	"testing"
	"time"

	securityv1 "github.com/opi-suite/opi/opi-api/security/v1"
	"github.com/opi-suite/opi/opi-kit/server/servertest"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/opi-suite/opi/opi-security-bridge/bridge"
	"github.com/opi-suite/opi/opi-security-bridge/internal/vici/vicitest"
)

// fastRetransmit makes charon declare a silent peer dead after about
// 3.6 s (1 s, then 1.2 s, then 1.44 s) instead of its default 165 s, so
// that a test of dead peer detection takes seconds. The bridge cannot set
// these: they are the daemon's, not a connection's.
const fastRetransmit = `  retransmit_timeout = 1
  retransmit_base = 1.2
  retransmit_tries = 2`

// serveWithoutReplay serves the IPsec API for charon d without starting
// the bridge's loops: no replay pass and no keep-up ever runs, so whatever
// brings a tunnel back is charon's own doing.
func serveWithoutReplay(t *testing.T, d *vicitest.Daemon) securityv1.IpsecServiceClient {
	t.Helper()
	b, err := bridge.New(bridge.Config{StateDir: t.TempDir(), IPsec: true, VICISocket: d.Socket,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return securityv1.NewIpsecServiceClient(servertest.Start(t, b.Services()).Conn)
}

// TestTunnelComesBackAfterThePeerIsKilled is issue 9's SIGKILLed peer:
// the responder's charon is killed and restarted empty (its bridge loads
// the connection again, as after any restart). With DPD disabled the
// initiator never notices and the tunnel stays down; with DPD and the
// default DPD action (restart, retrying until the peer answers) the
// initiator's charon brings it back by itself. The initiator's bridge
// runs no replay, so it cannot be what re-initiates.
func TestTunnelComesBackAfterThePeerIsKilled(t *testing.T) {
	p := vicitest.NewPair(t, vicitest.WithCharonSettings(fastRetransmit))
	a := side{api: serveWithoutReplay(t, p.A), d: p.A, addr: p.AddrA, peer: p.AddrB, inner: p.InnerA, innerTo: p.InnerB}
	b := side{api: startIPsec(t, p.B), d: p.B, addr: p.AddrB, peer: p.AddrA, inner: p.InnerB, innerTo: p.InnerA}
	ctx := context.Background()
	setupPSK(t, ctx, b)
	setupPSK(t, ctx, a)
	// The initiator's DPD is set explicitly here: disabled first, then
	// short; the DPD action stays unset, so the default is what is tested.
	setDPD := func(d time.Duration) {
		t.Helper()
		c := a.connection(pskAuth(), pskAuth())
		c.Name, c.DpdDelay = "ikeConnections/site", durationpb.New(d)
		if _, err := a.api.UpdateIkeConnection(ctx, &securityv1.UpdateIkeConnectionRequest{IkeConnection: c,
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"dpd_delay"}}}); err != nil {
			t.Fatalf("UpdateIkeConnection: %v", err)
		}
	}
	initiate := func() uint32 {
		t.Helper()
		if _, err := a.api.InitiateIkeConnection(ctx, &securityv1.InitiateIkeConnectionRequest{Name: "ikeConnections/site"}); err != nil {
			t.Fatalf("Initiate: %v\n%s", err, p.A.Log())
		}
		waitUp(t, ctx, b, 5*time.Second)
		return waitUp(t, ctx, a, 5*time.Second).GetUniqueId()
	}
	// killPeer kills the responder's charon, keeps it dead for down, then
	// starts it again empty and waits until its bridge loaded site again.
	// Until then the restarted charon hears no IKE: it would answer an
	// attempt that arrived before the connection was loaded with
	// NO_PROPOSAL_CHOSEN, which ends the initiator's retries for good (the
	// initiator's bridge then initiates a connection that should be up
	// again, see TestTunnelComesBackWhenTheRestartedResponderLoadsLate;
	// this test is about what charon does alone).
	killPeer := func(down time.Duration) {
		t.Helper()
		p.B.Kill()
		time.Sleep(down)
		nft := func(rules string) {
			t.Helper()
			cmd := exec.Command("ip", "netns", "exec", p.B.NS, "nft", "-f", "-")
			cmd.Stdin = strings.NewReader(rules)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("nft in %s: %v: %s", p.B.NS, err, out)
			}
		}
		nft("table inet opitest { chain in { type filter hook input priority 0; udp dport { 500, 4500 } drop; }; }")
		p.B.Restart()
		deadline := time.Now().Add(10 * time.Second)
		for {
			if out, _ := p.B.Swanctl("--list-conns"); strings.Contains(out, "site: IKEv2") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the responder's bridge did not load site again after its charon restarted\n%s", p.B.Log())
			}
			time.Sleep(100 * time.Millisecond)
		}
		nft("delete table inet opitest")
	}
	responderSAs := func() int {
		t.Helper()
		resp, err := b.api.ListIkeSas(ctx, &securityv1.ListIkeSasRequest{IkeConnection: "ikeConnections/site"})
		if err != nil {
			t.Fatal(err)
		}
		return len(resp.GetIkeSas())
	}

	t.Run("without DPD the tunnel stays down", func(t *testing.T) {
		setDPD(0)
		stale := initiate()
		killPeer(time.Second)
		time.Sleep(8 * time.Second) // DPD on, this is twice what recovery takes
		resp, err := a.api.ListIkeSas(ctx, &securityv1.ListIkeSasRequest{IkeConnection: "ikeConnections/site"})
		if err != nil || len(resp.GetIkeSas()) != 1 || resp.GetIkeSas()[0].GetUniqueId() != stale || responderSAs() != 0 {
			t.Fatalf("initiator's SAs %v (%v), responder's %d; want only the stale SA %d on the initiator and none on the responder\n%s",
				resp.GetIkeSas(), err, responderSAs(), stale, p.A.Log())
		}
		// The stale SA is closed without asking the peer, which lost it.
		if _, err := a.api.TerminateIkeConnection(ctx, &securityv1.TerminateIkeConnectionRequest{Name: "ikeConnections/site", Force: true}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("with DPD the initiator's charon brings it back", func(t *testing.T) {
		setDPD(2 * time.Second)
		before := initiate()
		// Dead for longer than one attempt to re-establish (about 6 s to
		// notice, 3.6 s per attempt): a restart that gave up after one
		// attempt, charon's default keyingtries, would never come back.
		start := time.Now()
		killPeer(12 * time.Second)
		after := waitUp(t, ctx, a, 20*time.Second)
		waitUp(t, ctx, b, 5*time.Second)
		if after.GetUniqueId() == before {
			t.Fatalf("the initiator still shows SA %d; want a new one", before)
		}
		t.Logf("tunnel back %v after the kill (peer dead for 12 s)", time.Since(start).Round(100*time.Millisecond))
		ping(t, a)
	})
}

// TestTunnelComesBackWhenTheRestartedResponderLoadsLate is the race the
// killed-peer test above steps around: the responder's charon restarts
// empty and hears the initiator's attempt before its connection is loaded
// again. It answers NO_PROPOSAL_CHOSEN, which ends the initiator charon's
// retries for good. The initiator's bridge must then initiate again soon
// after the responder has the connection, not on its next replay pass
// (30 s) or after a failed attempt's backoff (30 s more). Here the
// responder's bridge runs no replay, so the test decides when the
// connection is loaded again.
func TestTunnelComesBackWhenTheRestartedResponderLoadsLate(t *testing.T) {
	p := vicitest.NewPair(t, vicitest.WithCharonSettings(fastRetransmit))
	a := side{api: startIPsec(t, p.A), d: p.A, addr: p.AddrA, peer: p.AddrB, inner: p.InnerA, innerTo: p.InnerB}
	b := side{api: serveWithoutReplay(t, p.B), d: p.B, addr: p.AddrB, peer: p.AddrA, inner: p.InnerB, innerTo: p.InnerA}
	ctx := context.Background()
	setupPSK(t, ctx, b)
	setupPSK(t, ctx, a)
	c := a.connection(pskAuth(), pskAuth())
	c.Name, c.DpdDelay = "ikeConnections/site", durationpb.New(2*time.Second)
	if _, err := a.api.UpdateIkeConnection(ctx, &securityv1.UpdateIkeConnectionRequest{IkeConnection: c,
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"dpd_delay"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.api.InitiateIkeConnection(ctx, &securityv1.InitiateIkeConnectionRequest{Name: "ikeConnections/site"}); err != nil {
		t.Fatalf("Initiate: %v\n%s", err, p.A.Log())
	}
	before := waitUp(t, ctx, a, 5*time.Second).GetUniqueId()

	p.B.Kill()
	p.B.Restart() // empty, and its bridge does not load site again
	// The initiator notices the dead peer (DPD after 2 s, then about 3.6 s
	// of retransmissions), restarts the connection, and the restarted
	// responder, which lacks it, refuses.
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(p.A.Log(), "NO_PROPOSAL_CHOSEN") {
		if time.Now().After(deadline) {
			t.Fatalf("the initiator never heard NO_PROPOSAL_CHOSEN from the restarted responder\n%s", p.A.Log())
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(3 * time.Second) // the responder stays without the connection a little longer

	// The responder's bridge loads site again (as its replay pass would).
	if _, err := b.api.DeleteIkeConnection(ctx, &securityv1.DeleteIkeConnectionRequest{Name: "ikeConnections/site"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.api.CreateIkeConnection(ctx, &securityv1.CreateIkeConnectionRequest{IkeConnectionId: "site", IkeConnection: b.connection(pskAuth(), pskAuth())}); err != nil {
		t.Fatal(err)
	}
	loaded := time.Now()
	after := waitUp(t, ctx, a, 10*time.Second)
	waitUp(t, ctx, b, 5*time.Second)
	if after.GetUniqueId() == before {
		t.Fatalf("the initiator still shows SA %d; want a new one", before)
	}
	t.Logf("tunnel back %v after the responder loaded the connection again", time.Since(loaded).Round(100*time.Millisecond))
	ping(t, a)
}
