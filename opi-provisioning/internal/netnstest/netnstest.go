// Package netnstest builds two network namespaces joined by a veth, for
// tests that run real daemons (dnsmasq) against the SZTP agent. Names
// carry the "sza" prefix and a random suffix; everything is removed when
// the test ends.
package netnstest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Pair is a "server" and a "device" namespace joined by a veth: SrvIf in
// Server, DevIf in Device, both up.
type Pair struct {
	Server, Device string
	SrvIf, DevIf   string
}

// Require skips the test without root or the ip command; under CI it
// fails instead, as the real-backend tests must not skip there.
func Require(tb testing.TB, tools ...string) {
	tb.Helper()
	skip := func(format string, a ...any) {
		if os.Getenv("CI") != "" {
			tb.Fatalf(format, a...)
		}
		tb.Skipf(format, a...)
	}
	if os.Geteuid() != 0 {
		skip("needs root (CAP_NET_ADMIN) for network namespaces")
	}
	for _, t := range append([]string{"ip"}, tools...) {
		if _, err := exec.LookPath(t); err != nil {
			skip("needs %s on PATH (make tools installs it)", t)
		}
	}
}

// NewPair creates the namespaces and the veth.
func NewPair(tb testing.TB) *Pair {
	tb.Helper()
	Require(tb)
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	id := hex.EncodeToString(b)
	p := &Pair{Server: "sza-" + id + "-s", Device: "sza-" + id + "-d", SrvIf: "szas" + id, DevIf: "szad" + id}
	tb.Cleanup(func() {
		_ = exec.Command("ip", "netns", "del", p.Server).Run()
		_ = exec.Command("ip", "netns", "del", p.Device).Run()
	})
	Run(tb, "ip", "netns", "add", p.Server)
	Run(tb, "ip", "netns", "add", p.Device)
	Run(tb, "ip", "link", "add", p.SrvIf, "netns", p.Server, "type", "veth", "peer", "name", p.DevIf, "netns", p.Device)
	for _, ns := range [][2]string{{p.Server, p.SrvIf}, {p.Device, p.DevIf}} {
		// No duplicate address detection: link-local addresses are usable
		// at once, so DHCPv6 can start without waiting.
		Run(tb, "ip", "netns", "exec", ns[0], "sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0", "net.ipv6.conf."+ns[1]+".accept_dad=0")
		Run(tb, "ip", "-n", ns[0], "link", "set", "lo", "up")
		Run(tb, "ip", "-n", ns[0], "link", "set", ns[1], "up")
	}
	return p
}

// Run runs a command and fails the test with its output on error.
func Run(tb testing.TB, name string, args ...string) string {
	tb.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		tb.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// Do runs f on an OS thread moved into namespace ns. Sockets f opens
// belong to ns; the thread is discarded afterwards rather than moved back.
func Do(ns string, f func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
		fd, err := unix.Open("/run/netns/"+ns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			errc <- fmt.Errorf("opening namespace %s: %w", ns, err)
			return
		}
		defer unix.Close(fd)
		if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("entering namespace %s: %w", ns, err)
			return
		}
		errc <- f()
	}()
	return <-errc
}

// Dnsmasq runs Debian's dnsmasq in the pair's server namespace, on its
// veth only, with args added to a private configuration (no system files,
// no ping before an offer, and no DNS unless args give a --port). It is
// stopped when the test ends; its log is printed when the test failed.
func Dnsmasq(tb testing.TB, p *Pair, args ...string) {
	tb.Helper()
	dir := tb.TempDir()
	base := []string{"netns", "exec", p.Server, "dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null",
		"--user=root", "--group=root", "--bind-interfaces", "--interface=" + p.SrvIf,
		"--dhcp-leasefile=" + filepath.Join(dir, "leases"), "--pid-file=" + filepath.Join(dir, "pid"),
		"--no-ping", "--log-dhcp", "--log-facility=" + filepath.Join(dir, "log")}
	if !slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "--port=") }) {
		base = append(base, "--port=0")
	}
	cmd := exec.Command("ip", append(base, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	tb.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		if tb.Failed() {
			log, _ := os.ReadFile(filepath.Join(dir, "log"))
			tb.Logf("dnsmasq log:\n%s", log)
		}
	})
	// dnsmasq writes its pid file once its sockets are open.
	for i := 0; i < 250; i++ {
		select {
		case err := <-exited:
			exited <- err // for the cleanup
			tb.Fatalf("dnsmasq exited: %v\n%s", err, stderr.String())
		default:
		}
		if _, err := os.Stat(filepath.Join(dir, "pid")); err == nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	tb.Fatalf("dnsmasq did not start in 5 s\n%s", stderr.String())
}

// HexOctets is b as dnsmasq's --dhcp-option-force takes raw octets:
// colon-separated hex.
func HexOctets(b []byte) string {
	parts := make([]string, len(b))
	for i, c := range b {
		parts[i] = fmt.Sprintf("%02x", c)
	}
	return strings.Join(parts, ":")
}
