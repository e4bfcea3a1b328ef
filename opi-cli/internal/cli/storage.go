package cli

import (
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"

	storagev1 "github.com/opi-suite/opi/opi-api/storage/v1"
)

// newStorageCmd returns `opi storage`, one command per resource kind of the
// storage API.
func newStorageCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "storage",
		Short: "Build volumes and expose them to hosts through the storage bridge",
		Long: `opi storage manages the resources of the OPI storage API: volumes, what is
stacked on them (logical volumes, encryption, QoS) and how hosts reach them
(NVMe subsystems, controllers and namespaces, virtio-blk devices,
virtio-scsi targets and LUNs), and the
remote NVMe-oF subsystems the DPU imports.

Every kind has the same verbs: create ID, get NAME, list, update NAME,
delete NAME and, where the API counts I/O, stats NAME. NAME is an id or a
full resource name; the resources under a parent (namespaces, controllers,
logical volumes, paths) take the parent with a flag (--subsystem,
--store, --remote-controller) unless the full name is given. A --volume
flag takes the full name of a volume of any kind, such as
mallocVolumes/m1. update sends only the fields whose flags are given.
create, update and delete take --dry-run to print the request instead.

Secrets (NVMe/TCP PSKs, encryption keys) are read from a file or from stdin
("-") with --psk-file, --key-file and --key2-file, never from a flag's value,
which would stay in the shell history and the process list. The service
never returns them, and --dry-run leaves them out.`,
		Example: `  opi storage malloc-volume create m1 --block-count 262144 --block-size 512
  opi storage nvme-subsystem create s1 --nqn nqn.2022-09.io.opiproject:s1 --allow-any-host
  opi storage nvme-namespace create ns1 --subsystem s1 --volume mallocVolumes/m1
  opi storage nvme-controller create tcp1 --subsystem s1 --trtype tcp --traddr 0.0.0.0 --trsvcid 4420
  opi storage nvme-namespace list --subsystem s1 -o json`,
	}
	cmd.AddGroup(
		&cobra.Group{ID: "volumes", Title: "Volumes:"},
		&cobra.Group{ID: "middleend", Title: "Stacked on volumes:"},
		&cobra.Group{ID: "frontend", Title: "Exposed to hosts:"},
		&cobra.Group{ID: "backend", Title: "Imported from remote NVMe-oF subsystems:"},
	)
	cmd.AddCommand(
		resourceCommand(g, mallocVolumeKind()),
		resourceCommand(g, nullVolumeKind()),
		resourceCommand(g, aioVolumeKind()),
		resourceCommand(g, lvsKind()),
		resourceCommand(g, lvolKind()),
		resourceCommand(g, encryptedVolumeKind()),
		resourceCommand(g, qosVolumeKind()),
		resourceCommand(g, nvmeSubsystemKind()),
		resourceCommand(g, nvmeControllerKind()),
		resourceCommand(g, nvmeNamespaceKind()),
		resourceCommand(g, virtioBlkKind()),
		resourceCommand(g, virtioScsiTargetKind()),
		resourceCommand(g, virtioScsiLunKind()),
		resourceCommand(g, nvmeRemoteControllerKind()),
		resourceCommand(g, nvmePathKind()),
		resourceCommand(g, nvmeRemoteNamespaceKind()),
	)
	return cmd
}

// statsTable prints whichever counters a Stats response holds: volume I/O,
// host connections, paths.
func statsTable(t *table, resp proto.Message) {
	aiStatsTable(t, resp)
	if r, ok := resp.(interface{ GetStats() *storagev1.VolumeStats }); ok && r.GetStats() != nil {
		s := r.GetStats()
		t.section("", "I/O", "OPS", "BYTES", "MEAN LATENCY")
		t.row("read", u64(s.GetReadOps()), byteSize(int64(s.GetReadBytes())), meanLatency(s.GetReadLatencyTicks(), s.GetReadOps(), s.GetTickRate()))
		t.row("write", u64(s.GetWriteOps()), byteSize(int64(s.GetWriteBytes())), meanLatency(s.GetWriteLatencyTicks(), s.GetWriteOps(), s.GetTickRate()))
		t.row("unmap", u64(s.GetUnmapOps()), byteSize(int64(s.GetUnmapBytes())), meanLatency(s.GetUnmapLatencyTicks(), s.GetUnmapOps(), s.GetTickRate()))
	}
	if r, ok := resp.(interface {
		GetConnections() []*storagev1.NvmeHostConnection
	}); ok {
		t.section("HOST CONNECTIONS", "CONTROLLER ID", "HOST NQN", "HOST ID", "I/O QUEUE PAIRS")
		for _, c := range r.GetConnections() {
			t.row(u64(uint64(c.GetControllerId())), c.GetHostNqn(), c.GetHostId(), u64(uint64(c.GetIoQueuePairs())))
		}
	}
	var ps []*storagev1.NvmePathState
	show := false
	if r, ok := resp.(interface {
		GetPaths() []*storagev1.NvmePathState
	}); ok {
		ps, show = r.GetPaths(), true
	}
	if r, ok := resp.(interface {
		GetState() *storagev1.NvmePathState
	}); ok && r.GetState() != nil {
		ps, show = []*storagev1.NvmePathState{r.GetState()}, true
	}
	if show {
		t.section("PATHS", "PATH", "ADDRESS", "CONNECTED", "CURRENT", "ACCESSIBLE", "READ OPS", "WRITE OPS")
		for _, p := range ps {
			t.row(p.GetPath(), fabricsText(p.GetAddress()), yes(p.GetConnected()), yes(p.GetCurrent()), yes(p.GetAccessible()),
				u64(p.GetStats().GetReadOps()), u64(p.GetStats().GetWriteOps()))
		}
	}
}

// meanLatency is ticks/ops/rate as a duration; "" when nothing was counted.
func meanLatency(ticks, ops, rate uint64) string {
	if ops == 0 || rate == 0 {
		return ""
	}
	return time.Duration(float64(ticks) / float64(ops) / float64(rate) * float64(time.Second)).String()
}

// fabricsText is "tcp 10.0.0.1:4420"; an unset port shows as 4420, the
// port the service uses then.
func fabricsText(a *storagev1.NvmeFabricsAddress) string {
	if a == nil {
		return ""
	}
	port := a.GetTrsvcid()
	if port == 0 {
		port = 4420
	}
	return enumWord(a.GetTrtype()) + " " + net.JoinHostPort(a.GetTraddr(), strconv.FormatUint(uint64(port), 10))
}

// pcieText is "pcie port/pf/vf".
func pcieText(e *storagev1.PcieEndpoint) string {
	return fmt.Sprintf("pcie %d/%d/%d", e.GetPortId(), e.GetPhysicalFunction(), e.GetVirtualFunction())
}

// u64 formats a count; 0 shows as "0", not as missing.
func u64(n uint64) string { return strconv.FormatUint(n, 10) }

// nonZero formats a number, leaving 0 (the service's default) empty.
func nonZero[N ~uint32 | ~uint64 | ~int32](n N) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprint(n)
}

// yes is "yes" for true and "" (shown as "-") for false.
func yes(b bool) string {
	if b {
		return "yes"
	}
	return ""
}
