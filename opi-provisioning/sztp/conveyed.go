// Package sztp holds the data of secure zero-touch provisioning (RFC 8572)
// shared by the bootstrap server and the agent: conveyed information
// (module ietf-sztp-conveyed-info) and the RESTCONF RPCs of a bootstrap
// server (module ietf-sztp-bootstrap-server), in their JSON encoding
// (RFC 7951, RFC 8040), and the signing of conveyed information.
//
// The CMS layer is package cms, vouchers are package voucher, and a test
// PKI is package sztptest.
package sztp

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/opi-suite/opi/opi-provisioning/sztp/cms"
)

// Module names, the prefixes of the JSON members (RFC 7951 section 4).
const (
	ConveyedInfoModule    = "ietf-sztp-conveyed-info"
	BootstrapServerModule = "ietf-sztp-bootstrap-server"
)

// HashSHA256 is the identity of the only image-verification hash algorithm
// RFC 8572 defines.
const HashSHA256 = ConveyedInfoModule + ":sha-256"

// DefaultPort is a bootstrap server's port when redirect information names
// none.
const DefaultPort = 443

// MaxConveyedInformation bounds the conveyed information this package
// parses (it carries a configuration and scripts, not boot images).
const MaxConveyedInformation = 4 << 20

// ErrInvalidConveyedInformation is the class of every parse and validation
// error of conveyed information; test with errors.Is.
var ErrInvalidConveyedInformation = errors.New("invalid conveyed information")

// ConveyedInformation is either redirect information or onboarding
// information (the YANG choice "information-type"); exactly one is set.
type ConveyedInformation struct {
	Redirect   *RedirectInformation
	Onboarding *OnboardingInformation
}

// RedirectInformation lists bootstrap servers, in the order to try them.
type RedirectInformation struct {
	BootstrapServers []BootstrapServer `json:"bootstrap-server"`
}

// BootstrapServer is one entry of redirect information.
type BootstrapServer struct {
	// Address is a host name or IP address (the list's key).
	Address string `json:"address"`
	// Port is the HTTPS port; 0 means DefaultPort and is left out of the JSON.
	Port uint16 `json:"port,omitempty"`
	// TrustAnchor is a degenerate CMS SignedData holding the certificates
	// that authenticate the server (cms.Degenerate); optional.
	TrustAnchor []byte `json:"trust-anchor,omitempty"`
}

// PortOrDefault returns Port, or DefaultPort when it is 0.
func (b BootstrapServer) PortOrDefault() uint16 {
	if b.Port == 0 {
		return DefaultPort
	}
	return b.Port
}

// ConfigurationHandling says how a configuration is applied.
type ConfigurationHandling string

// Configuration handlings.
const (
	Merge   ConfigurationHandling = "merge"
	Replace ConfigurationHandling = "replace"
)

// OnboardingInformation is what a device needs to onboard.
type OnboardingInformation struct {
	BootImage               *BootImage            `json:"boot-image,omitempty"`
	ConfigurationHandling   ConfigurationHandling `json:"configuration-handling,omitempty"`
	PreConfigurationScript  []byte                `json:"pre-configuration-script,omitempty"`
	Configuration           []byte                `json:"configuration,omitempty"`
	PostConfigurationScript []byte                `json:"post-configuration-script,omitempty"`
}

// BootImage names the image a device must run.
type BootImage struct {
	OSName    string `json:"os-name"`
	OSVersion string `json:"os-version"`
	// DownloadURI lists where to fetch the image, in order of preference.
	DownloadURI []string `json:"download-uri,omitempty"`
	// ImageVerification holds the image's hashes, one per algorithm.
	ImageVerification []ImageVerification `json:"image-verification,omitempty"`
}

// ImageVerification is a hash of a boot image.
type ImageVerification struct {
	// HashAlgorithm is an identity; HashSHA256 is the one RFC 8572 defines.
	HashAlgorithm string    `json:"hash-algorithm"`
	HashValue     HexString `json:"hash-value"`
}

// SHA256 returns the sha-256 hash of the image, or nil when none is given.
func (b *BootImage) SHA256() []byte {
	for _, v := range b.ImageVerification {
		if v.HashAlgorithm == HashSHA256 {
			return v.HashValue
		}
	}
	return nil
}

// HexString is binary data in YANG's hex-string encoding ("ba:ec:cf").
type HexString []byte

// MarshalJSON encodes h as colon-separated lower-case hex octets.
func (h HexString) MarshalJSON() ([]byte, error) {
	parts := make([]string, len(h))
	for i, b := range h {
		parts[i] = hex.EncodeToString([]byte{b})
	}
	return json.Marshal(strings.Join(parts, ":"))
}

// UnmarshalJSON decodes colon-separated hex octets.
func (h *HexString) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	if s == "" {
		*h = HexString{}
		return nil
	}
	parts := strings.Split(s, ":")
	out := make([]byte, len(parts))
	for i, p := range parts {
		if len(p) != 2 {
			return fmt.Errorf("hex-string %q: octet %q is not two hex digits", s, p)
		}
		b, err := hex.DecodeString(p)
		if err != nil {
			return fmt.Errorf("hex-string %q: %v", s, err)
		}
		out[i] = b[0]
	}
	*h = out
	return nil
}

// The JSON document: one member, module-qualified (RFC 7951 section 4).
type conveyedDocument struct {
	Redirect   *RedirectInformation   `json:"ietf-sztp-conveyed-info:redirect-information,omitempty"`
	Onboarding *OnboardingInformation `json:"ietf-sztp-conveyed-info:onboarding-information,omitempty"`
}

// Marshal validates c and returns its JSON encoding.
func (c *ConveyedInformation) Marshal() ([]byte, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return json.Marshal(conveyedDocument{Redirect: c.Redirect, Onboarding: c.Onboarding})
}

// ParseConveyedInformation parses and validates the JSON encoding of
// conveyed information, strictly: unknown members are errors.
func ParseConveyedInformation(data []byte) (*ConveyedInformation, error) {
	if len(data) > MaxConveyedInformation {
		return nil, fmt.Errorf("%w: %d bytes, more than %d", ErrInvalidConveyedInformation, len(data), MaxConveyedInformation)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var doc conveyedDocument
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidConveyedInformation, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the JSON document", ErrInvalidConveyedInformation)
	}
	c := &ConveyedInformation{Redirect: doc.Redirect, Onboarding: doc.Onboarding}
	// RFC 7951 lets a leaf of the same module drop the module prefix of an
	// identity value; store the qualified form.
	if c.Onboarding != nil && c.Onboarding.BootImage != nil {
		for i, v := range c.Onboarding.BootImage.ImageVerification {
			if !strings.Contains(v.HashAlgorithm, ":") {
				c.Onboarding.BootImage.ImageVerification[i].HashAlgorithm = ConveyedInfoModule + ":" + v.HashAlgorithm
			}
		}
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidConveyedInformation, fmt.Sprintf(format, args...))
}

// Validate checks the constraints of the YANG module: exactly one of the
// two kinds, keys present and unique, mandatory leaves, enumerations, and
// that the embedded trust anchors are degenerate CMS structures.
func (c *ConveyedInformation) Validate() error {
	switch {
	case c.Redirect != nil && c.Onboarding != nil:
		return invalid("both redirect-information and onboarding-information")
	case c.Redirect != nil:
		return c.Redirect.validate()
	case c.Onboarding != nil:
		return c.Onboarding.validate()
	}
	return invalid("neither redirect-information nor onboarding-information")
}

func (r *RedirectInformation) validate() error {
	if len(r.BootstrapServers) == 0 {
		return invalid("redirect-information lists no bootstrap-server")
	}
	seen := map[string]bool{}
	for _, s := range r.BootstrapServers {
		if s.Address == "" || strings.ContainsAny(s.Address, "/ \t\r\n@?#") {
			return invalid("bootstrap-server address %q is not a host", s.Address)
		}
		if seen[s.Address] {
			return invalid("bootstrap-server %q listed twice", s.Address)
		}
		seen[s.Address] = true
		if s.TrustAnchor != nil {
			if _, err := cms.ParseDegenerate(s.TrustAnchor); err != nil {
				return invalid("bootstrap-server %q trust-anchor: %v", s.Address, err)
			}
		}
	}
	return nil
}

func (o *OnboardingInformation) validate() error {
	switch o.ConfigurationHandling {
	case "":
		if o.Configuration != nil {
			return invalid("configuration without configuration-handling")
		}
	case Merge, Replace:
		if o.Configuration == nil {
			return invalid("configuration-handling without configuration")
		}
	default:
		return invalid("configuration-handling %q is not merge or replace", o.ConfigurationHandling)
	}
	if b := o.BootImage; b != nil {
		if b.OSName == "" || b.OSVersion == "" {
			return invalid("boot-image needs os-name and os-version")
		}
		for _, u := range b.DownloadURI {
			p, err := url.Parse(u)
			if err != nil || p.Scheme == "" {
				return invalid("download-uri %q is not an absolute URI", u)
			}
		}
		if len(b.ImageVerification) > 0 && len(b.DownloadURI) == 0 {
			return invalid("image-verification without download-uri")
		}
		seen := map[string]bool{}
		for _, v := range b.ImageVerification {
			if seen[v.HashAlgorithm] {
				return invalid("image-verification %q listed twice", v.HashAlgorithm)
			}
			seen[v.HashAlgorithm] = true
			if v.HashAlgorithm == HashSHA256 && len(v.HashValue) != 32 {
				return invalid("sha-256 hash-value has %d octets, want 32", len(v.HashValue))
			}
		}
	}
	return nil
}

// SignConveyedInformation signs the JSON encoding of conveyed information
// as a CMS SignedData of content type id-ct-sztpConveyedInfoJSON with the
// owner's key (RFC 8572 section 3.1); chain holds the owner certificate's
// issuers (nearest first).
func SignConveyedInformation(content []byte, owner *x509.Certificate, key crypto.Signer, chain ...*x509.Certificate) ([]byte, error) {
	return cms.Sign(cms.OIDConveyedInfoJSON, content, owner, key, chain...)
}

// VerifyConveyedInformation checks that der is a SignedData of content
// type id-ct-sztpConveyedInfoJSON, signed by exactly the owner
// certificate owner with a valid signature (RFC 8572 section 5.4), and
// returns the parsed conveyed information. Whether owner itself is
// trusted (it chains to the voucher's pinned-domain-cert) is the caller's
// check.
func VerifyConveyedInformation(der []byte, owner *x509.Certificate) (*ConveyedInformation, error) {
	sd, err := cms.Parse(der)
	if err != nil {
		return nil, err
	}
	if !sd.ContentType.Equal(cms.OIDConveyedInfoJSON) {
		return nil, fmt.Errorf("%w: %v, want id-ct-sztpConveyedInfoJSON", cms.ErrContentType, sd.ContentType)
	}
	if !bytes.Equal(sd.Signer.Raw, owner.Raw) {
		return nil, fmt.Errorf("%w: signed by %q, not by the owner certificate %q", cms.ErrUntrusted, sd.Signer.Subject, owner.Subject)
	}
	if err := sd.VerifySignature(); err != nil {
		return nil, err
	}
	return ParseConveyedInformation(sd.Content)
}
