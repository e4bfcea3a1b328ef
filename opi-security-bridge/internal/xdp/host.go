package xdp

import (
	"context"
	"errors"
	"fmt"
	"github.com/opi-suite/opi/opi-kit/telemetry"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-security-bridge/firewall"
)

// Host keeps the data planes of every policy under one bpffs directory,
// one subdirectory per policy: `<root>/policies/<id>/` holds its maps and a
// `link_<interface>` pin per interface. It is the firewall's backend
// (firewall.Backend), and classifies its errors into errdefs classes: a
// rule set the data plane cannot hold is InvalidArgument, a missing
// interface NotFound, counters that cannot be read Unavailable.
type Host struct {
	root   string
	mu     sync.Mutex
	planes map[string]*Dataplane
}

// NewHost returns a host rooted at dir, which must be on a bpffs (see
// MountBPFFS).
func NewHost(dir string) *Host { return &Host{root: dir, planes: map[string]*Dataplane{}} }

// MountBPFFS makes sure dir is on a bpffs, mounting one there if not (which
// needs CAP_SYS_ADMIN). /sys/fs/bpf is usually mounted already.
func MountBPFFS(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("xdp: %w", err)
	}
	if onBPFFS(dir) {
		return nil
	}
	if err := unix.Mount("bpf", dir, "bpf", 0, "mode=0700"); err != nil {
		return fmt.Errorf("xdp: %s is not on a bpffs and mounting one failed (needs CAP_SYS_ADMIN): %w", dir, err)
	}
	return nil
}

func onBPFFS(dir string) bool {
	var st unix.Statfs_t
	return unix.Statfs(dir, &st) == nil && st.Type == unix.BPF_FS_MAGIC
}

func (h *Host) dir(id string) string { return filepath.Join(h.root, "policies", id) }

// plane returns the open data plane of id, opening (and re-adopting) it.
func (h *Host) plane(id string) (*Dataplane, error) {
	if d, ok := h.planes[id]; ok {
		return d, nil
	}
	d, err := Open(h.dir(id))
	if err != nil {
		return nil, err
	}
	h.planes[id] = d
	return d, nil
}

// The Host is the firewall's backend.
var _ firewall.Backend = (*Host)(nil)

// Apply compiles p's rules and makes policy id enforce them on exactly
// p.Interfaces. It loads the tables only when the pinned maps hold a
// different rule set, so a restarted bridge re-adopts running policies
// without touching their counters.
func (h *Host) Apply(ctx context.Context, id string, p *firewall.Policy) error {
	t, err := Compile(p.Rules, p.Default)
	if err != nil {
		return errdefs.InvalidArgumentf("rules: %v", err)
	}
	err = h.apply(ctx, id, t, p.Interfaces, p.Mode)
	if errors.Is(err, ErrNoInterface) {
		return errdefs.Wrap(errdefs.ErrNotFound, err)
	}
	return err
}

func (h *Host) apply(ctx context.Context, id string, t *Tables, interfaces []string, mode firewall.Mode) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	d, err := h.plane(id)
	if err != nil {
		return err
	}
	fp, err := d.Fingerprint()
	if err != nil {
		return err
	}
	if fp != t.Fingerprint {
		if err := traced(ctx, "bpf map update", d.Dir(), func() error { return d.Load(t) }); err != nil {
			return err
		}
	}
	// Every interface that exists is attached even when another is
	// missing, so a policy whose one interface vanished keeps enforcing on
	// the others (and on a re-created one) while it reports the missing.
	var missing []error
	for _, i := range interfaces {
		err := traced(ctx, "xdp attach", i, func() error { return d.Attach(i, mode) })
		if errors.Is(err, ErrNoInterface) {
			missing = append(missing, err)
			continue
		}
		if err != nil {
			return err
		}
	}
	if err := errors.Join(missing...); err != nil {
		return err
	}
	pinned, err := d.Interfaces()
	if err != nil {
		return err
	}
	for _, i := range pinned {
		if !slices.Contains(interfaces, i) {
			if err := d.Detach(i); err != nil {
				return err
			}
		}
	}
	return nil
}

// Remove takes policy id out of the kernel; a missing policy is success.
func (h *Host) Remove(_ context.Context, id string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, err := os.Stat(h.dir(id)); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	d, err := h.plane(id)
	if err != nil {
		return err
	}
	delete(h.planes, id)
	return d.Remove()
}

// Stats returns the counters of policy id's first n rules.
func (h *Host) Stats(_ context.Context, id string, n int) (*firewall.Stats, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	d, err := h.plane(id)
	if err == nil {
		var s *firewall.Stats
		if s, err = d.Stats(n); err == nil {
			return s, nil
		}
	}
	return nil, errdefs.Wrap(errdefs.ErrUnavailable, err)
}

// HasInterface reports whether the host has an interface of that name.
func (h *Host) HasInterface(_ context.Context, name string) (bool, error) {
	_, err := net.InterfaceByName(name)
	return err == nil, nil
}

// Policies lists the ids of the policies pinned under the root.
func (h *Host) Policies(context.Context) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(h.root, "policies"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, e := range entries {
		if e.IsDir() {
			ids = append(ids, e.Name())
		}
	}
	return ids, nil
}

// Probe reports whether the root is still a usable bpffs.
func (h *Host) Probe(context.Context) error {
	if !onBPFFS(h.root) {
		return errdefs.Unavailablef("xdp: %s is no longer on a bpffs", h.root)
	}
	return nil
}

// Close releases every handle; pinned maps and links keep enforcing.
func (h *Host) Close() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	var errs []error
	for id, d := range h.planes {
		errs = append(errs, d.Close())
		delete(h.planes, id)
	}
	return errors.Join(errs...)
}

// traceScope is the instrumentation scope of the XDP backend's spans.
const traceScope = "github.com/opi-suite/opi/opi-security-bridge/internal/xdp"

// traced runs fn as a span named name when ctx is traced: "bpf map
// update" (the rule set written into the policy's pinned maps and the
// generation switched, on the policy's bpffs directory) or "xdp attach"
// (on an interface).
func traced(ctx context.Context, name, target string, fn func() error) (err error) {
	_, span := telemetry.Start(ctx, traceScope, name, trace.SpanKindInternal)
	if span.IsRecording() {
		key := "opi.bpf.pin_dir"
		if name == "xdp attach" {
			key = "network.interface.name"
		}
		span.SetAttributes(attribute.String(key, target))
	}
	defer func() { telemetry.End(span, err) }()
	return fn()
}
