package main

import (
	"crypto/x509"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/opi-suite/opi/opi-provisioning/sztp/bootstrap"
	"github.com/opi-suite/opi/opi-provisioning/sztp/cms"
)

// The files chain as the bootstrap server and a device expect: IDevID and
// MASA under the manufacturer, owner under the owner CA, server under the
// server CA, with the device's serial number in its IDevID.
func TestWritesAConsistentPKI(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the command")
	}
	dir := t.TempDir()
	if out, err := exec.Command("go", "run", ".", "-out", dir, "-server-host", "sztp", "-device", "SN-1").CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	load := func(name string) *bootstrap.Signer {
		s, err := bootstrap.LoadSigner(filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	anchor := func(name string) *bootstrap.Signer {
		c, err := bootstrap.LoadCertificates(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return &bootstrap.Signer{Cert: c[0]}
	}
	for _, tc := range []struct{ leaf, anchor string }{
		{"device-SN-1", "manufacturer.pem"}, {"masa", "manufacturer.pem"}, {"owner", "owner-ca.pem"}, {"server", "server-ca.pem"},
	} {
		l, a := load(tc.leaf), anchor(tc.anchor)
		if _, err := cms.VerifyCertificate(l.Cert, l.Chain, []*x509.Certificate{a.Cert}, time.Now()); err != nil {
			t.Errorf("%s under %s: %v", tc.leaf, tc.anchor, err)
		}
	}
	if s := load("device-SN-1").Cert.Subject.SerialNumber; s != "SN-1" {
		t.Errorf("IDevID serialNumber %q", s)
	}
	if err := load("server").Cert.VerifyHostname("sztp"); err != nil {
		t.Error(err)
	}
}
