// Package fabric is the AI bridge's fabric domain: the configuration of
// the ports that carry accelerator traffic (MTU, DSCP trust and the map of
// code points to traffic classes, ECN thresholds, PFC), kept as intent and
// applied through a Backend (the kernel's ip, tc and dcb tools by default,
// see internal/fabrictc). What a machine cannot apply is refused before
// anything is stored, with the reason a preflight gives.
package fabric

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"

	aiv1 "github.com/opi-suite/opi/opi-api/ai/v1"
	commonv1 "github.com/opi-suite/opi/opi-api/common/v1"
	"github.com/opi-suite/opi/opi-kit/aip"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-kit/names"
	"github.com/opi-suite/opi/opi-kit/resource"
	"github.com/opi-suite/opi/opi-kit/store"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

var portKind = names.MustForMessage(&aiv1.FabricPort{})

// PortPattern is the fabric ports' resource name pattern, from the API.
var PortPattern = aip.FromNames(portKind.Pattern)

// Backend applies fabric ports to a machine. Apply must be idempotent (it
// is called again after a restart); Remove of what is not there succeeds.
type Backend interface {
	// Preflight says, for each part p asks for, whether it can be applied.
	Preflight(ctx context.Context, p *aiv1.FabricPort) ([]*aiv1.FabricCheck, error)
	// Commands returns what Apply would run, for people.
	Commands(p *aiv1.FabricPort) []string
	Apply(ctx context.Context, p *aiv1.FabricPort) error
	Remove(ctx context.Context, p *aiv1.FabricPort) error
}

// Ports is the fabric domain.
type Ports struct {
	be   Backend
	coll *resource.Collection[*aiv1.FabricPort]
	mu   sync.Mutex // serialises the interface claim and the merge of an update with creates and updates
}

// New builds the domain on st and be.
func New(st store.Store, be Backend) (*Ports, error) {
	if st == nil || be == nil {
		return nil, errors.New("fabric: a store and a backend are required")
	}
	p := &Ports{be: be}
	var err error
	p.coll, err = resource.New[*aiv1.FabricPort](st, portKind.Collection(), PortPattern, resource.WithBackend[*aiv1.FabricPort](hooks{p}))
	return p, err
}

type hooks struct{ p *Ports }

func (h hooks) Create(ctx context.Context, m *aiv1.FabricPort) error {
	m.Commands = h.p.be.Commands(m)
	return h.p.be.Apply(ctx, m)
}

func (h hooks) Update(ctx context.Context, _, m *aiv1.FabricPort) error {
	m.Commands = h.p.be.Commands(m)
	return h.p.be.Apply(ctx, m)
}

func (h hooks) Delete(ctx context.Context, m *aiv1.FabricPort) error { return h.p.be.Remove(ctx, m) }

// Start finishes interrupted changes and applies every stored port again
// (a reboot or a restart of the bridge loses nothing); a port the machine
// refuses now is marked ERROR with the reason.
func (p *Ports) Start(ctx context.Context) error {
	if err := p.coll.Recover(ctx); err != nil {
		return err
	}
	return p.coll.Walk(ctx, func(m *aiv1.FabricPort) error {
		state, msg := commonv1.ResourceState_RESOURCE_STATE_READY, ""
		if err := p.be.Apply(ctx, m); err != nil {
			state, msg = commonv1.ResourceState_RESOURCE_STATE_ERROR, err.Error()
		}
		return p.coll.SetStatus(ctx, m.GetName(), state, msg)
	})
}

// Preflight checks m without storing or applying anything.
func (p *Ports) Preflight(ctx context.Context, m *aiv1.FabricPort) (*aiv1.PreflightFabricPortResponse, error) {
	if err := validate(m); err != nil {
		return nil, err
	}
	checks, err := p.be.Preflight(ctx, m)
	if err != nil {
		return nil, err
	}
	return &aiv1.PreflightFabricPortResponse{Checks: checks, Commands: p.be.Commands(m)}, nil
}

// refuse returns a FailedPrecondition error naming what the machine cannot
// apply of m, or nil.
func (p *Ports) refuse(ctx context.Context, m *aiv1.FabricPort) error {
	checks, err := p.be.Preflight(ctx, m)
	if err != nil {
		return err
	}
	var missing []string
	for _, c := range checks {
		if !c.GetSupported() {
			missing = append(missing, c.GetFeature()+": "+c.GetReason())
		}
	}
	if len(missing) > 0 {
		return errdefs.FailedPreconditionf("this machine cannot apply %s", strings.Join(missing, "; "))
	}
	return nil
}

// Create validates m, checks that the machine can apply all of it, stores
// it and applies it. With validateOnly it returns m with the commands that
// would apply it, and stores and applies nothing.
func (p *Ports) Create(ctx context.Context, id string, m *aiv1.FabricPort, validateOnly bool) (*aiv1.FabricPort, error) {
	name, err := PortPattern.Format(id)
	if err != nil {
		return nil, err
	}
	if err := validate(m); err != nil {
		return nil, err
	}
	if err := p.refuse(ctx, m); err != nil {
		return nil, err
	}
	if validateOnly {
		out := proto.Clone(m).(*aiv1.FabricPort)
		out.Name, out.Commands = name, p.be.Commands(m)
		return out, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.claimed(ctx, name, m.GetInterface()); err != nil {
		return nil, err
	}
	return p.coll.Create(ctx, "", id, m)
}

// claimed fails when a port other than name configures iface.
func (p *Ports) claimed(ctx context.Context, name, iface string) error {
	return p.coll.Walk(ctx, func(o *aiv1.FabricPort) error {
		if o.GetName() != name && o.GetInterface() == iface {
			return errdefs.AlreadyExistsf("interface %s is configured by %s already", iface, o.GetName())
		}
		return nil
	})
}

// Get returns one port.
func (p *Ports) Get(ctx context.Context, name string) (*aiv1.FabricPort, error) {
	return p.coll.Get(ctx, name)
}

// List returns one page of ports.
func (p *Ports) List(ctx context.Context, size int32, token string) ([]*aiv1.FabricPort, string, error) {
	return p.coll.List(ctx, "", size, token)
}

// Update changes a port per mask and applies it.
func (p *Ports) Update(ctx context.Context, m *aiv1.FabricPort, mask *fieldmaskpb.FieldMask, allowMissing bool) (*aiv1.FabricPort, error) {
	// The merged port is checked and written under one lock, so what is
	// stored is what was validated: two updates setting the ECN minimum
	// and maximum at once cannot store a minimum above the maximum.
	p.mu.Lock()
	defer p.mu.Unlock()
	next := m
	old, err := p.coll.Get(ctx, m.GetName())
	switch {
	case err == nil:
		next = proto.Clone(old).(*aiv1.FabricPort)
		if err := aip.ApplyFieldMask(next, m, mask); err != nil {
			return nil, err
		}
	case !allowMissing || !errors.Is(err, errdefs.ErrNotFound):
		return nil, err
	}
	if err := validate(next); err != nil {
		return nil, err
	}
	if err := p.refuse(ctx, next); err != nil {
		return nil, err
	}
	if err := p.claimed(ctx, m.GetName(), next.GetInterface()); err != nil {
		return nil, err
	}
	return p.coll.Update(ctx, m, mask, allowMissing)
}

// Delete removes a port's configuration from its interface and the intent.
func (p *Ports) Delete(ctx context.Context, name string, allowMissing bool) error {
	return p.coll.Delete(ctx, name, allowMissing)
}

// validate checks a port's value rules.
func validate(m *aiv1.FabricPort) error {
	if m.GetInterface() == "" || len(m.GetInterface()) > 15 || strings.ContainsAny(m.GetInterface(), "/ \t") {
		return errdefs.InvalidArgumentf("interface %q is not a kernel interface name", m.GetInterface())
	}
	if mtu := m.GetMtu(); mtu != 0 && (mtu < 68 || mtu > 65535) {
		return errdefs.InvalidArgumentf("mtu %d is out of range (68 to 65535)", mtu)
	}
	if len(m.GetDscpPriorities()) > 0 && !m.GetDscpTrust() {
		return errdefs.InvalidArgumentf("dscp_priorities need dscp_trust")
	}
	seen := map[uint32]bool{}
	for _, d := range m.GetDscpPriorities() {
		if d.GetDscp() > 63 || d.GetPriority() > 7 || seen[d.GetDscp()] {
			return errdefs.InvalidArgumentf("dscp %d -> priority %d: DSCP 0 to 63, once each; priority 0 to 7", d.GetDscp(), d.GetPriority())
		}
		seen[d.GetDscp()] = true
	}
	if e := m.GetEcn(); e != nil {
		if e.GetMinBytes() == 0 || e.GetMaxBytes() <= e.GetMinBytes() || e.GetMaxProbabilityPercent() > 100 {
			return errdefs.InvalidArgumentf("ecn: want 0 < min_bytes < max_bytes and a probability of at most 100 percent")
		}
	}
	for i, prio := range m.GetPfcPriorities() {
		if prio > 7 || slices.Contains(m.GetPfcPriorities()[:i], prio) {
			return errdefs.InvalidArgumentf("pfc_priorities: %d is out of range (0 to 7) or listed twice", prio)
		}
	}
	return nil
}
