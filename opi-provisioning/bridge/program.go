package bridge

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/opi-suite/opi/opi-kit/server"
	"github.com/opi-suite/opi/opi-kit/store"
	"github.com/opi-suite/opi/opi-kit/telemetry"

	"github.com/opi-suite/opi/opi-provisioning/inventory"
	"github.com/opi-suite/opi/opi-provisioning/sztp/bootstrap"
)

// SZTPFlags are the bootstrap server's settings.
type SZTPFlags struct {
	// Listen is the bootstrap server's HTTPS address; empty serves none.
	Listen string
	// TLSCert and TLSKey are its TLS certificate (with chain) and key.
	TLSCert, TLSKey string
	// ManufacturerCA is a PEM file of the IDevID trust anchors.
	ManufacturerCA string
	// OwnerCert and OwnerKey sign conveyed information; without them the
	// server sends unsigned data only.
	OwnerCert, OwnerKey string
	// MASACert and MASAKey issue ownership vouchers.
	MASACert, MASAKey string
	// PinnedCert is the certificate vouchers pin (default: the last
	// certificate of OwnerCert's file).
	PinnedCert string
}

func (f *SZTPFlags) register(fs *flag.FlagSet) {
	for _, v := range []struct {
		p            *string
		name, env, u string
	}{
		{&f.Listen, "sztp-listen", "OPI_SZTP_LISTEN", "HTTPS address of the SZTP bootstrap server (RFC 8572); empty: none"},
		{&f.TLSCert, "sztp-tls-cert", "OPI_SZTP_TLS_CERT", "PEM certificate (and chain) of the bootstrap server"},
		{&f.TLSKey, "sztp-tls-key", "OPI_SZTP_TLS_KEY", "PEM key of the bootstrap server"},
		{&f.ManufacturerCA, "sztp-manufacturer-ca", "OPI_SZTP_MANUFACTURER_CA", "PEM file of the manufacturer CAs that issue device IDevIDs"},
		{&f.OwnerCert, "sztp-owner-cert", "OPI_SZTP_OWNER_CERT", "PEM owner certificate (and chain) that signs conveyed information"},
		{&f.OwnerKey, "sztp-owner-key", "OPI_SZTP_OWNER_KEY", "PEM key of the owner certificate"},
		{&f.MASACert, "sztp-masa-cert", "OPI_SZTP_MASA_CERT", "PEM certificate (and chain) that signs ownership vouchers"},
		{&f.MASAKey, "sztp-masa-key", "OPI_SZTP_MASA_KEY", "PEM key of the voucher signer"},
		{&f.PinnedCert, "sztp-pinned-cert", "OPI_SZTP_PINNED_CERT", "PEM certificate vouchers pin, to which the owner certificate must chain (default: the last certificate of --sztp-owner-cert, the owner certificate itself when the file holds only it)"},
	} {
		fs.StringVar(v.p, v.name, "", v.u)
		server.EnvVar(fs, v.name, v.env)
	}
}

// options builds the bootstrap server's options from the files.
func (f *SZTPFlags) options() ([]bootstrap.Option, error) {
	if f.TLSCert == "" || f.TLSKey == "" || f.ManufacturerCA == "" {
		return nil, errors.New("--sztp-listen needs --sztp-tls-cert, --sztp-tls-key and --sztp-manufacturer-ca")
	}
	mfr, err := bootstrap.LoadCertificates(f.ManufacturerCA)
	if err != nil {
		return nil, fmt.Errorf("--sztp-manufacturer-ca: %w", err)
	}
	opts := []bootstrap.Option{bootstrap.WithManufacturers(mfr...)}
	if (f.OwnerCert == "") != (f.OwnerKey == "") || (f.MASACert == "") != (f.MASAKey == "") {
		return nil, errors.New("--sztp-owner-cert and --sztp-owner-key, and --sztp-masa-cert and --sztp-masa-key, go in pairs")
	}
	if f.OwnerCert != "" {
		if f.MASACert == "" {
			return nil, errors.New("--sztp-owner-cert needs --sztp-masa-cert: signed data without a voucher cannot be verified by a device")
		}
		owner, err := bootstrap.LoadSigner(f.OwnerCert, f.OwnerKey)
		if err != nil {
			return nil, fmt.Errorf("--sztp-owner-cert: %w", err)
		}
		masa, err := bootstrap.LoadSigner(f.MASACert, f.MASAKey)
		if err != nil {
			return nil, fmt.Errorf("--sztp-masa-cert: %w", err)
		}
		opts = append(opts, bootstrap.WithOwner(owner), bootstrap.WithMASA(masa))
	}
	if f.PinnedCert != "" {
		pinned, err := bootstrap.LoadCertificates(f.PinnedCert)
		if err != nil {
			return nil, fmt.Errorf("--sztp-pinned-cert: %w", err)
		}
		opts = append(opts, bootstrap.WithPinnedDomainCert(pinned[0]))
	}
	return opts, nil
}

// Program is the opi-provisioning command for server.Main. With a state
// directory it keeps the SZTP device registry there and serves its API;
// with --sztp-listen it also serves the bootstrap server.
func Program(opts ...inventory.Option) server.Program {
	var sz SZTPFlags
	return server.Program{
		Name:        "opi-provisioning",
		Description: "Serves this machine's hardware inventory (SMBIOS/DMI, CPU, memory, PCI) and a secure zero-touch provisioning (RFC 8572) bootstrap server with its device registry.",
		Flags:       sz.register,
		Setup: func(ctx context.Context, s *server.Server, cfg server.Config) error {
			// The inventory is read from the kernel's sysfs and SMBIOS.
			s.DescribeBackend("linux", telemetry.KernelRelease)
			b := New(append([]inventory.Option{inventory.WithLogger(s.Logger())}, opts...)...)
			if cfg.StateDir != "" {
				st, err := store.Open(filepath.Join(cfg.StateDir, "intent.db"))
				if err != nil {
					return err
				}
				s.Cleanup(st.Close)
				if err := b.EnableSZTP(ctx, st); err != nil {
					return err
				}
			}
			for _, svc := range b.Services() {
				s.AddService(svc)
			}
			if sz.Listen == "" {
				return nil
			}
			if b.Devices() == nil {
				return errors.New("--sztp-listen needs --state-dir (OPI_STATE_DIR): the device registry is kept there")
			}
			bopts, err := sz.options()
			if err != nil {
				return err
			}
			bopts = append(bopts, bootstrap.WithAudit(s.Logger().With("component", "sztp-audit")))
			srv, err := bootstrap.New(b.Devices(), bopts...)
			if err != nil {
				return err
			}
			cert, err := tls.LoadX509KeyPair(sz.TLSCert, sz.TLSKey)
			if err != nil {
				return fmt.Errorf("--sztp-tls-cert: %w", err)
			}
			return serveBootstrap(s, srv, sz.Listen, cert)
		},
	}
}

// serveBootstrap serves srv over TLS on listen until the bridge stops.
func serveBootstrap(s *server.Server, srv *bootstrap.Server, listen string, cert tls.Certificate) error {
	hs := srv.HTTPServer(listen, cert)
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("--sztp-listen: %w", err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := hs.ServeTLS(ln, "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.Logger().Error("SZTP bootstrap server stopped", "error", err)
		}
	}()
	s.Cleanup(func() error {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err := hs.Shutdown(sctx)
		<-done
		return err
	})
	s.Logger().Info("SZTP bootstrap server listening", "address", ln.Addr().String())
	return nil
}
