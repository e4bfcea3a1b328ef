package driver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/opi-suite/opi/opi-csi/dpu"
	"github.com/opi-suite/opi/opi-kit/errdefs"
)

// Attacher makes an exported volume a block device on this node.
type Attacher interface {
	// Attach connects to the export and returns the block device once it
	// has appeared; attaching what is attached returns the same device.
	Attach(ctx context.Context, e *dpu.Export) (device string, err error)
	// Detach disconnects; what is not attached is success.
	Detach(ctx context.Context, e *dpu.Export, device string) error
}

// Resizer is implemented by attachers whose device does not see a grown
// volume by itself: NodeExpandVolume calls Resize before growing the file
// system. (An NVMe host learns a namespace's new size from the
// controller's notice; a loop device must be told.)
type Resizer interface {
	Resize(ctx context.Context, e *dpu.Export, device string) error
}

// run runs a command, returning its trimmed output, or an error quoting
// its standard error.
func run(ctx context.Context, name string, args ...string) (string, error) {
	var out, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(out.String()), nil
}

// LoopAttacher is the test mode: it maps an AIO volume's file (the
// export's File, which the node must see at the same path) to a loop
// device, where the kernel has no NVMe/TCP host. It needs root and
// losetup.
type LoopAttacher struct{}

// Attach maps the file, or finds the loop device that already maps it.
func (LoopAttacher) Attach(ctx context.Context, e *dpu.Export) (string, error) {
	if e.File == "" {
		return "", errdefs.FailedPreconditionf("the loop attacher needs an AIO volume's file; this export (%s) has none", e.Transport)
	}
	if dev, err := loopOf(ctx, e.File); err != nil || dev != "" {
		return dev, err
	}
	dev, err := run(ctx, "losetup", "--find", "--show", e.File)
	if err != nil {
		return "", errdefs.Wrap(errdefs.ErrFailedPrecondition, err)
	}
	return dev, nil
}

// Detach removes the loop device if it still maps the file.
func (LoopAttacher) Detach(ctx context.Context, e *dpu.Export, device string) error {
	dev, err := loopOf(ctx, e.File)
	if err != nil || dev == "" {
		return err
	}
	if _, err := run(ctx, "losetup", "-d", dev); err != nil {
		return errdefs.Wrap(errdefs.ErrFailedPrecondition, err)
	}
	return nil
}

// Resize makes the loop device take the file's new size.
func (LoopAttacher) Resize(ctx context.Context, _ *dpu.Export, device string) error {
	if _, err := run(ctx, "losetup", "--set-capacity", device); err != nil {
		return errdefs.Wrap(errdefs.ErrFailedPrecondition, err)
	}
	return nil
}

// loopOf returns the loop device mapping file, or "".
func loopOf(ctx context.Context, file string) (string, error) {
	out, err := run(ctx, "losetup", "--noheadings", "--output", "NAME", "--associated", file)
	if err != nil {
		return "", errdefs.Wrap(errdefs.ErrFailedPrecondition, err)
	}
	if dev, _, _ := strings.Cut(out, "\n"); dev != "" {
		return dev, nil
	}
	return "", nil
}

// NvmeTCPAttacher connects to NVMe/TCP exports with nvme-cli and waits
// for the namespace's block device, as on a real host.
type NvmeTCPAttacher struct {
	// Timeout bounds the wait for the device (30 s when 0).
	Timeout time.Duration
	// SysDir is sysfs's root ("/sys" when empty), for tests.
	SysDir string
}

// Attach runs nvme connect (unless connected) and waits for the device.
func (a NvmeTCPAttacher) Attach(ctx context.Context, e *dpu.Export) (string, error) {
	if e.Transport != dpu.NvmeTCP {
		return "", errdefs.FailedPreconditionf("the NVMe/TCP attacher cannot reach a %s export", e.Transport)
	}
	if dev, _ := a.device(e.NQN); dev != "" {
		return dev, nil
	}
	if _, err := run(ctx, "nvme", "connect", "--transport", "tcp", "--traddr", e.Addr,
		"--trsvcid", fmt.Sprint(e.Port), "--nqn", e.NQN, "--hostnqn", e.HostNQN); err != nil {
		return "", errdefs.Wrap(errdefs.ErrUnavailable, err)
	}
	timeout := a.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		dev, err := a.device(e.NQN)
		if dev != "" || err != nil {
			return dev, err
		}
		select {
		case <-ctx.Done():
			return "", errdefs.Unavailablef("connected to %s, but no block device appeared within %v", e.NQN, timeout)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// device finds the block device of the subsystem nqn's first namespace
// in sysfs: /sys/class/nvme-subsystem/nvme-subsysN/{subsysnqn,nvmeXnY}.
func (a NvmeTCPAttacher) device(nqn string) (string, error) {
	sys := a.SysDir
	if sys == "" {
		sys = "/sys"
	}
	subs, _ := filepath.Glob(filepath.Join(sys, "class/nvme-subsystem/*/subsysnqn"))
	for _, f := range subs {
		b, err := os.ReadFile(f)
		if err != nil || strings.TrimSpace(string(b)) != nqn {
			continue
		}
		ns, _ := filepath.Glob(filepath.Join(filepath.Dir(f), "nvme*n*"))
		for _, n := range ns {
			// nvme0n1, not a path's hidden nvme0c0n1.
			if base := filepath.Base(n); namespaceDevice.MatchString(base) {
				return "/dev/" + base, nil
			}
		}
	}
	return "", nil
}

var namespaceDevice = regexp.MustCompile(`^nvme[0-9]+n[0-9]+$`)

// Detach disconnects from the subsystem.
func (a NvmeTCPAttacher) Detach(ctx context.Context, e *dpu.Export, _ string) error {
	if dev, _ := a.device(e.NQN); dev == "" {
		return nil
	}
	if _, err := run(ctx, "nvme", "disconnect", "--nqn", e.NQN); err != nil && !errors.Is(err, context.Canceled) {
		return errdefs.Wrap(errdefs.ErrFailedPrecondition, err)
	}
	return nil
}
