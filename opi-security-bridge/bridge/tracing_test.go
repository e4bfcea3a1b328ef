package bridge_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	securityv1 "github.com/opi-suite/opi/opi-api/security/v1"
	"github.com/opi-suite/opi/opi-kit/server"
	"github.com/opi-suite/opi/opi-kit/server/servertest"
	"github.com/opi-suite/opi/opi-kit/telemetry/telemetrytest"
	"github.com/opi-suite/opi/opi-security-bridge/bridge"
	"github.com/opi-suite/opi/opi-security-bridge/internal/vici/vicitest"
)

// servedProgram runs the security bridge's Program (what server.Main
// runs) with args for its own flags, spans going to the returned
// recorder, and returns a traced client of it.
func servedProgram(t *testing.T, args ...string) (*telemetrytest.Client, *telemetrytest.Spans) {
	t.Helper()
	cfg := servertest.Config()
	cfg.StateDir = t.TempDir()
	spans := telemetrytest.NewSpans()
	s := servertest.StartProgram(t, bridge.Program(), cfg, args, server.WithSpanExporter(spans))
	return telemetrytest.Dial(t, s.Addr()), spans
}

// TestIPsecCallIsOneTraceDownToVICI: an IKE connection created by a
// traced client on a real charon is one trace: the bridge's server span
// (child of the client's), the intent store's updates and the VICI
// load-conn and load-shared commands under it, and the resource names
// charon and its version as charon reports it.
func TestIPsecCallIsOneTraceDownToVICI(t *testing.T) {
	vicitest.Require(t)
	ns := fmt.Sprintf("ot-sec-%d", os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
	d := vicitest.Start(t, ns)
	client, spans := servedProgram(t, "--ipsec=true", "--firewall=false", "--vici-socket", d.Socket)
	api := securityv1.NewIpsecServiceClient(client.Conn)
	ctx := context.Background()
	if _, err := api.CreatePreSharedKey(ctx, &securityv1.CreatePreSharedKeyRequest{PreSharedKeyId: "site-psk",
		PreSharedKey: &securityv1.PreSharedKey{Secret: []byte("a-shared-secret-of-32-bytes-long")}}); err != nil {
		t.Fatal(err)
	}
	side := side{addr: "192.0.2.1", peer: "192.0.2.2", inner: "198.51.100.1", innerTo: "198.51.100.2"}
	id, err := client.Traced(ctx, "opi ipsec connection create", func(ctx context.Context) error {
		_, err := api.CreateIkeConnection(ctx, &securityv1.CreateIkeConnectionRequest{IkeConnectionId: "site",
			IkeConnection: side.connection(pskAuth(), pskAuth())})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	const method = "opi.security.v1.IpsecService/CreateIkeConnection"
	srv := spans.One(t, id, method)
	if srv.Parent.SpanID() != client.ClientSpan(t, id, method).SpanContext.SpanID() {
		t.Errorf("the server span is not the client's call's child:\n%s", spans.Tree())
	}
	var vici = spans.One(t, id, "load-conn")
	for _, cmd := range []string{"load-conn", "load-shared"} {
		sp := spans.One(t, id, cmd)
		if !spans.Under(sp, srv) {
			t.Errorf("%s is not under the server span:\n%s", cmd, spans.Tree())
		}
		for key, want := range map[string]string{"rpc.system.name": "vici", "rpc.method": cmd, "server.address": d.Socket} {
			if got := telemetrytest.Attr(sp, key); got != want {
				t.Errorf("VICI span: %s = %q, want %q", key, got, want)
			}
		}
	}
	if len(spans.Named("bbolt update")) == 0 {
		t.Errorf("no store update in the trace:\n%s", spans.Tree())
	}
	// The secret goes to charon, never into a span.
	for _, sp := range spans.GetSpans() {
		for _, kv := range sp.Attributes {
			if strings.Contains(kv.Value.Emit(), "a-shared-secret") {
				t.Errorf("span %s carries the secret in %s", sp.Name, kv.Key)
			}
		}
	}
	if got := telemetrytest.ResourceAttr(vici, "opi.backend"); got != "strongswan" {
		t.Errorf("resource opi.backend = %q", got)
	}
	if got := telemetrytest.ResourceAttr(vici, "opi.backend.version"); !strings.HasPrefix(got, "charon ") || len(got) < len("charon 5") {
		t.Errorf("resource opi.backend.version = %q, want charon's daemon and version", got)
	}
}

// TestFirewallRuleIsOneTraceDownToTheBPFMaps: a firewall policy created by
// a traced client is one trace: the server span, the store update, and
// under the server span the rule set written into the BPF maps and the
// XDP attach to the interface.
func TestFirewallRuleIsOneTraceDownToTheBPFMaps(t *testing.T) {
	if !inNamespaces(t, false) {
		return
	}
	client, spans := servedProgram(t, "--ipsec=false", "--firewall=true", "--bpffs", mountBPFFS(t))
	api := securityv1.NewFirewallServiceClient(client.Conn)
	id, err := client.Traced(context.Background(), "opi firewall policy create", func(ctx context.Context) error {
		_, err := api.CreateFirewallPolicy(ctx, &securityv1.CreateFirewallPolicyRequest{FirewallPolicyId: "fw",
			FirewallPolicy: &securityv1.FirewallPolicy{Interfaces: []string{vethA}, AttachMode: securityv1.XdpAttachMode_XDP_ATTACH_MODE_GENERIC,
				Rules: []*securityv1.FirewallRule{udpRule(10, 9999, securityv1.FirewallAction_FIREWALL_ACTION_DROP)}}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := spans.One(t, id, "opi.security.v1.FirewallService/CreateFirewallPolicy")
	update := spans.One(t, id, "bpf map update")
	attach := spans.One(t, id, "xdp attach")
	if !spans.Under(update, srv) || !spans.Under(attach, srv) {
		t.Errorf("the BPF map update and the attach are not under the server span:\n%s", spans.Tree())
	}
	if got := telemetrytest.Attr(attach, "network.interface.name"); got != vethA {
		t.Errorf("attach span: network.interface.name = %q, want %q", got, vethA)
	}
	if got := telemetrytest.ResourceAttr(update, "opi.backend"); got != "linux-xdp" {
		t.Errorf("resource opi.backend = %q", got)
	}
	if got := telemetrytest.ResourceAttr(update, "opi.backend.version"); got == "" || got == "unknown" {
		t.Errorf("resource opi.backend.version = %q, want the kernel release", got)
	}
}
