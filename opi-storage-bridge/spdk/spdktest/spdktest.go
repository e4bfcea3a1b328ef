// Package spdktest starts a real SPDK target (spdk_tgt) for a test, so that
// the storage bridge's tests run against the authority as well as against
// spdk-sim.
//
// Where SPDK comes from: $SPDK_DIR (a directory with bin/spdk_tgt), else the
// build `make tools` unpacked from ../shared/spdk/dist into the repository's
// .tools (scripts/spdk.sh). Without either, or without root (spdk_tgt needs
// it), Start skips the test with a message naming both sources; under CI
// (CI set in the environment) it fails instead, so the real target is never
// silently left out there.
package spdktest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"syscall"
	"testing"
	"time"

	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
)

// Target is one spdk_tgt process started for a test. It is killed (by its
// PID) when the test ends.
type Target struct {
	// Socket is its JSON-RPC unix socket.
	Socket string
	// Dir is the SPDK directory it was started from (bin/, lib/, python/).
	Dir string

	t       testing.TB
	logPath string
	cmd     *exec.Cmd
	exited  chan struct{}
}

// Dir returns the SPDK directory to use, or an error saying where it looked.
func Dir() (string, error) {
	if d := os.Getenv("SPDK_DIR"); d != "" {
		if _, err := os.Stat(filepath.Join(d, "bin", "spdk_tgt")); err != nil {
			return "", fmt.Errorf("SPDK_DIR=%s has no bin/spdk_tgt", d)
		}
		return d, nil
	}
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	found, _ := filepath.Glob(filepath.Join(root, ".tools", "spdk-v*", "bin", "spdk_tgt"))
	if len(found) == 0 {
		return "", errors.New("no real SPDK: set SPDK_DIR to an SPDK with bin/spdk_tgt, or run `make tools`, " +
			"which unpacks ../shared/spdk/dist/spdk-v*-debian12-x86_64.tar.xz into .tools")
	}
	sort.Strings(found)
	return filepath.Dir(filepath.Dir(found[len(found)-1])), nil
}

// repoRoot is the directory holding go.work, above the working directory.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.work above the working directory: cannot find the repository's .tools")
		}
		dir = parent
	}
}

// Available reports whether Start can run a real target here, and why not.
func Available() error {
	if os.Geteuid() != 0 {
		return errors.New("spdk_tgt needs root")
	}
	_, err := Dir()
	return err
}

// Start runs spdk_tgt without hugepages (--no-huge -s 2048, one core, no
// core lock, so that several targets may run at once) on a
// socket in a fresh temporary directory and waits until it answers
// spdk_get_version. It skips the test when no real SPDK can run here
// (fails under CI).
func Start(t testing.TB) *Target {
	t.Helper()
	if err := Available(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("real SPDK unavailable under CI: %v", err)
		}
		t.Skipf("real SPDK unavailable: %v", err)
	}
	dir, _ := Dir()
	// A short socket path: unix socket paths are limited to 108 bytes.
	tmp, err := os.MkdirTemp("", "spdk")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(tmp) })
	tg := &Target{Socket: filepath.Join(tmp, "spdk.sock"), Dir: dir, t: t, logPath: filepath.Join(tmp, "spdk_tgt.log")}
	tg.start()
	t.Cleanup(tg.stop)
	return tg
}

func (tg *Target) start() {
	t := tg.t
	t.Helper()
	logFile, err := os.OpenFile(tg.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	os.Remove(tg.Socket)
	// SPDK makes its vhost-user and vfio-user sockets in its working
	// directory: the test's own, which is cleared of sockets before each
	// start as a supervisor that gives SPDK a fresh runtime directory does
	// (spdk_tgt v26.05 cannot make a vfio-user endpoint over a socket that
	// an earlier run left).
	removeSockets(filepath.Dir(tg.Socket))
	// --disable-cpumask-locks: every target here runs on core 0, and SPDK
	// otherwise locks the core (/var/tmp/spdk_cpu_lock_000), so a second
	// target (another package's test, another developer's) exits at start.
	cmd := exec.Command(filepath.Join(tg.Dir, "bin", "spdk_tgt"), "--no-huge", "-s", "2048", "-m", "0x1",
		"--disable-cpumask-locks", "-r", tg.Socket)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Dir = filepath.Dir(tg.Socket)
	// Its own process group, so a test's signals do not reach it, and the
	// kill below reaches only it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting spdk_tgt: %v", err)
	}
	tg.cmd, tg.exited = cmd, make(chan struct{})
	go func(c *exec.Cmd, done chan struct{}) { _ = c.Wait(); close(done) }(cmd, tg.exited)
	if err := tg.waitReady(30 * time.Second); err != nil {
		tg.stop()
		t.Fatalf("spdk_tgt did not answer: %v\n%s", err, tg.Log())
	}
}

func (tg *Target) waitReady(timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		select {
		case <-tg.exited:
			return errors.New("spdk_tgt exited")
		default:
		}
		c := spdk.New(tg.Socket)
		callCtx, callCancel := context.WithTimeout(ctx, time.Second)
		err := c.Call(callCtx, "spdk_get_version", nil, nil)
		callCancel()
		c.Close()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last: %v)", ctx.Err(), err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Kill ends the target with SIGKILL, as a crash would, and waits for it.
func (tg *Target) Kill() {
	if tg.cmd == nil {
		return
	}
	_ = tg.cmd.Process.Signal(syscall.SIGKILL)
	<-tg.exited
	tg.cmd = nil
}

// Restart kills the target and starts a fresh, empty one on the same
// socket: what a bridge sees when SPDK crashes and its supervisor restarts it.
func (tg *Target) Restart() {
	tg.t.Helper()
	tg.Kill()
	tg.start()
}

func (tg *Target) stop() {
	if tg.cmd == nil {
		return
	}
	_ = tg.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-tg.exited:
	case <-time.After(10 * time.Second):
		_ = tg.cmd.Process.Signal(syscall.SIGKILL)
		<-tg.exited
	}
	tg.cmd = nil
}

// removeSockets removes the unix sockets in dir.
func removeSockets(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Type()&os.ModeSocket != 0 {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// Log returns what spdk_tgt wrote so far, for failure messages.
func (tg *Target) Log() string {
	b, _ := os.ReadFile(tg.logPath)
	return string(b)
}

// Bin returns the path of one of SPDK's programs (spdk_nvme_perf, spdk_dd).
func (tg *Target) Bin(name string) string { return filepath.Join(tg.Dir, "bin", name) }
