package adapter

import (
	"errors"
	"strings"
	"testing"

	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-kit/resource"
	"github.com/opi-suite/opi/opi-storage-bridge/storage"
)

func TestBdevName(t *testing.T) {
	tests := []struct {
		name, volume, bdev, kind string
		ref                      resource.Ref
	}{
		{"a malloc volume maps to malloc-<id>", "mallocVolumes/m1", "malloc-m1", storage.KindMallocVolumes, resource.Ref{Kind: storage.KindMallocVolumes, Name: "mallocVolumes/m1"}},
		{"a null volume maps to null-<id>", "nullVolumes/n1", "null-n1", storage.KindNullVolumes, resource.Ref{Kind: storage.KindNullVolumes, Name: "nullVolumes/n1"}},
		{"an aio volume maps to aio-<id>", "aioVolumes/a1", "aio-a1", storage.KindAioVolumes, resource.Ref{Kind: storage.KindAioVolumes, Name: "aioVolumes/a1"}},
		{"an encrypted volume maps to crypto-<id>", "encryptedVolumes/e1", "crypto-e1", storage.KindEncryptedVolumes, resource.Ref{Kind: storage.KindEncryptedVolumes, Name: "encryptedVolumes/e1"}},
		{"a qos volume maps to qos-<id>", "qosVolumes/q1", "qos-q1", storage.KindQosVolumes, resource.Ref{Kind: storage.KindQosVolumes, Name: "qosVolumes/q1"}},
		{"a logical volume maps to its lvol alias", "logicalVolumeStores/s1/logicalVolumes/v1", "lvs-s1/v1", storage.KindLogicalVolumes, resource.Ref{Kind: storage.KindLogicalVolumes, Name: "logicalVolumeStores/s1/logicalVolumes/v1"}},
		{"a remote namespace maps to the controller's bdev and is referenced through its controller", "nvmeRemoteControllers/c1/nvmeRemoteNamespaces/12", "nvme-c1n12", storage.KindNvmeRemoteNamespaces, resource.Ref{Kind: storage.KindNvmeRemoteControllers, Name: "nvmeRemoteControllers/c1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bdev, err := BdevName(tt.volume)
			if err != nil || bdev != tt.bdev {
				t.Fatalf("BdevName(%q) = %q, %v; want %q", tt.volume, bdev, err, tt.bdev)
			}
			v, err := storage.ParseVolume(tt.volume)
			if err != nil || v.Kind != tt.kind {
				t.Fatalf("ParseVolume(%q) = %+v, %v; want kind %q", tt.volume, v, err, tt.kind)
			}
			ref, err := storage.VolumeRef(tt.volume)
			if err != nil || ref != tt.ref {
				t.Fatalf("VolumeRef(%q) = %+v, %v; want %+v", tt.volume, ref, err, tt.ref)
			}
		})
	}
}

func TestBdevNameRejects(t *testing.T) {
	tests := []struct{ name, volume string }{
		{"an empty name is refused", ""},
		{"an unknown collection is refused", "disks/d1"},
		{"a subsystem is not a volume", "nvmeSubsystems/s1"},
		{"a logical volume store itself is not a volume", "logicalVolumeStores/s1"},
		{"an upper-case id is refused", "mallocVolumes/M1"},
		{"a trailing segment is refused", "mallocVolumes/m1/x"},
		{"a remote controller is not a volume", "nvmeRemoteControllers/c1"},
		{"a namespace id of zero is refused", "nvmeRemoteControllers/c1/nvmeRemoteNamespaces/0"},
		{"a namespace id with a leading zero is refused", "nvmeRemoteControllers/c1/nvmeRemoteNamespaces/01"},
		{"a namespace id that is not a number is refused", "nvmeRemoteControllers/c1/nvmeRemoteNamespaces/ns1"},
		{"a namespace id past 32 bits is refused", "nvmeRemoteControllers/c1/nvmeRemoteNamespaces/4294967296"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := BdevName(tt.volume)
			if !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Fatalf("BdevName(%q) error = %v; want InvalidArgument", tt.volume, err)
			}
			if !strings.Contains(err.Error(), "mallocVolumes/{malloc_volume}") {
				t.Errorf("error %q does not list the accepted patterns", err)
			}
		})
	}
}
