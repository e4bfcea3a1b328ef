package network

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"time"

	networkv1 "github.com/opi-suite/opi/opi-api/network/v1"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-kit/errdefs/errgrpc"
)

// How the routing sync paces itself.
const (
	routingDebounce   = 20 * time.Millisecond // changes arriving together make one apply
	routingRecheck    = 500 * time.Millisecond
	routingMinBackoff = time.Second
	routingMaxBackoff = 30 * time.Second
	stateMaxAge       = time.Second // reads reuse FRR's state this long
)

// routingQueued marks name's FRR component PENDING and queues a sync.
func (g *Gateway) routingQueued(name string) {
	if g.cfg.Routing == nil {
		return
	}
	g.comps.pending(name, ComponentFRR, "queued for the next FRR apply")
	g.kickRouting()
}

// routingChanged queues a sync; a changed resource's FRR component is
// PENDING until it has run (routingQueued), an unchanged one keeps its
// state, so a periodic replay pass does not flip READY resources.
func (g *Gateway) routingChanged(name string, changed bool) {
	if changed {
		g.routingQueued(name)
		return
	}
	g.kickRouting()
}

func (g *Gateway) kickRouting() {
	select {
	case g.routingKick <- struct{}{}:
	default:
	}
}

// RunRouting applies the routing configuration whenever the intent changes
// (changes that arrive together make one apply) and every RoutingInterval
// (an FRR that restarted gets it back), until ctx ends. A failed apply is
// retried with backoff.
func (g *Gateway) RunRouting(ctx context.Context) {
	if g.cfg.Routing == nil {
		return
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	backoff := routingMinBackoff
	for {
		select {
		case <-ctx.Done():
			return
		case <-g.routingKick:
		case <-timer.C:
		}
		select { // let changes that arrive together make one apply
		case <-ctx.Done():
			return
		case <-time.After(routingDebounce):
		}
		select {
		case <-g.routingKick:
		default:
		}
		again, err := g.SyncRouting(ctx)
		next := g.cfg.RoutingInterval
		switch {
		case err != nil:
			g.logger.WarnContext(ctx, "FRR: the routing configuration could not be applied; retrying", "error", err, "retry_in", backoff)
			next, backoff = backoff, min(2*backoff, routingMaxBackoff)
		case again:
			next, backoff = routingRecheck, routingMinBackoff
		default:
			backoff = routingMinBackoff
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(next)
	}
}

// SyncRouting renders the routing configuration from the whole stored
// intent, applies it, reads FRR's EVPN state and records each resource's
// FRR component: APPLIED once FRR has it (and, for a VNI, zebra knows it),
// PENDING while zebra has not learnt a VNI yet (again is then true: check
// soon), ERROR with FRR's reason when the apply failed.
func (g *Gateway) SyncRouting(ctx context.Context) (again bool, err error) {
	if g.cfg.Routing == nil {
		return false, nil
	}
	g.syncMu.Lock()
	defer g.syncMu.Unlock()
	cfg, lbs, vrfs, others, err := g.routingConfig(ctx)
	if err != nil {
		return false, err
	}
	all := append(append(append([]string(nil), others...), keys(lbs)...), keys(vrfs)...)
	if err := g.cfg.Routing.Apply(ctx, cfg); err != nil {
		for _, name := range all {
			if errdefs.Unreachable(err) || errdefs.Class(err) == errdefs.ErrUnavailable {
				g.comps.pending(name, ComponentFRR, "FRR cannot be reached: "+errgrpc.Message(err))
			} else {
				g.comps.failed(name, ComponentFRR, err)
			}
		}
		return false, err
	}
	st, err := g.cfg.Routing.State(ctx)
	if err != nil {
		for _, name := range all {
			g.comps.pending(name, ComponentFRR, "applied; FRR's state could not be read: "+errgrpc.Message(err))
		}
		return false, err
	}
	g.setState(st)
	for _, name := range others {
		g.comps.applied(name, ComponentFRR)
	}
	confirm := func(byName map[string]uint32, what string) {
		for name, vni := range byName {
			if _, ok := st.VNIs[vni]; vni == 0 || ok {
				g.comps.applied(name, ComponentFRR)
				continue
			}
			again = true
			g.comps.pending(name, ComponentFRR, fmt.Sprintf("applied; zebra has not learnt %s VNI %d from the kernel yet", what, vni))
		}
	}
	confirm(lbs, "L2")
	confirm(vrfs, "L3")
	return again, nil
}

func keys(m map[string]uint32) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// routingConfig renders the routing configuration from the stored intent,
// in name order, with the names of the logical bridges and VRFs (and their
// VNIs) and of the other resources it covers. Resources whose kernel
// component failed are left out: FRR announces only what the kernel holds.
func (g *Gateway) routingConfig(ctx context.Context) (cfg RoutingConfig, lbs, vrfs map[string]uint32, others []string, err error) {
	lbs, vrfs = map[string]uint32{}, map[string]uint32{}
	err = g.lbs.Walk(ctx, func(lb *networkv1.LogicalBridge) error {
		spec, err := g.kernelLB(lb)
		if err != nil {
			return err
		}
		cfg.LogicalBridges = append(cfg.LogicalBridges, spec)
		lbs[lb.GetName()] = spec.VNI
		return nil
	})
	if err == nil {
		err = g.vrfs.Walk(ctx, func(v *networkv1.Vrf) error {
			spec, err := g.kernelVrf(v)
			if err != nil {
				return err
			}
			cfg.Vrfs = append(cfg.Vrfs, spec)
			vrfs[v.GetName()] = spec.VNI
			return nil
		})
	}
	if err == nil {
		err = g.svis.Walk(ctx, func(s *networkv1.Svi) error {
			spec, err := g.kernelSvi(ctx, s)
			if err != nil {
				return err
			}
			cfg.Svis = append(cfg.Svis, spec)
			others = append(others, s.GetName())
			return nil
		})
	}
	sort.Slice(cfg.LogicalBridges, func(i, j int) bool { return cfg.LogicalBridges[i].VlanID < cfg.LogicalBridges[j].VlanID })
	return cfg, lbs, vrfs, others, err
}

func (g *Gateway) setState(st RoutingState) {
	g.stateMu.Lock()
	defer g.stateMu.Unlock()
	g.state, g.stateAt = st, time.Now()
}

// cachedState returns FRR's EVPN state, read again when older than
// stateMaxAge; a failed read keeps the last one.
func (g *Gateway) cachedState() RoutingState {
	if g.cfg.Routing == nil {
		return RoutingState{}
	}
	g.stateMu.Lock()
	defer g.stateMu.Unlock()
	if time.Since(g.stateAt) > stateMaxAge {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if st, err := g.cfg.Routing.State(ctx); err == nil {
			g.state = st
		}
		g.stateAt = time.Now()
	}
	return g.state
}

// RoutingState returns FRR's EVPN state (at most stateMaxAge old).
func (g *Gateway) RoutingState() RoutingState { return g.cachedState() }

func itoa(n uint32) string { return strconv.FormatUint(uint64(n), 10) }

// errorText is an error's message without a class prefix.
func errorText(err error) string { return errgrpc.Message(err) }
