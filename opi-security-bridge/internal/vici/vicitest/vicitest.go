// Package vicitest runs real strongSwan charons for tests: each in a network
// namespace of its own with a private /run, joined in pairs by a veth, with
// a /32 address on lo per side for traffic selectors. ESP runs in userspace
// (kernel-libipsec), so no kernel ESP support is needed, only /dev/net/tun.
// Everything started is stopped by PID, and every namespace deleted, when
// the test ends, whether it passed or not.
package vicitest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Charon is the path of strongSwan's IKE daemon in Debian's packages.
const Charon = "/usr/lib/ipsec/charon"

// Plugins is the plugin list that works without kernel ESP: kdf is
// required, and kernel-libipsec must come before kernel-netlink.
const Plugins = "random nonce openssl aes sha1 sha2 hmac gcm kdf pem pkcs1 pkcs8 x509 pubkey kernel-libipsec kernel-netlink socket-default vici"

// Require skips the test, naming what is missing, unless it can run
// charons in namespaces: root, the charon and swanctl binaries, ip and
// /dev/net/tun.
func Require(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (network namespaces, veth, charon); CI runs as root")
	}
	for _, bin := range []string{Charon} {
		if _, err := os.Stat(bin); err != nil {
			t.Skipf("needs strongSwan's charon at %s (apt-get install strongswan-charon libcharon-extra-plugins libstrongswan-extra-plugins): %v", bin, err)
		}
	}
	for _, bin := range []string{"swanctl", "ip", "ping"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("needs %s on PATH (swanctl: apt-get install strongswan-swanctl): %v", bin, err)
		}
	}
	if _, err := os.Stat("/usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so"); err != nil {
		t.Skip("needs strongSwan's kernel-libipsec plugin (apt-get install libcharon-extra-plugins)")
	}
	if f, err := os.OpenFile("/dev/net/tun", os.O_RDWR, 0); err != nil {
		t.Skipf("needs /dev/net/tun (CONFIG_TUN) for kernel-libipsec: %v", err)
	} else {
		f.Close()
	}
}

var seq atomic.Int32

// Daemon is one charon in its own network namespace.
type Daemon struct {
	NS     string // network namespace
	Socket string // VICI socket URI, unix:///...
	dir    string
	cmd    *exec.Cmd
	exited chan struct{}
	t      testing.TB
}

// Pair is two charons whose namespaces a veth joins.
type Pair struct {
	A, B           *Daemon
	AddrA, AddrB   string // veth addresses (IKE endpoints)
	InnerA, InnerB string // /32 addresses on lo (traffic selectors)
}

// Option changes how the charons of a Pair (or Start) are configured.
type Option func(*config)

type config struct{ settings string }

// WithCharonSettings adds settings (strongswan.conf syntax) to the charon
// section of each daemon's configuration, such as shorter retransmission
// timeouts for a test that waits for a dead peer to be noticed.
func WithCharonSettings(settings string) Option {
	return func(c *config) { c.settings += settings + "\n" }
}

// NewPair creates two namespaces joined by a veth (192.0.2.1/24 and
// 192.0.2.2/24) with 10.1.0.1/32 and 10.2.0.1/32 on their lo, and starts
// a charon in each.
func NewPair(t testing.TB, opts ...Option) *Pair {
	t.Helper()
	Require(t)
	n := seq.Add(1)
	base := fmt.Sprintf("opi%d-%d", os.Getpid(), n)
	p := &Pair{AddrA: "192.0.2.1", AddrB: "192.0.2.2", InnerA: "10.1.0.1", InnerB: "10.2.0.1"}
	nsA, nsB := base+"a", base+"b"
	vethA, vethB := fmt.Sprintf("v%d%da", os.Getpid()%100000, n), fmt.Sprintf("v%d%db", os.Getpid()%100000, n)
	for _, ns := range []string{nsA, nsB} {
		run(t, "ip", "netns", "add", ns)
		t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
	}
	run(t, "ip", "link", "add", vethA, "netns", nsA, "type", "veth", "peer", "name", vethB, "netns", nsB)
	for _, side := range []struct{ ns, dev, addr, inner string }{
		{nsA, vethA, p.AddrA, p.InnerA}, {nsB, vethB, p.AddrB, p.InnerB},
	} {
		run(t, "ip", "-n", side.ns, "addr", "add", side.addr+"/24", "dev", side.dev)
		// No IPv6 link-local address: its duplicate address detection ends
		// about two seconds after the link is up, and charon answers that
		// address change with a MOBIKE update of every IKE SA, which is a
		// liveness check of the peer that a test did not ask for.
		run(t, "ip", "-n", side.ns, "link", "set", side.dev, "addrgenmode", "none")
		run(t, "ip", "-n", side.ns, "link", "set", side.dev, "up")
		run(t, "ip", "-n", side.ns, "link", "set", "lo", "up")
		run(t, "ip", "-n", side.ns, "addr", "add", side.inner+"/32", "dev", "lo")
	}
	p.A, p.B = Start(t, nsA, opts...), Start(t, nsB, opts...)
	return p
}

// startTimeout bounds how long Start waits for charon's VICI socket.
const startTimeout = 30 * time.Second

// Start runs a charon in namespace ns, with its config, socket and log in a
// temporary directory, and waits until its VICI socket answers.
func Start(t testing.TB, ns string, opts ...Option) *Daemon {
	t.Helper()
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	dir := t.TempDir()
	d := &Daemon{NS: ns, dir: dir, Socket: "unix://" + filepath.Join(dir, "charon.vici"), t: t}
	conf := fmt.Sprintf(`charon {
  load = %s
  filelog {
    log { path = %s
      default = 1
      ike = 2
      time_format = %%H:%%M:%%S
      flush_line = yes
    }
  }
  plugins { vici { socket = %s } }
%s}
`, Plugins, filepath.Join(dir, "charon.log"), d.Socket, cfg.settings)
	if err := os.WriteFile(filepath.Join(dir, "strongswan.conf"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	d.start()
	t.Cleanup(d.Stop)
	return d
}

func (d *Daemon) start() {
	d.t.Helper()
	sock := strings.TrimPrefix(d.Socket, "unix://")
	_ = os.Remove(sock)
	// ip netns exec gives the command its own mount namespace, so the tmpfs
	// on /run (charon's pid file) is private; each exec keeps the PID, so
	// cmd's PID is charon's.
	cmd := exec.Command("ip", "netns", "exec", d.NS, "sh", "-c", "mount -t tmpfs opi-charon /run && exec "+Charon)
	cmd.Env = append(os.Environ(), "STRONGSWAN_CONF="+filepath.Join(d.dir, "strongswan.conf"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		d.t.Fatalf("starting charon in %s: %v", d.NS, err)
	}
	d.cmd, d.exited = cmd, make(chan struct{})
	go func() { _ = cmd.Wait(); close(d.exited) }()
	// charon answers in tens of milliseconds; on a loaded CI machine
	// (load average 12 on 2 cores was seen) a start took over 10 s.
	deadline := time.Now().Add(startTimeout)
	for {
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			return
		}
		select {
		case <-d.exited:
			d.t.Fatalf("charon in %s exited at start: %s\n%s", d.NS, out.String(), d.Log())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("charon in %s: VICI socket %s not up after %v\n%s", d.NS, sock, startTimeout, d.Log())
		}
	}
}

// Stop stops charon (SIGTERM, then SIGKILL after 5s) by its PID.
func (d *Daemon) Stop() {
	if d.cmd == nil {
		return
	}
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.exited:
	case <-time.After(5 * time.Second):
		_ = d.cmd.Process.Kill()
		<-d.exited
	}
	d.cmd = nil
}

// Restart stops charon (if Kill has not) and starts it again, empty: it
// forgets every connection, credential and SA.
func (d *Daemon) Restart() {
	d.t.Helper()
	d.Stop()
	d.start()
}

// Kill kills charon with SIGKILL, as a crash would, and waits for it.
func (d *Daemon) Kill() {
	if d.cmd == nil {
		return
	}
	_ = d.cmd.Process.Kill()
	<-d.exited
	d.cmd = nil
}

// Swanctl runs swanctl against this charon and returns its output.
func (d *Daemon) Swanctl(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "swanctl", append(args, "--uri", d.Socket)...).CombinedOutput()
	return string(out), err
}

// Exec runs a command inside the namespace and returns its output.
func (d *Daemon) Exec(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", d.NS}, args...)...).CombinedOutput()
	return string(out), err
}

// Log returns the tail of charon's log, for failure messages.
func (d *Daemon) Log() string {
	b, _ := os.ReadFile(filepath.Join(d.dir, "charon.log"))
	if len(b) > 6000 {
		b = b[len(b)-6000:]
	}
	return string(b)
}

func run(t testing.TB, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
}
