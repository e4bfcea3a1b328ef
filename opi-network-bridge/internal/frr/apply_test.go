package frr_test

import (
	"context"
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-network-bridge/internal/frr"
	"github.com/opi-suite/opi/opi-network-bridge/internal/frr/frrtest"
	"github.com/opi-suite/opi/opi-network-bridge/network"
)

// underlay is a base configuration: eBGP to one peer with EVPN activated,
// and short timers so that a session comes up in a second or two.
func underlay(asn, peerASN int, peer string) string {
	return strings.NewReplacer("ASN", itoa(asn), "PEERAS", itoa(peerASN), "PEER", peer).Replace(`router bgp ASN
 no bgp ebgp-requires-policy
 timers bgp 1 3
 neighbor PEER remote-as PEERAS
 neighbor PEER timers connect 1
 !
 address-family l2vpn evpn
  neighbor PEER activate
 exit-address-family
exit
`)
}

func itoa(n int) string { return strconv.Itoa(n) }

// start runs FRR in a fresh namespace and returns it with an adapter on it.
func start(t testing.TB, asn int, routerID, base string) (*frrtest.Instance, *frr.FRR) {
	t.Helper()
	return start2(t, frrtest.NewNS(t), asn, routerID, base)
}

// start2 runs FRR in namespace ns and returns it with an adapter on it.
func start2(t testing.TB, ns string, asn int, routerID, base string) (*frrtest.Instance, *frr.FRR) {
	t.Helper()
	in := frrtest.Start(t, ns, base)
	a, err := frr.New(uint32(asn), instance(in, routerID)...)
	if err != nil {
		t.Fatal(err)
	}
	return in, a
}

// instance are the options for the adapter of a test's FRR.
func instance(in *frrtest.Instance, routerID string) []frr.Option {
	return []frr.Option{
		frr.WithVtySocketDir(in.Dir), frr.WithConfDir(in.Dir), frr.WithRunDir(in.Dir),
		frr.WithRouterID(netip.MustParseAddr(routerID)), frr.WithBaseFile(in.Base),
	}
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func mustContain(t *testing.T, running string, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if !strings.Contains(running, "\n"+l+"\n") {
			t.Errorf("running configuration lacks %q:\n%s", l, running)
		}
	}
}

var evpnConfig = network.RoutingConfig{
	LogicalBridges: []network.LogicalBridge{{VlanID: 10, VNI: 100}, {VlanID: 20, VNI: 200}},
	Vrfs: []network.Vrf{{VNI: 1000, RD: "10.0.0.1:1000",
		ImportRTs: []string{"65099:1000"}, ExportRTs: []string{"65098:1000"}}},
	Svis: []network.Svi{{Vrf: network.Vrf{VNI: 1000}, Bridge: network.LogicalBridge{VlanID: 10, VNI: 100}, EnableBGP: true, RemoteAS: 65100}},
}

func TestApplyPutsTheManagedLinesIntoTheRunningConfiguration(t *testing.T) {
	in, a := start(t, 65001, "10.0.0.1", underlay(65001, 65002, "10.0.0.2"))
	if err := a.Apply(ctxT(t), evpnConfig); err != nil {
		t.Fatal(err)
	}
	mustContain(t, in.Running(),
		"vrf vrf1000", " vni 1000",
		"router bgp 65001", " bgp router-id 10.0.0.1", " neighbor 10.0.0.2 remote-as 65002",
		"  advertise-all-vni", "  vni 100", "  vni 200",
		"router bgp 65001 vrf vrf1000", " neighbor lb10 interface remote-as 65100",
		"  advertise ipv4 unicast", "  rd 10.0.0.1:1000",
		"  route-target import 65099:1000", "  route-target export 65098:1000")
	// The VRF's stanza went where it belongs, not to bgpd's VNC
	// "vrf-policy" nor to the default VRF's top-level "vni".
	if r := in.Running(); strings.Contains(r, "vrf-policy") || strings.Contains(r, "\nvni ") {
		t.Errorf("VRF stanza misapplied:\n%s", r)
	}
}

func TestApplyingTheSameConfigurationTwiceReloadsOnce(t *testing.T) {
	in, a := start(t, 65001, "10.0.0.1", underlay(65001, 65002, "10.0.0.2"))
	ctx := ctxT(t)
	if err := a.Apply(ctx, evpnConfig); err != nil {
		t.Fatal(err)
	}
	before := in.Running()
	if err := a.Apply(ctx, evpnConfig); err != nil {
		t.Fatal(err)
	}
	if n := a.Reloads(); n != 1 {
		t.Errorf("%d reloads for two Applies of one configuration, want 1", n)
	}
	if after := in.Running(); after != before {
		t.Errorf("running configuration changed:\n%s\nwas:\n%s", after, before)
	}
	// A restarted bridge (a new adapter on the same run directory) finds
	// the record and does nothing either.
	b, err := frr.New(65001, instance(in, "10.0.0.1")...)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Apply(ctx, evpnConfig); err != nil {
		t.Fatal(err)
	}
	if n := b.Reloads(); n != 0 {
		t.Errorf("a restarted adapter reloaded %d times, want 0", n)
	}
}

func TestAConfigurationFRRRefusesIsInvalidArgumentAndChangesNothing(t *testing.T) {
	// One FRR for all cases: each refused Apply must leave it as it was.
	in, a := start(t, 65001, "10.0.0.1", underlay(65001, 65002, "10.0.0.2"))
	ctx := ctxT(t)
	if err := a.Apply(ctx, evpnConfig); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		cfg  network.RoutingConfig
		want string
	}{
		{"a malformed route target", network.RoutingConfig{
			LogicalBridges: []network.LogicalBridge{{VlanID: 30, VNI: 300}},
			Vrfs:           []network.Vrf{{VNI: 2000, ImportRTs: []string{"not-a-route-target"}}},
		}, "Malformed Route Target"},
		{"a malformed route distinguisher", network.RoutingConfig{
			Vrfs: []network.Vrf{{VNI: 2000, RD: "bogus"}},
		}, "Malformed Route Distinguisher"},
		{"an L3 VNI used twice", network.RoutingConfig{
			Vrfs: []network.Vrf{{VNI: 3000, DeviceName: "red"}, {VNI: 3000, DeviceName: "blue"}},
		}, "already configured"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := in.Running()
			err := a.Apply(ctx, tc.cfg)
			if !errors.Is(err, errdefs.ErrInvalidArgument) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want InvalidArgument saying %q", err, tc.want)
			}
			if after := in.Running(); after != before {
				t.Errorf("running configuration changed by a refused Apply:\n%s\nwas:\n%s", after, before)
			}
		})
	}
	// And the adapter still applies a good configuration.
	if err := a.Apply(ctx, network.RoutingConfig{LogicalBridges: []network.LogicalBridge{{VlanID: 10, VNI: 100}}}); err != nil {
		t.Fatal(err)
	}
	mustContain(t, in.Running(), "  vni 100")
}

func TestASyntaxErrorIsRefusedBeforeFRRIsTouched(t *testing.T) {
	in, a := start(t, 65001, "10.0.0.1", underlay(65001, 65002, "10.0.0.2"))
	ctx := ctxT(t)
	err := a.Apply(ctx, network.RoutingConfig{Vrfs: []network.Vrf{{VNI: 2000, RD: "1:1 extra words"}}})
	if !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Fatalf("got %v, want InvalidArgument", err)
	}
	if n := a.Reloads(); n != 0 {
		t.Errorf("%d reloads for a candidate vtysh's dry run refuses, want 0", n)
	}
	if strings.Contains(in.Running(), "advertise-all-vni") {
		t.Error("FRR was changed")
	}
}

func TestApplyWithoutFRRIsUnavailable(t *testing.T) {
	in, a := start(t, 65001, "10.0.0.1", "")
	in.Stop()
	err := a.Apply(ctxT(t), evpnConfig)
	if !errors.Is(err, errdefs.ErrUnavailable) || !errdefs.Unreachable(err) {
		t.Fatalf("got %v, want Unavailable", err)
	}
	if _, err := a.State(ctxT(t)); !errors.Is(err, errdefs.ErrUnavailable) {
		t.Errorf("State: got %v, want Unavailable", err)
	}
}

func TestApplyAfterAnFRRRestartRestoresTheManagedConfiguration(t *testing.T) {
	in, a := start(t, 65001, "10.0.0.1", underlay(65001, 65002, "10.0.0.2"))
	ctx := ctxT(t)
	if err := a.Apply(ctx, evpnConfig); err != nil {
		t.Fatal(err)
	}
	in.Restart()
	if strings.Contains(in.Running(), "advertise-all-vni") {
		t.Fatal("the managed configuration survived the restart: the test proves nothing")
	}
	if err := a.Apply(ctx, evpnConfig); err != nil {
		t.Fatal(err)
	}
	if n := a.Reloads(); n != 2 {
		t.Errorf("%d reloads, want 2 (the restart must be noticed)", n)
	}
	mustContain(t, in.Running(), "  advertise-all-vni", "  vni 100", " neighbor lb10 interface remote-as 65100", "vrf vrf1000")
}

func TestApplyRemovesWhatTheIntentNoLongerHas(t *testing.T) {
	in, a := start(t, 65001, "10.0.0.1", underlay(65001, 65002, "10.0.0.2"))
	ctx := ctxT(t)
	if err := a.Apply(ctx, evpnConfig); err != nil {
		t.Fatal(err)
	}
	red := network.Vrf{VNI: 1000, DeviceName: "red"}
	if err := a.Apply(ctx, network.RoutingConfig{
		LogicalBridges: []network.LogicalBridge{{VlanID: 20, VNI: 200}},
		Vrfs:           []network.Vrf{red},
	}); err != nil {
		t.Fatal(err)
	}
	// The L3 VNI moves to another VRF, and then to another VNI.
	red.VNI = 1001
	next := network.RoutingConfig{LogicalBridges: []network.LogicalBridge{{VlanID: 30, VNI: 300}}, Vrfs: []network.Vrf{red}}
	if err := a.Apply(ctx, next); err != nil {
		t.Fatal(err)
	}
	r := in.Running()
	mustContain(t, r, "vrf red", " vni 1001", "  vni 300", "router bgp 65001 vrf red")
	for _, gone := range []string{"vrf vrf1000", " vni 1000", "  vni 100", "  vni 200", "router bgp 65001 vrf vrf1000", " neighbor lb10 interface remote-as 65100"} {
		if strings.Contains(r, "\n"+gone+"\n") {
			t.Errorf("running configuration still has %q:\n%s", gone, r)
		}
	}
	if n := a.Reloads(); n != 3 {
		t.Errorf("%d reloads, want 3", n)
	}
}
