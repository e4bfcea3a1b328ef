package storage

import (
	"fmt"
	"strconv"
	"strings"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/aip"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-kit/names"
	"github.com/opi-suite/opi/opi-kit/resource"
)

// The resource kinds, as the API declares them (google.api.resource): the
// protos are the one place a name pattern is written.
var (
	mallocVolume         = names.MustForMessage(&pb.MallocVolume{})
	nullVolume           = names.MustForMessage(&pb.NullVolume{})
	aioVolume            = names.MustForMessage(&pb.AioVolume{})
	logicalVolumeStore   = names.MustForMessage(&pb.LogicalVolumeStore{})
	logicalVolume        = names.MustForMessage(&pb.LogicalVolume{})
	encryptedVolume      = names.MustForMessage(&pb.EncryptedVolume{})
	qosVolume            = names.MustForMessage(&pb.QosVolume{})
	nvmeRemoteController = names.MustForMessage(&pb.NvmeRemoteController{})
	nvmePath             = names.MustForMessage(&pb.NvmePath{})
	nvmeRemoteNamespace  = names.MustForMessage(&pb.NvmeRemoteNamespace{})
	nvmeSubsystem        = names.MustForMessage(&pb.NvmeSubsystem{})
	nvmeController       = names.MustForMessage(&pb.NvmeController{})
	nvmeNamespace        = names.MustForMessage(&pb.NvmeNamespace{})
	virtioBlk            = names.MustForMessage(&pb.VirtioBlk{})
	virtioScsiTarget     = names.MustForMessage(&pb.VirtioScsiTarget{})
	virtioScsiLun        = names.MustForMessage(&pb.VirtioScsiLun{})
)

// Collection kinds (store buckets) of the stored resources. References
// between resources (resource.Ref) name them.
var (
	KindMallocVolumes         = mallocVolume.Collection()
	KindNullVolumes           = nullVolume.Collection()
	KindAioVolumes            = aioVolume.Collection()
	KindLogicalVolumeStores   = logicalVolumeStore.Collection()
	KindLogicalVolumes        = logicalVolume.Collection()
	KindEncryptedVolumes      = encryptedVolume.Collection()
	KindQosVolumes            = qosVolume.Collection()
	KindNvmeRemoteControllers = nvmeRemoteController.Collection()
	KindNvmePaths             = nvmePath.Collection()
	KindNvmeSubsystems        = nvmeSubsystem.Collection()
	KindNvmeControllers       = nvmeController.Collection()
	KindNvmeNamespaces        = nvmeNamespace.Collection()
	KindVirtioBlks            = virtioBlk.Collection()
	KindVirtioScsiTargets     = virtioScsiTarget.Collection()
	KindVirtioScsiLuns        = virtioScsiLun.Collection()
	// KindNvmeRemoteNamespaces is not a stored collection: remote namespaces
	// are read from the backend. References to one point at its controller.
	KindNvmeRemoteNamespaces = nvmeRemoteNamespace.Collection()
)

// Resource name patterns of the stored kinds.
var (
	MallocVolumePattern         = aip.FromNames(mallocVolume.Pattern)
	NullVolumePattern           = aip.FromNames(nullVolume.Pattern)
	AioVolumePattern            = aip.FromNames(aioVolume.Pattern)
	LogicalVolumeStorePattern   = aip.FromNames(logicalVolumeStore.Pattern)
	LogicalVolumePattern        = aip.FromNames(logicalVolume.Pattern)
	EncryptedVolumePattern      = aip.FromNames(encryptedVolume.Pattern)
	QosVolumePattern            = aip.FromNames(qosVolume.Pattern)
	NvmeRemoteControllerPattern = aip.FromNames(nvmeRemoteController.Pattern)
	NvmePathPattern             = aip.FromNames(nvmePath.Pattern)
	NvmeSubsystemPattern        = aip.FromNames(nvmeSubsystem.Pattern)
	NvmeControllerPattern       = aip.FromNames(nvmeController.Pattern)
	NvmeNamespacePattern        = aip.FromNames(nvmeNamespace.Pattern)
	VirtioBlkPattern            = aip.FromNames(virtioBlk.Pattern)
	VirtioScsiTargetPattern     = aip.FromNames(virtioScsiTarget.Pattern)
	VirtioScsiLunPattern        = aip.FromNames(virtioScsiLun.Pattern)
)

// NvmeRemoteNamespacePattern is the name pattern of remote namespaces. It
// is parsed apart (ParseRemoteNamespace) because the last id is a decimal
// namespace id, which AIP-122 ids (starting with a letter) cannot be.
var NvmeRemoteNamespacePattern = nvmeRemoteNamespace.Pattern.String()

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

// Volume is a parsed volume name.
type Volume struct {
	// Kind is the collection kind of the volume itself: KindMallocVolumes,
	// KindNullVolumes, KindAioVolumes, KindLogicalVolumes,
	// KindEncryptedVolumes, KindQosVolumes or KindNvmeRemoteNamespaces.
	Kind string
	// IDs are the ids in the name, in pattern order (for a remote namespace:
	// the controller id and the decimal namespace id).
	IDs []string
	// Nsid is the namespace id of a remote namespace, else 0.
	Nsid uint32
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

// ParseVolume recognises which kind of volume a name is. A name of no
// volume kind is InvalidArgument listing the accepted patterns.
func ParseVolume(name string) (Volume, error) {
	first, _, _ := strings.Cut(name, "/")
	if k, ok := volumePatterns[first]; ok {
		ids, err := k.p.Parse(name)
		if err != nil {
			return Volume{}, badVolume(name, err)
		}
		return Volume{Kind: k.kind, IDs: ids}, nil
	}
	ctrl, nsid, ok, err := parseRemoteNamespace(name)
	switch {
	case !ok && first == KindNvmeRemoteControllers:
		return Volume{}, badVolume(name, errdefs.InvalidArgumentf("expected %q", NvmeRemoteNamespacePattern))
	case !ok:
		return Volume{}, badVolume(name, nil)
	case err != nil:
		return Volume{}, badVolume(name, err)
	}
	return Volume{Kind: KindNvmeRemoteNamespaces, IDs: []string{ctrl, strconv.FormatUint(uint64(nsid), 10)}, Nsid: nsid}, nil
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
		return "", 0, true, errdefs.InvalidArgumentf("namespace id %q must be a decimal number from 1 to 4294967294 without leading zeros", parts[3])
	}
	return parts[1], uint32(n), true, nil
}

// ParseRemoteNamespace splits a remote namespace name into its controller's
// resource name and the namespace id. Errors are InvalidArgument.
func ParseRemoteNamespace(name string) (controller string, nsid uint32, err error) {
	ctrl, nsid, ok, err := parseRemoteNamespace(name)
	if !ok {
		return "", 0, errdefs.InvalidArgumentf("resource name %q does not match pattern %q", name, NvmeRemoteNamespacePattern)
	}
	if err != nil {
		return "", 0, errdefs.InvalidArgumentf("resource name %q: %w", name, err)
	}
	return KindNvmeRemoteControllers + "/" + ctrl, nsid, nil
}

// RemoteNamespaceName is the resource name of namespace nsid of the remote
// controller named controller.
func RemoteNamespaceName(controller string, nsid uint32) string {
	return fmt.Sprintf("%s/%s/%d", controller, KindNvmeRemoteNamespaces, nsid)
}

func badVolume(name string, cause error) error {
	accepted := "accepted patterns: " + strings.Join(VolumePatterns, ", ")
	if cause != nil {
		return errdefs.InvalidArgumentf("volume %q is not a valid volume name (%v); %s", name, cause, accepted)
	}
	return errdefs.InvalidArgumentf("volume %q is not a volume name; %s", name, accepted)
}

// VolumeRef returns the reference a resource that uses volumeName must
// declare (resource.WithReferences), so the volume cannot be deleted under
// it: the volume itself, or for a remote namespace its controller.
func VolumeRef(volumeName string) (resource.Ref, error) {
	v, err := ParseVolume(volumeName)
	if err != nil {
		return resource.Ref{}, err
	}
	if v.Kind == KindNvmeRemoteNamespaces {
		return resource.Ref{Kind: KindNvmeRemoteControllers, Name: KindNvmeRemoteControllers + "/" + v.IDs[0]}, nil
	}
	return resource.Ref{Kind: v.Kind, Name: volumeName}, nil
}

// volumeRefs is the reference list of a resource stacked on one volume. A
// malformed name yields none: validation has refused it already.
func volumeRefs(volumeName string) []resource.Ref {
	ref, err := VolumeRef(volumeName)
	if err != nil {
		return nil
	}
	return []resource.Ref{ref}
}

// subsystemOf returns the subsystem part of a child's name
// ("nvmeSubsystems/s/nvmeNamespaces/n" -> "nvmeSubsystems/s").
func subsystemOf(child string) string {
	parts := strings.SplitN(child, "/", 3)
	if len(parts) < 2 {
		return child
	}
	return parts[0] + "/" + parts[1]
}
