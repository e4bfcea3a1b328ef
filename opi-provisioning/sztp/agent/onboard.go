package agent

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"

	"github.com/opi-suite/opi/opi-provisioning/sztp"
)

// Device applies onboarding information to the device. The agent
// downloads and verifies the boot image itself; the Device only installs
// what passed.
type Device interface {
	// InstallBootImage installs the verified image file at path; the
	// device reboots into it afterwards.
	InstallBootImage(ctx context.Context, img *sztp.BootImage, path string) error
	// RunScript runs a pre- or post-configuration script ("pre" or
	// "post") and returns its output; an error means the script failed.
	RunScript(ctx context.Context, kind string, script []byte) (output []byte, err error)
	// CommitConfiguration commits the initial configuration atomically
	// and returns a function that restores the configuration before it.
	CommitConfiguration(ctx context.Context, handling sztp.ConfigurationHandling, config []byte) (rollback func() error, err error)
	// StagingDir is where boot images are downloaded before verification.
	StagingDir() string
}

// reporter sends progress reports, or none for an untrusted source.
type reporter interface {
	// must sends a report whose 204 the bootstrap depends on.
	must(ctx context.Context, t sztp.ProgressType, msg string) error
	// try sends a report the device must try to send (errors, and the
	// terminating ones); a failure is logged, not fatal.
	try(ctx context.Context, t sztp.ProgressType, msg string)
	// verbose sends a non-terminating report when the server asked for
	// the "verbose" reporting level.
	verbose(ctx context.Context, t sztp.ProgressType, msg string)
}

type noReports struct{}

func (noReports) must(context.Context, sztp.ProgressType, string) error { return nil }
func (noReports) try(context.Context, sztp.ProgressType, string)        {}
func (noReports) verbose(context.Context, sztp.ProgressType, string)    {}

type progress struct {
	sess      *session
	isVerbose bool
}

func (p *progress) must(ctx context.Context, t sztp.ProgressType, msg string) error {
	return p.sess.report(ctx, t, msg)
}

func (p *progress) try(ctx context.Context, t sztp.ProgressType, msg string) {
	if err := p.sess.report(ctx, t, msg); err != nil {
		p.sess.agent.log.Warn("sztp: progress report failed", "type", t, "error", err)
	}
}

func (p *progress) verbose(ctx context.Context, t sztp.ProgressType, msg string) {
	if p.isVerbose {
		p.try(ctx, t, msg)
	}
}

// maxReportMessage bounds the script output quoted in a report.
const maxReportMessage = 4096

func clip(b []byte) string {
	if len(b) > maxReportMessage {
		return string(b[:maxReportMessage]) + "..."
	}
	return string(b)
}

// onboard processes onboarding information in the order RFC 8572 section
// 5.6 fixes: boot image, pre-configuration script, configuration,
// post-configuration script. On an error the steps taken are undone (the
// configuration is restored) and the error is reported to a trusted
// server. It returns true when a boot image was installed and the device
// must reboot.
func (a *Agent) onboard(ctx context.Context, info *sztp.OnboardingInformation, rep reporter) (bool, error) {
	dev := a.cfg.Device
	if err := rep.must(ctx, "bootstrap-initiated", ""); err != nil {
		rep.try(ctx, "bootstrap-error", err.Error())
		return false, err
	}
	rep.verbose(ctx, "parsing-complete", "")

	if img := info.BootImage; img != nil && !(img.OSName == a.cfg.OSName && img.OSVersion == a.cfg.OSVersion) {
		rep.verbose(ctx, "boot-image-initiated", "")
		path, err := a.downloadImage(ctx, img)
		if err == nil {
			defer os.Remove(path)
			err = dev.InstallBootImage(ctx, img, path)
			if err != nil {
				err = fmt.Errorf("%w: installing %s %s: %v", ErrBootImage, img.OSName, img.OSVersion, err)
			}
		}
		if err != nil {
			rep.try(ctx, "boot-image-error", err.Error())
			return false, err
		}
		rep.try(ctx, "boot-image-installed-rebooting", img.OSName+" "+img.OSVersion)
		return true, nil
	}

	if s := info.PreConfigurationScript; len(s) > 0 {
		rep.verbose(ctx, "pre-script-initiated", "")
		out, err := dev.RunScript(ctx, "pre", s)
		if err != nil {
			err = fmt.Errorf("%w: pre-configuration script: %v: %s", ErrOnboarding, err, clip(out))
			rep.try(ctx, "pre-script-error", err.Error())
			return false, err
		}
		rep.verbose(ctx, "pre-script-complete", clip(out))
	}

	rollback := func() error { return nil }
	if info.Configuration != nil {
		rep.verbose(ctx, "config-initiated", "")
		rb, err := dev.CommitConfiguration(ctx, info.ConfigurationHandling, info.Configuration)
		if err != nil {
			err = fmt.Errorf("%w: configuration: %v", ErrOnboarding, err)
			rep.try(ctx, "config-error", err.Error())
			return false, err
		}
		rollback = rb
		rep.verbose(ctx, "config-complete", "")
	}
	undo := func(cause error) error {
		if rerr := rollback(); rerr != nil {
			return fmt.Errorf("%w (and restoring the previous configuration failed: %v)", cause, rerr)
		}
		return cause
	}

	if s := info.PostConfigurationScript; len(s) > 0 {
		rep.verbose(ctx, "post-script-initiated", "")
		out, err := dev.RunScript(ctx, "post", s)
		if err != nil {
			err = undo(fmt.Errorf("%w: post-configuration script: %v: %s", ErrOnboarding, err, clip(out)))
			rep.try(ctx, "post-script-error", err.Error())
			return false, err
		}
		rep.verbose(ctx, "post-script-complete", clip(out))
	}

	if err := rep.must(ctx, "bootstrap-complete", ""); err != nil {
		err = undo(err)
		rep.try(ctx, "bootstrap-error", err.Error())
		return false, err
	}
	return false, nil
}

// maxImage bounds a boot image download.
const maxImage = 8 << 30

// downloadImage fetches the boot image from the URIs the onboarding
// information gives, and only those, into the staging directory, and
// keeps it only when its sha-256 matches (RFC 8572 section 5.6). An
// image without a sha-256 hash is refused: this agent has no other way
// to verify one.
func (a *Agent) downloadImage(ctx context.Context, img *sztp.BootImage) (string, error) {
	want := img.SHA256()
	if want == nil {
		return "", fmt.Errorf("%w: %s %s has no sha-256 image-verification", ErrBootImage, img.OSName, img.OSVersion)
	}
	if len(img.DownloadURI) == 0 {
		return "", fmt.Errorf("%w: %s %s has no download-uri", ErrBootImage, img.OSName, img.OSVersion)
	}
	var errs []error
	for _, u := range img.DownloadURI {
		path, err := a.fetchVerified(ctx, u, want)
		if err == nil {
			return path, nil
		}
		errs = append(errs, err)
	}
	return "", fmt.Errorf("%w: %w", ErrBootImage, errors.Join(errs...))
}

func (a *Agent) fetchVerified(ctx context.Context, raw string, want []byte) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return "", fmt.Errorf("download-uri %q: only http and https are supported", raw)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
	if err != nil {
		return "", err
	}
	resp, err := a.downloadClient().Do(req)
	if err != nil {
		return "", fmt.Errorf("download %s: %v", raw, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("download %s: HTTP %d", raw, resp.StatusCode)
	}
	f, err := os.CreateTemp(a.cfg.Device.StagingDir(), "boot-image-*")
	if err != nil {
		return "", err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(resp.Body, maxImage+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && n > maxImage {
		err = fmt.Errorf("larger than %d bytes", int64(maxImage))
	}
	if err == nil && !bytes.Equal(h.Sum(nil), want) {
		err = fmt.Errorf("sha-256 %x does not match the onboarding information's %x", h.Sum(nil), want)
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return "", fmt.Errorf("download %s: %v", raw, err)
	}
	return f.Name(), nil
}

// downloadClient verifies an https image server against the system roots
// and the bootstrap-server trust anchors; the hash, not the transport,
// is what makes the image trusted.
func (a *Agent) downloadClient() *http.Client {
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	for _, c := range a.cfg.ServerTrustAnchors {
		pool.AddCert(c)
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: pool}}}
}
