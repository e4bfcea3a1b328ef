package agent

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/opi-suite/opi/opi-provisioning/sztp"
	"github.com/opi-suite/opi/opi-provisioning/sztp/cms"
	"github.com/opi-suite/opi/opi-provisioning/sztp/voucher"
)

// Refusal classes: every refusal wraps one, so a caller (and the
// negative-case tests) can tell why with errors.Is.
var (
	ErrVoucher          = errors.New("ownership voucher refused")
	ErrOwnerCertificate = errors.New("owner certificate refused")
	ErrConveyedInfo     = errors.New("conveyed information refused")
	ErrUnsignedRefused  = errors.New("unsigned data refused")
	ErrRedirect         = errors.New("redirect refused")
	ErrServerUntrusted  = errors.New("bootstrap server certificate not trusted")
	ErrBootImage        = errors.New("boot image refused")
	ErrOnboarding       = errors.New("onboarding failed")
	ErrProgress         = errors.New("progress report not accepted")
	ErrNoBootstrap      = errors.New("no source bootstrapped the device")
)

// artifacts is what one source returned.
type artifacts struct {
	conveyed, ownerCert, voucher []byte
}

// verified is conveyed information after section 5.4 (signed) or the
// unsigned content-type check.
type verified struct {
	info   *sztp.ConveyedInformation
	signed bool
}

// verifyArtifacts checks the artifacts of one source. Signed conveyed
// information is validated as RFC 8572 section 5.4 requires (voucher,
// then owner certificate, then the signature); unsigned conveyed
// information must carry one of the content types section 3.1 allows.
func (a *Agent) verifyArtifacts(art artifacts, nonce []byte) (*verified, error) {
	ct, err := cms.ContentType(art.conveyed)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConveyedInfo, err)
	}
	if !ct.Equal(cms.OIDSignedData) {
		if art.ownerCert != nil || art.voucher != nil {
			return nil, fmt.Errorf("%w: owner certificate or voucher sent with unsigned conveyed information", ErrConveyedInfo)
		}
		if !ct.Equal(cms.OIDConveyedInfoJSON) && !ct.Equal(cms.OIDData) {
			return nil, fmt.Errorf("%w: %v: unsigned conveyed information must be id-ct-sztpConveyedInfoJSON or id-data", ErrConveyedInfo, cms.ErrContentType)
		}
		_, content, err := cms.Decapsulate(art.conveyed)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrConveyedInfo, err)
		}
		info, err := sztp.ParseConveyedInformation(content)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrConveyedInfo, err)
		}
		return &verified{info: info}, nil
	}
	if art.ownerCert == nil || art.voucher == nil {
		return nil, fmt.Errorf("%w: signed conveyed information without owner certificate and ownership voucher", ErrConveyedInfo)
	}
	now := a.now()
	pinned, err := a.verifyVoucher(art.voucher, nonce, now)
	if err != nil {
		return nil, err
	}
	owner, err := verifyOwner(art.ownerCert, art.conveyed, pinned, now)
	if err != nil {
		return nil, err
	}
	info, err := sztp.VerifyConveyedInformation(art.conveyed, owner)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConveyedInfo, err)
	}
	return &verified{info: info, signed: true}, nil
}

// verifyVoucher authenticates the ownership voucher (RFC 8572 section
// 5.4, RFC 8366): its signature chains to a manufacturer trust anchor,
// it was created in the past and has not expired, its assertion is
// acceptable, it names this device's serial number (and IDevID issuer
// when it gives one), and it carries the nonce the device sent. It
// returns the pinned-domain-cert.
func (a *Agent) verifyVoucher(der, nonce []byte, now time.Time) (*x509.Certificate, error) {
	v, err := voucher.Verify(der, a.cfg.VoucherTrustAnchors, now)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrVoucher, err)
	}
	if !v.CreatedOn.Before(now) {
		return nil, fmt.Errorf("%w: created-on %s is not in the past", ErrVoucher, v.CreatedOn.UTC().Format(time.RFC3339))
	}
	if err := v.Check(a.cfg.Serial, nonce, now); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrVoucher, err)
	}
	if !slices.Contains(a.acceptAssertions(), v.Assertion) {
		return nil, fmt.Errorf("%w: assertion %q is not accepted by this device", ErrVoucher, v.Assertion)
	}
	if v.IDevIDIssuer != nil {
		if a.cfg.IDevID.Leaf == nil || !bytes.Equal(v.IDevIDIssuer, a.cfg.IDevID.Leaf.AuthorityKeyId) {
			return nil, fmt.Errorf("%w: idevid-issuer does not match the device's IDevID", ErrVoucher)
		}
	}
	if v.DomainCertRevocationChecks != nil && *v.DomainCertRevocationChecks {
		// The device has no revocation source (no CRLs stapled in the
		// owner certificate artifact are read, no OCSP): RFC 8572 section
		// 5.4 says it then MUST NOT validate the owner certificate.
		return nil, fmt.Errorf("%w: domain-cert-revocation-checks is true and this device cannot obtain revocation status", ErrVoucher)
	}
	return v.PinnedCertificate()
}

// verifyOwner authenticates the owner certificate: the certificate that
// signed the conveyed information must be in the owner certificate
// artifact (a degenerate SignedData), allow digital signatures, and chain
// to the voucher's pinned-domain-cert through the artifact's other
// certificates.
func verifyOwner(ownerArtifact, conveyed []byte, pinned *x509.Certificate, now time.Time) (*x509.Certificate, error) {
	certs, err := cms.ParseDegenerate(ownerArtifact)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrOwnerCertificate, err)
	}
	sd, err := cms.Parse(conveyed)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConveyedInfo, err)
	}
	var owner *x509.Certificate
	var others []*x509.Certificate
	for _, c := range certs {
		if bytes.Equal(c.Raw, sd.Signer.Raw) {
			owner = c
		} else {
			others = append(others, c)
		}
	}
	if owner == nil {
		return nil, fmt.Errorf("%w: the conveyed information's signer %q is not in the owner certificate artifact", ErrOwnerCertificate, sd.Signer.Subject)
	}
	if owner.KeyUsage != 0 && owner.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
		return nil, fmt.Errorf("%w: key usage lacks digitalSignature", ErrOwnerCertificate)
	}
	if _, err := cms.VerifyCertificate(owner, others, []*x509.Certificate{pinned}, now); err != nil {
		return nil, fmt.Errorf("%w: does not chain to the voucher's pinned-domain-cert: %v", ErrOwnerCertificate, err)
	}
	return owner, nil
}

func (a *Agent) acceptAssertions() []voucher.Assertion {
	if len(a.cfg.AcceptAssertions) > 0 {
		return a.cfg.AcceptAssertions
	}
	return []voucher.Assertion{voucher.Verified, voucher.Logged, voucher.Proximity}
}
