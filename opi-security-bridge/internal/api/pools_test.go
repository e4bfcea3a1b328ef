package api_test

import (
	"context"
	"slices"
	"testing"
	"time"

	securityv1 "github.com/opi-suite/opi/opi-api/security/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/opi-suite/opi/opi-security-bridge/bridge"
)

// TestAddressPoolsOnAVendorBackend: address pools and the virtual IPs of
// connections through the API onto a backend. Bad values are refused
// before the backend sees them, the references between connections and
// pools hold, an update keeps the addresses, and after the backend
// restarts the replay pass loads the pool before the connection naming it
// (the fake refuses the connection otherwise).
func TestAddressPoolsOnAVendorBackend(t *testing.T) {
	fake := newFakeIKE()
	api := securityv1.NewIpsecServiceClient(serve(t, bridge.Config{IPsec: true}, bridge.WithIPsecBackend(fake)))
	ctx := context.Background()
	createPool := func(id string, p *securityv1.AddressPool) error {
		_, err := api.CreateAddressPool(ctx, &securityv1.CreateAddressPoolRequest{AddressPoolId: id, AddressPool: p})
		return err
	}
	for _, tc := range []struct {
		pool  *securityv1.AddressPool
		inMsg string
	}{
		{&securityv1.AddressPool{Addrs: "10.3.0.1"}, "one address"},
		{&securityv1.AddressPool{Addrs: "10.3.0.0/24x"}, "CIDR"},
		{&securityv1.AddressPool{Addrs: "10.3.0.9-10.3.0.1"}, "ends before it starts"},
		{&securityv1.AddressPool{Addrs: "10.3.0.0/24", Dns: []string{"fe80::1%eth0"}}, "dns[0]"},
	} {
		wantCode(t, createPool("bad", tc.pool), codes.InvalidArgument, tc.inMsg)
		if _, ok := fake.pool("bad"); ok {
			t.Fatalf("the backend got the refused pool %v", tc.pool)
		}
	}
	if err := createPool("clients", &securityv1.AddressPool{Addrs: "10.3.0.10-10.3.0.20", Dns: []string{"10.3.0.53"}}); err != nil {
		t.Fatal(err)
	}
	if p, ok := fake.pool("clients"); !ok || p.Addrs != "10.3.0.10-10.3.0.20" || !slices.Equal(p.DNS, []string{"10.3.0.53"}) {
		t.Fatalf("the backend holds %+v, %v", p, ok)
	}

	if _, err := api.CreatePreSharedKey(ctx, &securityv1.CreatePreSharedKeyRequest{PreSharedKeyId: "site-psk",
		PreSharedKey: &securityv1.PreSharedKey{Secret: []byte("a-shared-secret-of-32-bytes-long")}}); err != nil {
		t.Fatal(err)
	}
	conn := func(vips []string, pools ...string) *securityv1.IkeConnection {
		c := siteConnection("aes128-sha256-modp2048")
		c.Vips, c.Pools = vips, pools
		return c
	}
	createConn := func(c *securityv1.IkeConnection) error {
		_, err := api.CreateIkeConnection(ctx, &securityv1.CreateIkeConnectionRequest{IkeConnectionId: "site", IkeConnection: c})
		return err
	}
	wantCode(t, createConn(conn(nil, "addressPools/missing")), codes.NotFound, "addressPools/missing")
	wantCode(t, createConn(conn(nil, "clients")), codes.InvalidArgument, "pools[0]")
	wantCode(t, createConn(conn(nil, "addressPools/clients", "addressPools/clients")), codes.InvalidArgument, "twice")
	wantCode(t, createConn(conn([]string{"0.0.0.0/0"})), codes.InvalidArgument, "vips[0]")
	if _, ok := fake.conn("site"); ok {
		t.Fatal("a refused connection reached the backend")
	}
	if err := createConn(conn([]string{"0.0.0.0", "::"}, "addressPools/clients")); err != nil {
		t.Fatal(err)
	}
	if c, _ := fake.conn("site"); !slices.Equal(c.VIPs, []string{"0.0.0.0", "::"}) || !slices.Equal(c.Pools, []string{"clients"}) {
		t.Fatalf("the backend holds vips %v, pools %v; want [0.0.0.0 ::] and [clients]", c.VIPs, c.Pools)
	}
	_, err := api.DeleteAddressPool(ctx, &securityv1.DeleteAddressPoolRequest{Name: "addressPools/clients"})
	wantCode(t, err, codes.FailedPrecondition, "")
	if _, ok := fake.pool("clients"); !ok {
		t.Fatal("the refused delete unloaded the pool")
	}

	_, err = api.UpdateAddressPool(ctx, &securityv1.UpdateAddressPoolRequest{AddressPool: &securityv1.AddressPool{Name: "addressPools/clients", Addrs: "10.4.0.0/24"},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"addrs"}}})
	wantCode(t, err, codes.InvalidArgument, "addrs")
	if _, err := api.UpdateAddressPool(ctx, &securityv1.UpdateAddressPoolRequest{AddressPool: &securityv1.AddressPool{Name: "addressPools/clients", Dns: []string{"10.3.0.54"}},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"dns"}}}); err != nil {
		t.Fatal(err)
	}
	if p, _ := fake.pool("clients"); p.Addrs != "10.3.0.10-10.3.0.20" || !slices.Equal(p.DNS, []string{"10.3.0.54"}) {
		t.Fatalf("after updating dns the backend holds %+v", p)
	}

	if n := fake.poolRefusals(); n != 0 {
		t.Fatalf("%d connections reached the backend before their pool", n)
	}
	fake.restart()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, pool := fake.pool("clients")
		loaded, _, _ := fake.holds("site")
		if loaded && pool {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the backend restarted: pool loaded %v, connection loaded %v; want both", pool, loaded)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := fake.poolRefusals(); n != 0 {
		t.Fatalf("the replay pass loaded the connection before its pool (%d refusals)", n)
	}

	if _, err := api.DeleteIkeConnection(ctx, &securityv1.DeleteIkeConnectionRequest{Name: "ikeConnections/site"}); err != nil {
		t.Fatal(err)
	}
	if _, err := api.DeleteAddressPool(ctx, &securityv1.DeleteAddressPoolRequest{Name: "addressPools/clients"}); err != nil {
		t.Fatal(err)
	}
	if _, ok := fake.pool("clients"); ok {
		t.Fatal("the deleted pool is still in the backend")
	}
	list, err := api.ListAddressPools(ctx, &securityv1.ListAddressPoolsRequest{})
	if err != nil || len(list.GetAddressPools()) != 0 {
		t.Fatalf("ListAddressPools = %v, %v; want none", list, err)
	}
}
