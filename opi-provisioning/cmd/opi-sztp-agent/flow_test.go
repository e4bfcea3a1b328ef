package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/opi-suite/opi/opi-provisioning/internal/netnstest"
	"github.com/opi-suite/opi/opi-provisioning/sztp"
	"github.com/opi-suite/opi/opi-provisioning/sztp/agent/agenttest"
	"github.com/opi-suite/opi/opi-provisioning/sztp/bootstrap"
	"github.com/opi-suite/opi/opi-provisioning/sztp/cms"
	"github.com/opi-suite/opi/opi-provisioning/sztp/discovery"
	"github.com/opi-suite/opi/opi-provisioning/sztp/sztptest"
)

// The test binary doubles as the agent: run in another network namespace
// with this variable set, it is opi-sztp-agent.
const asAgent = "OPI_SZTP_AGENT_TEST_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asAgent) == "1" {
		os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// The whole flow across two network namespaces, with the suite's own
// bootstrap server (package bootstrap) as redirect and bootstrap server:
// dnsmasq announces the redirect server in option 143; the agent, run as
// a process in the other namespace, gets it by DHCP, is redirected (with a
// trust anchor) to the bootstrap server, verifies the signed onboarding
// information (voucher with its nonce, owner certificate, signature),
// applies it, and reports progress; the agent fails unless each report is
// answered 204, and the server records them.
func TestFlowAcrossNamespaces(t *testing.T) {
	netnstest.Require(t, "dnsmasq")
	const srvIP, devIP, dev = "10.213.1.1", "10.213.1.99", "SN-FLOW-1"
	p := netnstest.NewPair(t)
	netnstest.Run(t, "ip", "-n", p.Server, "addr", "add", srvIP+"/24", "dev", p.SrvIf)
	// The device's address is the operating system's business (its own
	// DHCP client); the agent only reads option 143.
	netnstest.Run(t, "ip", "-n", p.Device, "addr", "add", devIP+"/24", "dev", p.DevIf)

	pki := sztptest.New(t, sztptest.ECDSA)
	idevid := pki.Device(t, dev)
	ownerServerCA := pki.NewCA(t, "Owner's bootstrap server CA")
	listen := func() net.Listener {
		var ln net.Listener
		if err := netnstest.Do(p.Server, func() (err error) {
			ln, err = net.Listen("tcp", srvIP+":0")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return ln
	}
	onboarding := &sztp.ConveyedInformation{Onboarding: &sztp.OnboardingInformation{
		PreConfigurationScript:  []byte("echo pre > \"$SZTP_DIR/pre-ran\"\n"),
		ConfigurationHandling:   sztp.Merge,
		Configuration:           []byte("hostname dpu-flow\n"),
		PostConfigurationScript: []byte("echo post > \"$SZTP_DIR/post-ran\"\n"),
	}}
	// The owner's bootstrap server signs (owner key, vouchers from the
	// manufacturer's MASA, with the device's nonce); the redirect server
	// holds no owner key and sends unsigned redirect information with the
	// bootstrap server's trust anchor, trusted because the redirect server
	// itself chains to the device's bootstrap-server trust anchor.
	bootReg := &agenttest.Registry{Dev: &bootstrap.Device{Serial: dev, Conveyed: onboarding}}
	boot := agenttest.ServeBootstrap(t, listen(), pki.Issue(t, ownerServerCA, serverCert(srvIP)), bootReg,
		bootstrap.WithManufacturers(pki.Manufacturer.Cert),
		bootstrap.WithOwner(&bootstrap.Signer{Cert: pki.Owner.Cert, Key: pki.Owner.Key, Chain: pki.Owner.Chain}),
		bootstrap.WithMASA(&bootstrap.Signer{Cert: pki.MASA.Cert, Key: pki.MASA.Key, Chain: pki.MASA.Chain}))
	anchor, err := cms.Degenerate(ownerServerCA.Cert)
	if err != nil {
		t.Fatal(err)
	}
	redirectReg := &agenttest.Registry{Dev: &bootstrap.Device{Serial: dev, Conveyed: &sztp.ConveyedInformation{Redirect: &sztp.RedirectInformation{
		BootstrapServers: []sztp.BootstrapServer{{Address: srvIP, Port: uint16(boot.Port), TrustAnchor: anchor}},
	}}}}
	redirect := agenttest.ServeBootstrap(t, listen(), pki.Server(t, srvIP), redirectReg, bootstrap.WithManufacturers(pki.Manufacturer.Cert))
	// The first server announced answers nothing (no listener on port 1):
	// the agent must go on to the next.
	option, err := discovery.EncodeServerList("https://"+srvIP+":1", "https://"+redirect.String())
	if err != nil {
		t.Fatal(err)
	}
	netnstest.Dnsmasq(t, p, "--dhcp-range=10.213.1.10,10.213.1.50,255.255.255.0,1h", "--dhcp-option-force=143,"+netnstest.HexOctets(option))

	dir := t.TempDir()
	cert, key := idevid.WriteFiles(t, dir, "idevid")
	serverAnchors := sztptest.WritePEM(t, dir, "server-anchors.pem", pki.ServerCA.Cert)
	voucherAnchors := sztptest.WritePEM(t, dir, "voucher-anchors.pem", pki.Manufacturer.Cert)
	devDir := filepath.Join(dir, "device")

	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ip", "netns", "exec", p.Device, self,
		"--dhcp-interface", p.DevIf, "--no-dhcpv6", "--dhcp-timeout", "10s",
		"--idevid-cert", cert, "--idevid-key", key,
		"--server-trust-anchors", serverAnchors, "--voucher-trust-anchors", voucherAnchors,
		"--dir", devDir, "--nonce", "--once", "--os-name", "opi-dpu-os", "--os-version", "1.0")
	cmd.Env = append(os.Environ(), asAgent+"=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("agent: %v\n%s", err, stderr.String())
	}
	var res struct {
		Source, Server  string
		Trusted, Signed bool
		Path            []string
	}
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("agent output %q: %v", stdout.String(), err)
	}
	if res.Source != "dhcpv4 "+p.DevIf || !res.Trusted || !res.Signed || len(res.Path) != 2 ||
		res.Path[0] != "https://"+redirect.String() || res.Server != "https://"+boot.String() {
		t.Fatalf("result %+v", res)
	}
	if b, _ := os.ReadFile(filepath.Join(devDir, "config")); string(b) != "hostname dpu-flow\n" {
		t.Fatalf("configuration %q", b)
	}
	for _, f := range []string{"pre-ran", "post-ran"} {
		if _, err := os.Stat(filepath.Join(devDir, f)); err != nil {
			t.Fatalf("script did not run: %v", err)
		}
	}
	if got := bootReg.Progress(); !slices.Equal(got, []sztp.ProgressType{"bootstrap-initiated", "bootstrap-complete"}) {
		t.Fatalf("bootstrap server recorded %v", got)
	}
	if got := redirectReg.Progress(); len(got) != 0 {
		t.Fatalf("the redirect server recorded reports %v", got)
	}
}

func serverCert(ip string) *x509.Certificate {
	tmpl := sztptest.Template("bootstrap server " + ip)
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	tmpl.IPAddresses = []net.IP{net.ParseIP(ip)}
	return tmpl
}
