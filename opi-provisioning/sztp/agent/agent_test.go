package agent

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opi-suite/opi/opi-provisioning/sztp"
	"github.com/opi-suite/opi/opi-provisioning/sztp/cms"
	"github.com/opi-suite/opi/opi-provisioning/sztp/discovery"
	"github.com/opi-suite/opi/opi-provisioning/sztp/sztptest"
	"github.com/opi-suite/opi/opi-provisioning/sztp/voucher"
)

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func src(name string, servers ...*testServer) Source {
	s := Source{Name: name}
	for _, ts := range servers {
		s.Servers = append(s.Servers, ts.server())
	}
	return s
}

// A trusted server's unsigned onboarding information is applied in
// order, and the minimal reports arrive with 204s.
func TestTrustedServerOnboardsWithReports(t *testing.T) {
	f := newFixture(t)
	ts := f.newServer(t, f.pki.Server(t), func(*sztp.GetBootstrappingDataInput) *sztp.GetBootstrappingDataOutput {
		return unsigned(t, &sztp.ConveyedInformation{Onboarding: onboarding()})
	})
	res, err := f.agent(t, func(c *Config) { c.Password = "secret" }).Run(ctxT(t), []Source{src("configured", ts)})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Trusted || res.Signed || res.Reboot || res.Server != ts.server() {
		t.Fatalf("result %+v", res)
	}
	if got := f.applied(t); !slices.Equal(got, []string{"config", "pre-ran", "post-ran"}) {
		t.Fatalf("applied %v", got)
	}
	if b, _ := os.ReadFile(filepath.Join(f.dir, "config")); string(b) != "hostname dpu-1\n" {
		t.Fatalf("config %q", b)
	}
	_, reports := ts.seen()
	if !slices.Equal(reports, []sztp.ProgressType{"bootstrap-initiated", "bootstrap-complete"}) {
		t.Fatalf("reports %v", reports)
	}
	in := ts.Gets()[0]
	if in.HWModel != "opi-dpu" || in.OSName != "opi-dpu-os" || len(ts.BasicUsers()) != 1 || ts.BasicUsers()[0] != serial {
		t.Fatalf("a trusted server should get the device's description and basic auth: %+v %v", in, ts.BasicUsers())
	}
}

// A server that fails is not the end: every server of the list is tried
// in order (upstream OPI's agent used only the first).
func TestEveryServerIsTriedInOrder(t *testing.T) {
	f := newFixture(t)
	empty := f.newServer(t, f.pki.Server(t), func(*sztp.GetBootstrappingDataInput) *sztp.GetBootstrappingDataOutput { return nil })
	down := f.newServer(t, f.pki.Server(t), nil)
	down.Close()
	good := f.newServer(t, f.pki.Server(t), func(*sztp.GetBootstrappingDataInput) *sztp.GetBootstrappingDataOutput {
		return unsigned(t, &sztp.ConveyedInformation{Onboarding: onboarding()})
	})
	res, err := f.agent(t, nil).Run(ctxT(t), []Source{
		{Name: "dhcpv4"}, // a source with nothing in it
		src("dns", empty, down),
		src("configured", good),
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Source != "configured" || res.Server != good.server() {
		t.Fatalf("bootstrapped from %s %s", res.Source, res.Server)
	}
	if n, _ := empty.seen(); n != 1 {
		t.Fatalf("the server without data was asked %d times", n)
	}
}

// Untrusted DHCP-learned redirect server -> trusted bootstrap server via
// a trust anchor in *signed* redirect information; the onboarding
// information is signed and verified (voucher with nonce, owner
// certificate, signature) and verbose reports go to the trusted server.
func TestSignedRedirectThenSignedOnboarding(t *testing.T) {
	f := newFixture(t)
	otherCA := f.pki.NewCA(t, "Owner's own bootstrap server CA")
	boot := f.newServer(t, f.pki.Issue(t, otherCA, serverTemplate()), nil)
	boot.SetAnswer(func(in *sztp.GetBootstrappingDataInput) *sztp.GetBootstrappingDataOutput {
		out := f.signed(t, &sztp.ConveyedInformation{Onboarding: onboarding()}, in, signedOpts{})
		out.ReportingLevel = "verbose"
		return out
	})
	provisionalCA := f.pki.NewCA(t, "Public web PKI")
	redirect := f.newServer(t, f.pki.Issue(t, provisionalCA, serverTemplate()), func(in *sztp.GetBootstrappingDataInput) *sztp.GetBootstrappingDataOutput {
		return f.signed(t, redirectTo(t, otherCA.Cert, boot), in, signedOpts{})
	})
	res, err := f.agent(t, func(c *Config) {
		c.ProvisionalRoots = append(c.ProvisionalRoots, provisionalCA.Cert)
		c.Nonce = true
		c.Password = "secret"
	}).Run(ctxT(t), []Source{src("dhcpv4", redirect)})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Trusted || !res.Signed || len(res.Path) != 2 {
		t.Fatalf("result %+v", res)
	}
	if got := f.applied(t); len(got) != 3 {
		t.Fatalf("applied %v", got)
	}
	// The untrusted redirect server learned nothing but the nonce and the
	// preference for signed data, and no password, and got no report.
	_, rr := redirect.seen()
	in := redirect.Gets()[0]
	if !in.SignedDataPreferred || in.HWModel != "" || in.OSName != "" || len(in.Nonce) != sztp.MaxNonce || len(redirect.BasicUsers()) != 0 || len(rr) != 0 {
		t.Fatalf("the untrusted server got %+v, basic %v, reports %v", in, redirect.BasicUsers(), rr)
	}
	_, reports := boot.seen()
	want := []sztp.ProgressType{"bootstrap-initiated", "parsing-complete", "pre-script-initiated", "pre-script-complete",
		"config-initiated", "config-complete", "post-script-initiated", "post-script-complete", "bootstrap-complete"}
	if !slices.Equal(reports, want) {
		t.Fatalf("verbose reports %v, want %v", reports, want)
	}
}

// Signed onboarding information from an untrusted server is valid (RFC
// 8572 section 5.3), but that server gets no progress report.
func TestSignedFromUntrustedServerSendsNoReports(t *testing.T) {
	f := newFixture(t)
	provisionalCA := f.pki.NewCA(t, "Public web PKI")
	ts := f.newServer(t, f.pki.Issue(t, provisionalCA, serverTemplate()), func(in *sztp.GetBootstrappingDataInput) *sztp.GetBootstrappingDataOutput {
		// A voucher naming the IDevID's issuer (its authority key id) is accepted.
		out := f.signed(t, &sztp.ConveyedInformation{Onboarding: onboarding()}, in, signedOpts{Voucher: func(v *voucher.Voucher) {
			v.IDevIDIssuer = f.device.Cert.AuthorityKeyId
		}})
		out.ReportingLevel = "verbose"
		return out
	})
	res, err := f.agent(t, func(c *Config) { c.ProvisionalRoots = append(c.ProvisionalRoots, provisionalCA.Cert) }).Run(ctxT(t), []Source{src("dhcpv4", ts)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Trusted || !res.Signed {
		t.Fatalf("result %+v", res)
	}
	if _, reports := ts.seen(); len(reports) != 0 {
		t.Fatalf("an untrusted server got reports %v", reports)
	}
	sess := &session{server: ts.server(), trusted: false, agent: f.agent(t, nil)}
	if err := sess.report(ctxT(t), "bootstrap-complete", ""); !errors.Is(err, ErrProgress) {
		t.Fatalf("report to an untrusted session: %v", err)
	}
}

// The boot image is downloaded from the onboarding information's URI,
// checked against its sha-256, installed, and the device reboots before
// the scripts and configuration (they run on the next boot).
func TestBootImageInstalled(t *testing.T) {
	f := newFixture(t)
	image := bytes.Repeat([]byte("opi-dpu-os 2.0\n"), 1000)
	info := onboarding()
	info.BootImage = &sztp.BootImage{OSName: "opi-dpu-os", OSVersion: "2.0", DownloadURI: []string{imageServer(t, image)},
		ImageVerification: []sztp.ImageVerification{{HashAlgorithm: sztp.HashSHA256, HashValue: sha(image)}}}
	ts := f.newServer(t, f.pki.Server(t), func(*sztp.GetBootstrappingDataInput) *sztp.GetBootstrappingDataOutput {
		return unsigned(t, &sztp.ConveyedInformation{Onboarding: info})
	})
	res, err := f.agent(t, nil).Run(ctxT(t), []Source{src("configured", ts)})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Reboot {
		t.Fatal("no reboot after a boot image install")
	}
	if got, _ := os.ReadFile(filepath.Join(f.dir, "boot-image")); !bytes.Equal(got, image) {
		t.Fatal("installed image differs")
	}
	if got := f.applied(t); !slices.Equal(got, []string{"boot-image"}) {
		t.Fatalf("applied %v: configuration must wait for the new image", got)
	}
	_, reports := ts.seen()
	if !slices.Equal(reports, []sztp.ProgressType{"bootstrap-initiated", "boot-image-installed-rebooting"}) {
		t.Fatalf("reports %v", reports)
	}
	// Running the image already: the step is skipped and onboarding goes on.
	f2 := newFixture(t)
	f2.dir = t.TempDir()
	ts2 := f2.newServer(t, f2.pki.Server(t), func(*sztp.GetBootstrappingDataInput) *sztp.GetBootstrappingDataOutput {
		return unsigned(t, &sztp.ConveyedInformation{Onboarding: info})
	})
	res, err = f2.agent(t, func(c *Config) { c.OSVersion = "2.0" }).Run(ctxT(t), []Source{src("configured", ts2)})
	if err != nil || res.Reboot || len(f2.applied(t)) != 3 {
		t.Fatalf("running the image: %+v %v %v", res, err, f2.applied(t))
	}
}

// A post-configuration script that fails undoes the configuration: the
// previous one is back, and the error is reported.
func TestFailedPostScriptRollsBack(t *testing.T) {
	f := newFixture(t)
	if err := os.WriteFile(filepath.Join(f.dir, "config"), []byte("factory\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	info := onboarding()
	info.PostConfigurationScript = []byte("echo broken >&2; exit 3\n")
	ts := f.newServer(t, f.pki.Server(t), func(*sztp.GetBootstrappingDataInput) *sztp.GetBootstrappingDataOutput {
		return unsigned(t, &sztp.ConveyedInformation{Onboarding: info})
	})
	_, err := f.agent(t, nil).Run(ctxT(t), []Source{src("configured", ts)})
	if !errors.Is(err, ErrOnboarding) || !strings.Contains(err.Error(), "broken") {
		t.Fatalf("error %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(f.dir, "config")); string(b) != "factory\n" {
		t.Fatalf("config after rollback %q", b)
	}
	_, reports := ts.seen()
	if !slices.Equal(reports, []sztp.ProgressType{"bootstrap-initiated", "post-script-error"}) {
		t.Fatalf("reports %v", reports)
	}
}

// Each case is refused with its reason, and nothing is applied.
func TestRefusals(t *testing.T) {
	onboard := &sztp.ConveyedInformation{Onboarding: onboarding()}
	type setup struct {
		f       *fixture
		mutate  func(*Config)
		sources []Source
		silent  []*testServer // servers that must get no progress report
	}
	cases := []struct {
		name  string
		build func(t *testing.T, f *fixture) setup
		want  error
		why   string
	}{
		{"tampered signature", func(t *testing.T, f *fixture) setup {
			ts := f.newServer(t, f.pki.Server(t), func(in *sztp.GetBootstrappingDataInput) *sztp.GetBootstrappingDataOutput {
				out := f.signed(t, onboard, in, signedOpts{})
				i := bytes.Index(out.ConveyedInformation, []byte("onboarding-information"))
				out.ConveyedInformation[i] ^= 0x20 // "Onboarding": same length, other digest
				return out
			})
			return setup{sources: []Source{src("configured", ts)}}
		}, ErrConveyedInfo, "signature"},
		{"voucher for another serial", func(t *testing.T, f *fixture) setup {
			ts := f.newServer(t, f.pki.Server(t), func(in *sztp.GetBootstrappingDataInput) *sztp.GetBootstrappingDataOutput {
				return f.signed(t, onboard, in, signedOpts{Voucher: func(v *voucher.Voucher) { v.SerialNumber = "SN-9999" }})
			})
			return setup{sources: []Source{src("configured", ts)}}
		}, ErrVoucher, "another serial"},
		{"expired voucher", func(t *testing.T, f *fixture) setup {
			ts := f.newServer(t, f.pki.Server(t), func(in *sztp.GetBootstrappingDataInput) *sztp.GetBootstrappingDataOutput {
				return f.signed(t, onboard, in, signedOpts{Voucher: func(v *voucher.Voucher) {
					v.CreatedOn, v.ExpiresOn = time.Now().Add(-2*time.Hour).Truncate(time.Second), time.Now().Add(-time.Hour).Truncate(time.Second)
				}})
			})
			return setup{sources: []Source{src("configured", ts)}}
		}, ErrVoucher, "expired"},
		{"voucher created in the future", func(t *testing.T, f *fixture) setup {
			ts := f.newServer(t, f.pki.Server(t), func(in *sztp.GetBootstrappingDataInput) *sztp.GetBootstrappingDataOutput {
				return f.signed(t, onboard, in, signedOpts{Voucher: func(v *voucher.Voucher) { v.CreatedOn = time.Now().Add(time.Hour).Truncate(time.Second) }})
			})
			return setup{sources: []Source{src("configured", ts)}}
		}, ErrVoucher, "not in the past"},
		{"nonce mismatch", func(t *testing.T, f *fixture) setup {
			ts := f.newServer(t, f.pki.Server(t), func(in *sztp.GetBootstrappingDataInput) *sztp.GetBootstrappingDataOutput {
				return f.signed(t, onboard, in, signedOpts{Voucher: func(v *voucher.Voucher) { v.Nonce = bytes.Repeat([]byte{7}, 32) }})
			})
			return setup{mutate: func(c *Config) { c.Nonce = true }, sources: []Source{src("configured", ts)}}
		}, ErrVoucher, "nonce"},
		{"voucher not from the manufacturer", func(t *testing.T, f *fixture) setup {
			ts := f.newServer(t, f.pki.Server(t), func(in *sztp.GetBootstrappingDataInput) *sztp.GetBootstrappingDataOutput {
				return f.signed(t, onboard, in, signedOpts{})
			})
			other := f.pki.NewCA(t, "Another manufacturer")
			return setup{mutate: func(c *Config) { c.VoucherTrustAnchors = []*x509Cert{other.Cert} }, sources: []Source{src("configured", ts)}}
		}, ErrVoucher, "not trusted"},
		{"owner certificate not under the pinned certificate", func(t *testing.T, f *fixture) setup {
			other := f.pki.NewCA(t, "Someone else's CA")
			ts := f.newServer(t, f.pki.Server(t), func(in *sztp.GetBootstrappingDataInput) *sztp.GetBootstrappingDataOutput {
				return f.signed(t, onboard, in, signedOpts{Pinned: other.Cert})
			})
			return setup{sources: []Source{src("configured", ts)}}
		}, ErrOwnerCertificate, "pinned-domain-cert"},
		{"wrong CMS content type", func(t *testing.T, f *fixture) setup {
			ts := f.newServer(t, f.pki.Server(t), func(in *sztp.GetBootstrappingDataInput) *sztp.GetBootstrappingDataOutput {
				return f.signed(t, onboard, in, signedOpts{SignWith: func(content []byte) []byte {
					der, err := cms.Sign(cms.OIDConveyedInfoXML, content, f.pki.Owner.Cert, f.pki.Owner.Key)
					if err != nil {
						t.Fatal(err)
					}
					return der
				}})
			})
			return setup{sources: []Source{src("configured", ts)}}
		}, ErrConveyedInfo, "content type"},
		{"unsigned data when signed was preferred", func(t *testing.T, f *fixture) setup {
			ts := f.newServer(t, f.pki.Server(t), func(*sztp.GetBootstrappingDataInput) *sztp.GetBootstrappingDataOutput {
				return unsigned(t, onboard)
			})
			return setup{mutate: func(c *Config) { c.SignedDataPreferred = true }, sources: []Source{src("configured", ts)}, silent: []*testServer{ts}}
		}, ErrUnsignedRefused, "prefers signed"},
		{"boot image hash mismatch", func(t *testing.T, f *fixture) setup {
			info := onboarding()
			info.BootImage = &sztp.BootImage{OSName: "opi-dpu-os", OSVersion: "2.0", DownloadURI: []string{imageServer(t, []byte("evil image"))},
				ImageVerification: []sztp.ImageVerification{{HashAlgorithm: sztp.HashSHA256, HashValue: sha([]byte("good image"))}}}
			ts := f.newServer(t, f.pki.Server(t), func(*sztp.GetBootstrappingDataInput) *sztp.GetBootstrappingDataOutput {
				return unsigned(t, &sztp.ConveyedInformation{Onboarding: info})
			})
			return setup{sources: []Source{src("configured", ts)}}
		}, ErrBootImage, "does not match"},
		{"redirect loop", func(t *testing.T, f *fixture) setup {
			a := f.newServer(t, f.pki.Server(t), nil)
			b := f.newServer(t, f.pki.Server(t), nil)
			a.SetAnswer(func(*sztp.GetBootstrappingDataInput) *sztp.GetBootstrappingDataOutput {
				return unsigned(t, redirectTo(t, nil, b))
			})
			b.SetAnswer(func(*sztp.GetBootstrappingDataInput) *sztp.GetBootstrappingDataOutput {
				return unsigned(t, redirectTo(t, nil, a))
			})
			return setup{sources: []Source{src("configured", a)}}
		}, ErrRedirect, "redirect loop"},
		{"more redirects than the bound", func(t *testing.T, f *fixture) setup {
			chain := make([]*testServer, 4)
			for i := range chain {
				chain[i] = f.newServer(t, f.pki.Server(t), nil)
			}
			for i := range chain {
				next := chain[(i+1)%len(chain)]
				chain[i].SetAnswer(func(*sztp.GetBootstrappingDataInput) *sztp.GetBootstrappingDataOutput {
					return unsigned(t, redirectTo(t, nil, next))
				})
			}
			return setup{mutate: func(c *Config) { c.MaxRedirects = 2 }, sources: []Source{src("configured", chain[0])}}
		}, ErrRedirect, "more than 2 redirects"},
		{"progress target untrusted: unsigned onboarding from an untrusted server", func(t *testing.T, f *fixture) setup {
			web := f.pki.NewCA(t, "Public web PKI")
			ts := f.newServer(t, f.pki.Issue(t, web, serverTemplate()), func(*sztp.GetBootstrappingDataInput) *sztp.GetBootstrappingDataOutput {
				return unsigned(t, onboard)
			})
			return setup{mutate: func(c *Config) { c.ProvisionalRoots = []*x509Cert{web.Cert} }, sources: []Source{src("dhcpv4", ts)}, silent: []*testServer{ts}}
		}, ErrUnsignedRefused, "untrusted source must be signed"},
		{"server certificate not trusted", func(t *testing.T, f *fixture) setup {
			rogue := f.pki.NewCA(t, "Rogue CA")
			ts := f.newServer(t, f.pki.Issue(t, rogue, serverTemplate()), func(*sztp.GetBootstrappingDataInput) *sztp.GetBootstrappingDataOutput {
				return unsigned(t, onboard)
			})
			return setup{sources: []Source{src("dhcpv4", ts)}, silent: []*testServer{ts}}
		}, ErrServerUntrusted, "chains to no bootstrap-server trust anchor"},
		{"server not under the trust anchor its trusted redirect gave", func(t *testing.T, f *fixture) setup {
			pinnedCA := f.pki.NewCA(t, "The owner's server CA")
			boot := f.newServer(t, f.pki.Server(t), func(*sztp.GetBootstrappingDataInput) *sztp.GetBootstrappingDataOutput {
				return unsigned(t, onboard)
			})
			r := f.newServer(t, f.pki.Server(t), func(*sztp.GetBootstrappingDataInput) *sztp.GetBootstrappingDataOutput {
				return unsigned(t, redirectTo(t, pinnedCA.Cert, boot))
			})
			return setup{sources: []Source{src("configured", r)}, silent: []*testServer{boot}}
		}, ErrServerUntrusted, "trust anchor its redirect gave"},
		{"voucher assertion the device does not accept", func(t *testing.T, f *fixture) setup {
			ts := f.newServer(t, f.pki.Server(t), func(in *sztp.GetBootstrappingDataInput) *sztp.GetBootstrappingDataOutput {
				return f.signed(t, onboard, in, signedOpts{Voucher: func(v *voucher.Voucher) { v.Assertion = voucher.Proximity }})
			})
			return setup{mutate: func(c *Config) { c.AcceptAssertions = []voucher.Assertion{voucher.Verified} }, sources: []Source{src("configured", ts)}}
		}, ErrVoucher, "not accepted"},
		{"voucher idevid-issuer not the IDevID's issuer", func(t *testing.T, f *fixture) setup {
			ts := f.newServer(t, f.pki.Server(t), func(in *sztp.GetBootstrappingDataInput) *sztp.GetBootstrappingDataOutput {
				return f.signed(t, onboard, in, signedOpts{Voucher: func(v *voucher.Voucher) { v.IDevIDIssuer = []byte{1, 2, 3, 4} }})
			})
			return setup{sources: []Source{src("configured", ts)}}
		}, ErrVoucher, "idevid-issuer"},
		{"voucher demands revocation checks the device cannot make", func(t *testing.T, f *fixture) setup {
			yes := true
			ts := f.newServer(t, f.pki.Server(t), func(in *sztp.GetBootstrappingDataInput) *sztp.GetBootstrappingDataOutput {
				return f.signed(t, onboard, in, signedOpts{Voucher: func(v *voucher.Voucher) { v.DomainCertRevocationChecks = &yes }})
			})
			return setup{sources: []Source{src("configured", ts)}}
		}, ErrVoucher, "revocation"},
		{"owner certificate without digitalSignature", func(t *testing.T, f *fixture) setup {
			tmpl := sztptest.Template("Owner that may only sign certificates")
			tmpl.KeyUsage = x509.KeyUsageCertSign
			f.pki.Owner = f.pki.Issue(t, f.pki.OwnerCA, tmpl)
			ts := f.newServer(t, f.pki.Server(t), func(in *sztp.GetBootstrappingDataInput) *sztp.GetBootstrappingDataOutput {
				return f.signed(t, onboard, in, signedOpts{})
			})
			return setup{sources: []Source{src("configured", ts)}}
		}, ErrOwnerCertificate, "digitalSignature"},
		{"trust anchor in untrusted redirect information is discarded", func(t *testing.T, f *fixture) setup {
			web := f.pki.NewCA(t, "Public web PKI")
			theirs := f.pki.NewCA(t, "Attacker's server CA")
			boot := f.newServer(t, f.pki.Issue(t, theirs, serverTemplate()), func(*sztp.GetBootstrappingDataInput) *sztp.GetBootstrappingDataOutput {
				return unsigned(t, onboard)
			})
			r := f.newServer(t, f.pki.Issue(t, web, serverTemplate()), func(*sztp.GetBootstrappingDataInput) *sztp.GetBootstrappingDataOutput {
				return unsigned(t, redirectTo(t, theirs.Cert, boot))
			})
			return setup{mutate: func(c *Config) { c.ProvisionalRoots = []*x509Cert{web.Cert} }, sources: []Source{src("dhcpv4", r)}, silent: []*testServer{boot}}
		}, ErrServerUntrusted, "neither to a bootstrap-server trust anchor nor to a provisional root"},
		{"signed DNS artifacts with a bad voucher", func(t *testing.T, f *fixture) setup {
			out := f.signed(t, onboard, nil, signedOpts{Voucher: func(v *voucher.Voucher) { v.SerialNumber = "SN-2" }})
			return setup{sources: []Source{{Name: "dns", Artifacts: &discovery.Artifacts{
				ConveyedInformation: out.ConveyedInformation, OwnerCertificate: out.OwnerCertificate, OwnershipVoucher: out.OwnershipVoucher}}}}
		}, ErrVoucher, "another serial"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			s := tc.build(t, f)
			_, err := f.agent(t, s.mutate).Run(ctxT(t), s.sources)
			t.Log(err)
			if !errors.Is(err, ErrNoBootstrap) || !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.why) {
				t.Fatalf("error %v\nwant %v mentioning %q", err, tc.want, tc.why)
			}
			if got := f.applied(t); len(got) != 0 {
				t.Fatalf("refused, yet applied %v", got)
			}
			for _, ts := range s.silent {
				if _, reports := ts.seen(); len(reports) != 0 {
					t.Fatalf("server %s got reports %v", ts.server(), reports)
				}
			}
		})
	}
}

func TestNewRefusesASerialOtherThanTheIDevIDs(t *testing.T) {
	f := newFixture(t)
	c := f.config()
	c.Serial = "SN-OTHER"
	if _, err := New(c); err == nil || !strings.Contains(err.Error(), "not the IDevID's") {
		t.Fatalf("New: %v", err)
	}
	c = f.config()
	c.Device = nil
	if _, err := New(c); err == nil {
		t.Fatal("New accepted a config without a Device")
	}
}
