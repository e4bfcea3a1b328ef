package storage

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"net"
	"regexp"
	"strings"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/errdefs"
)

// DefaultNvmfPort is the IANA port of NVMe over Fabrics, meant when an
// address's trsvcid is 0.
const DefaultNvmfPort = 4420

// Limits the frontend enforces before anything reaches the backend.
const (
	maxNQNLength      = 223
	maxSerialLength   = 20
	maxModelLength    = 40
	maxNamespaces     = 1024 // SPDK allocates per-namespace arrays of this size
	defaultNamespaces = 32
	maxNSID           = 4294967294
	maxHosts          = 256
	maxVirtioQueues   = 64
	// SPDK's vhost coalescing: the IOPS rate is checked per 10 ms, so under
	// 100 it rounds to 0 and is refused; the delay limit is ours, far above
	// any useful value (SPDK's advice is well under 150 us).
	minCoalescingIops    = 100
	maxCoalescingDelayUs = 1000000
	maxCpumaskLength     = 64
	discoveryNQN         = "nqn.2014-08.org.nvmexpress.discovery"
	uuidNQNPrefix        = "nqn.2014-08.org.nvmexpress:uuid:"
)

// DefaultModelNumber is the model number a subsystem created without one
// gets: SPDK's own default.
const DefaultModelNumber = "SPDK bdev Controller"

var (
	nqnRE    = regexp.MustCompile(`^nqn\.[0-9]{4}-[0-9]{2}\.[a-zA-Z0-9.-]+(:.+)?$`)
	nguidRE  = regexp.MustCompile(`^[0-9a-fA-F]{32}$`)
	eui64RE  = regexp.MustCompile(`^[0-9a-fA-F]{16}$`)
	cpumask  = regexp.MustCompile(`^(0x)?[0-9a-fA-F]+$`)
	pskRE    = regexp.MustCompile(`^NVMeTLSkey-1:(01|02):([A-Za-z0-9+/=]+):$`)
	pskBytes = map[string]int{"01": 32 + 4, "02": 48 + 4} // key and CRC-32
)

// FabricsPort is the port of an NVMe-oF address: its trsvcid, or
// DefaultNvmfPort when that is 0.
func FabricsPort(a *pb.NvmeFabricsAddress) uint32 {
	if a.GetTrsvcid() == 0 {
		return DefaultNvmfPort
	}
	return a.GetTrsvcid()
}

// validateNQN checks an NVMe Qualified Name; field names it in the message.
func validateNQN(field, nqn string) error {
	switch {
	case nqn == "":
		return errdefs.InvalidArgumentf("%s is required, such as \"nqn.2022-09.io.opiproject:subsystem1\"", field)
	case len(nqn) > maxNQNLength:
		return errdefs.InvalidArgumentf("%s is %d bytes long; an NQN has at most %d", field, len(nqn), maxNQNLength)
	case !nqnRE.MatchString(nqn) || strings.ContainsAny(nqn, " \t\n"):
		return errdefs.InvalidArgumentf("%s %q is not an NQN: use \"nqn.\", a year and month, a reversed domain name, \":\" and a unique string, such as \"nqn.2022-09.io.opiproject:subsystem1\"", field, nqn)
	case strings.HasPrefix(nqn, uuidNQNPrefix) && !uuidRE.MatchString(strings.TrimPrefix(nqn, uuidNQNPrefix)):
		return errdefs.InvalidArgumentf("%s %q: after %q a UUID must follow", field, nqn, uuidNQNPrefix)
	}
	return nil
}

func validatePrintable(field, s string, max int) error {
	if len(s) > max {
		return errdefs.InvalidArgumentf("%s is %d characters long; at most %d are allowed", field, len(s), max)
	}
	for _, r := range s {
		if r < 0x20 || r > 0x7e {
			return errdefs.InvalidArgumentf("%s must be printable ASCII; it contains %q", field, r)
		}
	}
	return nil
}

// validateHosts checks the host list of a subsystem.
func validateHosts(hosts []*pb.NvmeSubsystemHost) error {
	if len(hosts) > maxHosts {
		return errdefs.InvalidArgumentf("hosts has %d entries; at most %d are allowed", len(hosts), maxHosts)
	}
	seen := map[string]bool{}
	for i, h := range hosts {
		field := fmt.Sprintf("hosts[%d].host_nqn", i)
		if err := validateNQN(field, h.GetHostNqn()); err != nil {
			return err
		}
		if seen[h.GetHostNqn()] {
			return errdefs.InvalidArgumentf("%s: host %s is listed twice", field, h.GetHostNqn())
		}
		seen[h.GetHostNqn()] = true
		if h.GetPsk() != "" {
			if err := validatePSK(h.GetPsk()); err != nil {
				return errdefs.InvalidArgumentf("hosts[%d].psk: %w", i, err)
			}
		}
	}
	return nil
}

// validatePSK checks the NVMe TLS PSK interchange format; the message never
// quotes the key.
func validatePSK(psk string) error {
	m := pskRE.FindStringSubmatch(psk)
	if m == nil {
		return errors.New(`not in the NVMe TLS PSK interchange format "NVMeTLSkey-1:01:<base64>:" (as nvme gen-tls-key prints it)`)
	}
	raw, err := base64.StdEncoding.DecodeString(m[2])
	if err != nil || len(raw) != pskBytes[m[1]] {
		return fmt.Errorf("the base64 part must hold a %d-byte key and its CRC-32 for hash %s", pskBytes[m[1]]-4, m[1])
	}
	// The interchange format carries the key's CRC-32 (little-endian) so
	// that a mistyped key is caught here rather than as a TLS handshake
	// that fails on every connection.
	key, sum := raw[:len(raw)-4], binary.LittleEndian.Uint32(raw[len(raw)-4:])
	if crc32.ChecksumIEEE(key) != sum {
		return errors.New("the key's CRC-32 does not match: the PSK was mistyped or truncated; copy it again as nvme gen-tls-key printed it")
	}
	return nil
}

// defaultSerial is the serial number of a subsystem created without one:
// derived from its name, so a retried create asks for the same.
func defaultSerial(name string) string {
	sum := sha256.Sum256([]byte(name))
	return "OPI" + strings.ToUpper(hex.EncodeToString(sum[:])[:17])
}

// validateFabrics checks a listen or remote address.
func validateFabrics(f *pb.NvmeFabricsAddress) error {
	switch f.GetTrtype() {
	case pb.NvmeTransportType_NVME_TRANSPORT_TYPE_TCP, pb.NvmeTransportType_NVME_TRANSPORT_TYPE_RDMA:
	case pb.NvmeTransportType_NVME_TRANSPORT_TYPE_UNSPECIFIED:
		return errdefs.InvalidArgumentf("fabrics.trtype is required: NVME_TRANSPORT_TYPE_TCP or NVME_TRANSPORT_TYPE_RDMA")
	default:
		return errdefs.InvalidArgumentf("fabrics.trtype %d is not a known transport: use NVME_TRANSPORT_TYPE_TCP or NVME_TRANSPORT_TYPE_RDMA", f.GetTrtype())
	}
	ip := net.ParseIP(f.GetTraddr())
	if ip == nil || strings.Contains(f.GetTraddr(), "%") {
		return errdefs.InvalidArgumentf("fabrics.traddr %q is not an IP address (host names are not accepted), such as \"192.168.0.10\" or \"fd00::10\"", f.GetTraddr())
	}
	switch f.GetAdrfam() {
	case pb.NvmeAddressFamily_NVME_ADDRESS_FAMILY_UNSPECIFIED:
	case pb.NvmeAddressFamily_NVME_ADDRESS_FAMILY_IPV4:
		if ip.To4() == nil {
			return errdefs.InvalidArgumentf("fabrics.traddr %q is not an IPv4 address but adrfam is IPV4", f.GetTraddr())
		}
	case pb.NvmeAddressFamily_NVME_ADDRESS_FAMILY_IPV6:
		if ip.To4() != nil {
			return errdefs.InvalidArgumentf("fabrics.traddr %q is not an IPv6 address but adrfam is IPV6", f.GetTraddr())
		}
	default:
		return errdefs.InvalidArgumentf("fabrics.adrfam %d is not a known address family: use IPV4 or IPV6, or leave it unset", f.GetAdrfam())
	}
	if f.GetTrsvcid() > 65535 {
		return errdefs.InvalidArgumentf("fabrics.trsvcid %d is not a port: use 1 to 65535, or 0 for 4420", f.GetTrsvcid())
	}
	return nil
}

// sameListenAddress reports whether two controllers' fabrics addresses are
// one listener: same transport, IP address and port.
func sameListenAddress(a, b *pb.NvmeFabricsAddress) bool {
	ipa, ipb := net.ParseIP(a.GetTraddr()), net.ParseIP(b.GetTraddr())
	sameIP := a.GetTraddr() == b.GetTraddr() || (ipa != nil && ipa.Equal(ipb))
	return a.GetTrtype() == b.GetTrtype() && sameIP && FabricsPort(a) == FabricsPort(b)
}
