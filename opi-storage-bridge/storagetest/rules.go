package storagetest

import (
	"context"
	"encoding/hex"
	"slices"
	"strings"
	"testing"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
)

// quotesKey reports whether err quotes the suite's key material.
func quotesKey(err error) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	for _, k := range [][]byte{key1, key2} {
		if strings.Contains(msg, string(k)) || strings.Contains(strings.ToLower(msg), hex.EncodeToString(k)) {
			return true
		}
	}
	return false
}

func idempotency(t *testing.T, h *Harness) {
	ctx := ctxT(t)
	port := FreePort(t)
	vhost := &pb.VirtioBlk_VhostUser{VhostUser: &pb.VhostUserEndpoint{}}
	// Each create in dependency order, each made twice: the second answer
	// must be the first object, and SPDK must hold it once.
	creates := []struct {
		name string
		call func() (proto.Message, error)
	}{
		{"mallocVolumes/i1", func() (proto.Message, error) {
			return h.Volumes.CreateMallocVolume(ctx, &pb.CreateMallocVolumeRequest{MallocVolumeId: "i1", MallocVolume: &pb.MallocVolume{BlockSize: 512, BlockCount: 8192}})
		}},
		{"nullVolumes/i2", func() (proto.Message, error) {
			return h.Volumes.CreateNullVolume(ctx, &pb.CreateNullVolumeRequest{NullVolumeId: "i2", NullVolume: &pb.NullVolume{BlockCount: 2048}})
		}},
		{"qosVolumes/iq", func() (proto.Message, error) {
			return h.Middleend.CreateQosVolume(ctx, &pb.CreateQosVolumeRequest{QosVolumeId: "iq", QosVolume: &pb.QosVolume{Volume: "nullVolumes/i2", Limits: &pb.QosLimits{RwIosPerSec: 1000}}})
		}},
		{"encryptedVolumes/ie", func() (proto.Message, error) {
			return h.Middleend.CreateEncryptedVolume(ctx, &pb.CreateEncryptedVolumeRequest{EncryptedVolumeId: "ie", EncryptedVolume: &pb.EncryptedVolume{
				Volume: "mallocVolumes/i1", Cipher: pb.EncryptionCipher_ENCRYPTION_CIPHER_AES_XTS, Key: key1, Key2: key2}})
		}},
		{"logicalVolumeStores/is", func() (proto.Message, error) {
			return h.Lvols.CreateLogicalVolumeStore(ctx, &pb.CreateLogicalVolumeStoreRequest{LogicalVolumeStoreId: "is", LogicalVolumeStore: &pb.LogicalVolumeStore{
				Volume: "encryptedVolumes/ie", ClusterSizeBytes: 1 << 20}})
		}},
		{"logicalVolumeStores/is/logicalVolumes/iv", func() (proto.Message, error) {
			return h.Lvols.CreateLogicalVolume(ctx, &pb.CreateLogicalVolumeRequest{Parent: "logicalVolumeStores/is", LogicalVolumeId: "iv", LogicalVolume: &pb.LogicalVolume{SizeMib: 1}})
		}},
		{"nvmeSubsystems/isub", func() (proto.Message, error) {
			return h.Nvme.CreateNvmeSubsystem(ctx, &pb.CreateNvmeSubsystemRequest{NvmeSubsystemId: "isub", NvmeSubsystem: &pb.NvmeSubsystem{Nqn: nqn("isub"), AllowAnyHost: true}})
		}},
		{"nvmeSubsystems/isub/nvmeNamespaces/ins", func() (proto.Message, error) {
			return h.Nvme.CreateNvmeNamespace(ctx, &pb.CreateNvmeNamespaceRequest{Parent: "nvmeSubsystems/isub", NvmeNamespaceId: "ins",
				NvmeNamespace: &pb.NvmeNamespace{Volume: "logicalVolumeStores/is/logicalVolumes/iv"}})
		}},
		{"nvmeSubsystems/isub/nvmeControllers/ic", func() (proto.Message, error) {
			return h.Nvme.CreateNvmeController(ctx, &pb.CreateNvmeControllerRequest{Parent: "nvmeSubsystems/isub", NvmeControllerId: "ic", NvmeController: tcp(port)})
		}},
		{"virtioBlks/iblk", func() (proto.Message, error) {
			return h.VirtioBlks.CreateVirtioBlk(ctx, &pb.CreateVirtioBlkRequest{VirtioBlkId: "iblk", VirtioBlk: &pb.VirtioBlk{Volume: "qosVolumes/iq", Endpoint: vhost}})
		}},
	}
	for _, c := range creates {
		first, err := c.call()
		if err != nil {
			t.Fatalf("creating %s: %v", c.name, err)
		}
		before := h.spdkState(t)
		again, err := c.call()
		if err != nil || !proto.Equal(first, again) {
			t.Errorf("the same create of %s again = %v, %v; want the first object %v", c.name, again, err, first)
		}
		if after := h.spdkState(t); after != before {
			t.Errorf("the same create of %s again changed SPDK:\nbefore %s\nafter  %s", c.name, before, after)
		}
	}
	sub := h.Subsystems(t)[nqn("isub")]
	if len(sub.Namespaces) != 1 || len(sub.ListenAddresses) != 1 {
		t.Errorf("SPDK's subsystem after repeated creates: %+v; want one namespace and one listener", sub)
	}
	wantCode[*pb.NvmeNamespace](t, "a create with the same id and another volume", codes.AlreadyExists)(h.Nvme.CreateNvmeNamespace(ctx, &pb.CreateNvmeNamespaceRequest{
		Parent: "nvmeSubsystems/isub", NvmeNamespaceId: "ins", NvmeNamespace: &pb.NvmeNamespace{Volume: "mallocVolumes/i1"}}))
	wantCode[*pb.NvmeSubsystem](t, "another subsystem with a taken NQN", codes.AlreadyExists)(h.Nvme.CreateNvmeSubsystem(ctx, &pb.CreateNvmeSubsystemRequest{
		NvmeSubsystemId: "isub2", NvmeSubsystem: &pb.NvmeSubsystem{Nqn: nqn("isub")}}))

	// Deletes in reverse, each twice: NotFound, then allow_missing succeeds.
	del := &pb.DeleteNvmeNamespaceRequest{Name: "nvmeSubsystems/isub/nvmeNamespaces/ins"}
	must[*emptypb.Empty](t, "delete the namespace")(h.Nvme.DeleteNvmeNamespace(ctx, del))
	wantCode[*emptypb.Empty](t, "deleting a deleted namespace", codes.NotFound)(h.Nvme.DeleteNvmeNamespace(ctx, del))
	del.AllowMissing = true
	must[*emptypb.Empty](t, "deleting a deleted namespace with allow_missing")(h.Nvme.DeleteNvmeNamespace(ctx, del))
	if nss := h.Subsystems(t)[nqn("isub")].Namespaces; len(nss) != 0 {
		// A logical volume's namespace is reported under the lvol's own
		// name (its UUID), not the alias the bridge uses.
		t.Errorf("SPDK still exports %+v after the namespace on the logical volume was deleted", nss)
	}
	must[*emptypb.Empty](t, "delete the virtio-blk")(h.VirtioBlks.DeleteVirtioBlk(ctx, &pb.DeleteVirtioBlkRequest{Name: "virtioBlks/iblk"}))
	must[*emptypb.Empty](t, "delete the subsystem")(h.Nvme.DeleteNvmeSubsystem(ctx, &pb.DeleteNvmeSubsystemRequest{Name: "nvmeSubsystems/isub", Force: true}))
	must[*emptypb.Empty](t, "delete the store")(h.Lvols.DeleteLogicalVolumeStore(ctx, &pb.DeleteLogicalVolumeStoreRequest{Name: "logicalVolumeStores/is", Force: true}))
	must[*emptypb.Empty](t, "delete the encrypted volume")(h.Middleend.DeleteEncryptedVolume(ctx, &pb.DeleteEncryptedVolumeRequest{Name: "encryptedVolumes/ie"}))
	must[*emptypb.Empty](t, "delete the QoS volume")(h.Middleend.DeleteQosVolume(ctx, &pb.DeleteQosVolumeRequest{Name: "qosVolumes/iq"}))
	must[*emptypb.Empty](t, "delete the malloc volume")(h.Volumes.DeleteMallocVolume(ctx, &pb.DeleteMallocVolumeRequest{Name: "mallocVolumes/i1"}))
	must[*emptypb.Empty](t, "delete the null volume")(h.Volumes.DeleteNullVolume(ctx, &pb.DeleteNullVolumeRequest{Name: "nullVolumes/i2"}))
}

func dependentDeletes(t *testing.T, h *Harness) {
	ctx := ctxT(t)
	h.malloc(t, "dvol", 2048)
	h.subsystem(t, "dsub")
	must[*pb.NvmeNamespace](t, "create the namespace")(h.Nvme.CreateNvmeNamespace(ctx, &pb.CreateNvmeNamespaceRequest{Parent: "nvmeSubsystems/dsub", NvmeNamespaceId: "dns",
		NvmeNamespace: &pb.NvmeNamespace{Volume: "mallocVolumes/dvol"}}))
	must[*pb.NvmeController](t, "create the controller")(h.Nvme.CreateNvmeController(ctx, &pb.CreateNvmeControllerRequest{Parent: "nvmeSubsystems/dsub", NvmeControllerId: "dc",
		NvmeController: tcp(FreePort(t))}))
	before, stored := h.spdkState(t), h.stored(t)
	wantCode[*emptypb.Empty](t, "deleting a volume a namespace uses", codes.FailedPrecondition)(h.Volumes.DeleteMallocVolume(ctx, &pb.DeleteMallocVolumeRequest{Name: "mallocVolumes/dvol"}))
	_, err := h.Nvme.DeleteNvmeSubsystem(ctx, &pb.DeleteNvmeSubsystemRequest{Name: "nvmeSubsystems/dsub"})
	if status.Code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), "force") {
		t.Errorf("deleting a subsystem with a namespace and a controller: %v; want FailedPrecondition that mentions force", err)
	}
	if after := h.spdkState(t); after != before {
		t.Errorf("a refused delete changed SPDK:\nbefore %s\nafter  %s", before, after)
	}
	if after := h.stored(t); !slices.Equal(after, stored) {
		t.Errorf("a refused delete changed what is stored: %v, then %v", stored, after)
	}
	must[*emptypb.Empty](t, "force deletes the subsystem with its children")(h.Nvme.DeleteNvmeSubsystem(ctx, &pb.DeleteNvmeSubsystemRequest{Name: "nvmeSubsystems/dsub", Force: true}))
	wantCode[*pb.NvmeNamespace](t, "the namespace of the deleted subsystem", codes.NotFound)(h.Nvme.GetNvmeNamespace(ctx, &pb.GetNvmeNamespaceRequest{Name: "nvmeSubsystems/dsub/nvmeNamespaces/dns"}))
	must[*emptypb.Empty](t, "the volume is free again")(h.Volumes.DeleteMallocVolume(ctx, &pb.DeleteMallocVolumeRequest{Name: "mallocVolumes/dvol"}))
}

// refusal is one bad request: the code and a part of the message that
// tells the user what to do.
type refusal struct {
	name string
	call func(ctx context.Context) error
	code codes.Code
	hint string
}

func badInput(t *testing.T, h *Harness) {
	ctx := ctxT(t)
	h.malloc(t, "vol1", 2048)
	h.subsystem(t, "sub1")
	cases := append(frontendRefusals(h), backendRefusals(h)...)
	before, stored := h.spdkState(t), h.stored(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mark := h.sent.mark()
			err := c.call(ctx)
			if status.Code(err) != c.code {
				t.Fatalf("got %v, want %v", err, c.code)
			}
			if msg := status.Convert(err).Message(); !strings.Contains(msg, c.hint) {
				t.Errorf("message %q does not mention %q", msg, c.hint)
			}
			if quotesKey(err) || strings.Contains(err.Error(), "secret") {
				t.Errorf("the message quotes key material: %v", err)
			}
			for _, m := range h.sent.since(mark) {
				if changing(m) {
					t.Errorf("the refused request reached SPDK: %s", m)
				}
			}
			if after := h.spdkState(t); after != before {
				t.Errorf("a refused request changed SPDK:\nbefore %s\nafter  %s", before, after)
			}
			if after := h.stored(t); !slices.Equal(after, stored) {
				t.Errorf("a refused request was stored: %v, then %v", stored, after)
			}
		})
	}
	must[*emptypb.Empty](t, "delete the subsystem")(h.Nvme.DeleteNvmeSubsystem(ctx, &pb.DeleteNvmeSubsystemRequest{Name: "nvmeSubsystems/sub1"}))
	must[*emptypb.Empty](t, "delete the volume")(h.Volumes.DeleteMallocVolume(ctx, &pb.DeleteMallocVolumeRequest{Name: "mallocVolumes/vol1"}))
}

// err drops a call's result.
func err[T any](_ T, err error) error { return err }

func frontendRefusals(h *Harness) []refusal {
	sub := func(id, nqn string) func(context.Context) error {
		return func(ctx context.Context) error {
			return err(h.Nvme.CreateNvmeSubsystem(ctx, &pb.CreateNvmeSubsystemRequest{NvmeSubsystemId: id, NvmeSubsystem: &pb.NvmeSubsystem{Nqn: nqn}}))
		}
	}
	subWith := func(m *pb.NvmeSubsystem) func(context.Context) error {
		return func(ctx context.Context) error {
			m.Nqn = nqn("sub2")
			return err(h.Nvme.CreateNvmeSubsystem(ctx, &pb.CreateNvmeSubsystemRequest{NvmeSubsystemId: "sub2", NvmeSubsystem: m}))
		}
	}
	ns := func(parent string, m *pb.NvmeNamespace) func(context.Context) error {
		return func(ctx context.Context) error {
			return err(h.Nvme.CreateNvmeNamespace(ctx, &pb.CreateNvmeNamespaceRequest{Parent: parent, NvmeNamespaceId: "ns1", NvmeNamespace: m}))
		}
	}
	ctrl := func(m *pb.NvmeController) func(context.Context) error {
		return func(ctx context.Context) error {
			return err(h.Nvme.CreateNvmeController(ctx, &pb.CreateNvmeControllerRequest{Parent: "nvmeSubsystems/sub1", NvmeControllerId: "c1", NvmeController: m}))
		}
	}
	blk := func(m *pb.VirtioBlk) func(context.Context) error {
		return func(ctx context.Context) error {
			return err(h.VirtioBlks.CreateVirtioBlk(ctx, &pb.CreateVirtioBlkRequest{VirtioBlkId: "blk1", VirtioBlk: m}))
		}
	}
	fabrics := func(tr pb.NvmeTransportType, addr string, port uint32) *pb.NvmeController {
		return &pb.NvmeController{Endpoint: &pb.NvmeController_Fabrics{Fabrics: &pb.NvmeFabricsAddress{Trtype: tr, Traddr: addr, Trsvcid: port}}}
	}
	tcpT := pb.NvmeTransportType_NVME_TRANSPORT_TYPE_TCP
	vol := "mallocVolumes/vol1"
	vhost := &pb.VirtioBlk_VhostUser{VhostUser: &pb.VhostUserEndpoint{}}
	return []refusal{
		{"an empty subsystem id", sub("", nqn("x")), codes.InvalidArgument, "nvme_subsystem_id"},
		{"an over-long subsystem id", sub(strings.Repeat("a", 64), nqn("x")), codes.InvalidArgument, "nvme_subsystem_id"},
		{"a subsystem id with capitals", sub("Sub2", nqn("x")), codes.InvalidArgument, "nvme_subsystem_id"},
		{"a subsystem without an NQN", sub("sub2", ""), codes.InvalidArgument, "nqn"},
		{"a malformed NQN", sub("sub2", "iqn.2022-09.io.opi:x"), codes.InvalidArgument, "nqn.2022-09.io.opiproject"},
		{"an over-long NQN", sub("sub2", "nqn.2022-09.io.opi:"+strings.Repeat("x", 220)), codes.InvalidArgument, "at most 223"},
		{"the discovery NQN", sub("sub2", "nqn.2014-08.org.nvmexpress.discovery"), codes.InvalidArgument, "discovery"},
		{"a huge max_namespaces", subWith(&pb.NvmeSubsystem{MaxNamespaces: 1 << 31}), codes.InvalidArgument, "max_namespaces"},
		{"a serial number over 20 characters", subWith(&pb.NvmeSubsystem{SerialNumber: strings.Repeat("9", 21)}), codes.InvalidArgument, "serial_number"},
		{"a malformed PSK", subWith(&pb.NvmeSubsystem{Hosts: []*pb.NvmeSubsystemHost{{HostNqn: hostNQN, Psk: "secret-not-a-key"}}}), codes.InvalidArgument, "interchange format"},
		{"a namespace on a missing volume", ns("nvmeSubsystems/sub1", &pb.NvmeNamespace{Volume: "mallocVolumes/nope"}), codes.NotFound, "create it first"},
		{"a namespace on something not a volume", ns("nvmeSubsystems/sub1", &pb.NvmeNamespace{Volume: "nvmeSubsystems/sub1"}), codes.InvalidArgument, "accepted patterns"},
		{"a namespace without a volume", ns("nvmeSubsystems/sub1", &pb.NvmeNamespace{}), codes.InvalidArgument, "volume"},
		{"a namespace in a missing subsystem", ns("nvmeSubsystems/nope", &pb.NvmeNamespace{Volume: vol}), codes.NotFound, "nvmeSubsystems/nope"},
		{"a namespace id beyond max_namespaces", ns("nvmeSubsystems/sub1", &pb.NvmeNamespace{Volume: vol, Nsid: 33}), codes.InvalidArgument, "max_namespaces"},
		{"a malformed namespace uuid", ns("nvmeSubsystems/sub1", &pb.NvmeNamespace{Volume: vol, Uuid: "1234"}), codes.InvalidArgument, "uuid"},
		{"a malformed nguid", ns("nvmeSubsystems/sub1", &pb.NvmeNamespace{Volume: vol, Nguid: "zz"}), codes.InvalidArgument, "32 hexadecimal"},
		{"a controller without an endpoint", ctrl(&pb.NvmeController{}), codes.InvalidArgument, "fabrics"},
		{"a controller on a host name", ctrl(fabrics(tcpT, "example.com", 4420)), codes.InvalidArgument, "IP address"},
		{"a controller on port 70000", ctrl(fabrics(tcpT, "127.0.0.1", 70000)), codes.InvalidArgument, "1 to 65535"},
		{"an unknown transport", ctrl(fabrics(42, "127.0.0.1", 4420)), codes.InvalidArgument, "TCP"},
		{"an unknown ANA state", ctrl(&pb.NvmeController{Endpoint: tcp(4420).Endpoint, AnaState: 9}), codes.InvalidArgument, "OPTIMIZED"},
		{"an ANA state without ANA reporting", ctrl(&pb.NvmeController{Endpoint: tcp(4420).Endpoint, AnaState: pb.NvmeAnaState_NVME_ANA_STATE_INACCESSIBLE}), codes.FailedPrecondition, "ana_reporting"},
		{"a virtio-blk device without an endpoint", blk(&pb.VirtioBlk{Volume: vol}), codes.InvalidArgument, "vhost_user"},
		{"a virtio-blk device on a missing volume", blk(&pb.VirtioBlk{Volume: "nullVolumes/nope", Endpoint: vhost}), codes.NotFound, "create it first"},
		{"a malformed cpumask", blk(&pb.VirtioBlk{Volume: vol, Endpoint: vhost, Cpumask: "cores 1-2"}), codes.InvalidArgument, "0x3"},
		{"coalescing without a threshold", blk(&pb.VirtioBlk{Volume: vol, Endpoint: vhost, CoalescingDelayUs: 50}), codes.InvalidArgument, "coalescing_iops_threshold"},
		{"a get of a malformed name", func(ctx context.Context) error {
			return err(h.Nvme.GetNvmeNamespace(ctx, &pb.GetNvmeNamespaceRequest{Name: "nvmeSubsystems/sub1/ns1"}))
		}, codes.InvalidArgument, "nvmeSubsystems/{nvme_subsystem}/nvmeNamespaces/{nvme_namespace}"},
	}
}

func backendRefusals(h *Harness) []refusal {
	malloc := func(m *pb.MallocVolume) func(context.Context) error {
		return func(ctx context.Context) error {
			return err(h.Volumes.CreateMallocVolume(ctx, &pb.CreateMallocVolumeRequest{MallocVolumeId: "b", MallocVolume: m}))
		}
	}
	enc := func(m *pb.EncryptedVolume) func(context.Context) error {
		return func(ctx context.Context) error {
			return err(h.Middleend.CreateEncryptedVolume(ctx, &pb.CreateEncryptedVolumeRequest{EncryptedVolumeId: "e", EncryptedVolume: m}))
		}
	}
	remote := func(m *pb.NvmeRemoteController) func(context.Context) error {
		return func(ctx context.Context) error {
			return err(h.Remote.CreateNvmeRemoteController(ctx, &pb.CreateNvmeRemoteControllerRequest{NvmeRemoteControllerId: "r", NvmeRemoteController: m}))
		}
	}
	xts := pb.EncryptionCipher_ENCRYPTION_CIPHER_AES_XTS
	tcpA := &pb.NvmeFabricsAddress{Trtype: pb.NvmeTransportType_NVME_TRANSPORT_TYPE_TCP, Traddr: "127.0.0.1", Trsvcid: 4420}
	rnqn := "nqn.2016-06.io.spdk:cnode1"
	return []refusal{
		{"a zero block count", malloc(&pb.MallocVolume{BlockSize: 512}), codes.InvalidArgument, "block_count"},
		{"a block size not a multiple of 512", malloc(&pb.MallocVolume{BlockSize: 1000, BlockCount: 8}), codes.InvalidArgument, "512"},
		{"a block size over 64 KiB", malloc(&pb.MallocVolume{BlockSize: 1 << 20, BlockCount: 8}), codes.InvalidArgument, "block_size"},
		{"a size past 63 bits", malloc(&pb.MallocVolume{BlockSize: 4096, BlockCount: 1 << 62}), codes.InvalidArgument, "block_count"},
		{"a malformed volume uuid", malloc(&pb.MallocVolume{BlockCount: 8, Uuid: "nope"}), codes.InvalidArgument, "uuid"},
		{"a volume id with capitals", func(ctx context.Context) error {
			return err(h.Volumes.CreateMallocVolume(ctx, &pb.CreateMallocVolumeRequest{MallocVolumeId: "B_1", MallocVolume: &pb.MallocVolume{BlockCount: 8}}))
		}, codes.InvalidArgument, "malloc_volume_id"},
		{"an aio volume on a relative path", func(ctx context.Context) error {
			return err(h.Volumes.CreateAioVolume(ctx, &pb.CreateAioVolumeRequest{AioVolumeId: "a", AioVolume: &pb.AioVolume{Filename: "disk.img"}}))
		}, codes.InvalidArgument, "filename"},
		{"a logical volume of size zero", func(ctx context.Context) error {
			return err(h.Lvols.CreateLogicalVolume(ctx, &pb.CreateLogicalVolumeRequest{Parent: "logicalVolumeStores/nope", LogicalVolumeId: "v0", LogicalVolume: &pb.LogicalVolume{}}))
		}, codes.InvalidArgument, "size_mib"},
		{"a store on something not a volume", func(ctx context.Context) error {
			return err(h.Lvols.CreateLogicalVolumeStore(ctx, &pb.CreateLogicalVolumeStoreRequest{LogicalVolumeStoreId: "s2", LogicalVolumeStore: &pb.LogicalVolumeStore{Volume: "nvmeSubsystems/sub1"}}))
		}, codes.InvalidArgument, "volume"},
		{"an unspecified cipher", enc(&pb.EncryptedVolume{Volume: "mallocVolumes/vol1", Key: key1}), codes.InvalidArgument, "cipher"},
		{"a 20-byte key", enc(&pb.EncryptedVolume{Volume: "mallocVolumes/vol1", Cipher: xts, Key: key1[:20], Key2: key2[:20]}), codes.InvalidArgument, "key"},
		{"xts with equal keys", enc(&pb.EncryptedVolume{Volume: "mallocVolumes/vol1", Cipher: xts, Key: key1, Key2: key1}), codes.InvalidArgument, "key"},
		{"cbc with a second key", enc(&pb.EncryptedVolume{Volume: "mallocVolumes/vol1", Cipher: pb.EncryptionCipher_ENCRYPTION_CIPHER_AES_CBC, Key: key1, Key2: key2}), codes.InvalidArgument, "key2"},
		{"an encrypted volume on a missing base", enc(&pb.EncryptedVolume{Volume: "mallocVolumes/absent", Cipher: xts, Key: key1, Key2: key2}), codes.NotFound, "create it first"},
		{"a qos volume on a missing base", func(ctx context.Context) error {
			return err(h.Middleend.CreateQosVolume(ctx, &pb.CreateQosVolumeRequest{QosVolumeId: "q", QosVolume: &pb.QosVolume{Volume: "nullVolumes/absent", Limits: &pb.QosLimits{}}}))
		}, codes.NotFound, "create it first"},
		{"a remote controller without a transport", remote(&pb.NvmeRemoteController{Address: &pb.NvmeFabricsAddress{Traddr: "127.0.0.1"}, Subnqn: rnqn}), codes.InvalidArgument, "trtype"},
		{"a remote controller on a host name", remote(&pb.NvmeRemoteController{Address: &pb.NvmeFabricsAddress{Trtype: tcpA.Trtype, Traddr: "target.example"}, Subnqn: rnqn}), codes.InvalidArgument, "IP address"},
		{"a remote controller with a malformed NQN", remote(&pb.NvmeRemoteController{Address: tcpA, Subnqn: "cnode1"}), codes.InvalidArgument, "subnqn"},
		{"a remote controller with a malformed PSK", remote(&pb.NvmeRemoteController{Address: tcpA, Subnqn: rnqn, Psk: "secret"}), codes.InvalidArgument, "psk"},
		{"a remote controller with too many queues", remote(&pb.NvmeRemoteController{Address: tcpA, Subnqn: rnqn, IoQueues: 1 << 20}), codes.InvalidArgument, "io_queues"},
		{"remote namespaces of a missing controller", func(ctx context.Context) error {
			return err(h.Remote.ListNvmeRemoteNamespaces(ctx, &pb.ListNvmeRemoteNamespacesRequest{Parent: "nvmeRemoteControllers/absent"}))
		}, codes.NotFound, "absent"},
	}
}
