package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/types/known/durationpb"

	provisioningv1 "github.com/opi-suite/opi/opi-api/provisioning/v1"
)

// newSZTPCmd returns `opi sztp`: the device registry of the provisioning
// bridge's SZTP (RFC 8572) bootstrap server.
func newSZTPCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sztp",
		Short: "Manage the devices of the SZTP bootstrap server (provisioning bridge)",
		Long: `opi sztp manages the device registry of the secure zero-touch
provisioning (RFC 8572) bootstrap server that the provisioning bridge serves
with --sztp-listen: which devices may bootstrap, how each authenticates (its
IDevID, optionally pinned, or a password for HTTP basic), and what each gets:
redirect information (bootstrap servers to try) or onboarding information
(a boot image, a configuration, scripts). The server signs what it sends with
the owner's key and issues a fresh ownership voucher for each request.`,
		Example: `  opi sztp device create dpu1 --serial SN0001 --idevid-cert dpu1-idevid.pem \
      --os-name debian --os-version 12 --image-uri https://images/dpu.img --image-sha256 3b0c... \
      --config-handling merge --config-file dpu1.conf --post-script post.sh
  opi sztp device create dpu2 --serial SN0002 --password-file dpu2.pw --redirect bootstrap.example.com:8443 --redirect-trust-anchor ca.pem
  opi sztp device get dpu1 -o yaml      # includes the device's latest progress reports`,
	}
	cmd.AddCommand(resourceCommand(g, sztpDeviceKind()))
	return cmd
}

func sztpDeviceKind() resourceKind[*provisioningv1.SztpDevice] {
	return resourceKind[*provisioningv1.SztpDevice]{
		use: "device", noun: "SZTP device",
		example: `  opi sztp device create dpu1 --serial SN0001 --config-handling replace --config-file dpu1.json
  opi sztp device update dpu1 --redirect 10.0.0.5:8443 --redirect 10.0.0.6   # replaces the assignment with redirect information
  opi sztp device update dpu1 --password-file -                              # reads the new password from stdin
  opi sztp device list`,
		columns: []string{"SERIAL", "AUTH", "ASSIGNMENT", "PROGRESS"},
		row: func(d *provisioningv1.SztpDevice) []string {
			auth := "idevid"
			if len(d.GetIdevidSha256()) > 0 {
				auth = "idevid (pinned)"
			}
			return []string{d.GetSerialNumber(), auth, assignmentText(d), progressText(d)}
		},
		spec: sztpDeviceSpec,
	}
}

func assignmentText(d *provisioningv1.SztpDevice) string {
	switch a := d.GetAssignment().(type) {
	case *provisioningv1.SztpDevice_Redirect:
		var hosts []string
		for _, s := range a.Redirect.GetBootstrapServers() {
			hosts = append(hosts, hostPort(s.GetAddress(), s.GetPort()))
		}
		return "redirect " + strings.Join(hosts, ",")
	case *provisioningv1.SztpDevice_Onboarding:
		var parts []string
		if b := a.Onboarding.GetBootImage(); b != nil {
			parts = append(parts, b.GetOsName()+" "+b.GetOsVersion())
		}
		if a.Onboarding.GetConfiguration() != nil {
			parts = append(parts, "config "+enumWord(a.Onboarding.GetConfigurationHandling()))
		}
		return strings.TrimSpace("onboarding " + strings.Join(parts, ", "))
	}
	return ""
}

func hostPort(addr string, port uint32) string {
	if port == 0 {
		return addr
	}
	return net.JoinHostPort(addr, strconv.Itoa(int(port)))
}

func progressText(d *provisioningv1.SztpDevice) string {
	r := d.GetProgressReports()
	if len(r) == 0 {
		return ""
	}
	last := r[len(r)-1]
	return last.GetProgressType() + " " + last.GetReportTime().AsTime().UTC().Format(time.RFC3339)
}

func sztpDeviceSpec(s *specFlags, d *provisioningv1.SztpDevice) {
	s.str(&d.SerialNumber, "serial", "serial_number", "the device's serial number, as in its IDevID's subject serialNumber")
	s.secretFile("password-file", "password", "the password the device may use with HTTP basic, at least 12 characters", func(b []byte) {
		d.Password = strings.TrimRight(string(b), "\r\n")
	})
	var idevid string
	s.flags().StringVar(&idevid, "idevid-cert", "", "PEM file of the device's IDevID: only this certificate authenticates it")
	s.bind("idevid-cert", "idevid_sha256")
	enumFlag(s, &d.ReportingLevel, "reporting-level", "reporting_level", "how much progress the device should report")

	// Redirect information.
	var redirects []string
	var trustAnchor string
	s.flags().StringSliceVar(&redirects, "redirect", nil, "HOST[:PORT] of a bootstrap server to send the device to, in order (repeat or comma-separate; update replaces the assignment)")
	s.bind("redirect", "redirect")
	s.flags().StringVar(&trustAnchor, "redirect-trust-anchor", "", "PEM file of the CA certificates that authenticate the --redirect servers")
	s.bind("redirect-trust-anchor", "redirect")

	// Onboarding information.
	var osName, osVersion, imageSHA, configFile, preScript, postScript string
	var uris []string
	var handling provisioningv1.SztpConfigurationHandling
	s.flags().StringVar(&osName, "os-name", "", "the boot image's operating system name")
	s.bind("os-name", "onboarding")
	s.flags().StringVar(&osVersion, "os-version", "", "the boot image's operating system version")
	s.bind("os-version", "onboarding")
	s.flags().StringSliceVar(&uris, "image-uri", nil, "where to download the boot image, in order of preference (repeat or comma-separate)")
	s.bind("image-uri", "onboarding")
	s.flags().StringVar(&imageSHA, "image-sha256", "", "the boot image's SHA-256, in hex")
	s.bind("image-sha256", "onboarding")
	enumFlag(s, &handling, "config-handling", "onboarding", "how the device applies --config-file")
	s.flags().StringVar(&configFile, "config-file", "", "the configuration to convey")
	s.bind("config-file", "onboarding")
	s.flags().StringVar(&preScript, "pre-script", "", "a script the device runs before the configuration")
	s.bind("pre-script", "onboarding")
	s.flags().StringVar(&postScript, "post-script", "", "a script the device runs after the configuration")
	s.bind("post-script", "onboarding")

	// Voucher settings.
	var validity time.Duration
	var assertion provisioningv1.SztpVoucherAssertion
	enumFlag(s, &assertion, "voucher-assertion", "voucher", "what the device's vouchers assert (default verified)")
	s.flags().DurationVar(&validity, "voucher-validity", 0, "how long issued vouchers are valid, such as 1h (default: no expiry, bound by the device's nonce)")
	s.bind("voucher-validity", "voucher")

	s.then(func(*stdin) error {
		if s.changed("idevid-cert") {
			certs, err := readPEMCerts("idevid-cert", idevid)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(certs[0])
			d.IdevidSha256 = sum[:]
		}
		redirect := s.anyChanged("redirect", "redirect-trust-anchor")
		onboarding := s.anyChanged("os-name", "os-version", "image-uri", "image-sha256", "config-handling", "config-file", "pre-script", "post-script")
		if redirect && onboarding {
			return fmt.Errorf("--redirect and the onboarding flags (--os-name, --config-file, ...) exclude each other: a device gets one or the other")
		}
		if redirect {
			r := &provisioningv1.SztpRedirect{}
			var anchors [][]byte
			if trustAnchor != "" {
				var err error
				if anchors, err = readPEMCerts("redirect-trust-anchor", trustAnchor); err != nil {
					return err
				}
			}
			for _, hp := range redirects {
				host, port, err := splitHostPort(hp)
				if err != nil {
					return fmt.Errorf("--redirect %q: %w", hp, err)
				}
				r.BootstrapServers = append(r.BootstrapServers, &provisioningv1.SztpBootstrapServer{Address: host, Port: port, TrustAnchorCertificates: anchors})
			}
			d.Assignment = &provisioningv1.SztpDevice_Redirect{Redirect: r}
		}
		if onboarding {
			o := &provisioningv1.SztpOnboarding{ConfigurationHandling: handling}
			if osName != "" || osVersion != "" || len(uris) > 0 || imageSHA != "" {
				o.BootImage = &provisioningv1.SztpBootImage{OsName: osName, OsVersion: osVersion, DownloadUris: uris}
				if imageSHA != "" {
					h, err := hex.DecodeString(strings.ReplaceAll(imageSHA, ":", ""))
					if err != nil || len(h) != sha256.Size {
						return fmt.Errorf("--image-sha256: want 64 hex digits")
					}
					o.BootImage.Sha256 = h
				}
			}
			for _, f := range []struct {
				flag, file string
				dst        *[]byte
			}{{"config-file", configFile, &o.Configuration}, {"pre-script", preScript, &o.PreConfigurationScript}, {"post-script", postScript, &o.PostConfigurationScript}} {
				if f.file == "" {
					continue
				}
				b, err := os.ReadFile(f.file)
				if err != nil {
					return fmt.Errorf("--%s: %w", f.flag, err)
				}
				*f.dst = b
			}
			d.Assignment = &provisioningv1.SztpDevice_Onboarding{Onboarding: o}
		}
		if s.anyChanged("voucher-assertion", "voucher-validity") {
			d.Voucher = &provisioningv1.SztpVoucherSettings{Assertion: assertion}
			if validity > 0 {
				d.Voucher.Validity = durationpb.New(validity)
			}
		}
		return nil
	})
}

// splitHostPort accepts "host", "host:port", "[v6]:port" and a bare IPv6
// address.
func splitHostPort(s string) (string, uint32, error) {
	if ip := net.ParseIP(s); ip != nil {
		return s, 0, nil
	}
	if !strings.Contains(s, ":") {
		return s, 0, nil
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return "", 0, err
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil || p == 0 {
		return "", 0, fmt.Errorf("port %q is not 1 to 65535", port)
	}
	return host, uint32(p), nil
}

// readPEMCerts returns the DER certificates of a PEM file.
func readPEMCerts(flag, file string) ([][]byte, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("--%s: %w", flag, err)
	}
	var out [][]byte
	for {
		var block *pem.Block
		if block, b = pem.Decode(b); block == nil {
			break
		}
		if block.Type == "CERTIFICATE" {
			out = append(out, block.Bytes)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("--%s: %s holds no PEM certificate", flag, file)
	}
	return out, nil
}
