package voucher_test

import (
	"bytes"
	"crypto/x509"
	"errors"
	"testing"
	"time"

	"github.com/opi-suite/opi/opi-provisioning/sztp/cms"
	"github.com/opi-suite/opi/opi-provisioning/sztp/sztptest"
	"github.com/opi-suite/opi/opi-provisioning/sztp/voucher"
)

func TestSignVerify(t *testing.T) {
	for _, alg := range []sztptest.Algorithm{sztptest.ECDSA, sztptest.RSA} {
		pki := sztptest.New(t, alg)
		now := time.Now().UTC().Truncate(time.Second)
		nonce := bytes.Repeat([]byte{9}, 16)
		v := &voucher.Voucher{CreatedOn: now, ExpiresOn: now.Add(time.Hour), Assertion: voucher.Verified,
			SerialNumber: "SN-1", PinnedDomainCert: pki.OwnerCA.Cert.Raw, Nonce: nonce}
		der, err := voucher.Sign(v, pki.MASA.Cert, pki.MASA.Key, pki.MASA.Chain...)
		if err != nil {
			t.Fatal(err)
		}
		got, err := voucher.Verify(der, []*x509.Certificate{pki.Manufacturer.Cert}, now)
		if err != nil {
			t.Fatal(err)
		}
		if got.SerialNumber != "SN-1" || !got.CreatedOn.Equal(now) || !got.ExpiresOn.Equal(v.ExpiresOn) || !bytes.Equal(got.Nonce, nonce) {
			t.Fatalf("got %+v", got)
		}
		if c, err := got.PinnedCertificate(); err != nil || !c.Equal(pki.OwnerCA.Cert) {
			t.Fatalf("pinned %v", err)
		}
		if err := got.Check("SN-1", nonce, now); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name   string
			serial string
			nonce  []byte
			at     time.Time
			want   error
		}{
			{"another serial is refused", "SN-2", nonce, now, voucher.ErrSerial},
			{"an expired voucher is refused", "SN-1", nonce, now.Add(2 * time.Hour), voucher.ErrExpired},
			{"another nonce is refused", "SN-1", bytes.Repeat([]byte{8}, 16), now, voucher.ErrNonce},
		} {
			if err := got.Check(tc.serial, tc.nonce, tc.at); !errors.Is(err, tc.want) {
				t.Errorf("%s: got %v", tc.name, err)
			}
		}
		// Signed by the owner instead of the manufacturer: untrusted.
		forged, _ := voucher.Sign(v, pki.Owner.Cert, pki.Owner.Key, pki.Owner.Chain...)
		if _, err := voucher.Verify(forged, []*x509.Certificate{pki.Manufacturer.Cert}, now); !errors.Is(err, cms.ErrUntrusted) {
			t.Errorf("voucher signed by the owner: %v", err)
		}
		// The same JSON under the conveyed-information content type: refused.
		doc, _ := v.Marshal()
		wrong, _ := cms.Sign(cms.OIDConveyedInfoJSON, doc, pki.MASA.Cert, pki.MASA.Key, pki.MASA.Chain...)
		if _, err := voucher.Verify(wrong, []*x509.Certificate{pki.Manufacturer.Cert}, now); !errors.Is(err, cms.ErrContentType) {
			t.Errorf("wrong content type: %v", err)
		}
	}
}

func TestUnmarshalRefuses(t *testing.T) {
	for _, doc := range []string{
		`{"ietf-voucher:voucher":{"assertion":"verified","serial-number":"x"}}`,
		`{"voucher":{}}`,
		`{"ietf-voucher:voucher":{"created-on":"2026-01-01T00:00:00Z","assertion":"trusted","serial-number":"x","pinned-domain-cert":"AAAA"}}`,
		`{"ietf-voucher:voucher":{"created-on":"2026-01-01T00:00:00Z","assertion":"verified","serial-number":"x","pinned-domain-cert":"AAAA"}}`,
		`{"ietf-voucher:voucher":{"created-on":"yesterday","assertion":"verified","serial-number":"x","pinned-domain-cert":"AAAA"}}`,
	} {
		if _, err := voucher.Unmarshal([]byte(doc)); !errors.Is(err, voucher.ErrInvalid) {
			t.Errorf("%s: %v", doc, err)
		}
	}
}

func TestMarshalShape(t *testing.T) {
	pki := sztptest.New(t, sztptest.ECDSA)
	v := &voucher.Voucher{CreatedOn: time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC), Assertion: voucher.Logged,
		SerialNumber: "S", PinnedDomainCert: pki.OwnerCA.Cert.Raw}
	b, err := v.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte(`{"ietf-voucher:voucher":{"created-on":"2026-12-05T10:00:00Z","assertion":"logged","serial-number":"S","pinned-domain-cert":"`)) ||
		bytes.Contains(b, []byte("expires-on")) || bytes.Contains(b, []byte("nonce")) {
		t.Fatalf("%s", b)
	}
}
