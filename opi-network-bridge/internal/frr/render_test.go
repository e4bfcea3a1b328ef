package frr

import (
	"flag"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/opi-suite/opi/opi-network-bridge/network"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const testBase = `frr defaults datacenter
!
router bgp 65001
 neighbor 10.0.0.2 remote-as 65002
 !
 address-family l2vpn evpn
  neighbor 10.0.0.2 activate
 exit-address-family
exit
`

func richConfig() network.RoutingConfig {
	red := network.Vrf{VNI: 1000, RD: "10.0.0.1:1000", ImportRTs: []string{"65001:1000", "65002:1000"}, ExportRTs: []string{"65001:1000"}}
	blue := network.Vrf{VNI: 2000, DeviceName: "blue"}
	local := network.Vrf{DeviceName: "mgmt"}
	return network.RoutingConfig{
		LogicalBridges: []network.LogicalBridge{{VlanID: 20, VNI: 200}, {VlanID: 10, VNI: 100}, {VlanID: 30}, {VlanID: 10, VNI: 100}},
		Vrfs:           []network.Vrf{red, blue, local},
		Svis: []network.Svi{
			{Vrf: red, Bridge: network.LogicalBridge{VlanID: 20, VNI: 200}, EnableBGP: true, RemoteAS: 65100},
			{Vrf: red, Bridge: network.LogicalBridge{VlanID: 10, VNI: 100}, EnableBGP: true},
			{Vrf: blue, Bridge: network.LogicalBridge{VlanID: 30}, MAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}},
			{Vrf: local, Bridge: network.LogicalBridge{VlanID: 40}, EnableBGP: true, RemoteAS: 65200},
		},
	}
}

func TestRenderMatchesTheGoldenFile(t *testing.T) {
	for _, tc := range []struct {
		name   string
		base   string
		rid    netip.Addr
		cfg    network.RoutingConfig
		golden string
	}{
		{"nothing managed renders advertise-all-vni alone", "", netip.Addr{}, network.RoutingConfig{}, "render-empty.golden"},
		{"bridges, vrfs and svis render sorted after the base", testBase, netip.MustParseAddr("10.0.0.1"), richConfig(), "render-rich.golden"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Render(tc.base, 65001, tc.rid, tc.cfg)
			path := filepath.Join("testdata", tc.golden)
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("Render differs from %s (go test -update rewrites it):\n%s", path, got)
			}
		})
	}
}

func TestRenderIgnoresTheOrderOfItsInput(t *testing.T) {
	want := Render(testBase, 65001, netip.MustParseAddr("10.0.0.1"), richConfig())
	for i := range 20 {
		cfg := richConfig()
		r := rand.New(rand.NewPCG(uint64(i), 1))
		r.Shuffle(len(cfg.LogicalBridges), func(a, b int) {
			cfg.LogicalBridges[a], cfg.LogicalBridges[b] = cfg.LogicalBridges[b], cfg.LogicalBridges[a]
		})
		r.Shuffle(len(cfg.Vrfs), func(a, b int) { cfg.Vrfs[a], cfg.Vrfs[b] = cfg.Vrfs[b], cfg.Vrfs[a] })
		r.Shuffle(len(cfg.Svis), func(a, b int) { cfg.Svis[a], cfg.Svis[b] = cfg.Svis[b], cfg.Svis[a] })
		r.Shuffle(len(cfg.Vrfs[0].ImportRTs), func(a, b int) {
			cfg.Vrfs[0].ImportRTs[a], cfg.Vrfs[0].ImportRTs[b] = cfg.Vrfs[0].ImportRTs[b], cfg.Vrfs[0].ImportRTs[a]
		})
		if got := Render(testBase, 65001, netip.MustParseAddr("10.0.0.1"), cfg); got != want {
			t.Fatalf("shuffle %d renders differently:\n%s\nwant:\n%s", i, got, want)
		}
	}
}
