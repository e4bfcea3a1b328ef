package bridge_test

import (
	"bytes"
	"context"
	"log/slog"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	commonv1 "github.com/opi-suite/opi/opi-api/common/v1"
	securityv1 "github.com/opi-suite/opi/opi-api/security/v1"

	"github.com/opi-suite/opi/opi-security-bridge/bridge"
)

// How long the bridge may take to notice that an interface came or went.
// The periodic pass runs every minute; the interface watch must do far
// better.
const ifaceNoticed = 5 * time.Second

// lockedBuffer collects the bridge's log lines from its goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestPolicyFollowsItsInterface deletes the veth a policy is attached to:
// the kernel detaches the program with it, so the policy must stop
// claiming READY (ERROR, naming the interface) within moments; when the
// veth is created again the policy is attached again, READY, logged, and
// enforcing.
func TestPolicyFollowsItsInterface(t *testing.T) {
	if !inNamespaces(t, false) {
		return
	}
	var logs lockedBuffer
	r := serve(t, bridge.Config{StateDir: t.TempDir(), Firewall: true, BPFFS: mountBPFFS(t),
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	client := securityv1.NewFirewallServiceClient(r.conn)
	ctx := context.Background()
	pol := &securityv1.FirewallPolicy{Interfaces: []string{vethA}, AttachMode: securityv1.XdpAttachMode_XDP_ATTACH_MODE_GENERIC,
		Rules: []*securityv1.FirewallRule{udpRule(10, 9999, securityv1.FirewallAction_FIREWALL_ACTION_DROP)}}
	if _, err := client.CreateFirewallPolicy(ctx, &securityv1.CreateFirewallPolicyRequest{FirewallPolicyId: "fw", FirewallPolicy: pol}); err != nil {
		t.Fatal(err)
	}
	status := func() *commonv1.ResourceStatus {
		got, err := client.GetFirewallPolicy(ctx, &securityv1.GetFirewallPolicyRequest{Name: "firewallPolicies/fw"})
		if err != nil {
			t.Fatal(err)
		}
		return got.GetStatus()
	}
	waitFor := func(what string, ok func(*commonv1.ResourceStatus) bool) *commonv1.ResourceStatus {
		t.Helper()
		deadline := time.Now().Add(ifaceNoticed)
		for {
			st := status()
			if ok(st) {
				return st
			}
			if time.Now().After(deadline) {
				t.Fatalf("after %v the policy's status is %v, want %s", ifaceNoticed, st, what)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	ready := func(st *commonv1.ResourceStatus) bool {
		return st.GetState() == commonv1.ResourceState_RESOURCE_STATE_READY
	}
	waitFor("READY", ready)

	ip(t, "link", "del", vethA)
	st := waitFor("not READY once its interface is gone", func(st *commonv1.ResourceStatus) bool { return !ready(st) })
	if st.GetState() != commonv1.ResourceState_RESOURCE_STATE_ERROR || !strings.Contains(st.GetMessage(), vethA) {
		t.Errorf("with %s gone the status is %v; want ERROR naming the interface", vethA, st)
	}
	if !strings.Contains(logs.String(), "no longer enforced") {
		t.Errorf("losing the interface was not logged:\n%s", logs.String())
	}

	ip(t, "link", "add", vethA, "type", "veth", "peer", "name", vethB, "netns", peerNS())
	ip(t, "addr", "add", addrA+"/24", "dev", vethA)
	ip(t, "link", "set", vethA, "up")
	ip(t, "-n", peerNS(), "addr", "add", addrB+"/24", "dev", vethB)
	ip(t, "-n", peerNS(), "link", "set", vethB, "up")
	waitFor("READY once the interface is back", ready)
	if !strings.Contains(logs.String(), "enforced again") {
		t.Errorf("the re-attach was not logged:\n%s", logs.String())
	}
	dropped, allowed := listenUDP(t, 9999), listenUDP(t, 9998)
	sendUDP(t, 9999, 20, 10)
	sendUDP(t, 9998, 20, 10)
	if n := dropped.count(); n != 0 {
		t.Errorf("after the re-attach %d datagrams reached the dropped port", n)
	}
	if n := allowed.count(); n != 20 {
		t.Errorf("after the re-attach %d of 20 datagrams reached the allowed port", n)
	}
}

func ip(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}
