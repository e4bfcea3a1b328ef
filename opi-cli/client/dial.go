// Package client connects Go programs to OPI services: one Dial with the
// suite's TLS conventions, shared by the opi command line and by anyone who
// calls the API from Go.
package client

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// Options says how to reach a service.
type Options struct {
	// Addr is host:port of the service's gRPC listener.
	Addr string
	// CAFile verifies the server's certificate; empty uses the system roots.
	CAFile string
	// CertFile and KeyFile are this client's certificate, for services that
	// require mutual TLS.
	CertFile, KeyFile string
	// ServerName overrides the name checked in the server's certificate.
	ServerName string
	// Insecure dials without TLS. Services accept it only when they were
	// started with --insecure-plaintext.
	Insecure bool
}

// Dial returns a connection to the service. Like grpc.NewClient it does not
// wait for the server: the first call reports an unreachable one.
func Dial(o Options, extra ...grpc.DialOption) (*grpc.ClientConn, error) {
	if o.Addr == "" {
		return nil, errors.New("no address: give --addr host:port or set OPI_ADDR")
	}
	creds, err := o.credentials()
	if err != nil {
		return nil, err
	}
	// No service config from DNS: the suite publishes none, and the TXT
	// lookup that fetches it stalls name resolution for seconds where DNS
	// drops queries for outside names (a container network with no way
	// out, as in the compose stack on an isolated machine).
	conn, err := grpc.NewClient(o.Addr, append([]grpc.DialOption{grpc.WithTransportCredentials(creds), grpc.WithDisableServiceConfig()}, extra...)...)
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", o.Addr, err)
	}
	return conn, nil
}

func (o Options) credentials() (credentials.TransportCredentials, error) {
	if o.Insecure {
		if o.CAFile != "" || o.CertFile != "" || o.KeyFile != "" {
			return nil, errors.New("TLS files were given together with --insecure: drop one or the other")
		}
		return insecure.NewCredentials(), nil
	}
	cfg, err := o.TLSConfig()
	if err != nil {
		return nil, err
	}
	return credentials.NewTLS(cfg), nil
}

// TLSConfig builds the client TLS configuration the options describe.
func (o Options) TLSConfig() (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: o.ServerName}
	if o.CAFile != "" {
		pem, err := os.ReadFile(o.CAFile)
		if err != nil {
			return nil, fmt.Errorf("reading the CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("the CA file %s holds no PEM certificate", o.CAFile)
		}
		cfg.RootCAs = pool
	}
	switch {
	case o.CertFile != "" && o.KeyFile != "":
		cert, err := tls.LoadX509KeyPair(o.CertFile, o.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("loading the client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	case o.CertFile != "" || o.KeyFile != "":
		return nil, errors.New("a client certificate needs both --tls-cert and --tls-key")
	}
	return cfg, nil
}
