package agent

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/opi-suite/opi/opi-provisioning/sztp"
)

// FileDevice is a Device on a directory, for hosts where the initial
// configuration is a file another service reads:
//
//	Dir/config        the committed configuration
//	Dir/config.prev   the configuration before the last commit
//	Dir/boot-image    the installed boot image (the boot loader's business)
//	Dir/staging/      downloads being verified
//
// The configuration is replaced whole for both handlings: merging needs
// the configuration's schema, which the service reading the file has.
type FileDevice struct {
	Dir string
	// ScriptTimeout bounds a script; 5 minutes if 0.
	ScriptTimeout time.Duration
}

// StagingDir implements Device.
func (d *FileDevice) StagingDir() string {
	p := filepath.Join(d.Dir, "staging")
	_ = os.MkdirAll(p, 0o700)
	return p
}

// InstallBootImage moves the verified image into place atomically.
func (d *FileDevice) InstallBootImage(_ context.Context, _ *sztp.BootImage, path string) error {
	return os.Rename(path, filepath.Join(d.Dir, "boot-image"))
}

// RunScript writes the script to a private file and runs it: directly
// when it starts with "#!", else with /bin/sh. A non-zero exit status is
// an error (the YANG module leaves the convention to the device).
func (d *FileDevice) RunScript(ctx context.Context, kind string, script []byte) ([]byte, error) {
	// Absolute: the script runs in the device directory, and a relative
	// path to it would then point elsewhere.
	base, err := filepath.Abs(d.Dir)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(base, "script-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	p := filepath.Join(dir, kind+"-configuration-script")
	if err := os.WriteFile(p, script, 0o700); err != nil {
		return nil, err
	}
	timeout := d.ScriptTimeout
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var cmd *exec.Cmd
	if len(script) > 2 && string(script[:2]) == "#!" {
		cmd = exec.CommandContext(ctx, p)
	} else {
		cmd = exec.CommandContext(ctx, "/bin/sh", p)
	}
	cmd.Dir = base
	cmd.Env = append(os.Environ(), "SZTP_DIR="+base, "SZTP_SCRIPT="+kind)
	return cmd.CombinedOutput()
}

// CommitConfiguration writes the configuration to a temporary file,
// syncs it, keeps the current one as config.prev and renames the new one
// into place, so a reader sees the old or the new configuration, never a
// part. The returned function puts the previous configuration back.
func (d *FileDevice) CommitConfiguration(_ context.Context, handling sztp.ConfigurationHandling, config []byte) (func() error, error) {
	if handling != sztp.Merge && handling != sztp.Replace {
		return nil, fmt.Errorf("configuration-handling %q is not merge or replace", handling)
	}
	cur := filepath.Join(d.Dir, "config")
	prev := filepath.Join(d.Dir, "config.prev")
	if err := writeSynced(filepath.Join(d.Dir, ".config.new"), config); err != nil {
		return nil, err
	}
	old, err := os.ReadFile(cur)
	hadOld := err == nil
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if hadOld {
		if err := writeSynced(prev, old); err != nil {
			return nil, err
		}
	}
	if err := os.Rename(filepath.Join(d.Dir, ".config.new"), cur); err != nil {
		return nil, err
	}
	syncDir(d.Dir)
	return func() error {
		if !hadOld {
			return os.Remove(cur)
		}
		if err := writeSynced(filepath.Join(d.Dir, ".config.new"), old); err != nil {
			return err
		}
		err := os.Rename(filepath.Join(d.Dir, ".config.new"), cur)
		syncDir(d.Dir)
		return err
	}, nil
}

func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func syncDir(dir string) {
	if f, err := os.Open(dir); err == nil {
		_ = f.Sync()
		_ = f.Close()
	}
}
