// Package voucher issues, signs and verifies ownership vouchers (RFC 8366):
// the JSON document "ietf-voucher:voucher" in a CMS SignedData of content
// type id-ct-animaJSONVoucher, signed by the manufacturer (MASA).
package voucher

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/opi-suite/opi/opi-provisioning/sztp/cms"
)

// Assertion is what the MASA asserts about the device's ownership.
type Assertion string

// Assertions of RFC 8366 section 5.3.
const (
	Verified  Assertion = "verified"
	Logged    Assertion = "logged"
	Proximity Assertion = "proximity"
)

// Voucher is the content of the ietf-voucher:voucher container. Binary
// leaves are carried as bytes and encoded in base64 (RFC 7951 section 6.6).
type Voucher struct {
	CreatedOn time.Time `json:"created-on"`
	// ExpiresOn is optional: the zero time leaves it out.
	ExpiresOn    time.Time `json:"expires-on,omitzero"`
	Assertion    Assertion `json:"assertion"`
	SerialNumber string    `json:"serial-number"`
	// IDevIDIssuer is the DER AuthorityKeyIdentifier (the key identifier
	// octets) of the device's IDevID issuer; optional.
	IDevIDIssuer []byte `json:"idevid-issuer,omitempty"`
	// PinnedDomainCert is the DER certificate the device must trust for
	// its owner: the owner certificate must chain to it (RFC 8572 5.4).
	PinnedDomainCert           []byte `json:"pinned-domain-cert"`
	DomainCertRevocationChecks *bool  `json:"domain-cert-revocation-checks,omitempty"`
	// Nonce is the device's nonce, present when the device sent one.
	Nonce           []byte    `json:"nonce,omitempty"`
	LastRenewalDate time.Time `json:"last-renewal-date,omitzero"`
}

// Errors of Unmarshal and Check; test with errors.Is.
var (
	ErrInvalid = errors.New("invalid voucher")
	ErrSerial  = errors.New("voucher is for another serial number")
	ErrExpired = errors.New("voucher expired")
	ErrNonce   = errors.New("voucher nonce mismatch")
)

type document struct {
	Voucher *Voucher `json:"ietf-voucher:voucher"`
}

// Validate checks the mandatory leaves and the assertion enumeration.
func (v *Voucher) Validate() error {
	switch {
	case v.CreatedOn.IsZero():
		return fmt.Errorf("%w: created-on is mandatory", ErrInvalid)
	case v.SerialNumber == "":
		return fmt.Errorf("%w: serial-number is mandatory", ErrInvalid)
	case len(v.PinnedDomainCert) == 0:
		return fmt.Errorf("%w: pinned-domain-cert is mandatory", ErrInvalid)
	}
	switch v.Assertion {
	case Verified, Logged, Proximity:
	default:
		return fmt.Errorf("%w: assertion %q is not verified, logged or proximity", ErrInvalid, v.Assertion)
	}
	if _, err := x509.ParseCertificate(v.PinnedDomainCert); err != nil {
		return fmt.Errorf("%w: pinned-domain-cert: %v", ErrInvalid, err)
	}
	return nil
}

// Marshal returns the voucher's JSON document (RFC 8366 section 5.3).
func (v *Voucher) Marshal() ([]byte, error) {
	if err := v.Validate(); err != nil {
		return nil, err
	}
	return json.Marshal(document{Voucher: v})
}

// Unmarshal parses a voucher's JSON document strictly: one top-level
// member "ietf-voucher:voucher", no unknown leaves, mandatory leaves set.
func Unmarshal(data []byte) (*Voucher, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var doc document
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the JSON document", ErrInvalid)
	}
	if doc.Voucher == nil {
		return nil, fmt.Errorf("%w: no ietf-voucher:voucher", ErrInvalid)
	}
	if err := doc.Voucher.Validate(); err != nil {
		return nil, err
	}
	return doc.Voucher, nil
}

// PinnedCertificate returns the parsed pinned-domain-cert.
func (v *Voucher) PinnedCertificate() (*x509.Certificate, error) {
	c, err := x509.ParseCertificate(v.PinnedDomainCert)
	if err != nil {
		return nil, fmt.Errorf("%w: pinned-domain-cert: %v", ErrInvalid, err)
	}
	return c, nil
}

// Check applies RFC 8572 section 5.5's rules for a voucher to the device
// serial with nonce (nil when the device sent none) at time now: the serial
// number matches, the voucher has not expired, and if the device sent a
// nonce, the voucher carries the same one.
func (v *Voucher) Check(serial string, nonce []byte, now time.Time) error {
	if v.SerialNumber != serial {
		return fmt.Errorf("%w: voucher %q, device %q", ErrSerial, v.SerialNumber, serial)
	}
	if !v.ExpiresOn.IsZero() && !now.Before(v.ExpiresOn) {
		return fmt.Errorf("%w on %s", ErrExpired, v.ExpiresOn.UTC().Format(time.RFC3339))
	}
	if nonce != nil && !bytes.Equal(v.Nonce, nonce) {
		return ErrNonce
	}
	return nil
}

// Sign marshals v and signs it as a CMS SignedData of content type
// id-ct-animaJSONVoucher with the MASA's key; chain holds the signer's
// issuers (nearest first).
func Sign(v *Voucher, signer *x509.Certificate, key crypto.Signer, chain ...*x509.Certificate) ([]byte, error) {
	doc, err := v.Marshal()
	if err != nil {
		return nil, err
	}
	return cms.Sign(cms.OIDVoucherJSON, doc, signer, key, chain...)
}

// Verify checks a signed voucher: content type id-ct-animaJSONVoucher, a
// valid signature, a signer chaining to one of anchors (the manufacturer's
// trust anchors) at time at; then parses the voucher. The policy checks
// (serial, expiry, nonce) are Check's.
func Verify(der []byte, anchors []*x509.Certificate, at time.Time) (*Voucher, error) {
	sd, err := cms.Verify(der, cms.OIDVoucherJSON, anchors, at)
	if err != nil {
		return nil, err
	}
	return Unmarshal(sd.Content)
}
