package agenttest

import (
	"context"
	"io"
	"log/slog"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/opi-suite/opi/opi-provisioning/sztp"
	"github.com/opi-suite/opi/opi-provisioning/sztp/bootstrap"
	"github.com/opi-suite/opi/opi-provisioning/sztp/sztptest"
)

// Registry is a bootstrap.Devices holding one device, recording the
// progress it reports.
type Registry struct {
	Dev     *bootstrap.Device
	mu      sync.Mutex
	reports []sztp.ProgressType
}

// Device implements bootstrap.Devices.
func (r *Registry) Device(_ context.Context, serial string) (*bootstrap.Device, error) {
	if serial != r.Dev.Serial {
		return nil, bootstrap.ErrUnknownDevice
	}
	return r.Dev, nil
}

// RecordProgress implements bootstrap.Devices.
func (r *Registry) RecordProgress(_ context.Context, _ string, in *sztp.ReportProgressInput, _ time.Time) error {
	r.mu.Lock()
	r.reports = append(r.reports, in.ProgressType)
	r.mu.Unlock()
	return nil
}

// Progress returns the progress types recorded, in order.
func (r *Registry) Progress() []sztp.ProgressType {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.reports)
}

// ServeBootstrap runs the suite's bootstrap server (package bootstrap) on
// ln with the TLS identity id over reg; it returns the listening address.
func ServeBootstrap(t testing.TB, ln net.Listener, id *sztptest.Identity, reg *Registry, opts ...bootstrap.Option) *net.TCPAddr {
	t.Helper()
	opts = append(opts, bootstrap.WithAudit(slog.New(slog.NewTextHandler(io.Discard, nil))))
	s, err := bootstrap.New(reg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	hs := s.HTTPServer("", id.TLSCertificate())
	go func() { _ = hs.ServeTLS(ln, "", "") }()
	t.Cleanup(func() { _ = hs.Close() })
	return ln.Addr().(*net.TCPAddr)
}
