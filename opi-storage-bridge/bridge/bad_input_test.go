package bridge

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestBadInputIsRefusedWithAnActionableMessageAndChangesNothing(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.malloc("vol1")
	f.subsystem("sub1")
	tcp := func(addr string, port uint32) *pb.NvmeController {
		return &pb.NvmeController{Endpoint: &pb.NvmeController_Fabrics{Fabrics: &pb.NvmeFabricsAddress{
			Trtype: pb.NvmeTransportType_NVME_TRANSPORT_TYPE_TCP, Traddr: addr, Trsvcid: port}}}
	}
	sub := func(id, nqn string) func() error {
		return func() error {
			_, err := f.nvme.CreateNvmeSubsystem(ctx, &pb.CreateNvmeSubsystemRequest{NvmeSubsystemId: id, NvmeSubsystem: &pb.NvmeSubsystem{Nqn: nqn}})
			return err
		}
	}
	ns := func(parent, id string, m *pb.NvmeNamespace) func() error {
		return func() error {
			_, err := f.nvme.CreateNvmeNamespace(ctx, &pb.CreateNvmeNamespaceRequest{Parent: parent, NvmeNamespaceId: id, NvmeNamespace: m})
			return err
		}
	}
	ctrl := func(id string, m *pb.NvmeController) func() error {
		return func() error {
			_, err := f.nvme.CreateNvmeController(ctx, &pb.CreateNvmeControllerRequest{Parent: "nvmeSubsystems/sub1", NvmeControllerId: id, NvmeController: m})
			return err
		}
	}
	blk := func(id string, m *pb.VirtioBlk) func() error {
		return func() error {
			_, err := f.virtio.CreateVirtioBlk(ctx, &pb.CreateVirtioBlkRequest{VirtioBlkId: id, VirtioBlk: m})
			return err
		}
	}
	vhost := &pb.VirtioBlk_VhostUser{VhostUser: &pb.VhostUserEndpoint{}}
	tests := []struct {
		name string
		call func() error
		code codes.Code
		hint string // part of the message that tells the user what to do
	}{
		{"an empty subsystem id is refused", sub("", nqn("x")), codes.InvalidArgument, "nvme_subsystem_id"},
		{"an over-long subsystem id is refused", sub(strings.Repeat("a", 64), nqn("x")), codes.InvalidArgument, "nvme_subsystem_id"},
		{"an id with capitals is refused", sub("Sub2", nqn("x")), codes.InvalidArgument, "nvme_subsystem_id"},
		{"a subsystem without an NQN is refused", sub("sub2", ""), codes.InvalidArgument, "nqn"},
		{"a malformed NQN is refused", sub("sub2", "iqn.2022-09.io.opi:x"), codes.InvalidArgument, "nqn.2022-09.io.opiproject"},
		{"an over-long NQN is refused", sub("sub2", "nqn.2022-09.io.opi:"+strings.Repeat("x", 220)), codes.InvalidArgument, "at most 223"},
		{"the discovery NQN is refused", sub("sub2", "nqn.2014-08.org.nvmexpress.discovery"), codes.InvalidArgument, "discovery"},
		{"a huge max_namespaces is refused", func() error {
			_, err := f.nvme.CreateNvmeSubsystem(ctx, &pb.CreateNvmeSubsystemRequest{NvmeSubsystemId: "sub2", NvmeSubsystem: &pb.NvmeSubsystem{Nqn: nqn("sub2"), MaxNamespaces: 1 << 31}})
			return err
		}, codes.InvalidArgument, "max_namespaces"},
		{"a serial number over 20 characters is refused", func() error {
			_, err := f.nvme.CreateNvmeSubsystem(ctx, &pb.CreateNvmeSubsystemRequest{NvmeSubsystemId: "sub2", NvmeSubsystem: &pb.NvmeSubsystem{Nqn: nqn("sub2"), SerialNumber: strings.Repeat("9", 21)}})
			return err
		}, codes.InvalidArgument, "serial_number"},
		{"a malformed PSK is refused without quoting it", func() error {
			_, err := f.nvme.CreateNvmeSubsystem(ctx, &pb.CreateNvmeSubsystemRequest{NvmeSubsystemId: "sub2", NvmeSubsystem: &pb.NvmeSubsystem{Nqn: nqn("sub2"),
				Hosts: []*pb.NvmeSubsystemHost{{HostNqn: hostNQN, Psk: "secret-not-a-key"}}}})
			if err != nil && strings.Contains(err.Error(), "secret-not-a-key") {
				return fmt.Errorf("the message quotes the key: %w", err)
			}
			return err
		}, codes.InvalidArgument, "interchange format"},
		{"a namespace on a missing volume is NotFound", ns("nvmeSubsystems/sub1", "ns1", &pb.NvmeNamespace{Volume: "mallocVolumes/nope"}), codes.NotFound, "create it first"},
		{"a namespace on something that is not a volume is refused", ns("nvmeSubsystems/sub1", "ns1", &pb.NvmeNamespace{Volume: "nvmeSubsystems/sub1"}), codes.InvalidArgument, "accepted patterns"},
		{"a namespace without a volume is refused", ns("nvmeSubsystems/sub1", "ns1", &pb.NvmeNamespace{}), codes.InvalidArgument, "volume"},
		{"a namespace in a missing subsystem is NotFound", ns("nvmeSubsystems/nope", "ns1", &pb.NvmeNamespace{Volume: "mallocVolumes/vol1"}), codes.NotFound, "nvmeSubsystems/nope"},
		{"a namespace id beyond max_namespaces is refused", ns("nvmeSubsystems/sub1", "ns1", &pb.NvmeNamespace{Volume: "mallocVolumes/vol1", Nsid: 33}), codes.InvalidArgument, "max_namespaces"},
		{"a malformed uuid is refused", ns("nvmeSubsystems/sub1", "ns1", &pb.NvmeNamespace{Volume: "mallocVolumes/vol1", Uuid: "1234"}), codes.InvalidArgument, "uuid"},
		{"a malformed nguid is refused", ns("nvmeSubsystems/sub1", "ns1", &pb.NvmeNamespace{Volume: "mallocVolumes/vol1", Nguid: "zz"}), codes.InvalidArgument, "32 hexadecimal"},
		{"a controller without an endpoint is refused", ctrl("c1", &pb.NvmeController{}), codes.InvalidArgument, "fabrics"},
		{"a controller on a host name is refused", ctrl("c1", tcp("example.com", 4420)), codes.InvalidArgument, "IP address"},
		{"a controller on port 70000 is refused", ctrl("c1", tcp("127.0.0.1", 70000)), codes.InvalidArgument, "1 to 65535"},
		{"an unknown transport enum value is refused", ctrl("c1", &pb.NvmeController{Endpoint: &pb.NvmeController_Fabrics{Fabrics: &pb.NvmeFabricsAddress{Trtype: 42, Traddr: "127.0.0.1"}}}), codes.InvalidArgument, "TCP"},
		{"an unknown ANA state is refused", ctrl("c1", &pb.NvmeController{Endpoint: tcp("127.0.0.1", 4420).Endpoint, AnaState: 9}), codes.InvalidArgument, "OPTIMIZED"},
		{"an ANA state on a subsystem without ANA reporting is refused", ctrl("c1", &pb.NvmeController{Endpoint: tcp("127.0.0.1", 4420).Endpoint, AnaState: pb.NvmeAnaState_NVME_ANA_STATE_INACCESSIBLE}), codes.FailedPrecondition, "ana_reporting"},
		{"a virtio-blk device without an endpoint is refused", blk("blk1", &pb.VirtioBlk{Volume: "mallocVolumes/vol1"}), codes.InvalidArgument, "vhost_user"},
		{"a virtio-blk device on a missing volume is NotFound", blk("blk1", &pb.VirtioBlk{Volume: "nullVolumes/nope", Endpoint: vhost}), codes.NotFound, "create it first"},
		{"a malformed cpumask is refused", blk("blk1", &pb.VirtioBlk{Volume: "mallocVolumes/vol1", Endpoint: vhost, Cpumask: "cores 1-2"}), codes.InvalidArgument, "0x3"},
		{"coalescing without a threshold is refused", blk("blk1", &pb.VirtioBlk{Volume: "mallocVolumes/vol1", Endpoint: vhost, CoalescingDelayUs: 50}), codes.InvalidArgument, "coalescing_iops_threshold"},
		{"a get of a malformed name is refused", func() error {
			_, err := f.nvme.GetNvmeNamespace(ctx, &pb.GetNvmeNamespaceRequest{Name: "nvmeSubsystems/sub1/ns1"})
			return err
		}, codes.InvalidArgument, "nvmeSubsystems/{nvme_subsystem}/nvmeNamespaces/{nvme_namespace}"},
		{"a zero-size malloc volume is refused", func() error {
			_, err := f.vols.CreateMallocVolume(ctx, &pb.CreateMallocVolumeRequest{MallocVolumeId: "vol2", MallocVolume: &pb.MallocVolume{BlockSize: 512}})
			return err
		}, codes.InvalidArgument, "block_count"},
	}
	before := snapshot(t, f)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if status.Code(err) != tt.code {
				t.Fatalf("got %v, want %v", err, tt.code)
			}
			if !strings.Contains(status.Convert(err).Message(), tt.hint) {
				t.Errorf("message %q does not mention %q", status.Convert(err).Message(), tt.hint)
			}
			if after := snapshot(t, f); !reflect.DeepEqual(before, after) {
				t.Errorf("a refused request changed state:\nbefore %v\nafter  %v", before, after)
			}
		})
	}
}

// snapshot is what a refused request must not change: SPDK's subsystems and
// bdevs, and the stored resources.
func snapshot(t *testing.T, f *fixture) string {
	t.Helper()
	ctx := context.Background()
	subs, _ := f.nvme.ListNvmeSubsystems(ctx, &pb.ListNvmeSubsystemsRequest{})
	nss, _ := f.nvme.ListNvmeNamespaces(ctx, &pb.ListNvmeNamespacesRequest{Parent: "nvmeSubsystems/sub1"})
	ctrls, _ := f.nvme.ListNvmeControllers(ctx, &pb.ListNvmeControllersRequest{Parent: "nvmeSubsystems/sub1"})
	blks, _ := f.virtio.ListVirtioBlks(ctx, &pb.ListVirtioBlksRequest{})
	vols, _ := f.vols.ListMallocVolumes(ctx, &pb.ListMallocVolumesRequest{})
	return fmt.Sprintf("spdk subsystems %v bdevs %v; stored %d subsystems %d namespaces %d controllers %d virtio-blks %d malloc volumes",
		f.subsystems(), f.bdevs(), len(subs.GetNvmeSubsystems()), len(nss.GetNvmeNamespaces()), len(ctrls.GetNvmeControllers()),
		len(blks.GetVirtioBlks()), len(vols.GetMallocVolumes()))
}
