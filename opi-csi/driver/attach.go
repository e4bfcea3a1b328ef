package driver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
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

// Tooler is implemented by attachers that run programs: Tools names
// them, so that a node plugin can refuse to start without them.
type Tooler interface {
	Tools() []string
}

// nodeTools are the programs every node plugin runs: blkid finds a
// device's file system, mkfs.ext4 makes the default one, mount mounts.
var nodeTools = []string{"blkid", "mkfs.ext4", "mount"}

// CheckTools says which programs the node plugin needs and cannot find on
// PATH: the node's own and the attacher's (Tooler).
func CheckTools(a Attacher) error {
	want := slices.Clone(nodeTools)
	if t, ok := a.(Tooler); ok {
		want = append(want, t.Tools()...)
	}
	var missing []string
	for _, t := range want {
		if _, err := exec.LookPath(t); err != nil {
			missing = append(missing, t)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("the node plugin needs %s on PATH (Debian: nvme-cli, mount, util-linux, e2fsprogs)", strings.Join(missing, ", "))
	}
	return nil
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

// Tools are losetup's.
func (LoopAttacher) Tools() []string { return []string{"losetup"} }

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
// for the namespace's block device, as on a real host. It also takes
// emulated PCIe NVMe exports (NvmePCIe), which need no connect: the DPU's
// function is the host's NVMe controller, and the attacher waits for its
// namespace the same way, by subsystem NQN.
//
// It speaks nvme-cli 2.x (Debian 12 ships 2.3): `connect` prints
// "device: nvmeN", `list-subsys -o json` lists hosts, their subsystems and
// each subsystem's paths, and `disconnect` prints "NQN:<nqn> disconnected
// <n> controller(s)".
type NvmeTCPAttacher struct {
	// Timeout bounds the wait for the device (30 s when 0).
	Timeout time.Duration
	// SysDir is sysfs's root ("/sys" when empty), for tests.
	SysDir string
	// Nvme is the nvme-cli program ("nvme" on PATH when empty), for tests.
	Nvme string
}

// Tools are nvme-cli's.
func (a NvmeTCPAttacher) Tools() []string { return []string{a.nvme()} }

func (a NvmeTCPAttacher) nvme() string {
	if a.Nvme != "" {
		return a.Nvme
	}
	return "nvme"
}

func (a NvmeTCPAttacher) sys() string {
	if a.SysDir != "" {
		return a.SysDir
	}
	return "/sys"
}

// Attach connects (unless this host already has a controller of the
// subsystem) and waits for the namespace's block device. A connect that
// this call made is undone when the device does not appear.
func (a NvmeTCPAttacher) Attach(ctx context.Context, e *dpu.Export) (string, error) {
	switch {
	case e.Transport != dpu.NvmeTCP && e.Transport != dpu.NvmePCIe:
		return "", errdefs.FailedPreconditionf("the NVMe attacher cannot reach a %s export", e.Transport)
	case e.NQN == "":
		return "", errdefs.InvalidArgumentf("publish context: no subsystem NQN")
	case e.Transport == dpu.NvmeTCP && (e.Addr == "" || e.Port == 0 || e.HostNQN == ""):
		return "", errdefs.InvalidArgumentf("publish context: an NVMe/TCP export needs addr, port and hostNQN (have %q, %d, %q)", e.Addr, e.Port, e.HostNQN)
	}
	if dev, _ := a.device(e.NQN); dev != "" {
		return dev, nil
	}
	connected := false
	if e.Transport == dpu.NvmeTCP {
		have, err := a.connected(ctx, e.NQN)
		if err != nil {
			return "", err
		}
		if !have {
			_, err := run(ctx, a.nvme(), "connect", "--transport", "tcp", "--traddr", e.Addr,
				"--trsvcid", fmt.Sprint(e.Port), "--nqn", e.NQN, "--hostnqn", e.HostNQN)
			switch {
			case err != nil && strings.Contains(err.Error(), "already connected"):
				// Another connect (a concurrent stage, an operator) won.
			case err != nil:
				return "", errdefs.Wrap(errdefs.ErrUnavailable, err)
			default:
				connected = true
			}
		}
	}
	timeout := a.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	wait, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		dev, err := a.device(e.NQN)
		if dev != "" || err != nil {
			return dev, err
		}
		select {
		case <-wait.Done():
			if connected {
				_, _ = run(context.WithoutCancel(ctx), a.nvme(), "disconnect", "--nqn", e.NQN)
			}
			if ctx.Err() != nil {
				return "", ctx.Err()
			}
			return "", errdefs.Unavailablef("no block device of %s appeared within %v", e.NQN, timeout)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// subsystems is what `nvme list-subsys -o json` prints (nvme-cli 2.x).
type subsystems []struct {
	HostNQN    string
	Subsystems []struct {
		Name, NQN string
		Paths     []struct{ Name, Transport, Address, State string }
	}
}

// connected reports whether this host has a controller of subsystem nqn,
// from nvme list-subsys. Without the nvme-subsystem class in sysfs (no
// NVMe driver loaded yet) nothing is connected, and nvme-cli, which
// fails then ("Failed to scan topology"), is not asked.
func (a NvmeTCPAttacher) connected(ctx context.Context, nqn string) (bool, error) {
	if _, err := os.Stat(filepath.Join(a.sys(), "class/nvme-subsystem")); errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	out, err := run(ctx, a.nvme(), "list-subsys", "-o", "json")
	if err != nil {
		return false, errdefs.Wrap(errdefs.ErrUnavailable, err)
	}
	var list subsystems
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		return false, errdefs.Internalf("nvme list-subsys -o json: %v: %.200q", err, out)
	}
	for _, h := range list {
		for _, s := range h.Subsystems {
			if s.NQN == nqn && len(s.Paths) > 0 {
				return true, nil
			}
		}
	}
	return false, nil
}

// device finds the block device of the subsystem nqn's first namespace
// in sysfs: /sys/class/nvme-subsystem/nvme-subsysN/{subsysnqn,nvmeXnY}.
func (a NvmeTCPAttacher) device(nqn string) (string, error) {
	subs, _ := filepath.Glob(filepath.Join(a.sys(), "class/nvme-subsystem/*/subsysnqn"))
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

// Detach disconnects every controller of the subsystem; a subsystem this
// host has no controller of is success. An emulated PCIe function stays
// (the controller withdraws it).
func (a NvmeTCPAttacher) Detach(ctx context.Context, e *dpu.Export, _ string) error {
	if e.Transport != dpu.NvmeTCP {
		return nil
	}
	have, err := a.connected(ctx, e.NQN)
	if err != nil || !have {
		return err
	}
	// "NQN:<nqn> disconnected <n> controller(s)", n = 0 when it went
	// between list-subsys and now: success either way.
	if _, err := run(ctx, a.nvme(), "disconnect", "--nqn", e.NQN); err != nil {
		return errdefs.Wrap(errdefs.ErrFailedPrecondition, err)
	}
	return nil
}
