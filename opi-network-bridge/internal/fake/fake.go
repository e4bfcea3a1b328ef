// Package fake has in-memory components for the network domain's tests:
// a Kernel that records devices and ports, and a Routing that records the
// configurations applied. They keep the contracts of network.Kernel and
// network.Routing (idempotent, classified errors) so that the domain's
// behaviour can be tested without root; the real components are tested
// against the kernel and FRR.
package fake

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"

	"github.com/opi-suite/opi/opi-kit/errdefs"

	"github.com/opi-suite/opi/opi-network-bridge/network"
)

// Kernel is an in-memory network.Kernel.
type Kernel struct {
	mu sync.Mutex
	// F are the features it reports.
	F network.Features
	// Ifaces are the interfaces that exist (by name), with their MACs and
	// addresses; ports attach to them.
	Ifaces map[string]network.Interface
	// Bridges and Ports hold what was ensured: key "lb<vlan>" and the
	// port's interface name.
	Bridges map[string]network.LogicalBridge
	Ports   map[string]network.Port
	// Fail, when set, fails the next Ensure* call with it.
	Fail error
	// Calls counts Ensure and Remove calls.
	Calls int
	drift func(network.Drift)
}

// NewKernel returns a kernel with every feature but VRF, VLAN and VLAN
// filtering (like the kernel the suite is tested on), a loopback with
// local, and the given interfaces.
func NewKernel(local netip.Addr, ifaces ...network.Interface) *Kernel {
	k := &Kernel{
		F:       network.Features{Bridge: true, VXLAN: true},
		Ifaces:  map[string]network.Interface{},
		Bridges: map[string]network.LogicalBridge{},
		Ports:   map[string]network.Port{},
	}
	k.Ifaces["lo"] = network.Interface{Name: "lo", Index: 1, MTU: 65536, AdminUp: true, OperUp: true,
		Addresses: []netip.Prefix{netip.PrefixFrom(local, local.BitLen())}}
	for i, itf := range ifaces {
		itf.Index = i + 2
		k.Ifaces[itf.Name] = itf
	}
	return k
}

// Features implements network.Kernel.
func (k *Kernel) Features() network.Features { return k.F }

func (k *Kernel) fail() error {
	k.Calls++
	if err := k.Fail; err != nil {
		k.Fail = nil
		return err
	}
	return nil
}

// EnsureLogicalBridge implements network.Kernel.
func (k *Kernel) EnsureLogicalBridge(_ context.Context, lb network.LogicalBridge) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.fail(); err != nil {
		return err
	}
	k.Bridges[fmt.Sprintf("lb%d", lb.VlanID)] = lb
	return nil
}

// RemoveLogicalBridge implements network.Kernel.
func (k *Kernel) RemoveLogicalBridge(_ context.Context, lb network.LogicalBridge) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.Calls++
	delete(k.Bridges, fmt.Sprintf("lb%d", lb.VlanID))
	return nil
}

// EnsurePort implements network.Kernel.
func (k *Kernel) EnsurePort(_ context.Context, p network.Port) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.fail(); err != nil {
		return err
	}
	name, err := k.find(p)
	if err != nil {
		return err
	}
	for _, lb := range p.Bridges {
		if _, ok := k.Bridges[fmt.Sprintf("lb%d", lb.VlanID)]; !ok {
			return errdefs.FailedPreconditionf("bridge lb%d does not exist", lb.VlanID)
		}
	}
	k.Ports[name] = p
	return nil
}

func (k *Kernel) find(p network.Port) (string, error) {
	if p.Interface != "" {
		if _, ok := k.Ifaces[p.Interface]; ok {
			return p.Interface, nil
		}
		return "", errdefs.NotFoundf("interface %s does not exist", p.Interface)
	}
	for name, i := range k.Ifaces {
		if i.MAC.String() == p.MAC.String() {
			return name, nil
		}
	}
	return "", errdefs.NotFoundf("no interface has MAC %s", p.MAC)
}

// RemovePort implements network.Kernel.
func (k *Kernel) RemovePort(_ context.Context, p network.Port) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.Calls++
	name, err := k.find(p)
	if err != nil {
		return err
	}
	delete(k.Ports, name)
	return nil
}

func (k *Kernel) noVRF() error {
	return errdefs.FailedPreconditionf("this kernel lacks VRF devices (CONFIG_NET_VRF)")
}

// EnsureVrf implements network.Kernel.
func (k *Kernel) EnsureVrf(context.Context, network.Vrf) error {
	if !k.F.VRF {
		return k.noVRF()
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.fail()
}

// RemoveVrf implements network.Kernel.
func (k *Kernel) RemoveVrf(context.Context, network.Vrf) error { return nil }

// EnsureSvi implements network.Kernel.
func (k *Kernel) EnsureSvi(context.Context, network.Svi) error {
	if !k.F.VRF {
		return k.noVRF()
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.fail()
}

// RemoveSvi implements network.Kernel.
func (k *Kernel) RemoveSvi(context.Context, network.Svi) error { return nil }

// Interfaces implements network.Kernel.
func (k *Kernel) Interfaces(context.Context) ([]network.Interface, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := make([]network.Interface, 0, len(k.Ifaces))
	for _, i := range k.Ifaces {
		out = append(out, i)
	}
	return out, nil
}

// SetInterface implements network.Kernel.
func (k *Kernel) SetInterface(_ context.Context, name string, up bool, mtu int) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	i, ok := k.Ifaces[name]
	if !ok {
		return errdefs.NotFoundf("interface %s does not exist", name)
	}
	i.AdminUp = up
	if mtu != 0 {
		i.MTU = mtu
	}
	k.Ifaces[name] = i
	return nil
}

// Watch implements network.Kernel: Drift reports through it.
func (k *Kernel) Watch(ctx context.Context, drift func(network.Drift)) error {
	k.mu.Lock()
	k.drift = drift
	k.mu.Unlock()
	<-ctx.Done()
	return nil
}

// Drift deletes a bridge behind the domain's back and reports it.
func (k *Kernel) Drift(vlan uint32) {
	k.mu.Lock()
	delete(k.Bridges, fmt.Sprintf("lb%d", vlan))
	drift := k.drift
	k.mu.Unlock()
	if drift != nil {
		drift(network.Drift{Object: fmt.Sprintf("link lb%d", vlan), Change: "deleted"})
	}
}

// SetFail fails the next Ensure call with err.
func (k *Kernel) SetFail(err error) { k.mu.Lock(); k.Fail = err; k.mu.Unlock() }

// Snapshot returns copies of the bridges and ports, and the call count.
func (k *Kernel) Snapshot() (map[string]network.LogicalBridge, map[string]network.Port, int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	b, p := map[string]network.LogicalBridge{}, map[string]network.Port{}
	for n, v := range k.Bridges {
		b[n] = v
	}
	for n, v := range k.Ports {
		p[n] = v
	}
	return b, p, k.Calls
}

// Reboot forgets every bridge and port, as a reboot would.
func (k *Kernel) Reboot() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.Bridges, k.Ports = map[string]network.LogicalBridge{}, map[string]network.Port{}
}

// Has says whether bridge dev ("lb100") exists.
func (k *Kernel) Has(dev string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	_, ok := k.Bridges[dev]
	return ok
}

// AddInterface makes an interface appear.
func (k *Kernel) AddInterface(name string, mac net.HardwareAddr) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.Ifaces[name] = network.Interface{Name: name, Index: len(k.Ifaces) + 1, MAC: mac, MTU: 1500}
}

// Routing is an in-memory network.Routing: every applied configuration is
// recorded, and State reports the VNIs of the last one.
type Routing struct {
	mu      sync.Mutex
	Applied []network.RoutingConfig
	// Fail, when set, fails every Apply with it (FRR refusing, or down).
	Fail error
}

// Apply implements network.Routing.
func (r *Routing) Apply(_ context.Context, cfg network.RoutingConfig) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.Fail != nil {
		return r.Fail
	}
	r.Applied = append(r.Applied, cfg)
	return nil
}

// SetFail makes every Apply fail with err (nil: succeed).
func (r *Routing) SetFail(err error) { r.mu.Lock(); r.Fail = err; r.mu.Unlock() }

// Last returns the last applied configuration.
func (r *Routing) Last() (network.RoutingConfig, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.Applied) == 0 {
		return network.RoutingConfig{}, 0
	}
	return r.Applied[len(r.Applied)-1], len(r.Applied)
}

// State implements network.Routing.
func (r *Routing) State(context.Context) (network.RoutingState, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := network.RoutingState{VNIs: map[uint32]network.VNIState{}}
	if len(r.Applied) == 0 {
		return st, nil
	}
	for _, lb := range r.Applied[len(r.Applied)-1].LogicalBridges {
		if lb.VNI != 0 {
			st.VNIs[lb.VNI] = network.VNIState{Type: "L2", VxlanIf: fmt.Sprintf("vx%d", lb.VNI)}
		}
	}
	return st, nil
}
