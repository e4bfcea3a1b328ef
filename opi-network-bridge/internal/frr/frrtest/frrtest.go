// Package frrtest runs a real FRR (zebra and bgpd) for a test, inside a
// network namespace, so that zebra sees that namespace's bridges and VXLAN
// devices and bgpd listens on its addresses.
//
// Each instance has a directory of its own (pid files, zserv socket, vty
// sockets, configuration, logs), owned by frr:frr because the daemons drop
// privileges to that user. The daemons are stopped by their PIDs, and the
// namespaces the package created are deleted, when the test ends.
//
// Without FRR (Debian's frr package: /usr/lib/frr/zebra, bgpd, vtysh) or
// without root, Start skips the test with a message saying what is
// missing; under CI (CI set in the environment) it fails instead, so the
// real FRR is never silently left out there.
package frrtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Debian's paths of FRR 8.4.
const (
	Zebra  = "/usr/lib/frr/zebra"
	Bgpd   = "/usr/lib/frr/bgpd"
	Vtysh  = "/usr/bin/vtysh"
	Reload = "/usr/lib/frr/frr-reload.py"
)

// Available reports whether FRR can run here, and why not.
func Available() error {
	if os.Geteuid() != 0 {
		return errors.New("FRR in a network namespace needs root (CI runs as root)")
	}
	for _, p := range []string{Zebra, Bgpd, Vtysh, Reload} {
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("no FRR: %v (apt-get install frr frr-pythontools, or `make tools`)", err)
		}
	}
	for _, bin := range []string{"ip", "nsenter"} {
		if _, err := exec.LookPath(bin); err != nil {
			return fmt.Errorf("needs %s on PATH: %v", bin, err)
		}
	}
	if _, err := user.Lookup("frr"); err != nil {
		return fmt.Errorf("no frr user (the frr package creates it): %v", err)
	}
	return nil
}

// Require skips the test (fails it under CI) unless FRR can run here.
func Require(t testing.TB) {
	t.Helper()
	if err := Available(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("real FRR unavailable under CI: %v", err)
		}
		t.Skipf("real FRR unavailable: %v", err)
	}
}

var seq atomic.Int32

// Unique returns a name unique to this process and call, short enough for
// an interface name (15 bytes) when prefix has at most 5.
func Unique(prefix string) string {
	return fmt.Sprintf("%s%d%d", prefix, os.Getpid()%100000, seq.Add(1))
}

// NewNS creates a network namespace with lo up, deleted when the test ends.
func NewNS(t testing.TB) string {
	t.Helper()
	Require(t)
	ns := Unique("frr")
	Run(t, "ip", "netns", "add", ns)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
	Run(t, "ip", "-n", ns, "link", "set", "lo", "up")
	return ns
}

// Run runs a command (no shell) and fails the test with its output if it
// fails.
func Run(t testing.TB, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// Instance is one zebra and one bgpd in a namespace.
type Instance struct {
	NS string
	// Dir holds everything of the instance; it is also the vty socket
	// directory, the configuration directory and the run directory.
	Dir string
	// Base is the base configuration, which vtysh gives the daemons after
	// each start (as `vtysh -b` does with frr.conf).
	Base string

	t       testing.TB
	daemons []*daemon
}

type daemon struct {
	name   string
	cmd    *exec.Cmd
	exited chan struct{}
}

// Start starts zebra and bgpd in namespace ns with base as their startup
// configuration (empty: none) and waits until vtysh reaches both.
func Start(t testing.TB, ns, base string) *Instance {
	t.Helper()
	Require(t)
	// A short path: unix socket paths are limited to 108 bytes.
	dir, err := os.MkdirTemp("", "frr")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	in := &Instance{NS: ns, Dir: dir, Base: filepath.Join(dir, "base.conf"), t: t}
	if err := os.WriteFile(in.Base, []byte(base), 0o640); err != nil {
		t.Fatal(err)
	}
	// Each daemon reads its own startup file; an empty one keeps it off
	// /etc/frr. The base, which mixes zebra's and bgpd's lines, goes
	// through vtysh.
	empty := filepath.Join(dir, "empty.conf")
	if err := os.WriteFile(empty, nil, 0o640); err != nil {
		t.Fatal(err)
	}
	// vtysh warns on every call without it. Integrated: the "write" that
	// frr-reload.py ends with makes vtysh write Dir/frr.conf, instead of
	// each daemon writing its own startup file.
	if err := os.WriteFile(filepath.Join(dir, "vtysh.conf"), []byte("service integrated-vtysh-config\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := chownFRR(dir, in.Base, empty); err != nil {
		t.Fatal(err)
	}
	in.start()
	t.Cleanup(in.Stop)
	return in
}

func chownFRR(paths ...string) error {
	u, err := user.Lookup("frr")
	if err != nil {
		return err
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	for _, p := range paths {
		if err := os.Chown(p, uid, gid); err != nil {
			return err
		}
	}
	return nil
}

// Restart stops the daemons and starts them again on the base
// configuration: the managed configuration is gone until the next Apply.
func (in *Instance) Restart() {
	in.t.Helper()
	in.Stop()
	in.start()
}

func (in *Instance) start() {
	t := in.t
	t.Helper()
	zserv := filepath.Join(in.Dir, "zserv.api")
	empty := filepath.Join(in.Dir, "empty.conf")
	if err := os.WriteFile(empty, nil, 0o640); err != nil {
		t.Fatal(err)
	}
	for _, d := range []struct {
		name, bin string
		extra     []string
	}{
		{"zebra", Zebra, nil},
		{"bgpd", Bgpd, nil},
	} {
		logPath := filepath.Join(in.Dir, d.name+".log")
		args := []string{"--net=/run/netns/" + in.NS, d.bin,
			"-i", filepath.Join(in.Dir, d.name+".pid"),
			"-z", zserv,
			"--vty_socket", in.Dir,
			"-f", empty,
			"-u", "frr", "-g", "frr",
			"--log", "file:" + logPath,
		}
		// nsenter execs the daemon, so the PID is the daemon's own; it
		// stays in the foreground (no -d) so that the test owns it.
		cmd := exec.Command("nsenter", append(args, d.extra...)...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			t.Fatalf("starting %s: %v", d.name, err)
		}
		dm := &daemon{name: d.name, cmd: cmd, exited: make(chan struct{})}
		go func() { _ = cmd.Wait(); close(dm.exited) }()
		in.daemons = append(in.daemons, dm)
		if d.name == "zebra" {
			// bgpd connects to zebra's zserv socket at start.
			if err := waitFile(zserv, dm.exited, 10*time.Second); err != nil {
				in.Stop()
				t.Fatalf("zebra did not start: %v\n%s\n%s", err, out.String(), in.Log("zebra"))
			}
		}
	}
	if err := in.waitReady(15 * time.Second); err != nil {
		in.Stop()
		t.Fatalf("FRR did not answer: %v\n%s\n%s", err, in.Log("zebra"), in.Log("bgpd"))
	}
	if b, _ := os.ReadFile(in.Base); len(bytes.TrimSpace(b)) > 0 {
		if out, err := in.vtyshFile(in.Base); err != nil || strings.Contains(out, "%") {
			in.Stop()
			t.Fatalf("FRR refused the base configuration: %v\n%s", err, out)
		}
	}
}

func (in *Instance) vtyshFile(path string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, Vtysh, "--vty_socket", in.Dir, "--config_dir", in.Dir, "-f", path).CombinedOutput()
	return string(out), err
}

func waitFile(path string, exited chan struct{}, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		if _, err := os.Stat(path); err == nil {
			return nil
		}
		select {
		case <-exited:
			return errors.New("exited")
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no %s after %v", path, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitReady waits until vtysh reaches zebra and bgpd.
func (in *Instance) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last string
	for {
		for _, d := range in.daemons {
			select {
			case <-d.exited:
				return fmt.Errorf("%s exited", d.name)
			default:
			}
		}
		out, err := in.vtysh("show daemons")
		last = out
		if err == nil {
			f := strings.Fields(out)
			if contains(f, "zebra") && contains(f, "bgpd") {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("after %v vtysh says: %s", timeout, last)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func (in *Instance) vtysh(cmds ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	args := []string{"--vty_socket", in.Dir, "--config_dir", in.Dir}
	for _, c := range cmds {
		args = append(args, "-c", c)
	}
	out, err := exec.CommandContext(ctx, Vtysh, args...).CombinedOutput()
	return string(out), err
}

// Vtysh runs commands in one vtysh session and returns their output,
// failing the test if vtysh fails.
func (in *Instance) Vtysh(cmds ...string) string {
	in.t.Helper()
	out, err := in.vtysh(cmds...)
	if err != nil {
		in.t.Fatalf("vtysh %q: %v\n%s", cmds, err, out)
	}
	return out
}

// Running returns "show running-config".
func (in *Instance) Running() string {
	in.t.Helper()
	return in.Vtysh("show running-config")
}

// Log returns a daemon's log ("zebra", "bgpd").
func (in *Instance) Log(name string) string {
	b, _ := os.ReadFile(filepath.Join(in.Dir, name+".log"))
	return string(b)
}

// PIDs returns the PIDs of the running daemons.
func (in *Instance) PIDs() []int {
	var pids []int
	for _, d := range in.daemons {
		pids = append(pids, d.cmd.Process.Pid)
	}
	return pids
}

// Stop stops the daemons (SIGTERM, then SIGKILL after 5 s), by their PIDs.
func (in *Instance) Stop() {
	for i := len(in.daemons) - 1; i >= 0; i-- {
		d := in.daemons[i]
		_ = d.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-d.exited:
		case <-time.After(5 * time.Second):
			_ = d.cmd.Process.Kill()
			<-d.exited
		}
	}
	in.daemons = nil
	for _, f := range []string{"zserv.api", "zebra.vty", "bgpd.vty"} {
		os.Remove(filepath.Join(in.Dir, f))
	}
}
