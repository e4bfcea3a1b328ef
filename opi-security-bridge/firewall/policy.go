package firewall

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"

	securityv1 "github.com/opi-suite/opi/opi-api/security/v1"
	"github.com/opi-suite/opi/opi-kit/aip"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-kit/names"
	"github.com/opi-suite/opi/opi-kit/resource"
	"github.com/opi-suite/opi/opi-kit/store"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

// policyKind is the resource kind as the API declares it.
var policyKind = names.MustForMessage(&securityv1.FirewallPolicy{})

// Pattern is the resource name pattern of firewall policies, from the API.
var Pattern = aip.FromNames(policyKind.Pattern)

// Policies is the stored intent of firewall policies and the component that
// keeps the backend in line with it.
type Policies struct {
	coll    *resource.Collection[*securityv1.FirewallPolicy]
	backend Backend
	logger  *slog.Logger
	// mu serializes mutations, so the one-policy-per-interface check and
	// the change it guards are one step.
	mu sync.Mutex
}

// New returns the firewall policies kept in st and enforced through b.
func New(st store.Store, b Backend, logger *slog.Logger) (*Policies, error) {
	p := &Policies{backend: b, logger: logger}
	coll, err := resource.New[*securityv1.FirewallPolicy](st, policyKind.Collection(), Pattern,
		resource.WithBackend[*securityv1.FirewallPolicy](hooks{p}))
	if err != nil {
		return nil, err
	}
	p.coll = coll
	return p, nil
}

// Create stores and enforces a new policy. Nothing is stored or attached
// when it fails.
func (p *Policies) Create(ctx context.Context, id string, pol *securityv1.FirewallPolicy) (*securityv1.FirewallPolicy, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	name, err := Pattern.Format(id)
	if err != nil {
		return nil, err
	}
	if err := p.check(ctx, name, pol); err != nil {
		return nil, err
	}
	return p.coll.Create(ctx, "", id, pol)
}

// Get returns one policy.
func (p *Policies) Get(ctx context.Context, name string) (*securityv1.FirewallPolicy, error) {
	return p.coll.Get(ctx, name)
}

// List returns one page of policies.
func (p *Policies) List(ctx context.Context, size int32, token string) ([]*securityv1.FirewallPolicy, string, error) {
	return p.coll.List(ctx, "", size, token)
}

// Update changes a policy per mask. A new rule set replaces the old one
// atomically in the kernel; if it is refused, the old one keeps enforcing
// and the stored policy is unchanged.
func (p *Policies) Update(ctx context.Context, pol *securityv1.FirewallPolicy, mask *fieldmaskpb.FieldMask, allowMissing bool) (*securityv1.FirewallPolicy, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	name := pol.GetName()
	cur, err := p.coll.Get(ctx, name)
	switch {
	case errors.Is(err, errdefs.ErrNotFound) && allowMissing:
		cur = &securityv1.FirewallPolicy{Name: name}
		mask = nil
	case err != nil:
		return nil, err
	}
	next := proto.Clone(cur).(*securityv1.FirewallPolicy)
	if err := aip.ApplyFieldMask(next, pol, mask); err != nil {
		return nil, err
	}
	if err := p.check(ctx, name, next); err != nil {
		return nil, err
	}
	return p.coll.Update(ctx, pol, mask, allowMissing)
}

// Delete detaches and removes a policy.
func (p *Policies) Delete(ctx context.Context, name string, allowMissing bool) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.coll.Delete(ctx, name, allowMissing)
}

// Stats returns the counters of a policy's active rule set: per rule (by
// priority), for the default action and for malformed packets.
func (p *Policies) Stats(ctx context.Context, name string) (*securityv1.StatsFirewallPolicyResponse, error) {
	// Under mu, so the stored rules (which name the counter slots) and the
	// kernel's active rule set are the same: an update switches the kernel
	// before it commits the store.
	p.mu.Lock()
	defer p.mu.Unlock()
	pol, err := p.coll.Get(ctx, name)
	if err != nil {
		return nil, err
	}
	_, prios, err := convert(pol)
	if err != nil {
		return nil, err
	}
	id, _ := Pattern.ID(name)
	s, err := p.backend.Stats(ctx, id, len(prios))
	if err != nil {
		return nil, fmt.Errorf("reading the counters of %s: %w", name, err)
	}
	out := &securityv1.StatsFirewallPolicyResponse{DefaultAction: counters(s.Default), Malformed: counters(s.Malformed)}
	for i, c := range s.Rules {
		out.Rules = append(out.Rules, &securityv1.FirewallRuleStats{Priority: prios[i], Counters: counters(c)})
	}
	return out, nil
}

func counters(c Counters) *securityv1.FirewallCounters {
	return &securityv1.FirewallCounters{Packets: c.Packets, Bytes: c.Bytes}
}

// check validates pol and its interfaces: each must exist (NotFound) and
// belong to no other policy (FailedPrecondition).
func (p *Policies) check(ctx context.Context, name string, pol *securityv1.FirewallPolicy) error {
	if err := Validate(pol); err != nil {
		return err
	}
	for i, ifname := range pol.GetInterfaces() {
		ok, err := p.backend.HasInterface(ctx, ifname)
		if err != nil {
			return err
		}
		if !ok {
			return errdefs.NotFoundf("interfaces[%d]: interface %q not found", i, ifname)
		}
	}
	return p.coll.Walk(ctx, func(other *securityv1.FirewallPolicy) error {
		if other.GetName() == name {
			return nil
		}
		for _, i := range pol.GetInterfaces() {
			if slices.Contains(other.GetInterfaces(), i) {
				return errdefs.FailedPreconditionf("interface %q already has policy %s; an interface takes one policy", i, other.GetName())
			}
		}
		return nil
	})
}

func (p *Policies) apply(ctx context.Context, id string, pol *securityv1.FirewallPolicy) error {
	c, err := Compile(pol)
	if err != nil {
		return err
	}
	return p.backend.Apply(ctx, id, c)
}

// hooks run the backend side of each stored change (resource.Backend).
type hooks struct{ p *Policies }

func (h hooks) Create(ctx context.Context, pol *securityv1.FirewallPolicy) error {
	id, _ := Pattern.ID(pol.GetName())
	if err := h.p.apply(ctx, id, pol); err != nil {
		return errors.Join(err, h.p.backend.Remove(context.WithoutCancel(ctx), id))
	}
	return nil
}

func (h hooks) Update(ctx context.Context, old, pol *securityv1.FirewallPolicy) error {
	id, _ := Pattern.ID(pol.GetName())
	if err := h.p.apply(ctx, id, pol); err != nil {
		// The rule set switch is atomic, but interfaces may have changed
		// before the failure: put the old policy back whole.
		return errors.Join(err, h.p.apply(context.WithoutCancel(ctx), id, old))
	}
	return nil
}

func (h hooks) Delete(ctx context.Context, pol *securityv1.FirewallPolicy) error {
	id, _ := Pattern.ID(pol.GetName())
	return h.p.backend.Remove(ctx, id)
}
