package network

import (
	"strings"
	"sync"

	commonv1 "github.com/opi-suite/opi/opi-api/common/v1"
	networkv1 "github.com/opi-suite/opi/opi-api/network/v1"
	"github.com/opi-suite/opi/opi-kit/errdefs/errgrpc"
)

// components remembers, per resource name, each component's state since
// the bridge started. It is not stored: after a restart every component is
// PENDING until the replay pass (kernel) and the first routing sync (FRR)
// have confirmed it.
type components struct {
	mu sync.Mutex
	m  map[string]map[string]*networkv1.ComponentStatus
}

func (c *components) set(name, component string, state networkv1.ComponentState, msg string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	byComp := c.m[name]
	if byComp == nil {
		byComp = map[string]*networkv1.ComponentStatus{}
		c.m[name] = byComp
	}
	byComp[component] = &networkv1.ComponentStatus{Name: component, State: state, Message: msg}
}

func (c *components) applied(name, component string) {
	c.set(name, component, networkv1.ComponentState_COMPONENT_STATE_APPLIED, "")
}

func (c *components) failed(name, component string, err error) {
	c.set(name, component, networkv1.ComponentState_COMPONENT_STATE_ERROR, errgrpc.Message(err))
}

func (c *components) pending(name, component, why string) {
	c.set(name, component, networkv1.ComponentState_COMPONENT_STATE_PENDING, why)
}

// count returns how many resources have component states, for tests.
func (c *components) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

func (c *components) forget(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, name)
}

// get returns the named components' states in the order given; a component
// with no state yet is PENDING.
func (c *components) get(name string, component ...string) []*networkv1.ComponentStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]*networkv1.ComponentStatus, 0, len(component))
	for _, comp := range component {
		if s, ok := c.m[name][comp]; ok {
			out = append(out, &networkv1.ComponentStatus{Name: s.Name, State: s.State, Message: s.Message})
			continue
		}
		out = append(out, &networkv1.ComponentStatus{Name: comp, State: networkv1.ComponentState_COMPONENT_STATE_PENDING,
			Message: "not confirmed since the bridge started"})
	}
	return out
}

// overall folds the components into the resource's status: ERROR if one
// failed, PENDING if one is not there yet, otherwise the stored status
// (READY). A stored ERROR (the replay pass's) stays.
func overall(stored *commonv1.ResourceStatus, comps []*networkv1.ComponentStatus) *commonv1.ResourceStatus {
	out := &commonv1.ResourceStatus{State: commonv1.ResourceState_RESOURCE_STATE_READY}
	if stored != nil {
		out.UpdateTime = stored.GetUpdateTime()
		if stored.GetState() == commonv1.ResourceState_RESOURCE_STATE_ERROR {
			out.State, out.Message = stored.GetState(), stored.GetMessage()
			return out
		}
	}
	var pending, failed []string
	for _, c := range comps {
		switch c.GetState() {
		case networkv1.ComponentState_COMPONENT_STATE_ERROR:
			failed = append(failed, c.GetName()+": "+c.GetMessage())
		case networkv1.ComponentState_COMPONENT_STATE_APPLIED:
		default:
			pending = append(pending, c.GetName()+": "+c.GetMessage())
		}
	}
	switch {
	case len(failed) > 0:
		out.State, out.Message = commonv1.ResourceState_RESOURCE_STATE_ERROR, strings.Join(failed, "; ")
	case len(pending) > 0:
		out.State, out.Message = commonv1.ResourceState_RESOURCE_STATE_PENDING, strings.Join(pending, "; ")
	}
	return out
}

// The components each kind has: a bridge port has no FRR configuration of
// its own (its MAC is announced through its logical bridge's VNI).
func (g *Gateway) componentsOf(kind string) []string {
	if g.cfg.Routing == nil || kind == portKind.Collection() {
		return []string{ComponentKernel}
	}
	return []string{ComponentKernel, ComponentFRR}
}

func (g *Gateway) decorateLB(lb *networkv1.LogicalBridge) *networkv1.LogicalBridge {
	lb.Components = g.comps.get(lb.GetName(), g.componentsOf(lbKind.Collection())...)
	lb.Status = overall(lb.GetStatus(), lb.GetComponents())
	if lb.Vni != nil {
		for _, v := range g.cachedState().VNIs[lb.GetVni()].RemoteVteps {
			lb.RemoteVteps = append(lb.RemoteVteps, v.String())
		}
	}
	return lb
}

func (g *Gateway) decoratePort(p *networkv1.BridgePort) *networkv1.BridgePort {
	p.Components = g.comps.get(p.GetName(), g.componentsOf(portKind.Collection())...)
	p.Status = overall(p.GetStatus(), p.GetComponents())
	return p
}

func (g *Gateway) decorateVrf(v *networkv1.Vrf) *networkv1.Vrf {
	v.Components = g.comps.get(v.GetName(), g.componentsOf(vrfKind.Collection())...)
	v.Status = overall(v.GetStatus(), v.GetComponents())
	if v.Vni != nil {
		v.RoutingTable = v.GetVni()
	}
	return v
}

func (g *Gateway) decorateSvi(s *networkv1.Svi) *networkv1.Svi {
	s.Components = g.comps.get(s.GetName(), g.componentsOf(sviKind.Collection())...)
	s.Status = overall(s.GetStatus(), s.GetComponents())
	return s
}
