package adapter

import (
	"context"
	"strings"
	"sync"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
	"github.com/opi-suite/opi/opi-storage-bridge/storage"
)

// A replay pass asks each kind, once, what SPDK holds already
// (storage.Presence): one listing per kind instead of a create and a get
// per resource, each waiting on SPDK's RPC poller. A resource counts as
// held only when SPDK's object has the attributes its create would give
// it; anything else is created again, which converges or reports the
// conflict.

// bdevListing is one element of bdev_get_bdevs as the presence checks read
// it: the common fields and the AIO module's file.
type bdevListing struct {
	spdk.BdevInfo
	DriverSpecific struct {
		Aio *struct {
			Filename string `json:"filename"`
		} `json:"aio"`
	} `json:"driver_specific"`
}

// listBdevsByName returns every bdev SPDK has, by name: one call.
func listBdevsByName(ctx context.Context, c spdk.Caller) (map[string]*bdevListing, error) {
	var out []bdevListing
	if err := c.Call(ctx, "bdev_get_bdevs", nil, &out); err != nil {
		return nil, spdk.Classify(err)
	}
	m := make(map[string]*bdevListing, len(out))
	for i := range out {
		m[out[i].Name] = &out[i]
	}
	return m, nil
}

// sameLocalBdev reports whether SPDK's bdev is what a malloc or null
// create with these attributes makes.
func sameLocalBdev(b *bdevListing, product string, blockSize uint32, numBlocks uint64, uuid string) bool {
	return b != nil && b.ProductName == product && b.BlockSize == blockSize && b.NumBlocks == numBlocks &&
		(uuid == "" || strings.EqualFold(b.UUID, uuid))
}

// Present lists SPDK's bdevs once and reports, from that listing, whether
// a malloc volume is there with its block size, block count and uuid
// (storage.Presence).
func (b MallocVolumes) Present(ctx context.Context) (func(*pb.MallocVolume) bool, error) {
	bdevs, err := listBdevsByName(ctx, b.C)
	if err != nil {
		return nil, err
	}
	return func(v *pb.MallocVolume) bool {
		name, err := BdevName(v.GetName())
		return err == nil && sameLocalBdev(bdevs[name], "Malloc disk", blockSizeOr512(v.GetBlockSize()), v.GetBlockCount(), v.GetUuid())
	}, nil
}

// Present is MallocVolumes.Present for null volumes.
func (b NullVolumes) Present(ctx context.Context) (func(*pb.NullVolume) bool, error) {
	bdevs, err := listBdevsByName(ctx, b.C)
	if err != nil {
		return nil, err
	}
	return func(v *pb.NullVolume) bool {
		name, err := BdevName(v.GetName())
		return err == nil && sameLocalBdev(bdevs[name], "Null disk", blockSizeOr512(v.GetBlockSize()), v.GetBlockCount(), v.GetUuid())
	}, nil
}

// Present lists SPDK's bdevs once and reports whether an AIO volume is
// there on its file, with its uuid, block size (when one was asked for)
// and the block count recorded when it was made.
func (b AioVolumes) Present(ctx context.Context) (func(*pb.AioVolume) bool, error) {
	bdevs, err := listBdevsByName(ctx, b.C)
	if err != nil {
		return nil, err
	}
	return func(v *pb.AioVolume) bool {
		name, err := BdevName(v.GetName())
		if err != nil {
			return false
		}
		bd := bdevs[name]
		return bd != nil && bd.ProductName == "AIO disk" && bd.DriverSpecific.Aio != nil &&
			bd.DriverSpecific.Aio.Filename == v.GetFilename() &&
			(v.GetUuid() == "" || strings.EqualFold(bd.UUID, v.GetUuid())) &&
			(v.GetBlockSize() == 0 || bd.BlockSize == v.GetBlockSize()) &&
			bd.NumBlocks == v.GetBlockCount()
	}, nil
}

// Present lists SPDK's subsystems once and reports whether a subsystem is
// there as its create would leave it: the same serial number (when one was
// asked for), allow_any_host, and exactly its hosts. SPDK does not report
// which key a host uses, so for a host with a PSK the key the bridge
// derives from it must be in SPDK's keyring (listed once, the first time
// such a host is met).
func (b *NvmeSubsystems) Present(ctx context.Context) (func(*pb.NvmeSubsystem) bool, error) {
	subs, err := listSubsystems(ctx, b.spdk)
	if err != nil {
		return nil, err
	}
	keys := lazyKeyring{c: b.spdk}
	return func(m *pb.NvmeSubsystem) bool {
		cur, ok := subs[m.GetNqn()]
		if !ok || cur.AllowAnyHost != m.GetAllowAnyHost() || len(cur.Hosts) != len(m.GetHosts()) ||
			(m.GetSerialNumber() != "" && cur.SerialNumber != m.GetSerialNumber()) {
			return false
		}
		have := make(map[string]string, len(cur.Hosts))
		for _, h := range cur.Hosts {
			have[h.NQN] = h.PSK
		}
		id, _ := storage.NvmeSubsystemPattern.ID(m.GetName())
		for _, h := range m.GetHosts() {
			psk, ok := have[h.GetHostNqn()]
			if !ok {
				return false
			}
			if h.GetPsk() == "" {
				if psk != "" {
					return false
				}
				continue
			}
			key := KeyName(id, h.GetHostNqn(), h.GetPsk())
			if (psk != "" && psk != key) || !keys.has(ctx, key) {
				return false
			}
		}
		return true
	}, nil
}

// lazyKeyring lists SPDK's keyring on first use.
type lazyKeyring struct {
	c    spdk.Caller
	once sync.Once
	keys map[string]bool
}

func (k *lazyKeyring) has(ctx context.Context, name string) bool {
	k.once.Do(func() {
		var out []struct {
			Name string `json:"name"`
		}
		if err := k.c.Call(ctx, "keyring_get_keys", nil, &out); err != nil {
			return // nothing counts as present: the creates converge
		}
		k.keys = make(map[string]bool, len(out))
		for _, key := range out {
			k.keys[key.Name] = true
		}
	})
	return k.keys[name]
}
