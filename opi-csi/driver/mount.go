package driver

import (
	"bufio"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/opi-suite/opi/opi-kit/errdefs"
	"golang.org/x/sys/unix"
)

// mounted reports whether path is a mount point, from
// /proc/self/mountinfo (whose fifth field is the mount point, with
// spaces and such escaped in octal).
func mounted(path string) (bool, error) {
	path = filepath.Clean(path)
	if p, err := filepath.EvalSymlinks(path); err == nil {
		path = p
	}
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return false, errdefs.Wrap(errdefs.ErrInternal, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 4 && unescape(fields[4]) == path {
			return true, nil
		}
	}
	return false, sc.Err()
}

func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// unmount unmounts path if it is a mount point.
func unmount(path string) error {
	m, err := mounted(path)
	if err != nil || !m {
		return err
	}
	if err := unix.Unmount(path, 0); err != nil && !errors.Is(err, unix.EINVAL) {
		return errdefs.Wrap(errdefs.ErrFailedPrecondition, &os.PathError{Op: "umount", Path: path, Err: err})
	}
	return nil
}

// bindMount mounts src on target, read-only if ro (a bind mount takes its
// read-only flag only from a remount).
func bindMount(src, target string, ro bool) error {
	if err := unix.Mount(src, target, "", unix.MS_BIND, ""); err != nil {
		return errdefs.Wrap(errdefs.ErrFailedPrecondition, &os.PathError{Op: "bind mount " + src + " on", Path: target, Err: err})
	}
	if ro {
		if err := unix.Mount("", target, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY, ""); err != nil {
			_ = unix.Unmount(target, 0)
			return errdefs.Wrap(errdefs.ErrFailedPrecondition, &os.PathError{Op: "remount read-only", Path: target, Err: err})
		}
	}
	return nil
}

// formatAndMount mounts device on target as fsType, making the file system
// first when the device has none (blkid finds no TYPE). A device holding
// another file system is refused, never reformatted.
func formatAndMount(ctx context.Context, device, target, fsType string, options []string) error {
	if fsType == "" {
		fsType = "ext4"
	}
	have, err := run(ctx, "blkid", "-p", "-s", "TYPE", "-o", "value", device)
	if err != nil && !strings.Contains(err.Error(), "exit status 2") { // 2: nothing found
		return errdefs.Wrap(errdefs.ErrFailedPrecondition, err)
	}
	switch have {
	case "":
		if _, err := run(ctx, "mkfs."+fsType, mkfsArgs(fsType, device)...); err != nil {
			return errdefs.Wrap(errdefs.ErrFailedPrecondition, err)
		}
	case fsType:
	default:
		return errdefs.FailedPreconditionf("%s holds a %s file system, not %s: refusing to format it", device, have, fsType)
	}
	args := []string{"-t", fsType}
	if len(options) > 0 {
		args = append(args, "-o", strings.Join(options, ","))
	}
	if _, err := run(ctx, "mount", append(args, device, target)...); err != nil {
		return errdefs.Wrap(errdefs.ErrFailedPrecondition, err)
	}
	return nil
}

func mkfsArgs(fsType, device string) []string {
	switch fsType {
	case "ext4", "ext3", "ext2":
		// No lazy init: the volume is small or thin, and a kernel thread
		// writing behind the mount would hold the device after unmount.
		return []string{"-F", "-q", "-E", "lazy_itable_init=0,lazy_journal_init=0", device}
	case "xfs":
		return []string{"-f", "-q", device}
	}
	return []string{device}
}
