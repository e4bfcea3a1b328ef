// Package api is the security bridge's API layer: opi.security.v1's
// IpsecService and FirewallService implemented thinly, each call a
// request mapped to one domain call (packages ipsec and firewall) and its
// result mapped to the response. Errors are the domain's, returned
// unchanged: the runtime (opi-kit/server) maps their errdefs classes to
// gRPC codes once, for every call. Nothing here knows a backend.
package api

import (
	"context"

	securityv1 "github.com/opi-suite/opi/opi-api/security/v1"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/opi-suite/opi/opi-security-bridge/firewall"
)

// Firewall implements securityv1.FirewallServiceServer over the firewall
// domain.
type Firewall struct {
	securityv1.UnimplementedFirewallServiceServer
	policies *firewall.Policies
}

// NewFirewall returns the firewall service over policies.
func NewFirewall(policies *firewall.Policies) *Firewall { return &Firewall{policies: policies} }

// CreateFirewallPolicy implements FirewallServiceServer.
func (s *Firewall) CreateFirewallPolicy(ctx context.Context, r *securityv1.CreateFirewallPolicyRequest) (*securityv1.FirewallPolicy, error) {
	return s.policies.Create(ctx, r.GetFirewallPolicyId(), r.GetFirewallPolicy())
}

// GetFirewallPolicy implements FirewallServiceServer.
func (s *Firewall) GetFirewallPolicy(ctx context.Context, r *securityv1.GetFirewallPolicyRequest) (*securityv1.FirewallPolicy, error) {
	return s.policies.Get(ctx, r.GetName())
}

// ListFirewallPolicies implements FirewallServiceServer.
func (s *Firewall) ListFirewallPolicies(ctx context.Context, r *securityv1.ListFirewallPoliciesRequest) (*securityv1.ListFirewallPoliciesResponse, error) {
	ps, next, err := s.policies.List(ctx, r.GetPageSize(), r.GetPageToken())
	if err != nil {
		return nil, err
	}
	return &securityv1.ListFirewallPoliciesResponse{FirewallPolicies: ps, NextPageToken: next}, nil
}

// UpdateFirewallPolicy implements FirewallServiceServer.
func (s *Firewall) UpdateFirewallPolicy(ctx context.Context, r *securityv1.UpdateFirewallPolicyRequest) (*securityv1.FirewallPolicy, error) {
	return s.policies.Update(ctx, r.GetFirewallPolicy(), r.GetUpdateMask(), r.GetAllowMissing())
}

// DeleteFirewallPolicy implements FirewallServiceServer.
func (s *Firewall) DeleteFirewallPolicy(ctx context.Context, r *securityv1.DeleteFirewallPolicyRequest) (*emptypb.Empty, error) {
	if err := s.policies.Delete(ctx, r.GetName(), r.GetAllowMissing()); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

// StatsFirewallPolicy implements FirewallServiceServer.
func (s *Firewall) StatsFirewallPolicy(ctx context.Context, r *securityv1.StatsFirewallPolicyRequest) (*securityv1.StatsFirewallPolicyResponse, error) {
	return s.policies.Stats(ctx, r.GetName())
}
