package adapter

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
	"github.com/opi-suite/opi/opi-storage-bridge/storage"
)

// SPDK transport names.
const (
	TransportTCP      = "TCP"
	TransportRDMA     = "RDMA"
	TransportVFIOUser = "VFIOUSER"
)

// sameListener reports whether two listen addresses are one listener, as
// SPDK compares them (the transport name in any case).
func sameListener(a, b spdk.ListenAddress) bool {
	return strings.EqualFold(a.Trtype, b.Trtype) && a.Traddr == b.Traddr && a.Trsvcid == b.Trsvcid
}

// TransportInfo is what a created NVMe-oF transport reports about itself.
type TransportInfo struct {
	Trtype             string `json:"trtype"`
	Type               string `json:"type"` // older SPDKs name the field so
	MaxQueueDepth      uint32 `json:"max_queue_depth"`
	MaxIOQpairsPerCtrl uint32 `json:"max_io_qpairs_per_ctrlr"`
}

// Transports creates each NVMe-oF transport once (nvmf_create_transport is
// not idempotent in SPDK) and remembers it until Reset, which the bridge
// calls when SPDK may have restarted. The NVMe controllers of every
// transport share one.
type Transports struct {
	spdk  spdk.Caller
	mu    sync.Mutex
	ready map[string]TransportInfo
}

// NewTransports returns an empty cache over c.
func NewTransports(c spdk.Caller) *Transports {
	return &Transports{spdk: c, ready: map[string]TransportInfo{}}
}

// Reset forgets which transports exist.
func (t *Transports) Reset() {
	t.mu.Lock()
	t.ready = map[string]TransportInfo{}
	t.mu.Unlock()
}

// Ensure makes the transport trtype exist and returns its limits.
func (t *Transports) Ensure(ctx context.Context, trtype string) (TransportInfo, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if info, ok := t.ready[trtype]; ok {
		return info, nil
	}
	info, ok, err := t.get(ctx, trtype)
	if err != nil {
		return info, err
	}
	if !ok {
		cerr := t.spdk.Call(ctx, "nvmf_create_transport", map[string]any{"trtype": trtype}, nil)
		if info, ok, err = t.get(ctx, trtype); err != nil {
			return info, err
		}
		if !ok {
			var refused *spdk.Error
			switch {
			case cerr == nil:
				cerr = fmt.Errorf("SPDK did not report the %s transport after creating it", trtype)
			case errors.As(cerr, &refused):
				// SPDK answers a generic -32603 when the host has no
				// device for the transport (RDMA without an RDMA NIC) or
				// SPDK lacks it: the host's state, not the bridge's bug.
				return info, errdefs.FailedPreconditionf("SPDK cannot serve NVMe-oF over %s on this host (no device for it, or SPDK built without it): use another transport (%w)", trtype, cerr)
			}
			return info, fmt.Errorf("creating the NVMe-oF %s transport: %w", trtype, cerr)
		}
	}
	t.ready[trtype] = info
	return info, nil
}

func (t *Transports) get(ctx context.Context, trtype string) (TransportInfo, bool, error) {
	var out []TransportInfo
	err := t.spdk.Call(ctx, "nvmf_get_transports", map[string]any{"trtype": trtype}, &out)
	if spdk.IsNotFound(err) {
		return TransportInfo{}, false, nil
	}
	if err != nil {
		return TransportInfo{}, false, err
	}
	for _, tr := range out {
		if strings.EqualFold(tr.Trtype, trtype) || strings.EqualFold(tr.Type, trtype) {
			return tr, true, nil
		}
	}
	return TransportInfo{}, false, nil
}

// NvmeControllers realises NVMe controllers in SPDK, for the TCP, RDMA
// and PCIe transports: a listener of the parent subsystem, on an NVMe/TCP
// or RDMA address, or a vfio-user socket directory (VFIOUSER transport)
// for a PCIe endpoint.
type NvmeControllers struct {
	spdk       spdk.Caller
	transports *Transports
	vfioDir    string
}

// NewNvmeControllers returns the controllers on c; vfio-user socket
// directories are made under vfioDir.
func NewNvmeControllers(c spdk.Caller, t *Transports, vfioDir string) *NvmeControllers {
	return &NvmeControllers{spdk: c, transports: t, vfioDir: vfioDir}
}

// ListenAddress returns the SPDK listen address of a controller; for a PCIe
// endpoint, the vfio-user socket directory under vfioDir.
func ListenAddress(m *pb.NvmeController, vfioDir string) (spdk.ListenAddress, error) {
	if p := m.GetPcie(); p != nil {
		dir := filepath.Join(vfioDir, fmt.Sprintf("nvme-port%d-pf%d-vf%d", p.GetPortId(), p.GetPhysicalFunction(), p.GetVirtualFunction()))
		return spdk.ListenAddress{Trtype: TransportVFIOUser, Traddr: dir}, nil
	}
	f := m.GetFabrics()
	if f == nil {
		return spdk.ListenAddress{}, errdefs.InvalidArgumentf("nvme_controller needs an endpoint: set fabrics or pcie")
	}
	a := spdk.ListenAddress{Traddr: f.GetTraddr()}
	switch f.GetTrtype() {
	case pb.NvmeTransportType_NVME_TRANSPORT_TYPE_TCP:
		a.Trtype = TransportTCP
	case pb.NvmeTransportType_NVME_TRANSPORT_TYPE_RDMA:
		a.Trtype = TransportRDMA
	default:
		return spdk.ListenAddress{}, errdefs.InvalidArgumentf("fabrics.trtype %v is not a transport: use NVME_TRANSPORT_TYPE_TCP or NVME_TRANSPORT_TYPE_RDMA", f.GetTrtype())
	}
	switch f.GetAdrfam() {
	case pb.NvmeAddressFamily_NVME_ADDRESS_FAMILY_IPV4:
		a.Adrfam = "IPv4"
	case pb.NvmeAddressFamily_NVME_ADDRESS_FAMILY_IPV6:
		a.Adrfam = "IPv6"
	default:
		a.Adrfam = "IPv4"
		if ip := net.ParseIP(f.GetTraddr()); ip != nil && ip.To4() == nil {
			a.Adrfam = "IPv6"
		}
	}
	port := f.GetTrsvcid()
	if port == 0 {
		port = storage.DefaultNvmfPort
	}
	a.Trsvcid = strconv.FormatUint(uint64(port), 10)
	return a, nil
}

var anaStates = map[pb.NvmeAnaState]string{
	pb.NvmeAnaState_NVME_ANA_STATE_OPTIMIZED:     "optimized",
	pb.NvmeAnaState_NVME_ANA_STATE_NON_OPTIMIZED: "non_optimized",
	pb.NvmeAnaState_NVME_ANA_STATE_INACCESSIBLE:  "inaccessible",
}

// Create adds the listener (creating the transport first) and fills the
// controller's output fields.
func (b *NvmeControllers) Create(ctx context.Context, sub *pb.NvmeSubsystem, m *pb.NvmeController) error {
	return spdk.Classify(b.create(ctx, sub.GetNqn(), m))
}

func (b *NvmeControllers) create(ctx context.Context, nqn string, m *pb.NvmeController) error {
	addr, err := ListenAddress(m, b.vfioDir)
	if err != nil {
		return err
	}
	info, err := b.transports.Ensure(ctx, addr.Trtype)
	if err != nil {
		if spdk.IsCode(err, spdk.CodeInvalidParams) && addr.Trtype == TransportVFIOUser {
			return errdefs.FailedPreconditionf("this SPDK cannot present PCIe functions: it has no vfio-user (VFIOUSER) transport: %w", err)
		}
		return err
	}
	if addr.Trtype == TransportVFIOUser {
		if err := os.MkdirAll(addr.Traddr, 0o700); err != nil {
			return fmt.Errorf("vfio-user socket directory: %w", err)
		}
	}
	params := map[string]any{"nqn": nqn, "listen_address": addr}
	if m.GetSecureChannel() {
		params["secure_channel"] = true
	}
	if s, ok := anaStates[m.GetAnaState()]; ok {
		params["ana_state"] = s
	}
	callErr := b.spdk.Call(ctx, "nvmf_subsystem_add_listener", params, nil)
	if callErr != nil && !errdefs.Unreachable(spdk.Classify(callErr)) {
		// SPDK may have restarted since the transport was made: make it
		// again and retry once before looking at why SPDK refused.
		b.transports.Reset()
		if _, err := b.transports.Ensure(ctx, addr.Trtype); err == nil {
			callErr = b.spdk.Call(ctx, "nvmf_subsystem_add_listener", params, nil)
		}
	}
	if callErr != nil {
		sub, ok, err := getSubsystem(ctx, b.spdk, nqn)
		if err != nil {
			return err
		}
		if !ok || !hasListener(sub, addr) {
			return fmt.Errorf("listening on %s %s %s: %w", addr.Trtype, addr.Traddr, addr.Trsvcid, callErr)
		}
	}
	if addr.Trtype == TransportVFIOUser {
		m.DevicePath = addr.Traddr
	}
	m.MaxIoQueuePairs = info.MaxIOQpairsPerCtrl
	m.MaxQueueDepth = info.MaxQueueDepth
	return nil
}

// Update sets the ANA state, the only mutable field.
func (b *NvmeControllers) Update(ctx context.Context, sub *pb.NvmeSubsystem, old, m *pb.NvmeController) error {
	if old.GetAnaState() == m.GetAnaState() {
		return nil
	}
	nqn := sub.GetNqn()
	addr, err := ListenAddress(m, b.vfioDir)
	if err != nil {
		return err
	}
	state, ok := anaStates[m.GetAnaState()]
	if !ok {
		state = "optimized" // unspecified means optimized
	}
	return spdk.Classify(b.spdk.Call(ctx, "nvmf_subsystem_listener_set_ana_state",
		map[string]any{"nqn": nqn, "listen_address": addr, "ana_state": state}, nil))
}

// Delete removes the listener; one SPDK no longer has is success.
func (b *NvmeControllers) Delete(ctx context.Context, sub *pb.NvmeSubsystem, m *pb.NvmeController) error {
	return spdk.Classify(b.delete(ctx, sub.GetNqn(), m))
}

func (b *NvmeControllers) delete(ctx context.Context, nqn string, m *pb.NvmeController) error {
	addr, err := ListenAddress(m, b.vfioDir)
	if err != nil {
		return err
	}
	callErr := b.spdk.Call(ctx, "nvmf_subsystem_remove_listener", map[string]any{"nqn": nqn, "listen_address": addr}, nil)
	if callErr == nil {
		return nil
	}
	sub, ok, err := getSubsystem(ctx, b.spdk, nqn)
	if err != nil {
		return err
	}
	if ok && hasListener(sub, addr) {
		return callErr
	}
	return nil
}

// Present lists SPDK's subsystems once and reports, from that listing,
// whether a controller's listener exists (storage.ChildPresence).
func (b *NvmeControllers) Present(ctx context.Context) (func(*pb.NvmeSubsystem, *pb.NvmeController) bool, error) {
	subs, err := listSubsystems(ctx, b.spdk)
	if err != nil {
		return nil, err
	}
	return func(s *pb.NvmeSubsystem, m *pb.NvmeController) bool {
		sub, ok := subs[s.GetNqn()]
		addr, err := ListenAddress(m, b.vfioDir)
		return ok && err == nil && hasListener(sub, addr)
	}, nil
}

func hasListener(sub nvmfSubsystem, addr spdk.ListenAddress) bool {
	for _, l := range sub.ListenAddresses {
		if sameListener(l, addr) {
			return true
		}
	}
	return false
}
