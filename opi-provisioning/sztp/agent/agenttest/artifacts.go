package agenttest

import (
	"crypto/x509"
	"testing"
	"time"

	"github.com/opi-suite/opi/opi-provisioning/sztp"
	"github.com/opi-suite/opi/opi-provisioning/sztp/cms"
	"github.com/opi-suite/opi/opi-provisioning/sztp/sztptest"
	"github.com/opi-suite/opi/opi-provisioning/sztp/voucher"
)

// Unsigned is conveyed information as unsigned CMS (RFC 8572 section 3.1).
func Unsigned(t testing.TB, ci *sztp.ConveyedInformation) *sztp.GetBootstrappingDataOutput {
	t.Helper()
	b, err := ci.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	der, err := cms.Encapsulate(cms.OIDConveyedInfoJSON, b)
	if err != nil {
		t.Fatal(err)
	}
	return &sztp.GetBootstrappingDataOutput{ConveyedInformation: der}
}

// SignOptions changes one thing of otherwise valid signed data.
type SignOptions struct {
	Voucher  func(*voucher.Voucher)      // edit the voucher before it is signed
	SignWith func(content []byte) []byte // sign the conveyed information another way
	Pinned   *x509.Certificate           // pin another certificate than the owner CA
}

// Signed is conveyed information signed by the PKI's owner, the owner
// certificate artifact, and a voucher from the manufacturer's MASA for
// serial that pins the owner CA and carries nonce.
func Signed(t testing.TB, p *sztptest.PKI, serial string, ci *sztp.ConveyedInformation, nonce []byte, o SignOptions) *sztp.GetBootstrappingDataOutput {
	t.Helper()
	content, err := ci.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	var der []byte
	if o.SignWith != nil {
		der = o.SignWith(content)
	} else if der, err = sztp.SignConveyedInformation(content, p.Owner.Cert, p.Owner.Key); err != nil {
		t.Fatal(err)
	}
	oc, err := cms.Degenerate(p.Owner.Cert)
	if err != nil {
		t.Fatal(err)
	}
	pinned := p.OwnerCA.Cert
	if o.Pinned != nil {
		pinned = o.Pinned
	}
	v := &voucher.Voucher{
		CreatedOn:        time.Now().Add(-time.Minute).Truncate(time.Second),
		ExpiresOn:        time.Now().Add(time.Hour).Truncate(time.Second),
		Assertion:        voucher.Verified,
		SerialNumber:     serial,
		PinnedDomainCert: pinned.Raw,
		Nonce:            nonce,
	}
	if o.Voucher != nil {
		o.Voucher(v)
	}
	ov, err := voucher.Sign(v, p.MASA.Cert, p.MASA.Key, p.MASA.Chain...)
	if err != nil {
		t.Fatal(err)
	}
	return &sztp.GetBootstrappingDataOutput{ConveyedInformation: der, OwnerCertificate: oc, OwnershipVoucher: ov}
}
