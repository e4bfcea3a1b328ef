package sztp_test

import (
	"testing"

	"github.com/opi-suite/opi/opi-provisioning/sztp"
)

// FuzzParseConveyedInformation: the parser never panics, and what it
// accepts re-encodes to a document it accepts again with the same meaning.
// Corpus: testdata/fuzz/FuzzParseConveyedInformation.
func FuzzParseConveyedInformation(f *testing.F) {
	f.Add([]byte(redirectExample))
	f.Add([]byte(onboardingExample))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := sztp.ParseConveyedInformation(data)
		if err != nil {
			return
		}
		b, err := c.Marshal()
		if err != nil {
			t.Fatalf("accepted but cannot re-encode: %v", err)
		}
		c2, err := sztp.ParseConveyedInformation(b)
		if err != nil {
			t.Fatalf("re-encoding %s not accepted: %v", b, err)
		}
		b2, _ := c2.Marshal()
		if string(b) != string(b2) {
			t.Fatalf("not stable:\n%s\n%s", b, b2)
		}
	})
}

// FuzzParseGetBootstrappingDataInput: the bootstrap server's parser of
// untrusted request bodies never panics, and what it accepts re-encodes to
// the same input. Corpus: testdata/fuzz/FuzzParseGetBootstrappingDataInput.
func FuzzParseGetBootstrappingDataInput(f *testing.F) {
	f.Add([]byte(`{"ietf-sztp-bootstrap-server:input":{"signed-data-preferred":[null],"hw-model":"m","os-name":"n","os-version":"v","nonce":"AAAAAAAAAAAAAAAAAAAAAA=="}}`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, data []byte) {
		in, err := sztp.ParseGetBootstrappingDataInput(data)
		if err != nil {
			return
		}
		b, err := in.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		again, err := sztp.ParseGetBootstrappingDataInput(b)
		if err != nil {
			t.Fatalf("re-encoding %s not accepted: %v", b, err)
		}
		if again.SignedDataPreferred != in.SignedDataPreferred || again.HWModel != in.HWModel || again.OSName != in.OSName ||
			again.OSVersion != in.OSVersion || string(again.Nonce) != string(in.Nonce) {
			t.Fatalf("round trip changed %+v into %+v", in, again)
		}
	})
}
