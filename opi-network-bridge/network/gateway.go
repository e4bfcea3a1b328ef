package network

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	networkv1 "github.com/opi-suite/opi/opi-api/network/v1"
	"github.com/opi-suite/opi/opi-kit/aip"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-kit/names"
	"github.com/opi-suite/opi/opi-kit/resource"
	"github.com/opi-suite/opi/opi-kit/store"
)

// The resource kinds, as the API declares them.
var (
	lbKind   = names.MustForMessage(&networkv1.LogicalBridge{})
	portKind = names.MustForMessage(&networkv1.BridgePort{})
	vrfKind  = names.MustForMessage(&networkv1.Vrf{})
	sviKind  = names.MustForMessage(&networkv1.Svi{})

	// Patterns of the resource names, from the API.
	LogicalBridgePattern = aip.FromNames(lbKind.Pattern)
	BridgePortPattern    = aip.FromNames(portKind.Pattern)
	VrfPattern           = aip.FromNames(vrfKind.Pattern)
	SviPattern           = aip.FromNames(sviKind.Pattern)
)

// Component names, as resources report them.
const (
	ComponentKernel = "kernel"
	ComponentFRR    = "frr"
)

// Config is what a Gateway needs.
type Config struct {
	// Store keeps the intent. Required.
	Store store.Store
	// Kernel realises the data plane. Required.
	Kernel Kernel
	// Routing applies the EVPN configuration; nil runs the gateway without
	// a routing component (a local bridge only, or a vendor's own).
	Routing Routing
	// DefaultVtepIP is the local VTEP address of logical bridges and VRFs
	// that name none.
	DefaultVtepIP netip.Addr
	// RoutingInterval is how often the routing configuration is checked
	// and reapplied when nothing changed (an FRR restart is repaired within
	// it); default 10 s.
	RoutingInterval time.Duration
	// Logger, default slog.Default().
	Logger *slog.Logger
}

// Gateway is the EVPN gateway's domain: the stored intent of logical
// bridges, bridge ports, VRFs and SVIs, their value rules and invariants,
// and the components (kernel, FRR) that realise them.
//
// Mutations do not share one lock: the invariants across resources (a VLAN
// id, a VNI, a MAC address or an interface used once) are claims taken
// under a short lock before the store is touched, so that concurrent
// creates still commit together (the store's group commit).
type Gateway struct {
	cfg    Config
	logger *slog.Logger

	lbs   *resource.Collection[*networkv1.LogicalBridge]
	ports *resource.Collection[*networkv1.BridgePort]
	vrfs  *resource.Collection[*networkv1.Vrf]
	svis  *resource.Collection[*networkv1.Svi]

	claims claims
	comps  components

	routingKick chan struct{}
	syncMu      sync.Mutex // one routing sync at a time
	stateMu     sync.Mutex
	state       RoutingState
	stateAt     time.Time

	drifts atomic.Uint64
}

// New builds the gateway on cfg.Store and loads the claims of the stored
// intent. It does not touch the kernel or FRR: Replay and Run do.
func New(cfg Config) (*Gateway, error) {
	if cfg.Store == nil || cfg.Kernel == nil {
		return nil, fmt.Errorf("network: a store and a kernel backend are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.RoutingInterval <= 0 {
		cfg.RoutingInterval = 10 * time.Second
	}
	g := &Gateway{cfg: cfg, logger: cfg.Logger, routingKick: make(chan struct{}, 1)}
	g.claims.m = map[string]string{}
	g.comps.m = map[string]map[string]*networkv1.ComponentStatus{}
	var err error
	if g.lbs, err = resource.New[*networkv1.LogicalBridge](cfg.Store, lbKind.Collection(), LogicalBridgePattern,
		resource.WithBackend[*networkv1.LogicalBridge](lbHooks{g})); err != nil {
		return nil, err
	}
	if g.vrfs, err = resource.New[*networkv1.Vrf](cfg.Store, vrfKind.Collection(), VrfPattern,
		resource.WithBackend[*networkv1.Vrf](vrfHooks{g})); err != nil {
		return nil, err
	}
	if g.ports, err = resource.New[*networkv1.BridgePort](cfg.Store, portKind.Collection(), BridgePortPattern,
		resource.WithBackend[*networkv1.BridgePort](portHooks{g}),
		resource.WithReferences(func(p *networkv1.BridgePort) []resource.Ref {
			refs := make([]resource.Ref, 0, len(p.GetLogicalBridges()))
			for _, lb := range p.GetLogicalBridges() {
				refs = append(refs, resource.Ref{Kind: lbKind.Collection(), Name: lb})
			}
			return refs
		})); err != nil {
		return nil, err
	}
	if g.svis, err = resource.New[*networkv1.Svi](cfg.Store, sviKind.Collection(), SviPattern,
		resource.WithBackend[*networkv1.Svi](sviHooks{g}),
		resource.WithReferences(func(s *networkv1.Svi) []resource.Ref {
			return []resource.Ref{{Kind: vrfKind.Collection(), Name: s.GetVrf()}, {Kind: lbKind.Collection(), Name: s.GetLogicalBridge()}}
		})); err != nil {
		return nil, err
	}
	if err := g.loadClaims(context.Background()); err != nil {
		return nil, err
	}
	return g, nil
}

// Features returns the kernel features the gateway can use.
func (g *Gateway) Features() Features { return g.cfg.Kernel.Features() }

// Drifts returns how many changes behind the gateway's back were seen and
// repaired since it started.
func (g *Gateway) Drifts() uint64 { return g.drifts.Load() }

// claims hold the values that may be used once across resources: a VLAN
// id, a VNI, a port's MAC address or interface, a logical bridge's SVI.
// Keys are "vlan/100", "vni/100", "mac/aa:..", "if/eth1", "svi/<lb name>".
type claims struct {
	mu sync.Mutex
	m  map[string]string // key -> the resource name holding it
}

// take claims every key for name, atomically: if one is held by another
// resource, nothing is taken and the error names the holder. It returns
// the keys it newly took, for release if the change then fails.
func (c *claims) take(name string, keys map[string]string) ([]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for key, what := range keys {
		if holder, ok := c.m[key]; ok && holder != name {
			return nil, errdefs.AlreadyExistsf("%s is used by %s", what, holder)
		}
	}
	var taken []string
	for key := range keys {
		if _, ok := c.m[key]; !ok {
			c.m[key] = name
			taken = append(taken, key)
		}
	}
	return taken, nil
}

// release gives back keys, if name still holds them.
func (c *claims) release(name string, keys ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, key := range keys {
		if c.m[key] == name {
			delete(c.m, key)
		}
	}
}

// releaseAll gives back every key name holds.
func (c *claims) releaseAll(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for key, holder := range c.m {
		if holder == name {
			delete(c.m, key)
		}
	}
}

// claimsOf returns the keys a resource holds, with what each is for error
// messages.
func lbClaims(lb *networkv1.LogicalBridge) map[string]string {
	out := map[string]string{fmt.Sprintf("vlan/%d", lb.GetVlanId()): fmt.Sprintf("VLAN %d", lb.GetVlanId())}
	if lb.Vni != nil {
		out[fmt.Sprintf("vni/%d", lb.GetVni())] = fmt.Sprintf("VNI %d", lb.GetVni())
	}
	return out
}

func portClaims(p *networkv1.BridgePort, mac string) map[string]string {
	out := map[string]string{"mac/" + mac: "MAC address " + mac}
	if p.GetInterface() != "" {
		out["if/"+p.GetInterface()] = "interface " + p.GetInterface()
	}
	return out
}

func vrfClaims(v *networkv1.Vrf) map[string]string {
	if v.Vni == nil {
		return nil
	}
	return map[string]string{fmt.Sprintf("vni/%d", v.GetVni()): fmt.Sprintf("VNI %d", v.GetVni())}
}

func sviClaims(s *networkv1.Svi) map[string]string {
	return map[string]string{"svi/" + s.GetLogicalBridge(): "logical bridge " + s.GetLogicalBridge() + "'s SVI"}
}

// loadClaims takes the claims of everything stored.
func (g *Gateway) loadClaims(ctx context.Context) error {
	take := func(name string, keys map[string]string) error {
		_, err := g.claims.take(name, keys)
		return err
	}
	if err := g.lbs.Walk(ctx, func(lb *networkv1.LogicalBridge) error { return take(lb.GetName(), lbClaims(lb)) }); err != nil {
		return err
	}
	if err := g.vrfs.Walk(ctx, func(v *networkv1.Vrf) error { return take(v.GetName(), vrfClaims(v)) }); err != nil {
		return err
	}
	if err := g.ports.Walk(ctx, func(p *networkv1.BridgePort) error {
		mac, err := ParseMAC("mac_address", p.GetMacAddress())
		if err != nil {
			return err
		}
		return take(p.GetName(), portClaims(p, mac.String()))
	}); err != nil {
		return err
	}
	return g.svis.Walk(ctx, func(s *networkv1.Svi) error { return take(s.GetName(), sviClaims(s)) })
}

// withClaims runs change with keys claimed for name; keys it newly took
// are released if change fails.
func (g *Gateway) withClaims(name string, keys map[string]string, change func() error) error {
	taken, err := g.claims.take(name, keys)
	if err != nil {
		return err
	}
	if err := change(); err != nil {
		g.claims.release(name, taken...)
		return err
	}
	return nil
}
