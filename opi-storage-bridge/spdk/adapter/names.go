package adapter

import (
	"github.com/opi-suite/opi/opi-storage-bridge/storage"
)

// The SPDK naming scheme: every SPDK object the adapter makes carries a
// name derived from its API resource name, so the adapter recognises its
// own objects and never touches the ones SPDK or an operator made outside
// the bridge.
//
// Prefixes of the SPDK object names the adapter makes.
const (
	mallocPrefix = "malloc-"
	nullPrefix   = "null-"
	aioPrefix    = "aio-"
	cryptoPrefix = "crypto-"
	qosPrefix    = "qos-"
	lvsPrefix    = "lvs-"
	nvmePrefix   = "nvme-"
	// keyPrefix starts the name of every subsystem host key the adapter
	// registers in SPDK's keyring.
	keyPrefix = "opi-"
)

// BdevName maps a volume resource name to the name of its SPDK bdev:
// "mallocVolumes/x" to "malloc-x", "nullVolumes/x" to "null-x",
// "aioVolumes/x" to "aio-x", "encryptedVolumes/x" to "crypto-x",
// "qosVolumes/x" to "qos-x", "logicalVolumeStores/s/logicalVolumes/v" to
// "lvs-s/v" (the lvol's alias), and
// "nvmeRemoteControllers/c/nvmeRemoteNamespaces/1" to "nvme-cn1" (SPDK names
// the bdevs of an attached controller <controller>n<nsid>). Any other name
// is InvalidArgument listing the accepted patterns.
func BdevName(volumeName string) (string, error) {
	v, err := storage.ParseVolume(volumeName)
	if err != nil {
		return "", err
	}
	switch v.Kind {
	case storage.KindMallocVolumes:
		return mallocPrefix + v.IDs[0], nil
	case storage.KindNullVolumes:
		return nullPrefix + v.IDs[0], nil
	case storage.KindAioVolumes:
		return aioPrefix + v.IDs[0], nil
	case storage.KindEncryptedVolumes:
		return cryptoPrefix + v.IDs[0], nil
	case storage.KindQosVolumes:
		return qosPrefix + v.IDs[0], nil
	case storage.KindLogicalVolumes:
		return lvsPrefix + v.IDs[0] + "/" + v.IDs[1], nil
	default: // storage.KindNvmeRemoteNamespaces
		return nvmePrefix + v.IDs[0] + "n" + v.IDs[1], nil
	}
}

// LvsName is the SPDK name of the logical volume store
// "logicalVolumeStores/s": "lvs-s".
func LvsName(storeName string) (string, error) {
	ids, err := storage.LogicalVolumeStorePattern.Parse(storeName)
	if err != nil {
		return "", err
	}
	return lvsPrefix + ids[0], nil
}

// ControllerName is the SPDK bdev_nvme controller name of the remote
// controller "nvmeRemoteControllers/c": "nvme-c".
func ControllerName(controllerName string) (string, error) {
	ids, err := storage.NvmeRemoteControllerPattern.Parse(controllerName)
	if err != nil {
		return "", err
	}
	return nvmePrefix + ids[0], nil
}

// VirtioBlkCtrlr is the SPDK controller (or endpoint) name of a VirtioBlk:
// its id, which also names the vhost-user socket.
func VirtioBlkCtrlr(name string) string {
	id, err := storage.VirtioBlkPattern.ID(name)
	if err != nil {
		return name
	}
	return id
}
