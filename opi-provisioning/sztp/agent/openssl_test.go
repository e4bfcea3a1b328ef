package agent

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/opi-suite/opi/opi-provisioning/sztp"
	"github.com/opi-suite/opi/opi-provisioning/sztp/sztptest"
)

// opensslSign signs content with `openssl cms -sign` as id, with the
// given eContentType, and returns the DER.
func opensslSign(t *testing.T, id *sztptest.Identity, eContentType string, content []byte) []byte {
	t.Helper()
	bin, err := exec.LookPath("openssl")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("openssl is required under CI")
		}
		t.Skip("openssl not installed")
	}
	dir := t.TempDir()
	cert, key := id.WriteFiles(t, dir, "signer")
	in, out := filepath.Join(dir, "in"), filepath.Join(dir, "out.der")
	if err := os.WriteFile(in, content, 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"cms", "-sign", "-nodetach", "-binary", "-md", "sha256", "-outform", "DER",
		"-econtent_type", eContentType, "-signer", cert, "-inkey", key, "-in", in, "-out", out}
	if len(id.Intermediates()) > 0 {
		args = append(args, "-certfile", sztptest.WritePEM(t, dir, "chain.pem", id.Intermediates()...))
	}
	if b, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
		t.Fatalf("openssl %v: %v\n%s", args, err, b)
	}
	der, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// The agent onboards from conveyed information signed by OpenSSL's `cms
// -sign` (id-ct-sztpConveyedInfoJSON), with a voucher OpenSSL signed as
// the manufacturer's MASA (id-ct-animaJSONVoucher), for RSA and ECDSA.
func TestAgentAcceptsOpenSSLSignedData(t *testing.T) {
	for _, alg := range algorithms {
		t.Run(alg.name, func(t *testing.T) {
			p := sztptest.New(t, alg.alg)
			f := &fixture{pki: p, device: p.Device(t, serial), dir: t.TempDir()}
			ts := f.newServer(t, p.Server(t), func(in *sztp.GetBootstrappingDataInput) *sztp.GetBootstrappingDataOutput {
				ours := f.signed(t, &sztp.ConveyedInformation{Onboarding: onboarding()}, in, signedOpts{SignWith: func(content []byte) []byte {
					return opensslSign(t, p.Owner, "1.2.840.113549.1.9.16.1.43", content)
				}})
				// Re-sign the voucher's JSON with OpenSSL as well.
				v := voucherContent(t, ours.OwnershipVoucher)
				ours.OwnershipVoucher = opensslSign(t, p.MASA, "1.2.840.113549.1.9.16.1.40", v)
				return ours
			})
			res, err := f.agent(t, func(c *Config) { c.SignedDataPreferred, c.Nonce = true, true }).Run(ctxT(t), []Source{src("configured", ts)})
			if err != nil {
				t.Fatal(err)
			}
			if !res.Signed || !slices.Equal(f.applied(t), []string{"config", "pre-ran", "post-ran"}) {
				t.Fatalf("result %+v, applied %v", res, f.applied(t))
			}
		})
	}
}
