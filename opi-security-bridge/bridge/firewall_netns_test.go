package bridge_test

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/cilium/ebpf/link"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// The system tests and benchmarks run the bridge inside a namespace A and
// send traffic from a namespace B over a veth pair: the test binary
// re-executes itself inside A (`ip netns exec`) with envPeer naming B.
const envPeer = "OPI_FW_TEST_PEER_NS"

const (
	addrA = "10.99.0.1"
	addrB = "10.99.0.2"
	vethA = "fwva"
	vethB = "fwvb"
)

// inNamespaces runs the current test or benchmark again inside a fresh
// namespace A wired to a namespace B, and reports its output. It returns
// true in the child, where the caller does the real work.
func inNamespaces(t testing.TB, bench bool) bool {
	t.Helper()
	if os.Getenv(envPeer) != "" {
		return true
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN, CAP_BPF) to create network namespaces and attach XDP")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs the ip command (iproute2) to create network namespaces")
	}
	a, b := fmt.Sprintf("opifwa-%d", os.Getpid()), fmt.Sprintf("opifwb-%d", os.Getpid())
	t.Cleanup(func() {
		_ = exec.Command("ip", "netns", "del", a).Run()
		_ = exec.Command("ip", "netns", "del", b).Run()
	})
	for _, args := range [][]string{
		{"netns", "add", a}, {"netns", "add", b},
		{"-n", a, "link", "add", vethA, "type", "veth", "peer", "name", vethB, "netns", b},
		{"-n", a, "addr", "add", addrA + "/24", "dev", vethA},
		{"-n", b, "addr", "add", addrB + "/24", "dev", vethB},
		{"-n", a, "link", "set", vethA, "up"}, {"-n", b, "link", "set", vethB, "up"},
		{"-n", a, "link", "set", "lo", "up"}, {"-n", b, "link", "set", "lo", "up"},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	name := t.Name()
	if i := strings.IndexByte(name, '/'); i >= 0 {
		name = name[:i]
	}
	args := []string{"netns", "exec", a, os.Args[0], "-test.count=1", "-test.v"}
	if bench {
		args = append(args, "-test.run=^$", "-test.bench=^"+name+"$", "-test.benchtime=1x")
	} else {
		args = append(args, "-test.run=^"+name+"$")
	}
	cmd := exec.Command("ip", args...)
	cmd.Env = append(os.Environ(), envPeer+"="+b)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	for _, line := range strings.Split(strings.TrimRight(out.String(), "\n"), "\n") {
		if b, ok := t.(*testing.B); ok && strings.HasPrefix(line, "Benchmark") {
			fmt.Println(line) // the figures, as the benchmark's own output
			_ = b
			continue
		}
		t.Log(line)
	}
	if err != nil {
		t.Fatalf("the run inside namespace %s failed: %v", a, err)
	}
	return false
}

// inPeer runs fn on a thread moved into namespace B; the thread is thrown
// away afterwards.
func inPeer(t testing.TB, fn func() error) error {
	t.Helper()
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
		h, err := netns.GetFromName(os.Getenv(envPeer))
		if err != nil {
			errc <- err
			return
		}
		defer h.Close()
		if err := netns.Set(h); err != nil {
			errc <- err
			return
		}
		errc <- fn()
	}()
	return <-errc
}

// sendUDP sends n datagrams of size bytes from B to A's port.
func sendUDP(t testing.TB, port, n, size int) {
	t.Helper()
	err := inPeer(t, func() error {
		c, err := net.Dial("udp4", net.JoinHostPort(addrA, fmt.Sprint(port)))
		if err != nil {
			return err
		}
		defer c.Close()
		buf := make([]byte, size)
		for i := range n {
			if _, err := c.Write(buf); err != nil {
				return err
			}
			if i%64 == 63 {
				time.Sleep(100 * time.Microsecond) // stay below the receiver's buffer
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("sending UDP from B: %v", err)
	}
}

// sendUDPUntil sends datagrams from B to A's port at a steady pace until
// stop closes, and returns how many it sent.
func sendUDPUntil(t testing.TB, port, size int, stop <-chan struct{}) int {
	t.Helper()
	n := 0
	err := inPeer(t, func() error {
		c, err := net.Dial("udp4", net.JoinHostPort(addrA, fmt.Sprint(port)))
		if err != nil {
			return err
		}
		defer c.Close()
		buf := make([]byte, size)
		for {
			select {
			case <-stop:
				return nil
			default:
			}
			for range 16 {
				if _, err := c.Write(buf); err != nil {
					return err
				}
				n++
			}
			time.Sleep(200 * time.Microsecond)
		}
	})
	if err != nil {
		t.Errorf("sending UDP from B: %v", err)
	}
	return n
}

func dialUDP(port int) (net.Conn, error) {
	return net.Dial("udp4", net.JoinHostPort(addrA, fmt.Sprint(port)))
}

// udpSink counts datagrams received on A's port.
type udpSink struct {
	conn *net.UDPConn
	got  chan int
}

func listenUDP(t testing.TB, port int) *udpSink {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.ParseIP(addrA), Port: port})
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadBuffer(8 << 20)
	s := &udpSink{conn: c, got: make(chan int, 1)}
	go func() {
		buf := make([]byte, 2048)
		n := 0
		for {
			if _, err := c.Read(buf); err != nil {
				s.got <- n
				return
			}
			n++
		}
	}()
	return s
}

// count waits for the traffic to settle, closes the sink and returns how
// many datagrams arrived.
func (s *udpSink) count() int {
	time.Sleep(200 * time.Millisecond)
	_ = s.conn.Close()
	return <-s.got
}

// mountBPFFS mounts a private bpffs (ip netns exec remounts /sys, so never
// rely on /sys/fs/bpf in tests).
func mountBPFFS(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	if err := unix.Mount("bpf", dir, "bpf", 0, ""); err != nil {
		t.Skipf("cannot mount bpffs (kernel without CONFIG_BPF_SYSCALL?): %v", err)
	}
	t.Cleanup(func() { _ = unix.Unmount(dir, unix.MNT_DETACH) })
	return dir
}

func getenv(k string) string { return os.Getenv(k) }

// pinnedLinkID returns the id of the XDP link pinned for vethA.
func pinnedLinkID(t testing.TB, bpffsDir string) link.ID {
	t.Helper()
	l, err := link.LoadPinnedLink(filepath.Join(bpffsDir, "policies", "fw", "link_"+vethA), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	info, err := l.Info()
	if err != nil {
		t.Fatal(err)
	}
	return info.ID
}
