package bridge

import (
	"context"

	"github.com/opi-suite/opi/opi-storage-bridge/internal/backend"
)

// Reconcile is one pass: for each kind in dependency order it finishes the
// operations a crash interrupted (Recover) and makes SPDK hold every stored
// resource again, recording each resource's status:
//
//  1. malloc, null and AIO volumes; remote NVMe controllers and their paths;
//  2. logical volume stores, then logical volumes;
//  3. encrypted, then QoS volumes;
//  4. NVMe subsystems (transports, hosts, keys), namespaces, controllers;
//  5. virtio-blk devices.
//
// Every backend Create is idempotent, so a pass over an SPDK that has
// everything changes nothing. The pass fails (and the loop retries with
// backoff) only when SPDK cannot be reached.
func (b *Bridge) Reconcile(ctx context.Context) error {
	report := func(err error) { b.logger.Warn("an interrupted operation could not be finished yet", "error", err) }
	c := b.SPDK
	steps := []func() error{
		func() error { return backend.RecoverAll(ctx, report, b.Volumes) },
		func() error { return backend.Replay(ctx, b.Volumes.Malloc, backend.MallocBackend{C: c}, nil) },
		func() error { return backend.Replay(ctx, b.Volumes.Null, backend.NullBackend{C: c}, nil) },
		func() error { return backend.Replay(ctx, b.Volumes.Aio, backend.AioBackend{C: c}, nil) },
		func() error { return backend.RecoverAll(ctx, report, b.Remote.Controllers) },
		func() error {
			return backend.Replay(ctx, b.Remote.Controllers, backend.RemoteControllerBackend{C: c, KeyDir: b.keyDir()}, nil)
		},
		func() error { return backend.RecoverAll(ctx, report, b.Remote.Paths) },
		func() error {
			return backend.Replay(ctx, b.Remote.Paths, backend.PathBackend{C: c, Controller: b.Remote.Controllers.Get}, nil)
		},
		func() error { return backend.RecoverAll(ctx, report, b.Lvols.Stores) },
		func() error { return backend.Replay(ctx, b.Lvols.Stores, backend.LvsBackend{C: c}, nil) },
		func() error { return backend.RecoverAll(ctx, report, b.Lvols.Volumes) },
		func() error { return backend.Replay(ctx, b.Lvols.Volumes, backend.LvolBackend{C: c}, nil) },
		func() error { return backend.RecoverAll(ctx, report, b.Middle.Encrypted) },
		func() error { return backend.Replay(ctx, b.Middle.Encrypted, backend.EncryptedBackend{C: c}, nil) },
		func() error { return backend.RecoverAll(ctx, report, b.Middle.Qos) },
		func() error { return backend.Replay(ctx, b.Middle.Qos, backend.QosBackend{C: c}, nil) },
		func() error { return b.Frontend.ReconcileNvme(ctx, report) },
		func() error { return b.Frontend.ReconcileVirtioBlk(ctx, report) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}
