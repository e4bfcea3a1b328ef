package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"

	"github.com/opi-suite/opi/opi-kit/authz"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// loadTLS builds the server TLS configuration from cfg, or returns nil for
// plaintext. Errors name the flag whose file is wrong.
func loadTLS(cfg *Config) (*tls.Config, error) {
	if cfg.TLSCert == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
	if err != nil {
		return nil, fmt.Errorf("loading --tls-cert %s and --tls-key %s: %w", cfg.TLSCert, cfg.TLSKey, err)
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
	if cfg.TLSCA != "" {
		pem, err := os.ReadFile(cfg.TLSCA)
		if err != nil {
			return nil, fmt.Errorf("reading --tls-ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--tls-ca %s holds no PEM certificate", cfg.TLSCA)
		}
		tc.ClientCAs = pool
		tc.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return tc, nil
}

// serverCreds secures network connections with TLS (or leaves them plain
// when tls is nil) and marks connections from the in-process listener,
// which only the REST gateway dials, with gatewayAuthInfo. That mark is a Go
// type a network client cannot produce, which is what makes it safe to
// trust the identity the gateway forwards in metadata.
type serverCreds struct {
	tls credentials.TransportCredentials
}

func newServerCreds(tc *tls.Config) credentials.TransportCredentials {
	if tc == nil {
		return &serverCreds{}
	}
	return &serverCreds{tls: credentials.NewTLS(tc)}
}

func (c *serverCreds) ServerHandshake(conn net.Conn) (net.Conn, credentials.AuthInfo, error) {
	if _, ok := conn.(inProcessConn); ok {
		return conn, gatewayAuthInfo{credentials.CommonAuthInfo{SecurityLevel: credentials.PrivacyAndIntegrity}}, nil
	}
	if c.tls == nil {
		return insecure.NewCredentials().ServerHandshake(conn)
	}
	return c.tls.ServerHandshake(conn)
}

func (c *serverCreds) ClientHandshake(context.Context, string, net.Conn) (net.Conn, credentials.AuthInfo, error) {
	return nil, nil, errors.New("server credentials cannot dial")
}

func (c *serverCreds) Info() credentials.ProtocolInfo {
	if c.tls == nil {
		return insecure.NewCredentials().Info()
	}
	return c.tls.Info()
}

func (c *serverCreds) Clone() credentials.TransportCredentials {
	if c.tls == nil {
		return &serverCreds{}
	}
	return &serverCreds{tls: c.tls.Clone()}
}

//nolint:staticcheck // part of the interface even though deprecated.
func (c *serverCreds) OverrideServerName(string) error { return nil }

// gatewayAuthInfo marks a connection made by the in-process REST gateway.
type gatewayAuthInfo struct{ credentials.CommonAuthInfo }

func (gatewayAuthInfo) AuthType() string { return "opi-gateway" }

// Metadata keys by which the gateway forwards the REST client's verified
// certificate identity. They are trusted only on gateway connections, and
// the gateway refuses HTTP headers that would map onto them.
const (
	identityCNKey = "x-opi-gateway-client-cn"
	identityOUKey = "x-opi-gateway-client-ou"
)

// callerIdentity finds the verified identity of a call: the client
// certificate for network connections under mutual TLS, or the identity the
// gateway forwarded for in-process ones.
func callerIdentity(ctx context.Context) (authz.Identity, error) {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return authz.Identity{}, status.Error(codes.Unauthenticated, "no peer information on the call")
	}
	switch info := p.AuthInfo.(type) {
	case credentials.TLSInfo:
		if chains := info.State.VerifiedChains; len(chains) > 0 && len(chains[0]) > 0 {
			return authz.IdentityFromCertificate(chains[0][0]), nil
		}
	case gatewayAuthInfo:
		md, _ := metadata.FromIncomingContext(ctx)
		if cn := md.Get(identityCNKey); len(cn) == 1 {
			ous := slices.DeleteFunc(slices.Clone(md.Get(identityOUKey)), func(ou string) bool { return ou == "" })
			return authz.Identity{CommonName: cn[0], OrganizationalUnits: ous}, nil
		}
	}
	return authz.Identity{}, status.Error(codes.Unauthenticated, "no verified client certificate: connect with a certificate signed by the server's --tls-ca")
}
