package frr

import (
	"reflect"
	"testing"
)

const pruneRunning = `frr version 8.4.4
vrf red
 vni 1000
exit-vrf
!
vrf blue
 vni 2000
exit-vrf
!
router bgp 65001
 neighbor 10.0.0.2 remote-as 65002
 !
 address-family l2vpn evpn
  neighbor 10.0.0.2 activate
  advertise-all-vni
  vni 100
   rd 10.0.0.1:100
  exit-vni
  vni 200
  exit-vni
 exit-address-family
exit
!
router bgp 65001 vrf blue
 address-family l2vpn evpn
  advertise ipv4 unicast
 exit-address-family
exit
!
router bgp 65001 vrf red
exit
!
end
`

func TestPruneCommandsRemoveWhatTheCandidateLacksInOneGo(t *testing.T) {
	candidate := `router bgp 65001
 address-family l2vpn evpn
  advertise-all-vni
  vni 200
  exit-vni
 exit-address-family
exit
vrf red
 vni 1001
exit-vrf
router bgp 65001 vrf red
exit
`
	want := []string{
		"router bgp 65001", "address-family l2vpn evpn", "no vni 100", "exit-address-family", "exit",
		"no router bgp 65001 vrf blue",
		"vrf red", "no vni 1000", "exit-vrf",
		"vrf blue", "no vni 2000", "exit-vrf",
	}
	if got := pruneCommands(pruneRunning, candidate); !reflect.DeepEqual(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestPruneCommandsOfTheSameConfigurationAreNone(t *testing.T) {
	if got := pruneCommands(pruneRunning, pruneRunning); got != nil {
		t.Errorf("got %q, want none", got)
	}
}

func TestVrfCommandsConfigureEachVrfStanzaFromTheTop(t *testing.T) {
	want := []string{"vrf red", "vni 1000", "exit-vrf", "vrf blue", "vni 2000", "exit-vrf"}
	if got := vrfCommands(pruneRunning); !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
