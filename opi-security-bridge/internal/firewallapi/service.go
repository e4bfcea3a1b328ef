// Package firewallapi serves opi.security.v1.FirewallService: the thin API
// layer over the firewall domain (internal/firewall), and Setup, which
// wires domain, XDP backend and service into a bridge server.
package firewallapi

import (
	"context"

	securityv1 "github.com/opi-suite/opi/opi-api/security/v1"
	"github.com/opi-suite/opi/opi-kit/aip"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/opi-suite/opi/opi-security-bridge/internal/firewall"
	"github.com/opi-suite/opi/opi-security-bridge/internal/xdp"
)

// Service implements securityv1.FirewallServiceServer.
type Service struct {
	securityv1.UnimplementedFirewallServiceServer
	policies *firewall.Policies
}

// NewService returns the API over policies.
func NewService(policies *firewall.Policies) *Service { return &Service{policies: policies} }

// CreateFirewallPolicy implements FirewallServiceServer.
func (s *Service) CreateFirewallPolicy(ctx context.Context, r *securityv1.CreateFirewallPolicyRequest) (*securityv1.FirewallPolicy, error) {
	p, err := s.policies.Create(ctx, r.GetFirewallPolicyId(), r.GetFirewallPolicy())
	return p, aip.Status(err)
}

// GetFirewallPolicy implements FirewallServiceServer.
func (s *Service) GetFirewallPolicy(ctx context.Context, r *securityv1.GetFirewallPolicyRequest) (*securityv1.FirewallPolicy, error) {
	p, err := s.policies.Get(ctx, r.GetName())
	return p, aip.Status(err)
}

// ListFirewallPolicies implements FirewallServiceServer.
func (s *Service) ListFirewallPolicies(ctx context.Context, r *securityv1.ListFirewallPoliciesRequest) (*securityv1.ListFirewallPoliciesResponse, error) {
	ps, next, err := s.policies.List(ctx, r.GetPageSize(), r.GetPageToken())
	if err != nil {
		return nil, aip.Status(err)
	}
	return &securityv1.ListFirewallPoliciesResponse{FirewallPolicies: ps, NextPageToken: next}, nil
}

// UpdateFirewallPolicy implements FirewallServiceServer.
func (s *Service) UpdateFirewallPolicy(ctx context.Context, r *securityv1.UpdateFirewallPolicyRequest) (*securityv1.FirewallPolicy, error) {
	p, err := s.policies.Update(ctx, r.GetFirewallPolicy(), r.GetUpdateMask(), r.GetAllowMissing())
	return p, aip.Status(err)
}

// DeleteFirewallPolicy implements FirewallServiceServer.
func (s *Service) DeleteFirewallPolicy(ctx context.Context, r *securityv1.DeleteFirewallPolicyRequest) (*emptypb.Empty, error) {
	if err := s.policies.Delete(ctx, r.GetName(), r.GetAllowMissing()); err != nil {
		return nil, aip.Status(err)
	}
	return &emptypb.Empty{}, nil
}

// StatsFirewallPolicy implements FirewallServiceServer.
func (s *Service) StatsFirewallPolicy(ctx context.Context, r *securityv1.StatsFirewallPolicyRequest) (*securityv1.StatsFirewallPolicyResponse, error) {
	st, err := s.policies.Stats(ctx, r.GetName())
	if err != nil {
		return nil, aip.Status(err)
	}
	out := &securityv1.StatsFirewallPolicyResponse{DefaultAction: counters(st.Default), Malformed: counters(st.Malformed)}
	for _, rs := range st.Rules {
		out.Rules = append(out.Rules, &securityv1.FirewallRuleStats{Priority: rs.Priority, Counters: counters(rs.Counters)})
	}
	return out, nil
}

func counters(c xdp.Counters) *securityv1.FirewallCounters {
	return &securityv1.FirewallCounters{Packets: c.Packets, Bytes: c.Bytes}
}
