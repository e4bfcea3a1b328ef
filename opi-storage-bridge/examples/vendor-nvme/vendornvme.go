// Package vendornvme is an example vendor backend: an NVMe/TCP frontend
// that realises the storage API's NVMe controllers its own way while the
// bridge keeps everything else (validation, naming, intent, replay, the
// other backends). It is what a vendor's repository would hold, built and
// tested here so that the extension points it uses stay real: its test
// runs the storage conformance suite (storagetest) with its options on
// spdk-sim and on a real spdk_tgt.
//
// What it does differently from the shipped SPDK adapter:
//
//   - its own NVMe/TCP transport, created with the vendor's tuning
//     (deeper queues, fewer I/O queue pairs, larger in-capsule data) and
//     looked up on every create instead of cached, since a vendor backend
//     is not told when SPDK restarts;
//   - it recognises its listeners with nvmf_subsystem_get_listeners (per
//     subsystem) rather than listing every subsystem;
//   - it records each controller it realised in a file of its own under
//     <state-dir>/vendor-nvme, which the vendor's management agent reads
//     (the bridge's intent store is the bridge's, not the vendor's).
//
// Its command is cmd/opi-vendor-nvme-bridge:
//
//	server.Main(bridge.Program(vendornvme.Options()...))
package vendornvme

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-storage-bridge/bridge"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk/adapter"
	"github.com/opi-suite/opi/opi-storage-bridge/storage"
)

// Tuning is the vendor's NVMe/TCP transport: the nvmf_create_transport
// options it creates the transport with. Controllers report the limits
// of the transport SPDK really has, which differ when something else
// created it first.
var Tuning = map[string]any{
	"trtype":                  adapter.TransportTCP,
	"max_queue_depth":         256,
	"max_io_qpairs_per_ctrlr": 31,
	"in_capsule_data_size":    8192,
}

// RecordDir is the directory under the bridge's state directory where
// the controllers' records are kept.
const RecordDir = "vendor-nvme"

// Options are the bridge options of the vendor's bridge: NVMe/TCP
// controllers realised by Controllers, everything else as shipped.
func Options() []bridge.Option {
	return []bridge.Option{
		bridge.WithNvmeTransport(storage.TransportTCP, func(e bridge.Env) storage.ChildBackend[*pb.NvmeSubsystem, *pb.NvmeController] {
			return New(e.SPDK, filepath.Join(e.StateDir, RecordDir))
		}),
	}
}

// Controllers realises NVMe/TCP controllers as listeners of their
// subsystem on the vendor's transport, each recorded in a file. It
// implements storage.ChildBackend and storage.ChildPresence.
type Controllers struct {
	spdk spdk.Caller
	dir  string
}

// New returns the controllers on c, recorded under dir.
func New(c spdk.Caller, dir string) *Controllers { return &Controllers{spdk: c, dir: dir} }

// Record is what the vendor keeps of a realised controller.
type Record struct {
	// Controller is the controller's resource name.
	Controller string `json:"controller"`
	// NQN is its subsystem's NQN.
	NQN string `json:"nqn"`
	// Listener is the address SPDK listens on for it.
	Listener spdk.ListenAddress `json:"listener"`
	// MaxQueueDepth and MaxIOQueuePairs are its transport's limits.
	MaxQueueDepth   uint32 `json:"max_queue_depth"`
	MaxIOQueuePairs uint32 `json:"max_io_qpairs_per_ctrlr"`
}

// RecordPath is the file of the controller named name under dir: its
// resource name with slashes turned into dashes, which keeps it one
// file name (ids are lowercase letters, digits and dashes).
func RecordPath(dir, name string) string {
	return filepath.Join(dir, strings.ReplaceAll(name, "/", "-")+".json")
}

type transportInfo struct {
	Trtype             string `json:"trtype"`
	MaxQueueDepth      uint32 `json:"max_queue_depth"`
	MaxIOQpairsPerCtrl uint32 `json:"max_io_qpairs_per_ctrlr"`
}

// transport makes the vendor's TCP transport exist and returns its limits.
func (c *Controllers) transport(ctx context.Context) (transportInfo, error) {
	get := func() (transportInfo, bool, error) {
		var out []transportInfo
		err := c.spdk.Call(ctx, "nvmf_get_transports", map[string]any{"trtype": adapter.TransportTCP}, &out)
		if spdk.IsNotFound(err) || (err == nil && len(out) == 0) {
			return transportInfo{}, false, nil
		}
		if err != nil {
			return transportInfo{}, false, err
		}
		return out[0], true, nil
	}
	info, ok, err := get()
	if err != nil || ok {
		return info, err
	}
	createErr := c.spdk.Call(ctx, "nvmf_create_transport", Tuning, nil)
	// Another caller may have created it meanwhile: what counts is
	// whether it is there now.
	if info, ok, err = get(); err != nil || ok {
		return info, err
	}
	return info, fmt.Errorf("creating the vendor's NVMe/TCP transport: %w", errors.Join(createErr, errors.New("SPDK does not report it")))
}

// listeners returns the addresses SPDK listens on for the subsystem nqn;
// ok is false when SPDK has no such subsystem.
func (c *Controllers) listeners(ctx context.Context, nqn string) (addrs []spdk.ListenAddress, ok bool, err error) {
	var out []struct {
		Address spdk.ListenAddress `json:"address"`
	}
	err = c.spdk.Call(ctx, "nvmf_subsystem_get_listeners", map[string]any{"nqn": nqn}, &out)
	if spdk.IsCode(err, spdk.CodeInvalidParams) || spdk.IsNotFound(err) {
		return nil, false, nil // SPDK answers an unknown NQN as invalid params
	}
	if err != nil {
		return nil, false, err
	}
	for _, l := range out {
		addrs = append(addrs, l.Address)
	}
	return addrs, true, nil
}

func has(addrs []spdk.ListenAddress, a spdk.ListenAddress) bool {
	for _, l := range addrs {
		if strings.EqualFold(l.Trtype, a.Trtype) && l.Traddr == a.Traddr && l.Trsvcid == a.Trsvcid {
			return true
		}
	}
	return false
}

// Create listens on the controller's address on the vendor's transport,
// fills the controller's limits and records it. A listener already there
// is success (replay, recovery).
func (c *Controllers) Create(ctx context.Context, sub *pb.NvmeSubsystem, m *pb.NvmeController) error {
	addr, err := adapter.ListenAddress(m, "")
	if err != nil {
		return err
	}
	info, err := c.transport(ctx)
	if err != nil {
		return spdk.Classify(err)
	}
	params := map[string]any{"nqn": sub.GetNqn(), "listen_address": addr}
	if m.GetSecureChannel() {
		params["secure_channel"] = true
	}
	if s, ok := anaStates[m.GetAnaState()]; ok {
		params["ana_state"] = s
	}
	if callErr := c.spdk.Call(ctx, "nvmf_subsystem_add_listener", params, nil); callErr != nil {
		addrs, ok, err := c.listeners(ctx, sub.GetNqn())
		if err != nil {
			return spdk.Classify(err)
		}
		if !ok || !has(addrs, addr) {
			return spdk.Classify(fmt.Errorf("listening on %s:%s: %w", addr.Traddr, addr.Trsvcid, callErr))
		}
	}
	m.MaxQueueDepth, m.MaxIoQueuePairs = info.MaxQueueDepth, info.MaxIOQpairsPerCtrl
	return c.record(Record{Controller: m.GetName(), NQN: sub.GetNqn(), Listener: addr,
		MaxQueueDepth: info.MaxQueueDepth, MaxIOQueuePairs: info.MaxIOQpairsPerCtrl})
}

var anaStates = map[pb.NvmeAnaState]string{
	pb.NvmeAnaState_NVME_ANA_STATE_OPTIMIZED:     "optimized",
	pb.NvmeAnaState_NVME_ANA_STATE_NON_OPTIMIZED: "non_optimized",
	pb.NvmeAnaState_NVME_ANA_STATE_INACCESSIBLE:  "inaccessible",
}

// Update sets the ANA state, the only mutable field of a controller.
func (c *Controllers) Update(ctx context.Context, sub *pb.NvmeSubsystem, old, m *pb.NvmeController) error {
	if old.GetAnaState() == m.GetAnaState() {
		return nil
	}
	addr, err := adapter.ListenAddress(m, "")
	if err != nil {
		return err
	}
	state, ok := anaStates[m.GetAnaState()]
	if !ok {
		state = "optimized" // unspecified means optimized
	}
	return spdk.Classify(c.spdk.Call(ctx, "nvmf_subsystem_listener_set_ana_state",
		map[string]any{"nqn": sub.GetNqn(), "listen_address": addr, "ana_state": state}, nil))
}

// Delete stops listening and drops the record; a listener SPDK no longer
// has is success.
func (c *Controllers) Delete(ctx context.Context, sub *pb.NvmeSubsystem, m *pb.NvmeController) error {
	addr, err := adapter.ListenAddress(m, "")
	if err != nil {
		return err
	}
	callErr := c.spdk.Call(ctx, "nvmf_subsystem_remove_listener", map[string]any{"nqn": sub.GetNqn(), "listen_address": addr}, nil)
	if callErr != nil {
		addrs, _, err := c.listeners(ctx, sub.GetNqn())
		if err != nil {
			return spdk.Classify(err)
		}
		if has(addrs, addr) {
			return spdk.Classify(callErr)
		}
	}
	if err := os.Remove(RecordPath(c.dir, m.GetName())); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("removing the vendor's record of %s: %w", m.GetName(), err)
	}
	return nil
}

// Present reads each subsystem's listeners once per pass and reports a
// controller as present when SPDK listens on its address and its record
// is there; otherwise the pass calls Create, which restores both.
func (c *Controllers) Present(ctx context.Context) (func(*pb.NvmeSubsystem, *pb.NvmeController) bool, error) {
	seen := map[string][]spdk.ListenAddress{}
	var failed error
	return func(s *pb.NvmeSubsystem, m *pb.NvmeController) bool {
		addrs, ok := seen[s.GetNqn()]
		if !ok && failed == nil {
			addrs, _, failed = c.listeners(ctx, s.GetNqn())
			seen[s.GetNqn()] = addrs
		}
		addr, err := adapter.ListenAddress(m, "")
		if err != nil || !has(addrs, addr) {
			return false
		}
		_, err = os.Stat(RecordPath(c.dir, m.GetName()))
		return err == nil
	}, nil
}

// record writes r atomically (a temporary file renamed over the old one),
// 0600 like the rest of the state directory.
func (c *Controllers) record(r Record) error {
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return errdefs.Wrap(errdefs.ErrInternal, fmt.Errorf("the vendor's record directory: %w", err))
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	path := RecordPath(c.dir, r.Controller)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("recording %s: %w", r.Controller, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("recording %s: %w", r.Controller, err)
	}
	return nil
}
