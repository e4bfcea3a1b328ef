package kernel

import (
	"fmt"
	"net"
	"os/exec"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"

	"github.com/opi-suite/opi/opi-network-bridge/network"
)

// BenchmarkLogicalBridgesWithPorts: one op is one logical bridge (a
// bridge and an enslaved VXLAN device) with one access port (a veth end
// enslaved, up, with a static FDB entry for its MAC), so ns/op is the
// time per object. "adapter" makes them through this package;
// "ip-processes" makes the same kernel objects by running ip and bridge,
// four processes per object (`ip -n NS`, as an adapter that shells out
// into a namespace would; starting them from a goroutine locked to a
// thread in the namespace instead was slower here). Each
// side works in its own namespace; the veth pairs are made with the timer
// stopped. 1,000 objects a side (1.5 to 2 minutes here, nearly all of it
// the processes):
//
//	go test -run '^$' -bench LogicalBridgesWithPorts -benchtime 1000x ./internal/kernel
//
// Nothing is deleted while a side is timed, nor between the sides:
// deleting a device costs this VM's kernel tens of milliseconds, and the
// kernel's background clean-up of a namespace would compete with the
// other side for the rtnl lock. The namespaces go when the benchmark ends.
func BenchmarkLogicalBridgesWithPorts(b *testing.B) {
	sides := []struct {
		name  string
		build func(env *benchEnv, i int, port netlink.Link) error
	}{
		{"adapter", func(env *benchEnv, i int, port netlink.Link) error {
			lb := lb(uint32(i), uint32(i))
			if err := env.k.EnsureLogicalBridge(ctx, lb); err != nil {
				return err
			}
			return env.k.EnsurePort(ctx, network.Port{Interface: port.Attrs().Name, MAC: port.Attrs().HardwareAddr,
				Type: network.PortAccess, Bridges: []network.LogicalBridge{lb}})
		}},
		{"ip-processes", func(env *benchEnv, i int, port netlink.Link) error {
			id, name, ns := fmt.Sprint(i), port.Attrs().Name, env.ns.name
			for _, cmd := range [][]string{
				{"ip", "-n", ns, "link", "add", "name", "lb" + id, "up", "type", "bridge"},
				{"ip", "-n", ns, "link", "add", "name", "vx" + id, "up", "master", "lb" + id,
					"type", "vxlan", "id", id, "local", vtep.String(), "dstport", "4789", "nolearning"},
				{"ip", "-n", ns, "link", "set", name, "master", "lb" + id, "up"},
				{"bridge", "-n", ns, "fdb", "replace", port.Attrs().HardwareAddr.String(), "dev", name, "master", "static"},
			} {
				if out, err := exec.Command(cmd[0], cmd[1:]...).CombinedOutput(); err != nil {
					return fmt.Errorf("%s: %v: %s", strings.Join(cmd, " "), err, out)
				}
			}
			return nil
		}},
	}
	parent := b
	newEnv := func() *benchEnv {
		env := &benchEnv{ns: newTestNS(parent), next: 1}
		env.k = newKernel(parent, env.ns)
		return env
	}
	envs := make([]*benchEnv, len(sides))
	for i := range sides {
		envs[i] = newEnv()
	}
	for i, side := range sides {
		env := envs[i]
		b.Run(side.name, func(b *testing.B) {
			if _, err := exec.LookPath("bridge"); err != nil && side.name == "ip-processes" {
				b.Skip("needs iproute2's ip and bridge")
			}
			if b.N > 4094 {
				b.Fatalf("%d objects: a namespace has VLAN ids for 4094; use -benchtime 1000x", b.N)
			}
			if env.next+b.N-1 > 4094 {
				env = newEnv() // out of VLAN ids: go on in a fresh namespace
			}
			first := env.next
			ports := env.ports(b, first+b.N-1)
			b.ResetTimer()
			for j := first; j < first+b.N; j++ {
				if err := side.build(env, j, ports[j-1]); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			env.next += b.N
			env.check(b, first, env.next)
		})
	}
}

// benchEnv is one side's namespace: veth pairs p<i>/q<i> and the objects
// made so far, 1..next-1.
type benchEnv struct {
	ns    *testNS
	k     *Kernel
	veths []netlink.Link
	next  int
}

// ports makes veth pairs up to n.
func (e *benchEnv) ports(b *testing.B, n int) []netlink.Link {
	for i := len(e.veths) + 1; i <= n; i++ {
		e.veths = append(e.veths, e.ns.veth(b, fmt.Sprintf("p%d", i), fmt.Sprintf("q%d", i)))
	}
	return e.veths
}

// check verifies objects first..end-1: both sides must make the same.
func (e *benchEnv) check(b *testing.B, first, end int) {
	links, err := e.ns.h.LinkList()
	if err != nil {
		b.Fatal(err)
	}
	byName := map[string]netlink.Link{}
	for _, l := range links {
		byName[l.Attrs().Name] = l
	}
	for i := first; i < end; i++ {
		br, vx, p := byName[fmt.Sprintf("lb%d", i)], byName[fmt.Sprintf("vx%d", i)], byName[fmt.Sprintf("p%d", i)]
		if br == nil || vx == nil || vx.Attrs().MasterIndex != br.Attrs().Index || p.Attrs().MasterIndex != br.Attrs().Index ||
			p.Attrs().Flags&net.FlagUp == 0 || vx.(*netlink.Vxlan).VxlanId != i {
			b.Fatalf("object %d is not as it should be", i)
		}
	}
	if last := fmt.Sprintf("p%d", end-1); !e.ns.staticFDBOn(b, last, byName[last].Attrs().HardwareAddr) {
		b.Fatalf("no static FDB entry on %s", last)
	}
}
