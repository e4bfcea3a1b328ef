package bridge_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	aiv1 "github.com/opi-suite/opi/opi-api/ai/v1"
	commonv1 "github.com/opi-suite/opi/opi-api/common/v1"
	"github.com/opi-suite/opi/opi-kit/server/servertest"
	"google.golang.org/grpc/codes"

	"github.com/opi-suite/opi/opi-ai-bridge/bridge"
	"github.com/opi-suite/opi/opi-ai-bridge/internal/fabrictc"
)

// netns makes a network namespace with a veth pair (fab0, fab1), or skips
// the test where that cannot be done (not root).
func netns(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root for a network namespace")
	}
	ns := fmt.Sprintf("opi-ai-fab-%d", os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		t.Skipf("ip netns add: %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
	for _, c := range [][]string{
		{"ip", "-n", ns, "link", "add", "fab0", "type", "veth", "peer", "name", "fab1"},
		{"ip", "-n", ns, "link", "set", "fab0", "up"},
	} {
		if out, err := exec.Command(c[0], c[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v %s", c, err, out)
		}
	}
	return ns
}

func inNS(t *testing.T, ns string, args ...string) string {
	t.Helper()
	out, err := exec.Command("ip", append([]string{"netns", "exec", ns}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %v %s", args, err, out)
	}
	return string(out)
}

func kernelHas(option string) bool {
	out, err := exec.Command("sh", "-c", "zcat /proc/config.gz | grep -qx '"+option+"=[ym]'").CombinedOutput()
	return err == nil && len(out) == 0
}

func TestFabricPortsAreCheckedAppliedAndRemovedInTheKernel(t *testing.T) {
	ns := netns(t)
	b, err := bridge.New(bridge.Config{StateDir: t.TempDir(), SysfsRoot: t.TempDir()}, bridge.WithFabric(fabrictc.New(fabrictc.WithNetns(ns))))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	if err := b.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	c := aiv1.NewAiFabricServiceClient(servertest.Start(t, b.Services()).Conn)
	ctx := context.Background()
	want := &aiv1.FabricPort{Interface: "fab0", Mtu: 9000, DscpTrust: true,
		DscpPriorities: []*aiv1.DscpPriority{{Dscp: 26, Priority: 3}, {Dscp: 48, Priority: 6}}}

	t.Run("the preflight says what this machine cannot apply, and why", func(t *testing.T) {
		all := &aiv1.FabricPort{Interface: "fab0", Mtu: 9000, DscpTrust: true, Ecn: &aiv1.EcnThresholds{MinBytes: 1000, MaxBytes: 9000}, PfcPriorities: []uint32{3}}
		pf, err := c.PreflightFabricPort(ctx, &aiv1.PreflightFabricPortRequest{FabricPort: all})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]*aiv1.FabricCheck{}
		for _, ch := range pf.GetChecks() {
			got[ch.GetFeature()] = ch
		}
		for _, f := range []string{"interface", "mtu", "dscp-trust"} {
			if !got[f].GetSupported() {
				t.Errorf("%s: %v, want supported", f, got[f])
			}
		}
		if red := kernelHas("CONFIG_NET_SCH_RED"); got["ecn"].GetSupported() != red {
			t.Errorf("ecn: %v, but the kernel has RED: %v", got["ecn"], red)
		} else if !red && !strings.Contains(got["ecn"].GetReason(), "CONFIG_NET_SCH_RED") {
			t.Errorf("ecn's reason does not name the kernel option: %v", got["ecn"])
		}
		if got["pfc"].GetSupported() {
			t.Errorf("pfc on a veth: %v, want unsupported (no DCB)", got["pfc"])
		}
		if len(pf.GetCommands()) == 0 {
			t.Error("no commands")
		}
		if _, err := c.CreateFabricPort(ctx, &aiv1.CreateFabricPortRequest{FabricPortId: "all", FabricPort: all}); code(err) != codes.FailedPrecondition {
			t.Errorf("create of what cannot be applied: %v, want FailedPrecondition", err)
		}
		if _, err := c.PreflightFabricPort(ctx, &aiv1.PreflightFabricPortRequest{FabricPort: &aiv1.FabricPort{Interface: "fab0", Mtu: 20}}); code(err) != codes.InvalidArgument {
			t.Errorf("an MTU of 20: %v, want InvalidArgument", err)
		}
	})

	t.Run("validate_only shows the commands and applies nothing", func(t *testing.T) {
		dry, err := c.CreateFabricPort(ctx, &aiv1.CreateFabricPortRequest{FabricPortId: "p0", FabricPort: want, ValidateOnly: true})
		if err != nil || len(dry.GetCommands()) == 0 {
			t.Fatalf("dry run: %v %v", dry, err)
		}
		if strings.Contains(inNS(t, ns, "tc", "qdisc", "show", "dev", "fab0"), "htb") {
			t.Fatal("a dry run changed the kernel")
		}
		if l, _ := c.ListFabricPorts(ctx, &aiv1.ListFabricPortsRequest{}); len(l.GetFabricPorts()) != 0 {
			t.Fatalf("a dry run stored %v", l)
		}
	})

	t.Run("a port is applied: MTU, HTB classes and DSCP filters", func(t *testing.T) {
		p, err := c.CreateFabricPort(ctx, &aiv1.CreateFabricPortRequest{FabricPortId: "p0", FabricPort: want})
		if err != nil {
			t.Fatal(err)
		}
		if p.GetStatus().GetState() != commonv1.ResourceState_RESOURCE_STATE_READY || len(p.GetCommands()) == 0 {
			t.Fatalf("created %v", p)
		}
		var link []struct {
			MTU int `json:"mtu"`
		}
		if err := json.Unmarshal([]byte(inNS(t, ns, "ip", "-j", "link", "show", "fab0")), &link); err != nil || link[0].MTU != 9000 {
			t.Fatalf("mtu: %v %v", link, err)
		}
		filters := inNS(t, ns, "tc", "filter", "show", "dev", "fab0")
		for _, w := range []string{"flowid 1:4", "flowid 1:7"} {
			if !strings.Contains(filters, w) {
				t.Errorf("filters lack %q:\n%s", w, filters)
			}
		}
		if _, err := c.CreateFabricPort(ctx, &aiv1.CreateFabricPortRequest{FabricPortId: "p1", FabricPort: &aiv1.FabricPort{Interface: "fab0"}}); code(err) != codes.AlreadyExists {
			t.Errorf("a second port on fab0: %v, want AlreadyExists", err)
		}
		// Applied again after a restart, the configuration is the same (no
		// duplicate filters).
		if err := b.Start(ctx); err != nil {
			t.Fatal(err)
		}
		if again := inNS(t, ns, "tc", "filter", "show", "dev", "fab0"); strings.Count(again, "flowid") != strings.Count(filters, "flowid") {
			t.Errorf("filters after reapplying:\n%s\nbefore:\n%s", again, filters)
		}
		if _, err := c.DeleteFabricPort(ctx, &aiv1.DeleteFabricPortRequest{Name: p.GetName()}); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(inNS(t, ns, "tc", "qdisc", "show", "dev", "fab0"), "htb") {
			t.Error("the HTB qdisc stayed after the delete")
		}
	})
}
