package bridge_test

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	securityv1 "github.com/opi-suite/opi/opi-api/security/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/opi-suite/opi/opi-security-bridge/internal/vici/vicitest"
)

// vipPool is the address pool the responder assigns virtual IPs from.
const vipPool = "10.3.0.0/24"

// wantStatus fails unless err has code and its message mentions inMsg.
func wantStatus(t *testing.T, what string, err error, code codes.Code, inMsg string) {
	t.Helper()
	if status.Code(err) != code || !strings.Contains(status.Convert(err).Message(), inMsg) {
		t.Fatalf("%s: error = %v, want %v mentioning %q", what, err, code, inMsg)
	}
}

// pools returns what `swanctl --list-pools` shows on d.
func pools(t *testing.T, d *vicitest.Daemon) string {
	t.Helper()
	out, err := d.Swanctl("--list-pools")
	if err != nil {
		t.Fatalf("swanctl --list-pools: %v\n%s", err, out)
	}
	return out
}

// vipClient is s's connection site asking its peer for any IPv4 address:
// its own child selector is the address it gets (dynamic).
func (s side) vipClient() *securityv1.IkeConnection {
	c := s.connection(pskAuth(), pskAuth())
	c.Vips = []string{"0.0.0.0"}
	c.Children[0].LocalTs = nil
	return c
}

// vipServer is s's connection site assigning its peer an address from
// pool.
func (s side) vipServer(pool string) *securityv1.IkeConnection {
	c := s.connection(pskAuth(), pskAuth())
	c.Pools = []string{pool}
	c.Children[0].RemoteTs = []string{vipPool}
	return c
}

// inPool fails unless vips is one assignable address of vipPool.
func inPool(t *testing.T, what string, vips []string) netip.Addr {
	t.Helper()
	if len(vips) != 1 {
		t.Fatalf("%s = %v; want one virtual IP from %s", what, vips, vipPool)
	}
	a, err := netip.ParseAddr(vips[0])
	p := netip.MustParsePrefix(vipPool)
	if err != nil || !p.Contains(a) || a == p.Addr() || a == netip.MustParseAddr("10.3.0.255") {
		t.Fatalf("%s = %v; want an address of %s other than its network and broadcast addresses", what, vips, vipPool)
	}
	return a
}

// TestIPsecVirtualIPFromAPool runs a remote-access tunnel on two real
// charons: A requests a virtual IP (vips 0.0.0.0), B assigns it from an
// address pool created through the API. The pool's values are checked
// before charon sees them, a connection cannot name a missing pool, a pool
// in use cannot be deleted, and after B's charon restarts empty its bridge
// loads the pool again with the connection, so a new initiation gets an
// address again.
func TestIPsecVirtualIPFromAPool(t *testing.T) {
	p := vicitest.NewPair(t)
	a, b := sides(t, p)
	ctx := context.Background()

	for _, tc := range []struct {
		pool  *securityv1.AddressPool
		inMsg string
	}{
		{&securityv1.AddressPool{}, "addrs"},
		{&securityv1.AddressPool{Addrs: "10.3.0.1"}, "one address"},
		{&securityv1.AddressPool{Addrs: "10.3.0.1/24"}, "host bits"},
		{&securityv1.AddressPool{Addrs: "10.3.0.0/33"}, "CIDR"},
		{&securityv1.AddressPool{Addrs: "10.3.0.20-10.3.0.10"}, "ends before it starts"},
		{&securityv1.AddressPool{Addrs: "10.3.0.10-fd00::1"}, "mixes"},
		{&securityv1.AddressPool{Addrs: vipPool, Dns: []string{"dns.example"}}, "dns[0]"},
	} {
		_, err := b.api.CreateAddressPool(ctx, &securityv1.CreateAddressPoolRequest{AddressPoolId: "bad", AddressPool: tc.pool})
		wantStatus(t, "CreateAddressPool "+tc.pool.GetAddrs(), err, codes.InvalidArgument, tc.inMsg)
	}
	if out := pools(t, p.B); strings.Contains(out, "bad") {
		t.Fatalf("a refused pool reached charon:\n%s", out)
	}
	if _, err := b.api.CreateAddressPool(ctx, &securityv1.CreateAddressPoolRequest{AddressPoolId: "vpn",
		AddressPool: &securityv1.AddressPool{Addrs: vipPool, Dns: []string{"10.3.0.53"}}}); err != nil {
		t.Fatalf("CreateAddressPool: %v", err)
	}
	if out := pools(t, p.B); !strings.Contains(out, "vpn") || !strings.Contains(out, "10.3.0.0") {
		t.Fatalf("charon's pools after CreateAddressPool:\n%s", out)
	}

	if _, err := b.api.CreatePreSharedKey(ctx, &securityv1.CreatePreSharedKeyRequest{PreSharedKeyId: "site-psk",
		PreSharedKey: &securityv1.PreSharedKey{Secret: []byte("a-shared-secret-of-32-bytes-long")}}); err != nil {
		t.Fatal(err)
	}
	_, err := b.api.CreateIkeConnection(ctx, &securityv1.CreateIkeConnectionRequest{IkeConnectionId: "site", IkeConnection: b.vipServer("addressPools/missing")})
	wantStatus(t, "a connection naming a missing pool", err, codes.NotFound, "addressPools/missing")
	if _, err := b.api.CreateIkeConnection(ctx, &securityv1.CreateIkeConnectionRequest{IkeConnectionId: "site", IkeConnection: b.vipServer("addressPools/vpn")}); err != nil {
		t.Fatalf("CreateIkeConnection on B: %v", err)
	}
	_, err = b.api.DeleteAddressPool(ctx, &securityv1.DeleteAddressPoolRequest{Name: "addressPools/vpn"})
	wantStatus(t, "deleting a pool in use", err, codes.FailedPrecondition, "")

	if _, err := a.api.CreatePreSharedKey(ctx, &securityv1.CreatePreSharedKeyRequest{PreSharedKeyId: "site-psk",
		PreSharedKey: &securityv1.PreSharedKey{Secret: []byte("a-shared-secret-of-32-bytes-long")}}); err != nil {
		t.Fatal(err)
	}
	bad := a.vipClient()
	bad.Vips = []string{"any"}
	_, err = a.api.CreateIkeConnection(ctx, &securityv1.CreateIkeConnectionRequest{IkeConnectionId: "site", IkeConnection: bad})
	wantStatus(t, "vips that are not addresses", err, codes.InvalidArgument, "vips[0]")
	if _, err := a.api.CreateIkeConnection(ctx, &securityv1.CreateIkeConnectionRequest{IkeConnectionId: "site", IkeConnection: a.vipClient()}); err != nil {
		t.Fatalf("CreateIkeConnection on A: %v", err)
	}

	initiate := func() netip.Addr {
		t.Helper()
		if _, err := a.api.InitiateIkeConnection(ctx, &securityv1.InitiateIkeConnectionRequest{Name: "ikeConnections/site"}); err != nil {
			t.Fatalf("Initiate: %v\n%s\n%s", err, p.A.Log(), p.B.Log())
		}
		vip := inPool(t, "A's IKE SA local_vips", waitUp(t, ctx, a, 5*time.Second).GetLocalVips())
		if got := waitUp(t, ctx, b, 5*time.Second).GetRemoteVips(); len(got) != 1 || got[0] != vip.String() {
			t.Fatalf("B's IKE SA remote_vips = %v; want A's %s", got, vip)
		}
		return vip
	}
	initiate()
	if out := pools(t, p.B); !strings.Contains(out, "1 / 0 / 254") {
		t.Fatalf("charon's pool after the initiation: want one online lease of 254\n%s", out)
	}

	// B's charon restarts empty: its bridge loads the pool again before
	// the connection that names it.
	if _, err := a.api.TerminateIkeConnection(ctx, &securityv1.TerminateIkeConnectionRequest{Name: "ikeConnections/site"}); err != nil {
		t.Fatal(err)
	}
	p.B.Restart()
	deadline := time.Now().Add(15 * time.Second)
	for {
		conns, _ := p.B.Swanctl("--list-conns")
		if strings.Contains(pools(t, p.B), "vpn") && strings.Contains(conns, "site:") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after B's charon restarted: pools %q, conns %q; want pool vpn and connection site", pools(t, p.B), conns)
		}
		time.Sleep(50 * time.Millisecond)
	}
	initiate()

	if _, err := a.api.DeleteIkeConnection(ctx, &securityv1.DeleteIkeConnectionRequest{Name: "ikeConnections/site"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.api.DeleteIkeConnection(ctx, &securityv1.DeleteIkeConnectionRequest{Name: "ikeConnections/site"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.api.DeleteAddressPool(ctx, &securityv1.DeleteAddressPoolRequest{Name: "addressPools/vpn"}); err != nil {
		t.Fatalf("DeleteAddressPool once no connection names it: %v", err)
	}
	if out := pools(t, p.B); strings.Contains(out, "vpn") {
		t.Fatalf("charon still holds the deleted pool:\n%s", out)
	}
}
