package frrtest_test

import (
	"strings"
	"syscall"
	"testing"

	"github.com/opi-suite/opi/opi-network-bridge/internal/frr/frrtest"
)

func TestStartRunsZebraAndBgpdInTheNamespaceOnTheBase(t *testing.T) {
	ns := frrtest.NewNS(t)
	frrtest.Run(t, "ip", "-n", ns, "link", "add", "br7", "type", "bridge")
	in := frrtest.Start(t, ns, "router bgp 65007\n bgp router-id 192.0.2.7\nexit\n")
	if r := in.Running(); !strings.Contains(r, "router bgp 65007\n bgp router-id 192.0.2.7\n") {
		t.Errorf("the base is not running:\n%s", r)
	}
	// zebra sees the namespace's interfaces, not the host's.
	if out := in.Vtysh("show interface brief"); !strings.Contains(out, "br7") {
		t.Errorf("zebra does not see the namespace's bridge:\n%s", out)
	}
	pids := in.PIDs()
	if len(pids) != 2 {
		t.Fatalf("PIDs() = %v, want zebra's and bgpd's", pids)
	}
	in.Restart()
	if r := in.Running(); !strings.Contains(r, "router bgp 65007") {
		t.Errorf("the base is not running after a restart:\n%s", r)
	}
	in.Stop()
	for _, pid := range append(pids, in.PIDs()...) {
		if err := syscall.Kill(pid, 0); err == nil {
			t.Errorf("process %d still runs after Stop", pid)
		}
	}
}
