// Package cms signs and verifies the CMS (RFC 5652) structures of secure
// zero-touch provisioning: SignedData over conveyed information and
// vouchers, and the degenerate ("certs-only") SignedData that carries an
// owner certificate or a trust anchor.
//
// The cryptography is github.com/smallstep/pkcs7. This package adds the
// two things that library leaves out and RFC 8572 needs: an eContentType
// other than id-data (set when signing, read back when parsing), and the
// check that the signed content-type attribute equals that eContentType
// (RFC 5652 section 11.1), which the library does not make.
//
// Verification is split into small steps (Parse, VerifySignature,
// VerifyChain) so that a caller can build its own policy on them; Verify
// runs all of them.
package cms

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"time"

	"github.com/smallstep/pkcs7"
)

// Content types (RFC 5652, RFC 8366 section 8.3, RFC 8572 section 3.1).
var (
	// OIDData is id-data, the eContentType of a degenerate SignedData.
	OIDData = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	// OIDSignedData is id-signedData, the outer ContentInfo's content type.
	OIDSignedData = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	// OIDVoucherJSON is id-ct-animaJSONVoucher (RFC 8366).
	OIDVoucherJSON = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 40}
	// OIDConveyedInfoXML is id-ct-sztpConveyedInfoXML (RFC 8572).
	OIDConveyedInfoXML = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 42}
	// OIDConveyedInfoJSON is id-ct-sztpConveyedInfoJSON (RFC 8572).
	OIDConveyedInfoJSON = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 43}
)

// oidSHA256 is id-sha256; the library's default digest is SHA-1.
var oidSHA256 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}

// Errors a verification returns, wrapped with details; test with errors.Is.
var (
	// ErrMalformed: not a DER-encoded CMS SignedData of the expected shape.
	ErrMalformed = errors.New("malformed CMS")
	// ErrContentType: the eContentType is not the expected one, or the
	// signed content-type attribute does not match it.
	ErrContentType = errors.New("wrong CMS content type")
	// ErrSignature: the signature does not verify over the content.
	ErrSignature = errors.New("CMS signature invalid")
	// ErrUntrusted: the signer certificate does not chain to a trust anchor.
	ErrUntrusted = errors.New("CMS signer not trusted")
)

// Sign returns a DER-encoded ContentInfo holding a SignedData over content
// with the given eContentType, signed with SHA-256 by key (RSA or ECDSA),
// whose certificate is signer. The signer certificate and chain (its
// issuers, nearest first, root optional) are included in the
// SignedData's certificates.
func Sign(contentType asn1.ObjectIdentifier, content []byte, signer *x509.Certificate, key crypto.Signer, chain ...*x509.Certificate) ([]byte, error) {
	if len(contentType) == 0 {
		return nil, errors.New("cms: no content type")
	}
	if signer == nil || key == nil {
		return nil, errors.New("cms: no signer")
	}
	sd, err := pkcs7.NewSignedData(content)
	if err != nil {
		return nil, fmt.Errorf("cms: %w", err)
	}
	sd.SetDigestAlgorithm(oidSHA256)
	if !contentType.Equal(OIDData) {
		// The library signs whatever eContentType its SignedData holds
		// (the content-type attribute is taken from it) but has no
		// setter; GetSignedData is its accessor for such changes. RFC
		// 5652 section 5.1: version 3 when the eContentType is not id-data.
		raw := sd.GetSignedData()
		raw.ContentInfo.ContentType = contentType
		raw.Version = 3
	}
	if err := sd.AddSignerChain(signer, key, chain, pkcs7.SignerInfoConfig{}); err != nil {
		return nil, fmt.Errorf("cms: sign: %w", err)
	}
	der, err := sd.Finish()
	if err != nil {
		return nil, fmt.Errorf("cms: %w", err)
	}
	return der, nil
}

// SignedData is a parsed SignedData with one signer.
type SignedData struct {
	// ContentType is the eContentType.
	ContentType asn1.ObjectIdentifier
	// Content is the encapsulated content.
	Content []byte
	// Certificates are all certificates the SignedData carries.
	Certificates []*x509.Certificate
	// Signer is the signer's certificate, found among Certificates.
	Signer *x509.Certificate

	p7 *pkcs7.PKCS7
}

// The outer layers of a ContentInfo holding a SignedData, down to the
// eContentType: the library parses the rest but does not expose this field.
type contentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue `asn1:"explicit,tag:0"`
}

type signedDataHead struct {
	Version          int
	DigestAlgorithms asn1.RawValue
	EncapContentInfo struct {
		EContentType asn1.ObjectIdentifier
		EContent     asn1.RawValue `asn1:"optional,explicit,tag:0"`
	}
}

// envelope reads the eContentType of a DER ContentInfo holding a SignedData,
// and whether it encapsulates content.
func envelope(der []byte) (asn1.ObjectIdentifier, bool, error) {
	var ci contentInfo
	rest, err := asn1.Unmarshal(der, &ci)
	if err != nil {
		return nil, false, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if len(rest) != 0 {
		return nil, false, fmt.Errorf("%w: %d bytes after the ContentInfo", ErrMalformed, len(rest))
	}
	if !ci.ContentType.Equal(OIDSignedData) {
		return nil, false, fmt.Errorf("%w: ContentInfo holds %v, not SignedData", ErrMalformed, ci.ContentType)
	}
	var head signedDataHead
	if _, err := asn1.Unmarshal(ci.Content.Bytes, &head); err != nil {
		return nil, false, fmt.Errorf("%w: SignedData: %v", ErrMalformed, err)
	}
	return head.EncapContentInfo.EContentType, len(head.EncapContentInfo.EContent.Bytes) > 0, nil
}

// Parse parses a DER-encoded ContentInfo holding a SignedData with
// encapsulated content and exactly one signer (RFC 8572 section 3.1 and
// RFC 8366 section 5.3 ask for no more), and checks that the signed
// content-type attribute equals the eContentType. It does not verify the
// signature or the signer's chain.
func Parse(der []byte) (*SignedData, error) {
	ct, hasContent, err := envelope(der)
	if err != nil {
		return nil, err
	}
	if !hasContent {
		return nil, fmt.Errorf("%w: no encapsulated content (detached or degenerate)", ErrMalformed)
	}
	p7, err := pkcs7.Parse(der)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if len(p7.Signers) != 1 {
		return nil, fmt.Errorf("%w: %d signers, want 1", ErrMalformed, len(p7.Signers))
	}
	signer := p7.GetOnlySigner()
	if signer == nil {
		return nil, fmt.Errorf("%w: the signer's certificate is not included", ErrMalformed)
	}
	var attrType asn1.ObjectIdentifier
	if err := p7.UnmarshalSignedAttribute(pkcs7.OIDAttributeContentType, &attrType); err != nil {
		// RFC 5652 section 5.3: signed attributes are required when the
		// eContentType is not id-data, and must include content-type.
		return nil, fmt.Errorf("%w: no signed content-type attribute: %v", ErrContentType, err)
	}
	if !attrType.Equal(ct) {
		return nil, fmt.Errorf("%w: signed content-type attribute %v differs from eContentType %v", ErrContentType, attrType, ct)
	}
	return &SignedData{ContentType: ct, Content: p7.Content, Certificates: p7.Certificates, Signer: signer, p7: p7}, nil
}

// VerifySignature checks the signer's signature over the content (through
// the signed attributes, whose message digest must match the content).
func (s *SignedData) VerifySignature() error {
	if err := s.p7.Verify(); err != nil {
		return fmt.Errorf("%w: %v", ErrSignature, err)
	}
	return nil
}

// VerifyChain checks that the signer certificate is one of anchors or
// chains to one of them through the SignedData's other certificates, valid
// at time at, for any extended key usage. An anchor need not be
// self-signed (RFC 8366's pinned-domain-cert may be an intermediate or the
// end-entity certificate itself). It returns the chain, signer first.
func (s *SignedData) VerifyChain(anchors []*x509.Certificate, at time.Time) ([]*x509.Certificate, error) {
	return VerifyCertificate(s.Signer, s.Certificates, anchors, at)
}

// VerifyCertificate checks that cert is one of anchors or chains to one of
// them through intermediates, valid at time at, for any extended key
// usage. It returns the chain, cert first.
func VerifyCertificate(cert *x509.Certificate, intermediates, anchors []*x509.Certificate, at time.Time) ([]*x509.Certificate, error) {
	if len(anchors) == 0 {
		return nil, fmt.Errorf("%w: no trust anchors", ErrUntrusted)
	}
	for _, a := range anchors {
		if bytes.Equal(a.Raw, cert.Raw) {
			if at.Before(cert.NotBefore) || at.After(cert.NotAfter) {
				return nil, fmt.Errorf("%w: certificate %q not valid at %s", ErrUntrusted, cert.Subject, at.UTC().Format(time.RFC3339))
			}
			return []*x509.Certificate{cert}, nil
		}
	}
	roots := x509.NewCertPool()
	for _, a := range anchors {
		roots.AddCert(a)
	}
	inter := x509.NewCertPool()
	for _, c := range intermediates {
		inter.AddCert(c)
	}
	chains, err := cert.Verify(x509.VerifyOptions{
		Roots: roots, Intermediates: inter, CurrentTime: at,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUntrusted, err)
	}
	return chains[0], nil
}

// Verify parses der, checks that its eContentType is contentType, that the
// signature is valid and that the signer chains to one of anchors at time
// at. It returns the parsed SignedData.
func Verify(der []byte, contentType asn1.ObjectIdentifier, anchors []*x509.Certificate, at time.Time) (*SignedData, error) {
	sd, err := Parse(der)
	if err != nil {
		return nil, err
	}
	if !sd.ContentType.Equal(contentType) {
		return nil, fmt.Errorf("%w: %v, want %v", ErrContentType, sd.ContentType, contentType)
	}
	if err := sd.VerifySignature(); err != nil {
		return nil, err
	}
	if _, err := sd.VerifyChain(anchors, at); err != nil {
		return nil, err
	}
	return sd, nil
}

// Degenerate returns a DER-encoded degenerate SignedData (no signers, no
// content, eContentType id-data) carrying certs, the form RFC 8572 uses
// for the owner certificate and for trust anchors.
func Degenerate(certs ...*x509.Certificate) ([]byte, error) {
	if len(certs) == 0 {
		return nil, errors.New("cms: a degenerate SignedData needs a certificate")
	}
	var raw []byte
	for _, c := range certs {
		raw = append(raw, c.Raw...)
	}
	der, err := pkcs7.DegenerateCertificate(raw)
	if err != nil {
		return nil, fmt.Errorf("cms: %w", err)
	}
	return der, nil
}

// ParseDegenerate returns the certificates of a DER-encoded degenerate
// SignedData. Anything else (signers, content, no certificates) is
// ErrMalformed.
func ParseDegenerate(der []byte) ([]*x509.Certificate, error) {
	ct, hasContent, err := envelope(der)
	if err != nil {
		return nil, err
	}
	if !ct.Equal(OIDData) || hasContent {
		return nil, fmt.Errorf("%w: not a degenerate SignedData (eContentType %v, content %t)", ErrMalformed, ct, hasContent)
	}
	p7, err := pkcs7.Parse(der)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if len(p7.Signers) != 0 {
		return nil, fmt.Errorf("%w: a degenerate SignedData has signers", ErrMalformed)
	}
	if len(p7.Certificates) == 0 {
		return nil, fmt.Errorf("%w: no certificates", ErrMalformed)
	}
	return p7.Certificates, nil
}

// Encapsulate returns content in a DER ContentInfo of the given content
// type, unsigned: the form RFC 8572 section 3.1 gives unsigned conveyed
// information (ContentInfo { contentType, [0] EXPLICIT OCTET STRING }).
func Encapsulate(contentType asn1.ObjectIdentifier, content []byte) ([]byte, error) {
	inner, err := asn1.Marshal(content)
	if err != nil {
		return nil, fmt.Errorf("cms: %w", err)
	}
	return asn1.Marshal(contentInfo{ContentType: contentType,
		Content: asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: inner}})
}

// ContentType returns the content type of a DER ContentInfo:
// OIDSignedData for signed structures, the content's own type for
// Encapsulate's unsigned ones.
func ContentType(der []byte) (asn1.ObjectIdentifier, error) {
	var ci contentInfo
	rest, err := asn1.Unmarshal(der, &ci)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the ContentInfo", ErrMalformed, len(rest))
	}
	return ci.ContentType, nil
}

// Decapsulate is Encapsulate's inverse: it returns the content type and
// content of an unsigned ContentInfo. A SignedData is ErrMalformed here.
func Decapsulate(der []byte) (asn1.ObjectIdentifier, []byte, error) {
	var ci contentInfo
	rest, err := asn1.Unmarshal(der, &ci)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if len(rest) != 0 {
		return nil, nil, fmt.Errorf("%w: %d bytes after the ContentInfo", ErrMalformed, len(rest))
	}
	if ci.ContentType.Equal(OIDSignedData) {
		return nil, nil, fmt.Errorf("%w: a SignedData is not unsigned content", ErrMalformed)
	}
	var content []byte
	rest, err = asn1.Unmarshal(ci.Content.Bytes, &content)
	if err != nil || len(rest) != 0 {
		return nil, nil, fmt.Errorf("%w: unsigned content is not one OCTET STRING", ErrMalformed)
	}
	return ci.ContentType, content, nil
}
