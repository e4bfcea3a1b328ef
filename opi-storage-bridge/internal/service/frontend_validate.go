package service

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"
	"sync"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/aip"
	"github.com/opi-suite/opi/opi-storage-bridge/internal/backend"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Limits the frontend enforces before anything reaches SPDK.
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
	defaultModel         = "SPDK bdev Controller"
	discoveryNQN         = "nqn.2014-08.org.nvmexpress.discovery"
	uuidNQNPrefix        = "nqn.2014-08.org.nvmexpress:uuid:"
)

var (
	nqnRE    = regexp.MustCompile(`^nqn\.[0-9]{4}-[0-9]{2}\.[a-zA-Z0-9.-]+(:.+)?$`)
	uuidRE   = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	nguidRE  = regexp.MustCompile(`^[0-9a-fA-F]{32}$`)
	eui64RE  = regexp.MustCompile(`^[0-9a-fA-F]{16}$`)
	cpumask  = regexp.MustCompile(`^(0x)?[0-9a-fA-F]+$`)
	pskRE    = regexp.MustCompile(`^NVMeTLSkey-1:(01|02):([A-Za-z0-9+/=]+):$`)
	pskBytes = map[string]int{"01": 32 + 4, "02": 48 + 4} // key and CRC-32
)

// validateNQN checks an NVMe Qualified Name; field names it in the message.
func validateNQN(field, nqn string) error {
	switch {
	case nqn == "":
		return aip.InvalidArgumentf("%s is required, such as \"nqn.2022-09.io.opiproject:subsystem1\"", field)
	case len(nqn) > maxNQNLength:
		return aip.InvalidArgumentf("%s is %d bytes long; an NQN has at most %d", field, len(nqn), maxNQNLength)
	case !nqnRE.MatchString(nqn) || strings.ContainsAny(nqn, " \t\n"):
		return aip.InvalidArgumentf("%s %q is not an NQN: use \"nqn.\", a year and month, a reversed domain name, \":\" and a unique string, such as \"nqn.2022-09.io.opiproject:subsystem1\"", field, nqn)
	case strings.HasPrefix(nqn, uuidNQNPrefix) && !uuidRE.MatchString(strings.TrimPrefix(nqn, uuidNQNPrefix)):
		return aip.InvalidArgumentf("%s %q: after %q a UUID must follow", field, nqn, uuidNQNPrefix)
	}
	return nil
}

func validatePrintable(field, s string, max int) error {
	if len(s) > max {
		return aip.InvalidArgumentf("%s is %d characters long; at most %d are allowed", field, len(s), max)
	}
	for _, r := range s {
		if r < 0x20 || r > 0x7e {
			return aip.InvalidArgumentf("%s must be printable ASCII; it contains %q", field, r)
		}
	}
	return nil
}

// validateHosts checks the host list of a subsystem.
func validateHosts(hosts []*pb.NvmeSubsystemHost) error {
	if len(hosts) > maxHosts {
		return aip.InvalidArgumentf("hosts has %d entries; at most %d are allowed", len(hosts), maxHosts)
	}
	seen := map[string]bool{}
	for i, h := range hosts {
		field := fmt.Sprintf("hosts[%d].host_nqn", i)
		if err := validateNQN(field, h.GetHostNqn()); err != nil {
			return err
		}
		if seen[h.GetHostNqn()] {
			return aip.InvalidArgumentf("%s: host %s is listed twice", field, h.GetHostNqn())
		}
		seen[h.GetHostNqn()] = true
		if h.GetPsk() != "" {
			if err := validatePSK(h.GetPsk()); err != nil {
				return aip.InvalidArgumentf("hosts[%d].psk: %w", i, err)
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
	return nil
}

// defaultSerial is the serial number of a subsystem created without one:
// derived from its name, so a retried create asks for the same.
func defaultSerial(name string) string {
	sum := sha256.Sum256([]byte(name))
	return "OPI" + strings.ToUpper(hex.EncodeToString(sum[:])[:17])
}

// validateVolume checks a volume reference and returns its bdev name.
func validateVolume(volume string) error {
	if volume == "" {
		return aip.InvalidArgumentf("volume is required: the full resource name of a volume, such as \"mallocVolumes/vol1\"")
	}
	_, err := backend.BdevName(volume)
	return err
}

// validateFabrics checks a listen address.
func validateFabrics(f *pb.NvmeFabricsAddress) error {
	switch f.GetTrtype() {
	case pb.NvmeTransportType_NVME_TRANSPORT_TYPE_TCP, pb.NvmeTransportType_NVME_TRANSPORT_TYPE_RDMA:
	case pb.NvmeTransportType_NVME_TRANSPORT_TYPE_UNSPECIFIED:
		return aip.InvalidArgumentf("fabrics.trtype is required: NVME_TRANSPORT_TYPE_TCP or NVME_TRANSPORT_TYPE_RDMA")
	default:
		return aip.InvalidArgumentf("fabrics.trtype %d is not a known transport: use NVME_TRANSPORT_TYPE_TCP or NVME_TRANSPORT_TYPE_RDMA", f.GetTrtype())
	}
	ip := net.ParseIP(f.GetTraddr())
	if ip == nil || strings.Contains(f.GetTraddr(), "%") {
		return aip.InvalidArgumentf("fabrics.traddr %q is not an IP address (host names are not accepted), such as \"192.168.0.10\" or \"fd00::10\"", f.GetTraddr())
	}
	switch f.GetAdrfam() {
	case pb.NvmeAddressFamily_NVME_ADDRESS_FAMILY_UNSPECIFIED:
	case pb.NvmeAddressFamily_NVME_ADDRESS_FAMILY_IPV4:
		if ip.To4() == nil {
			return aip.InvalidArgumentf("fabrics.traddr %q is not an IPv4 address but adrfam is IPV4", f.GetTraddr())
		}
	case pb.NvmeAddressFamily_NVME_ADDRESS_FAMILY_IPV6:
		if ip.To4() != nil {
			return aip.InvalidArgumentf("fabrics.traddr %q is not an IPv6 address but adrfam is IPV6", f.GetTraddr())
		}
	default:
		return aip.InvalidArgumentf("fabrics.adrfam %d is not a known address family: use IPV4 or IPV6, or leave it unset", f.GetAdrfam())
	}
	if f.GetTrsvcid() > 65535 {
		return aip.InvalidArgumentf("fabrics.trsvcid %d is not a port: use 1 to 65535, or 0 for 4420", f.GetTrsvcid())
	}
	return nil
}

// PcieEndpoints makes sure one PCIe endpoint serves one device at a time,
// across NVMe controllers and virtio-blk devices. Share one between the two
// frontend services.
type PcieEndpoints struct {
	mu sync.Mutex
	f  *backend.FrontendCollections
}

// NewPcieEndpoints returns the guard over f's controllers and devices.
func NewPcieEndpoints(f *backend.FrontendCollections) *PcieEndpoints {
	return &PcieEndpoints{f: f}
}

func samePcie(a, b *pb.PcieEndpoint) bool {
	return a != nil && b != nil && a.GetPortId() == b.GetPortId() &&
		a.GetPhysicalFunction() == b.GetPhysicalFunction() && a.GetVirtualFunction() == b.GetVirtualFunction()
}

// claim runs create while no other resource can take ep; a resource other
// than name already on ep is AlreadyExists.
func (p *PcieEndpoints) claim(ctx context.Context, name string, ep *pb.PcieEndpoint, create func() error) error {
	if ep == nil {
		return create()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	errUsed := errors.New("used")
	var user string
	err := p.f.Controllers.Walk(ctx, func(c *pb.NvmeController) error {
		if c.GetName() != name && samePcie(c.GetPcie(), ep) {
			user = c.GetName()
			return errUsed
		}
		return nil
	})
	if err == nil {
		err = p.f.VirtioBlks.Walk(ctx, func(v *pb.VirtioBlk) error {
			if v.GetName() != name && samePcie(v.GetPcie(), ep) {
				user = v.GetName()
				return errUsed
			}
			return nil
		})
	}
	switch {
	case errors.Is(err, errUsed):
		return aip.AlreadyExistsf("PCIe endpoint port %d, physical function %d, virtual function %d is already used by %s",
			ep.GetPortId(), ep.GetPhysicalFunction(), ep.GetVirtualFunction(), user)
	case err != nil:
		return err
	}
	return create()
}

// unimplemented is the answer for features this SPDK cannot provide.
func unimplemented(format string, args ...any) error {
	return status.Errorf(codes.Unimplemented, format, args...)
}
