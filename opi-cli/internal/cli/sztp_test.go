package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	provisioningv1 "github.com/opi-suite/opi/opi-api/provisioning/v1"
)

func TestSZTPCommandsSendWhatTheFlagsSay(t *testing.T) {
	f, addr := serveResources(t)
	f.put(&provisioningv1.SztpDevice{Name: "sztpDevices/dpu1", SerialNumber: "SN1",
		ProgressReports: []*provisioningv1.SztpProgressReport{{ProgressType: "bootstrap-complete", ReportTime: timestamppb.New(time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC))}}})
	der := []byte("not parsed by the command, only hashed")
	certFile := writeFile(t, "idevid.pem", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
	sum := sha256.Sum256(der)
	config := writeFile(t, "dpu.conf", "hostname dpu\n")
	pw := writeFile(t, "pw", "correct horse battery\n")
	hash := strings.Repeat("ab", 32)
	for _, tc := range []struct {
		name string
		args []string
		want proto.Message
		out  []string
	}{
		{"a device is created with onboarding information, a pinned IDevID and a password",
			[]string{"device", "create", "dpu2", "--serial", "SN2", "--idevid-cert", certFile, "--password-file", pw,
				"--os-name", "debian", "--os-version", "12", "--image-uri", "https://x/img", "--image-sha256", hash,
				"--config-handling", "merge", "--config-file", config, "--voucher-validity", "1h"},
			&provisioningv1.CreateSztpDeviceRequest{SztpDeviceId: "dpu2", SztpDevice: &provisioningv1.SztpDevice{
				SerialNumber: "SN2", IdevidSha256: sum[:], Password: "correct horse battery",
				Assignment: &provisioningv1.SztpDevice_Onboarding{Onboarding: &provisioningv1.SztpOnboarding{
					BootImage:             &provisioningv1.SztpBootImage{OsName: "debian", OsVersion: "12", DownloadUris: []string{"https://x/img"}, Sha256: mustHex(t, hash)},
					ConfigurationHandling: provisioningv1.SztpConfigurationHandling_SZTP_CONFIGURATION_HANDLING_MERGE,
					Configuration:         []byte("hostname dpu\n")}},
				Voucher: &provisioningv1.SztpVoucherSettings{Validity: durationpb.New(time.Hour)}}},
			[]string{"sztpDevices/dpu2", "SN2", "idevid (pinned)", "onboarding debian 12, config merge"}},
		{"an update to redirect information replaces the assignment by its mask",
			[]string{"device", "update", "dpu1", "--redirect", "10.0.0.5:8443,boot.example.com", "--redirect-trust-anchor", certFile},
			&provisioningv1.UpdateSztpDeviceRequest{SztpDevice: &provisioningv1.SztpDevice{Name: "sztpDevices/dpu1",
				Assignment: &provisioningv1.SztpDevice_Redirect{Redirect: &provisioningv1.SztpRedirect{BootstrapServers: []*provisioningv1.SztpBootstrapServer{
					{Address: "10.0.0.5", Port: 8443, TrustAnchorCertificates: [][]byte{der}}, {Address: "boot.example.com", TrustAnchorCertificates: [][]byte{der}}}}}},
				UpdateMask: mask("redirect")},
			[]string{"redirect 10.0.0.5:8443,boot.example.com", "bootstrap-complete 2026-12-05T10:00:00Z"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runWith(t, "", true, append([]string{"--insecure", "--addr", addr, "sztp"}, tc.args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			if got := lastRequest(f); !proto.Equal(got, tc.want) {
				t.Errorf("the server got\n%v\nwant\n%v", got, tc.want)
			}
			for _, w := range tc.out {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			if strings.Contains(out, "correct horse") {
				t.Error("the password is in the output")
			}
		})
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"redirect and onboarding together are refused", []string{"device", "create", "x", "--serial", "S", "--redirect", "a", "--os-name", "n"}, "exclude each other"},
		{"a short hash is refused", []string{"device", "create", "x", "--serial", "S", "--image-sha256", "abcd"}, "64 hex digits"},
		{"a bad port is refused", []string{"device", "create", "x", "--serial", "S", "--redirect", "a:99999"}, "1 to 65535"},
	} {
		t.Run(tc.name+" before sending", func(t *testing.T) {
			before := len(f.requests())
			code, _, errOut := runWith(t, "", true, append([]string{"--insecure", "--addr", addr, "sztp"}, tc.args...)...)
			if code == 0 || !strings.Contains(errOut, tc.want) || len(f.requests()) != before {
				t.Fatalf("exit %d, sent %d: %s", code, len(f.requests())-before, errOut)
			}
		})
	}
}

func mustHex(t *testing.T, s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
