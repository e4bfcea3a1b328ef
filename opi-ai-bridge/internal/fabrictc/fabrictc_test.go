package fabrictc

import (
	"strings"
	"testing"

	aiv1 "github.com/opi-suite/opi/opi-api/ai/v1"
)

func TestCommandsClassifyByDSCPAndMarkECNPerClass(t *testing.T) {
	b := New()
	got := strings.Join(b.Commands(&aiv1.FabricPort{
		Interface: "eth1", Mtu: 9000, DscpTrust: true,
		DscpPriorities: []*aiv1.DscpPriority{{Dscp: 26, Priority: 3}},
		Ecn:            &aiv1.EcnThresholds{MinBytes: 150000, MaxBytes: 1500000, MaxProbabilityPercent: 20},
		PfcPriorities:  []uint32{3},
	}), "\n")
	for _, want := range []string{
		"ip link set dev eth1 mtu 9000",
		"tc qdisc replace dev eth1 root handle 1: htb default 1",
		"tc class replace dev eth1 parent 1: classid 1:4 htb rate 100gbit prio 3",
		"tc qdisc replace dev eth1 parent 1:4 handle 13: red limit 6000000 min 150000 max 1500000 avpkt 1500 burst 400 probability 0.2 ecn",
		"tc filter add dev eth1 parent 1: protocol ip prio 1 u32 match ip dsfield 0x68 0xfc classid 1:4",
		"tc filter add dev eth1 parent 1: protocol ipv6 prio 2 u32 match ip6 priority 0x68 0xfc classid 1:4",
		"dcb pfc set dev eth1 prio-pfc 0:off 1:off 2:off 3:on 4:off 5:off 6:off 7:off",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("commands lack %q:\n%s", want, got)
		}
	}
	if ecnOnly := b.Commands(&aiv1.FabricPort{Interface: "eth1", Ecn: &aiv1.EcnThresholds{MinBytes: 1, MaxBytes: 2}}); len(ecnOnly) != 1 || !strings.Contains(ecnOnly[0], "root handle 1: red") {
		t.Errorf("ECN without DSCP trust: %v, want one root RED qdisc", ecnOnly)
	}
}

// Where iproute2 is missing (the bridge's scratch image), the preflight
// says so, rather than that the interface does not exist.
func TestPreflightWithoutIPSaysTheToolIsMissing(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	checks, err := New().Preflight(t.Context(), &aiv1.FabricPort{Interface: "lo", Mtu: 1500})
	if err != nil || len(checks) != 1 || checks[0].GetSupported() || !strings.Contains(checks[0].GetReason(), "ip tool is not installed") {
		t.Fatalf("preflight without ip: %v %v", checks, err)
	}
}
