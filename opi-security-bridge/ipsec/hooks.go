package ipsec

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	securityv1 "github.com/opi-suite/opi/opi-api/security/v1"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// connBackend makes charon hold a connection (resource.Backend).
type connBackend struct{ m *Manager }

// Create checks the connection's values and loads it and its shared key.
// The value rules are checked here and not in load, so that a connection
// stored before a rule existed is still replayed.
func (b connBackend) Create(ctx context.Context, c *securityv1.IkeConnection) error {
	if err := validateValues(c); err != nil {
		return err
	}
	return b.m.load(ctx, c, nil)
}

// Update checks the connection's new values and reloads it; charon
// replaces one of the same name.
func (b connBackend) Update(ctx context.Context, old, c *securityv1.IkeConnection) error {
	if err := validateValues(c); err != nil {
		return err
	}
	return b.m.load(ctx, c, old)
}

// Delete closes the connection's SAs and unloads it and its shared key.
func (b connBackend) Delete(ctx context.Context, c *securityv1.IkeConnection) error {
	id, err := ConnPattern.ID(c.GetName())
	if err != nil {
		return err
	}
	if _, err := b.m.backend.Terminate(ctx, id, "", true, 2*time.Second); err != nil {
		return err
	}
	return errors.Join(b.m.backend.UnloadConn(ctx, id), b.m.backend.UnloadShared(ctx, sharedKeyID(id)))
}

// pskBackend: a pre-shared key reaches charon only through the connections
// that use it, loaded with their identities.
type pskBackend struct{ m *Manager }

// Create checks the key; nothing uses it yet.
func (b pskBackend) Create(_ context.Context, k *securityv1.PreSharedKey) error {
	if len(k.GetSecret()) < MinPSKLength {
		return errdefs.InvalidArgumentf("secret: a pre-shared key needs at least %d bytes", MinPSKLength)
	}
	if textWithLineBreak(k.GetSecret()) {
		return errdefs.InvalidArgumentf("secret: a text key ends with a line break, which a peer configured with the same text does not have (the end of the file it was read from?); send it without")
	}
	return nil
}

// textWithLineBreak says whether a pre-shared key is text (UTF-8 with no
// control characters but tabs) followed by line breaks (CR, LF). Such a key
// is refused: the line break comes from the file the key was read from, and
// a peer configured with the same text (in swanctl.conf, say) has none, so
// the two would not authenticate. Binary keys (any other control byte, or
// not UTF-8) are taken as they are, whatever their last byte. The CLI's
// --secret-file follows the same rule: it drops the line breaks of a text
// file.
func textWithLineBreak(secret []byte) bool {
	text := bytes.TrimRight(secret, "\r\n")
	if len(text) == len(secret) || !utf8.Valid(text) {
		return false
	}
	for _, r := range string(text) {
		if r != '\t' && unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// Update loads the new secret for every connection using the key.
func (b pskBackend) Update(ctx context.Context, _, k *securityv1.PreSharedKey) error {
	if err := b.Create(ctx, k); err != nil {
		return err
	}
	return b.m.Conns.Walk(ctx, func(c *securityv1.IkeConnection) error {
		if c.GetLocalAuth().GetPreSharedKey() != k.GetName() && c.GetRemoteAuth().GetPreSharedKey() != k.GetName() {
			return nil
		}
		_, key, err := b.m.toBackend(ctx, c)
		if err != nil || key == nil {
			return err
		}
		key.Data = k.GetSecret() // the store still holds the old secret until the commit
		return loading("the pre-shared key of "+c.GetName(), b.m.backend.LoadShared(ctx, *key))
	})
}

// Delete has nothing to do: no connection uses the key (references stop
// the delete otherwise).
func (pskBackend) Delete(context.Context, *securityv1.PreSharedKey) error { return nil }

// certBackend loads certificates into charon.
type certBackend struct{ m *Manager }

// Create parses the certificate, fills its OUTPUT_ONLY fields and loads it.
func (b certBackend) Create(ctx context.Context, c *securityv1.Certificate) error {
	cert, err := ParseCertificate(c.GetPem())
	if err != nil {
		return err
	}
	c.Subject, c.Issuer, c.IsCa = cert.Subject.String(), cert.Issuer.String(), cert.IsCA
	c.NotAfter = timestamppb.New(cert.NotAfter)
	return loading(c.GetName(), b.m.backend.LoadCert(ctx, []byte(c.GetPem()), cert.IsCA))
}

// Update has nothing to do: every field is immutable.
func (certBackend) Update(context.Context, *securityv1.Certificate, *securityv1.Certificate) error {
	return nil
}

// Delete leaves charon as it is: VICI cannot unload one certificate, and no
// connection uses it any more.
func (certBackend) Delete(context.Context, *securityv1.Certificate) error { return nil }

// ParseCertificate decodes a certificate resource's PEM: exactly one
// CERTIFICATE block and nothing else but whitespace. A certificate is
// public and returned in full by Get and List, so anything stored beside it
// (a private key pasted after it, say) would be handed to every reader.
// Chains are not accepted either: charon loads one certificate per
// load-cert, and subject, issuer and is_ca describe one certificate, so a
// chain is one Certificate resource per certificate (intermediate CAs as
// CA certificates). Errors name block types, never their contents.
func ParseCertificate(p string) (*x509.Certificate, error) {
	const rule = "a certificate is exactly one PEM CERTIFICATE block (a chain is one certificate resource per certificate)"
	block, rest := pem.Decode([]byte(p))
	if block == nil {
		return nil, errdefs.InvalidArgumentf("pem: not a PEM CERTIFICATE block; %s", rule)
	}
	if block.Type != "CERTIFICATE" {
		return nil, errdefs.InvalidArgumentf("pem: found a %q block; %s", block.Type, rule)
	}
	// pem.Decode skips text before the block: refuse it too.
	if before, _, _ := strings.Cut(p, "-----BEGIN"); strings.TrimSpace(before) != "" {
		return nil, errdefs.InvalidArgumentf("pem: text before the CERTIFICATE block; %s", rule)
	}
	if len(bytes.TrimSpace(rest)) > 0 {
		if next, _ := pem.Decode(rest); next != nil {
			return nil, errdefs.InvalidArgumentf("pem: a %q block follows the certificate; %s", next.Type, rule)
		}
		return nil, errdefs.InvalidArgumentf("pem: text follows the CERTIFICATE block; %s", rule)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, errdefs.InvalidArgumentf("pem: %v", err)
	}
	return cert, nil
}

// keyBackend loads private keys into charon.
type keyBackend struct{ m *Manager }

// Create checks the key, loads it and records charon's key id.
func (b keyBackend) Create(ctx context.Context, k *securityv1.PrivateKey) error {
	alg, err := keyAlgorithm(k.GetPem())
	if err != nil {
		return err
	}
	id, err := b.m.backend.LoadKey(ctx, k.GetPem())
	if err != nil {
		return loading(k.GetName(), err)
	}
	k.Algorithm, k.KeyId = alg, id
	return nil
}

// Update has nothing to do: the key is immutable.
func (keyBackend) Update(context.Context, *securityv1.PrivateKey, *securityv1.PrivateKey) error {
	return nil
}

// Delete unloads the key.
func (b keyBackend) Delete(ctx context.Context, k *securityv1.PrivateKey) error {
	if k.GetKeyId() == "" {
		return nil
	}
	return b.m.backend.UnloadKey(ctx, k.GetKeyId())
}

// keyAlgorithm checks a PEM private key and names its algorithm. Errors
// never quote the key.
func keyAlgorithm(p []byte) (string, error) {
	block, _ := pem.Decode(p)
	if block == nil {
		return "", errdefs.InvalidArgumentf("pem: not a PEM block")
	}
	var key any
	var err error
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	default:
		return "", errdefs.InvalidArgumentf("pem: a %q block is not a private key", block.Type)
	}
	if err != nil {
		return "", errdefs.InvalidArgumentf("pem: the private key does not parse")
	}
	switch key.(type) {
	case *rsa.PrivateKey:
		return "RSA", nil
	case *ecdsa.PrivateKey:
		return "ECDSA", nil
	case ed25519.PrivateKey:
		return "ED25519", nil
	}
	return "", errdefs.InvalidArgumentf("pem: unsupported private key type %T", key)
}
