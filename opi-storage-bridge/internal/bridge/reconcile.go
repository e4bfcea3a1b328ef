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
//  2. the volumes stacked on other volumes: logical volume stores, logical
//     volumes, encrypted and QoS volumes, in rounds (see replayStacked);
//  3. NVMe subsystems (transports, hosts, keys), namespaces, controllers;
//  4. virtio-blk devices.
//
// Every backend Create is idempotent, so a pass over an SPDK that has
// everything changes nothing. The pass fails (and the loop retries with
// backoff) only when SPDK cannot be reached.
func (b *Bridge) Reconcile(ctx context.Context) error {
	report := func(err error) { b.logger.Warn("an interrupted operation could not be finished yet", "error", err) }
	c := b.SPDK
	base := []func() (int, error){
		recovered(ctx, report, b.Volumes),
		func() (int, error) { return backend.Replay(ctx, b.Volumes.Malloc, backend.MallocBackend{C: c}, nil) },
		func() (int, error) { return backend.Replay(ctx, b.Volumes.Null, backend.NullBackend{C: c}, nil) },
		func() (int, error) { return backend.Replay(ctx, b.Volumes.Aio, backend.AioBackend{C: c}, nil) },
		recovered(ctx, report, b.Remote.Controllers),
		func() (int, error) {
			return backend.Replay(ctx, b.Remote.Controllers, backend.RemoteControllerBackend{C: c, KeyDir: b.keyDir()}, nil)
		},
		recovered(ctx, report, b.Remote.Paths),
		func() (int, error) {
			return backend.Replay(ctx, b.Remote.Paths, backend.PathBackend{C: c, Controller: b.Remote.Controllers.Get}, nil)
		},
	}
	if _, err := run(base); err != nil {
		return err
	}
	if err := b.replayStacked(ctx, report); err != nil {
		return err
	}
	if err := b.Frontend.ReconcileNvme(ctx, report); err != nil {
		return err
	}
	return b.Frontend.ReconcileVirtioBlk(ctx, report)
}

// replayStacked replays the kinds of volume that sit on another volume.
// Any volume can be the base of a store, an encrypted or a QoS volume (a
// store on an encrypted volume, an encrypted volume on a QoS one, a store
// on a logical volume of another store), so no fixed order of kinds
// rebuilds every stack in one round: a resource whose base comes later in
// the order is refused (its base is not in SPDK yet). The round is
// repeated while it leaves fewer resources refused than the round before;
// it ends when none is, or when a round makes no progress (those are
// refused for another reason, and stay in ERROR until a later pass).
func (b *Bridge) replayStacked(ctx context.Context, report func(error)) error {
	c := b.SPDK
	round := []func() (int, error){
		recovered(ctx, report, b.Lvols.Stores),
		func() (int, error) { return backend.Replay(ctx, b.Lvols.Stores, backend.LvsBackend{C: c}, nil) },
		recovered(ctx, report, b.Lvols.Volumes),
		func() (int, error) { return backend.Replay(ctx, b.Lvols.Volumes, backend.LvolBackend{C: c}, nil) },
		recovered(ctx, report, b.Middle.Encrypted),
		func() (int, error) {
			return backend.Replay(ctx, b.Middle.Encrypted, backend.EncryptedBackend{C: c}, nil)
		},
		recovered(ctx, report, b.Middle.Qos),
		func() (int, error) { return backend.Replay(ctx, b.Middle.Qos, backend.QosBackend{C: c}, nil) },
	}
	last := -1
	for {
		refused, err := run(round)
		if err != nil || refused == 0 || (last >= 0 && refused >= last) {
			return err
		}
		last = refused
	}
}

// recovered is a step that finishes one kind's interrupted operations.
func recovered(ctx context.Context, report func(error), r backend.Recoverer) func() (int, error) {
	return func() (int, error) { return 0, backend.RecoverAll(ctx, report, r) }
}

// run runs steps in order, adding up the resources SPDK refused; it stops
// at the first error (SPDK unreachable).
func run(steps []func() (int, error)) (refused int, err error) {
	for _, step := range steps {
		n, err := step()
		refused += n
		if err != nil {
			return refused, err
		}
	}
	return refused, nil
}
