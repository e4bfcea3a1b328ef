package api

import (
	"context"

	securityv1 "github.com/opi-suite/opi/opi-api/security/v1"
	"github.com/opi-suite/opi/opi-kit/redact"
	"github.com/opi-suite/opi/opi-security-bridge/ipsec"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
)

// IPsec implements securityv1.IpsecServiceServer over the IPsec domain.
type IPsec struct {
	securityv1.UnimplementedIpsecServiceServer
	m *ipsec.Manager
}

// NewIPsec returns the IPsec service over m.
func NewIPsec(m *ipsec.Manager) *IPsec { return &IPsec{m: m} }

// out clears secret fields before a resource leaves the domain. The
// server's redaction interceptor does the same; this keeps secrets out of
// anything that bypasses it.
func out[T proto.Message](m T, err error) (T, error) {
	if err != nil {
		var zero T
		return zero, err
	}
	redact.Clear(m)
	return m, nil
}

func empty(err error) (*emptypb.Empty, error) {
	if err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

// CreateIkeConnection creates and loads a connection.
func (s *IPsec) CreateIkeConnection(ctx context.Context, r *securityv1.CreateIkeConnectionRequest) (*securityv1.IkeConnection, error) {
	return out(s.m.CreateConnection(ctx, r.GetIkeConnectionId(), r.GetIkeConnection()))
}

// GetIkeConnection returns one connection.
func (s *IPsec) GetIkeConnection(ctx context.Context, r *securityv1.GetIkeConnectionRequest) (*securityv1.IkeConnection, error) {
	return out(s.m.GetConnection(ctx, r.GetName()))
}

// ListIkeConnections lists connections.
func (s *IPsec) ListIkeConnections(ctx context.Context, r *securityv1.ListIkeConnectionsRequest) (*securityv1.ListIkeConnectionsResponse, error) {
	items, next, err := s.m.ListConnections(ctx, r.GetPageSize(), r.GetPageToken())
	return out(&securityv1.ListIkeConnectionsResponse{IkeConnections: items, NextPageToken: next}, err)
}

// UpdateIkeConnection updates and reloads a connection.
func (s *IPsec) UpdateIkeConnection(ctx context.Context, r *securityv1.UpdateIkeConnectionRequest) (*securityv1.IkeConnection, error) {
	return out(s.m.UpdateConnection(ctx, r.GetIkeConnection(), r.GetUpdateMask(), r.GetAllowMissing()))
}

// DeleteIkeConnection closes, unloads and deletes a connection.
func (s *IPsec) DeleteIkeConnection(ctx context.Context, r *securityv1.DeleteIkeConnectionRequest) (*emptypb.Empty, error) {
	return empty(s.m.DeleteConnection(ctx, r.GetName(), r.GetAllowMissing()))
}

// InitiateIkeConnection brings a connection up.
func (s *IPsec) InitiateIkeConnection(ctx context.Context, r *securityv1.InitiateIkeConnectionRequest) (*securityv1.InitiateIkeConnectionResponse, error) {
	sas, err := s.m.Initiate(ctx, r.GetName(), r.GetChild(), r.GetTimeout().AsDuration())
	return out(&securityv1.InitiateIkeConnectionResponse{IkeSas: sas}, err)
}

// TerminateIkeConnection closes a connection's SAs.
func (s *IPsec) TerminateIkeConnection(ctx context.Context, r *securityv1.TerminateIkeConnectionRequest) (*securityv1.TerminateIkeConnectionResponse, error) {
	n, err := s.m.Terminate(ctx, r.GetName(), r.GetChild(), r.GetForce())
	return out(&securityv1.TerminateIkeConnectionResponse{Terminated: uint32(n)}, err)
}

// RekeyIkeConnection rekeys a connection's SAs.
func (s *IPsec) RekeyIkeConnection(ctx context.Context, r *securityv1.RekeyIkeConnectionRequest) (*securityv1.RekeyIkeConnectionResponse, error) {
	n, err := s.m.Rekey(ctx, r.GetName(), r.GetChild(), r.GetReauth())
	return out(&securityv1.RekeyIkeConnectionResponse{Rekeyed: uint32(n)}, err)
}

// CreatePreSharedKey stores a pre-shared key.
func (s *IPsec) CreatePreSharedKey(ctx context.Context, r *securityv1.CreatePreSharedKeyRequest) (*securityv1.PreSharedKey, error) {
	return out(s.m.PSKs.Create(ctx, "", r.GetPreSharedKeyId(), r.GetPreSharedKey()))
}

// GetPreSharedKey returns a pre-shared key without its secret.
func (s *IPsec) GetPreSharedKey(ctx context.Context, r *securityv1.GetPreSharedKeyRequest) (*securityv1.PreSharedKey, error) {
	return out(s.m.PSKs.Get(ctx, r.GetName()))
}

// ListPreSharedKeys lists pre-shared keys without their secrets.
func (s *IPsec) ListPreSharedKeys(ctx context.Context, r *securityv1.ListPreSharedKeysRequest) (*securityv1.ListPreSharedKeysResponse, error) {
	items, next, err := s.m.PSKs.List(ctx, "", r.GetPageSize(), r.GetPageToken())
	return out(&securityv1.ListPreSharedKeysResponse{PreSharedKeys: items, NextPageToken: next}, err)
}

// UpdatePreSharedKey rotates a pre-shared key.
func (s *IPsec) UpdatePreSharedKey(ctx context.Context, r *securityv1.UpdatePreSharedKeyRequest) (*securityv1.PreSharedKey, error) {
	return out(s.m.PSKs.Update(ctx, r.GetPreSharedKey(), r.GetUpdateMask(), r.GetAllowMissing()))
}

// DeletePreSharedKey deletes an unused pre-shared key.
func (s *IPsec) DeletePreSharedKey(ctx context.Context, r *securityv1.DeletePreSharedKeyRequest) (*emptypb.Empty, error) {
	return empty(s.m.PSKs.Delete(ctx, r.GetName(), r.GetAllowMissing()))
}

// CreateCertificate stores and loads a certificate.
func (s *IPsec) CreateCertificate(ctx context.Context, r *securityv1.CreateCertificateRequest) (*securityv1.Certificate, error) {
	return out(s.m.CreateCertificate(ctx, r.GetCertificateId(), r.GetCertificate()))
}

// GetCertificate returns a certificate.
func (s *IPsec) GetCertificate(ctx context.Context, r *securityv1.GetCertificateRequest) (*securityv1.Certificate, error) {
	return out(s.m.Certs.Get(ctx, r.GetName()))
}

// ListCertificates lists certificates.
func (s *IPsec) ListCertificates(ctx context.Context, r *securityv1.ListCertificatesRequest) (*securityv1.ListCertificatesResponse, error) {
	items, next, err := s.m.Certs.List(ctx, "", r.GetPageSize(), r.GetPageToken())
	return out(&securityv1.ListCertificatesResponse{Certificates: items, NextPageToken: next}, err)
}

// UpdateCertificate changes nothing but can create (allow_missing).
func (s *IPsec) UpdateCertificate(ctx context.Context, r *securityv1.UpdateCertificateRequest) (*securityv1.Certificate, error) {
	return out(s.m.Certs.Update(ctx, r.GetCertificate(), r.GetUpdateMask(), r.GetAllowMissing()))
}

// DeleteCertificate deletes an unused certificate.
func (s *IPsec) DeleteCertificate(ctx context.Context, r *securityv1.DeleteCertificateRequest) (*emptypb.Empty, error) {
	return empty(s.m.Certs.Delete(ctx, r.GetName(), r.GetAllowMissing()))
}

// CreatePrivateKey stores and loads a private key.
func (s *IPsec) CreatePrivateKey(ctx context.Context, r *securityv1.CreatePrivateKeyRequest) (*securityv1.PrivateKey, error) {
	return out(s.m.Keys.Create(ctx, "", r.GetPrivateKeyId(), r.GetPrivateKey()))
}

// GetPrivateKey returns a private key without the key material.
func (s *IPsec) GetPrivateKey(ctx context.Context, r *securityv1.GetPrivateKeyRequest) (*securityv1.PrivateKey, error) {
	return out(s.m.Keys.Get(ctx, r.GetName()))
}

// ListPrivateKeys lists private keys without the key material.
func (s *IPsec) ListPrivateKeys(ctx context.Context, r *securityv1.ListPrivateKeysRequest) (*securityv1.ListPrivateKeysResponse, error) {
	items, next, err := s.m.Keys.List(ctx, "", r.GetPageSize(), r.GetPageToken())
	return out(&securityv1.ListPrivateKeysResponse{PrivateKeys: items, NextPageToken: next}, err)
}

// UpdatePrivateKey changes nothing but can create (allow_missing).
func (s *IPsec) UpdatePrivateKey(ctx context.Context, r *securityv1.UpdatePrivateKeyRequest) (*securityv1.PrivateKey, error) {
	return out(s.m.Keys.Update(ctx, r.GetPrivateKey(), r.GetUpdateMask(), r.GetAllowMissing()))
}

// DeletePrivateKey unloads and deletes an unused private key.
func (s *IPsec) DeletePrivateKey(ctx context.Context, r *securityv1.DeletePrivateKeyRequest) (*emptypb.Empty, error) {
	return empty(s.m.Keys.Delete(ctx, r.GetName(), r.GetAllowMissing()))
}

// CreateAddressPool stores and loads an address pool.
func (s *IPsec) CreateAddressPool(ctx context.Context, r *securityv1.CreateAddressPoolRequest) (*securityv1.AddressPool, error) {
	return out(s.m.CreatePool(ctx, r.GetAddressPoolId(), r.GetAddressPool()))
}

// GetAddressPool returns an address pool.
func (s *IPsec) GetAddressPool(ctx context.Context, r *securityv1.GetAddressPoolRequest) (*securityv1.AddressPool, error) {
	return out(s.m.Pools.Get(ctx, r.GetName()))
}

// ListAddressPools lists address pools.
func (s *IPsec) ListAddressPools(ctx context.Context, r *securityv1.ListAddressPoolsRequest) (*securityv1.ListAddressPoolsResponse, error) {
	items, next, err := s.m.Pools.List(ctx, "", r.GetPageSize(), r.GetPageToken())
	return out(&securityv1.ListAddressPoolsResponse{AddressPools: items, NextPageToken: next}, err)
}

// UpdateAddressPool changes an address pool's DNS servers and reloads it.
func (s *IPsec) UpdateAddressPool(ctx context.Context, r *securityv1.UpdateAddressPoolRequest) (*securityv1.AddressPool, error) {
	return out(s.m.Pools.Update(ctx, r.GetAddressPool(), r.GetUpdateMask(), r.GetAllowMissing()))
}

// DeleteAddressPool unloads and deletes an unused address pool.
func (s *IPsec) DeleteAddressPool(ctx context.Context, r *securityv1.DeleteAddressPoolRequest) (*emptypb.Empty, error) {
	return empty(s.m.Pools.Delete(ctx, r.GetName(), r.GetAllowMissing()))
}

// ListIkeSas lists a page of live IKE SAs.
func (s *IPsec) ListIkeSas(ctx context.Context, r *securityv1.ListIkeSasRequest) (*securityv1.ListIkeSasResponse, error) {
	sas, next, err := s.m.ListIkeSaPage(ctx, r.GetIkeConnection(), r.GetPageSize(), r.GetPageToken())
	return out(&securityv1.ListIkeSasResponse{IkeSas: sas, NextPageToken: next}, err)
}

// ListChildSas lists a page of live child SAs.
func (s *IPsec) ListChildSas(ctx context.Context, r *securityv1.ListChildSasRequest) (*securityv1.ListChildSasResponse, error) {
	sas, next, err := s.m.ListChildSaPage(ctx, r.GetIkeConnection(), r.GetPageSize(), r.GetPageToken())
	return out(&securityv1.ListChildSasResponse{ChildSas: sas, NextPageToken: next}, err)
}

// GetIpsecVersion returns charon's version.
func (s *IPsec) GetIpsecVersion(ctx context.Context, _ *securityv1.GetIpsecVersionRequest) (*securityv1.IpsecVersion, error) {
	return out(s.m.Version(ctx))
}

// GetIpsecStats returns charon's counters.
func (s *IPsec) GetIpsecStats(ctx context.Context, _ *securityv1.GetIpsecStatsRequest) (*securityv1.IpsecStats, error) {
	return out(s.m.Stats(ctx))
}

// WatchSaEvents streams SA events until the client goes away. The
// response headers are sent once the watch is registered: a client that
// waits for them (stream.Header) misses no event after that point.
func (s *IPsec) WatchSaEvents(r *securityv1.WatchSaEventsRequest, stream grpc.ServerStreamingServer[securityv1.SaEvent]) error {
	registered := func() error { return stream.SendHeader(metadata.MD{}) }
	return s.m.Watch(stream.Context(), r.GetIkeConnection(), registered, stream.Send)
}
