package agent

import (
	"crypto/x509"
	"testing"

	"github.com/opi-suite/opi/opi-provisioning/sztp"
	"github.com/opi-suite/opi/opi-provisioning/sztp/agent/agenttest"
	"github.com/opi-suite/opi/opi-provisioning/sztp/sztptest"
)

// BenchmarkVerifySignedData is the device's cost of section 5.4 for one
// response: voucher signature and chain, owner certificate chain, the
// conveyed information's signature and parse.
func BenchmarkVerifySignedData(b *testing.B) {
	for _, alg := range algorithms {
		b.Run(alg.name, func(b *testing.B) {
			p := sztptest.New(b, alg.alg)
			nonce := make([]byte, sztp.MaxNonce)
			out := agenttest.Signed(b, p, serial, &sztp.ConveyedInformation{Onboarding: onboarding()}, nonce, agenttest.SignOptions{})
			a, err := New(Config{Serial: serial, IDevID: p.Device(b, serial).TLSCertificate(), Device: &FileDevice{Dir: b.TempDir()},
				VoucherTrustAnchors: []*x509.Certificate{p.Manufacturer.Cert}})
			if err != nil {
				b.Fatal(err)
			}
			art := artifacts{conveyed: out.ConveyedInformation, ownerCert: out.OwnerCertificate, voucher: out.OwnershipVoucher}
			for b.Loop() {
				if _, err := a.verifyArtifacts(art, nonce); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
