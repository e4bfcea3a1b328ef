// Package backend is the storage bridge's SPDK adapter: one
// resource.Backend per resource kind, each built on spdk.Caller, and the
// naming scheme that ties API resource names to SPDK object names.
//
// Every SPDK object the bridge makes carries a name derived from its API
// resource name (see BdevName), so the bridge can recognise its own objects
// and never touches the ones SPDK or an operator made outside it.
package backend

import (
	"strconv"
	"strings"

	"github.com/opi-suite/opi/opi-kit/aip"
	"github.com/opi-suite/opi/opi-kit/resource"
)

// Collection kinds (store buckets) of the volume, logical volume, middle-end
// and NVMe-oF backend areas. Other collections name them in resource.Ref.
const (
	KindMallocVolumes         = "mallocVolumes"
	KindNullVolumes           = "nullVolumes"
	KindAioVolumes            = "aioVolumes"
	KindLogicalVolumeStores   = "logicalVolumeStores"
	KindLogicalVolumes        = "logicalVolumes"
	KindEncryptedVolumes      = "encryptedVolumes"
	KindQosVolumes            = "qosVolumes"
	KindNvmeRemoteControllers = "nvmeRemoteControllers"
	KindNvmePaths             = "nvmePaths"
	// KindNvmeRemoteNamespaces is not a stored collection: remote namespaces
	// are read from SPDK. References to one point at its controller.
	KindNvmeRemoteNamespaces = "nvmeRemoteNamespaces"
)

// Resource name patterns of this area's stored kinds.
var (
	MallocVolumePattern         = aip.MustCompile("mallocVolumes/{malloc_volume}")
	NullVolumePattern           = aip.MustCompile("nullVolumes/{null_volume}")
	AioVolumePattern            = aip.MustCompile("aioVolumes/{aio_volume}")
	LogicalVolumeStorePattern   = aip.MustCompile("logicalVolumeStores/{logical_volume_store}")
	LogicalVolumePattern        = aip.MustCompile("logicalVolumeStores/{logical_volume_store}/logicalVolumes/{logical_volume}")
	EncryptedVolumePattern      = aip.MustCompile("encryptedVolumes/{encrypted_volume}")
	QosVolumePattern            = aip.MustCompile("qosVolumes/{qos_volume}")
	NvmeRemoteControllerPattern = aip.MustCompile("nvmeRemoteControllers/{nvme_remote_controller}")
	NvmePathPattern             = aip.MustCompile("nvmeRemoteControllers/{nvme_remote_controller}/nvmePaths/{nvme_path}")
)

// NvmeRemoteNamespacePattern is the name pattern of remote namespaces. It is
// not an aip.Pattern because the last id is a decimal namespace id, which
// AIP-122 ids (starting with a letter) cannot be.
const NvmeRemoteNamespacePattern = "nvmeRemoteControllers/{nvme_remote_controller}/nvmeRemoteNamespaces/{nvme_remote_namespace}"

// VolumePatterns lists every pattern a `volume` field may hold, in the order
// of the API documentation.
var VolumePatterns = []string{
	MallocVolumePattern.String(),
	NullVolumePattern.String(),
	AioVolumePattern.String(),
	LogicalVolumePattern.String(),
	EncryptedVolumePattern.String(),
	QosVolumePattern.String(),
	NvmeRemoteNamespacePattern,
}

// Prefixes of the SPDK object names the bridge makes.
const (
	mallocPrefix = "malloc-"
	nullPrefix   = "null-"
	aioPrefix    = "aio-"
	cryptoPrefix = "crypto-"
	qosPrefix    = "qos-"
	lvsPrefix    = "lvs-"
	nvmePrefix   = "nvme-"
)

// volume is a parsed volume reference.
type volume struct {
	kind string   // collection kind of the volume itself
	ids  []string // the ids, in pattern order
	nsid uint32   // remote namespaces only
}

// volumePatterns maps the first segment of a volume name to its kind and
// pattern; remote namespaces are parsed apart (see parseRemoteNamespace).
var volumePatterns = map[string]struct {
	kind string
	p    *aip.Pattern
}{
	KindMallocVolumes:       {KindMallocVolumes, MallocVolumePattern},
	KindNullVolumes:         {KindNullVolumes, NullVolumePattern},
	KindAioVolumes:          {KindAioVolumes, AioVolumePattern},
	KindLogicalVolumeStores: {KindLogicalVolumes, LogicalVolumePattern},
	KindEncryptedVolumes:    {KindEncryptedVolumes, EncryptedVolumePattern},
	KindQosVolumes:          {KindQosVolumes, QosVolumePattern},
}

// parseVolume recognises which kind of volume a name is.
func parseVolume(name string) (volume, error) {
	first, _, _ := strings.Cut(name, "/")
	if k, ok := volumePatterns[first]; ok {
		ids, err := k.p.Parse(name)
		if err != nil {
			return volume{}, badVolume(name, err)
		}
		return volume{kind: k.kind, ids: ids}, nil
	}
	ctrl, nsid, ok, err := parseRemoteNamespace(name)
	switch {
	case !ok && first == KindNvmeRemoteControllers:
		return volume{}, badVolume(name, aip.InvalidArgumentf("expected %q", NvmeRemoteNamespacePattern))
	case !ok:
		return volume{}, badVolume(name, nil)
	case err != nil:
		return volume{}, badVolume(name, err)
	}
	return volume{kind: KindNvmeRemoteNamespaces, ids: []string{ctrl, strconv.FormatUint(uint64(nsid), 10)}, nsid: nsid}, nil
}

// parseRemoteNamespace parses
// nvmeRemoteControllers/{c}/nvmeRemoteNamespaces/{nsid}; ok says whether the
// name has that shape at all.
func parseRemoteNamespace(name string) (ctrl string, nsid uint32, ok bool, err error) {
	parts := strings.Split(name, "/")
	if len(parts) != 4 || parts[0] != KindNvmeRemoteControllers || parts[2] != KindNvmeRemoteNamespaces {
		return "", 0, false, nil
	}
	if err := aip.ValidateID(parts[1]); err != nil {
		return "", 0, true, err
	}
	n, perr := strconv.ParseUint(parts[3], 10, 32)
	if perr != nil || n == 0 || n == 0xFFFFFFFF || strconv.FormatUint(n, 10) != parts[3] {
		return "", 0, true, aip.InvalidArgumentf("namespace id %q must be a decimal number from 1 to 4294967294 without leading zeros", parts[3])
	}
	return parts[1], uint32(n), true, nil
}

// ParseRemoteNamespace splits a remote namespace name into its controller's
// resource name and the namespace id. Errors are InvalidArgument.
func ParseRemoteNamespace(name string) (controller string, nsid uint32, err error) {
	ctrl, nsid, ok, err := parseRemoteNamespace(name)
	if !ok {
		return "", 0, aip.InvalidArgumentf("resource name %q does not match pattern %q", name, NvmeRemoteNamespacePattern)
	}
	if err != nil {
		return "", 0, aip.InvalidArgumentf("resource name %q: %w", name, err)
	}
	return KindNvmeRemoteControllers + "/" + ctrl, nsid, nil
}

func badVolume(name string, cause error) error {
	accepted := "accepted patterns: " + strings.Join(VolumePatterns, ", ")
	if cause != nil {
		return aip.InvalidArgumentf("volume %q is not a valid volume name (%v); %s", name, cause, accepted)
	}
	return aip.InvalidArgumentf("volume %q is not a volume name; %s", name, accepted)
}

// BdevName maps a volume resource name to the name of its SPDK bdev:
// "mallocVolumes/x" to "malloc-x", "nullVolumes/x" to "null-x",
// "aioVolumes/x" to "aio-x", "encryptedVolumes/x" to "crypto-x",
// "qosVolumes/x" to "qos-x", "logicalVolumeStores/s/logicalVolumes/v" to
// "lvs-s/v" (the lvol's alias), and
// "nvmeRemoteControllers/c/nvmeRemoteNamespaces/1" to "nvme-cn1" (SPDK names
// the bdevs of an attached controller <controller>n<nsid>). Any other name
// is InvalidArgument listing the accepted patterns.
func BdevName(volumeName string) (string, error) {
	v, err := parseVolume(volumeName)
	if err != nil {
		return "", err
	}
	switch v.kind {
	case KindMallocVolumes:
		return mallocPrefix + v.ids[0], nil
	case KindNullVolumes:
		return nullPrefix + v.ids[0], nil
	case KindAioVolumes:
		return aioPrefix + v.ids[0], nil
	case KindEncryptedVolumes:
		return cryptoPrefix + v.ids[0], nil
	case KindQosVolumes:
		return qosPrefix + v.ids[0], nil
	case KindLogicalVolumes:
		return lvsPrefix + v.ids[0] + "/" + v.ids[1], nil
	default: // KindNvmeRemoteNamespaces
		return nvmePrefix + v.ids[0] + "n" + v.ids[1], nil
	}
}

// VolumeKind returns the collection kind of a volume name: "mallocVolumes",
// "nullVolumes", "aioVolumes", "logicalVolumes", "encryptedVolumes",
// "qosVolumes" or "nvmeRemoteNamespaces". Remote namespaces are not stored,
// so a dependency on one must point at its controller: use VolumeRef to
// build references.
func VolumeKind(volumeName string) (string, error) {
	v, err := parseVolume(volumeName)
	if err != nil {
		return "", err
	}
	return v.kind, nil
}

// VolumeRef returns the reference a resource that uses volumeName must
// declare (resource.WithReferences), so the volume cannot be deleted under
// it: the volume itself, or for a remote namespace its controller.
func VolumeRef(volumeName string) (resource.Ref, error) {
	v, err := parseVolume(volumeName)
	if err != nil {
		return resource.Ref{}, err
	}
	if v.kind == KindNvmeRemoteNamespaces {
		return resource.Ref{Kind: KindNvmeRemoteControllers, Name: KindNvmeRemoteControllers + "/" + v.ids[0]}, nil
	}
	return resource.Ref{Kind: v.kind, Name: volumeName}, nil
}

// LvsName is the SPDK name of the logical volume store
// "logicalVolumeStores/s": "lvs-s".
func LvsName(storeName string) (string, error) {
	ids, err := LogicalVolumeStorePattern.Parse(storeName)
	if err != nil {
		return "", err
	}
	return lvsPrefix + ids[0], nil
}

// ControllerName is the SPDK bdev_nvme controller name of the remote
// controller "nvmeRemoteControllers/c": "nvme-c".
func ControllerName(controllerName string) (string, error) {
	ids, err := NvmeRemoteControllerPattern.Parse(controllerName)
	if err != nil {
		return "", err
	}
	return nvmePrefix + ids[0], nil
}
