package agent

import (
	"crypto/tls"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/opi-suite/opi/opi-provisioning/sztp"
	"github.com/opi-suite/opi/opi-provisioning/sztp/agent/agenttest"
	"github.com/opi-suite/opi/opi-provisioning/sztp/bootstrap"
	"github.com/opi-suite/opi/opi-provisioning/sztp/discovery"
)

// Against the suite's own bootstrap server: a device without an IDevID
// authenticates with HTTP basic, prefers signed data and sends a nonce;
// the server signs, issues a voucher with the nonce and an expiry, and
// records the reports.
func TestAgainstTheSuiteBootstrapServerWithBasicAuth(t *testing.T) {
	f := newFixture(t)
	hash, err := bootstrap.HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	reg := &agenttest.Registry{Dev: &bootstrap.Device{Serial: serial, PasswordHash: hash,
		Conveyed: &sztp.ConveyedInformation{Onboarding: onboarding()}, Voucher: bootstrap.VoucherPolicy{Validity: time.Hour}}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := agenttest.ServeBootstrap(t, ln, f.pki.Server(t), reg,
		bootstrap.WithManufacturers(f.pki.Manufacturer.Cert),
		bootstrap.WithOwner(&bootstrap.Signer{Cert: f.pki.Owner.Cert, Key: f.pki.Owner.Key, Chain: f.pki.Owner.Chain}),
		bootstrap.WithMASA(&bootstrap.Signer{Cert: f.pki.MASA.Cert, Key: f.pki.MASA.Key, Chain: f.pki.MASA.Chain}))
	s, err := discovery.ParseServerURI("https://" + addr.String())
	if err != nil {
		t.Fatal(err)
	}
	a := f.agent(t, func(c *Config) {
		c.IDevID, c.Password = tls.Certificate{}, "correct horse"
		c.SignedDataPreferred, c.Nonce = true, true
	})
	res, err := a.Run(ctxT(t), []Source{{Name: "configured", Servers: []discovery.Server{s}}})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Trusted || !res.Signed || len(f.applied(t)) != 3 {
		t.Fatalf("result %+v, applied %v", res, f.applied(t))
	}
	if got := reg.Progress(); !slices.Equal(got, []sztp.ProgressType{"bootstrap-initiated", "bootstrap-complete"}) {
		t.Fatalf("server recorded %v", got)
	}

	// A wrong password: the server refuses, nothing is applied.
	f2 := newFixture(t)
	f2.pki = f.pki
	_, err = f2.agent(t, func(c *Config) { c.IDevID, c.Password = tls.Certificate{}, "wrong" }).
		Run(ctxT(t), []Source{{Name: "configured", Servers: []discovery.Server{s}}})
	if err == nil || len(f2.applied(t)) != 0 {
		t.Fatalf("wrong password: %v, applied %v", err, f2.applied(t))
	}
}
