package frr

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-network-bridge/network"
)

// The testdata are FRR 8.4.4's answers in two namespaces joined by a veth
// (VTEPs 10.0.0.1 and 10.0.0.2), each with a bridge and VXLAN device for
// VNI 100 and a host MAC 02:00:00:00:00:0N with IP 192.168.100.N on it;
// namespace 1 also has VNI 1000 as the default VRF's L3 VNI, advertising
// 172.16.1.0/24 as a type-5 route.

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseVNIsReadsZebrasL2AndL3VNIs(t *testing.T) {
	got, err := ParseVNIs(readTestdata(t, "evpn-vni-ns1.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[uint32]network.VNIState{
		100:  {Type: "L2", VxlanIf: "vx100", RemoteVteps: []netip.Addr{netip.MustParseAddr("10.0.0.2")}, MACs: 2},
		1000: {Type: "L3", VxlanIf: "vx1000"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

func TestParseVNIsOfNothingIsEmpty(t *testing.T) {
	for _, in := range []string{"", "{}\n"} {
		got, err := ParseVNIs([]byte(in))
		if err != nil || len(got) != 0 {
			t.Errorf("ParseVNIs(%q) = %v, %v; want empty", in, got, err)
		}
	}
}

func TestParseVNIsRejectsWhatIsNotJSONAsInternal(t *testing.T) {
	_, err := ParseVNIs([]byte("% Unknown command"))
	if !errors.Is(err, errdefs.ErrInternal) {
		t.Errorf("got %v, want Internal", err)
	}
}

func route(t, vni uint32, rd, mac, ip, nh string, local bool) network.EVPNRoute {
	r := network.EVPNRoute{Type: int(t), RD: rd, VNI: vni, Local: local, NextHop: netip.MustParseAddr(nh)}
	if mac != "" {
		r.MAC, _ = net.ParseMAC(mac)
	}
	if ip != "" {
		if p, err := netip.ParsePrefix(ip); err == nil {
			r.Prefix, r.IP = p, p.Addr()
		} else {
			r.IP = netip.MustParseAddr(ip)
		}
	}
	return r
}

func TestParseRoutesReadsTypes2And3And5LocalAndRemote(t *testing.T) {
	got, err := ParseRoutes(readTestdata(t, "bgp-evpn-ns1.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := []network.EVPNRoute{
		route(5, 1000, "10.0.0.1:1", "", "172.16.1.0/24", "10.0.0.1", true),
		route(2, 100, "10.0.0.1:2", "02:00:00:00:00:01", "", "10.0.0.1", true),
		route(2, 100, "10.0.0.1:2", "02:00:00:00:00:01", "192.168.100.1", "10.0.0.1", true),
		route(3, 100, "10.0.0.1:2", "", "10.0.0.1", "10.0.0.1", true),
		route(2, 100, "10.0.0.2:2", "02:00:00:00:00:02", "", "10.0.0.2", false),
		route(2, 100, "10.0.0.2:2", "02:00:00:00:00:02", "192.168.100.2", "10.0.0.2", false),
		route(3, 100, "10.0.0.2:2", "", "10.0.0.2", "10.0.0.2", false),
		route(3, 1000, "10.0.0.2:3", "", "10.0.0.2", "10.0.0.2", false),
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%s\nwant\n%s", dump(got), dump(want))
	}
}

func TestParseRoutesReadsTheShortFormToo(t *testing.T) {
	// "show bgp l2vpn evpn json" has no VNI; local paths have peerId "(unspec)".
	got, err := ParseRoutes(readTestdata(t, "bgp-evpn-summary-ns2.json"))
	if err != nil {
		t.Fatal(err)
	}
	var local, remote int
	for _, r := range got {
		if r.Local {
			local++
			if r.NextHop != netip.MustParseAddr("10.0.0.2") {
				t.Errorf("local route %+v: next hop is not this VTEP", r)
			}
		} else {
			remote++
		}
	}
	if len(got) == 0 || local == 0 || remote == 0 {
		t.Errorf("got %d routes, %d local, %d remote; want both kinds:\n%s", len(got), local, remote, dump(got))
	}
}

func dump(rs []network.EVPNRoute) string {
	var b strings.Builder
	for _, r := range rs {
		b.WriteString("  type " + string(rune('0'+r.Type)) + " rd " + r.RD + " mac " + r.MAC.String() + " ip " + r.IP.String() +
			" prefix " + r.Prefix.String() + " nh " + r.NextHop.String())
		if r.Local {
			b.WriteString(" local")
		}
		b.WriteString("\n")
	}
	return b.String()
}

func TestRefusalsPickFRRsReasons(t *testing.T) {
	for _, tc := range []struct {
		name, out string
		want      []string
	}{
		{"a daemon's refusal", "% Malformed Route Target list\n", []string{"Malformed Route Target list"}},
		{"vtysh's unknown command", "line 4: % Unknown command[82]:    route-target bogus 1:1\n", []string{"Unknown command[82]:    route-target bogus 1:1"}},
		{"a northbound validation", "% Configuration failed.\n\nError type: validation\nError description: vni 2000 cannot be configured\n",
			[]string{"Configuration failed.", "vni 2000 cannot be configured"}},
		{"frr-reload.py's error log", "2026-12-05 10:45:15,857 \x1b[91m  ERROR\x1b[0m: \"x\" we failed to remove this command\n", []string{"\"x\" we failed to remove this command"}},
		{"a missing vtysh.conf is no refusal", "% Can't open configuration file /tmp/x/vtysh.conf due to 'No such file or directory'.\n", nil},
		{"a warning is no refusal", "2026-12-05 10:45:15,857 WARNING: frr-reload.py failed due to\n", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := refusals(tc.out); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestRefusedIsInvalidArgumentWithoutDuplicates(t *testing.T) {
	err := refused("% Malformed Route Target list\n% Malformed Route Target list\n% Configuration failed.\nError description: x\n")
	if !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Fatalf("got %v, want InvalidArgument", err)
	}
	if want := "frr refused the configuration: Malformed Route Target list; x"; err.Error() != want {
		t.Errorf("got %q, want %q", err.Error(), want)
	}
}
