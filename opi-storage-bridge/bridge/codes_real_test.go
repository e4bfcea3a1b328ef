package bridge

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// The refusals of TestBackendRefusalsGetActionableCodes and the cipher
// case of TestValuesSPDKWouldNotHonourAreRefused, on spdk_tgt: the codes
// are the adapter's reading of SPDK's answers, so they are checked against
// the real ones too.
func TestRealBackendRefusalsGetActionableCodes(t *testing.T) {
	r := newRealBridge(t)
	ctx := realCtx(t)
	if _, err := r.nvme.CreateNvmeSubsystem(ctx, &pb.CreateNvmeSubsystemRequest{NvmeSubsystemId: "sub1",
		NvmeSubsystem: &pb.NvmeSubsystem{Nqn: nqn("sub1"), AllowAnyHost: true}}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.vols.CreateMallocVolume(ctx, &pb.CreateMallocVolumeRequest{MallocVolumeId: "v",
		MallocVolume: &pb.MallocVolume{BlockSize: 512, BlockCount: 2048}}); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "dir")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		call func() error
		code codes.Code
		hint string
	}{
		{"a remote target nobody listens on", func() error {
			_, err := r.remote.CreateNvmeRemoteController(ctx, &pb.CreateNvmeRemoteControllerRequest{NvmeRemoteControllerId: "r",
				NvmeRemoteController: &pb.NvmeRemoteController{Subnqn: nqn("far"),
					Address: &pb.NvmeFabricsAddress{Trtype: pb.NvmeTransportType_NVME_TRANSPORT_TYPE_TCP, Traddr: "127.0.0.1", Trsvcid: uint32(freePort(t))}}})
			return err
		}, codes.FailedPrecondition, "could not connect to the remote target"},
		{"a transport the host lacks", func() error {
			_, err := r.nvme.CreateNvmeController(ctx, &pb.CreateNvmeControllerRequest{Parent: "nvmeSubsystems/sub1", NvmeControllerId: "c",
				NvmeController: &pb.NvmeController{Endpoint: &pb.NvmeController_Fabrics{Fabrics: &pb.NvmeFabricsAddress{
					Trtype: pb.NvmeTransportType_NVME_TRANSPORT_TYPE_RDMA, Traddr: "127.0.0.1", Trsvcid: 4420}}}})
			return err
		}, codes.FailedPrecondition, "cannot serve NVMe-oF over RDMA"},
		{"an AIO volume on a directory", func() error {
			_, err := r.vols.CreateAioVolume(ctx, &pb.CreateAioVolumeRequest{AioVolumeId: "a", AioVolume: &pb.AioVolume{Filename: dir}})
			return err
		}, codes.InvalidArgument, "is a directory"},
		{"AES-CBC on the software crypto module", func() error {
			_, err := r.mid.CreateEncryptedVolume(ctx, &pb.CreateEncryptedVolumeRequest{EncryptedVolumeId: "e",
				EncryptedVolume: &pb.EncryptedVolume{Volume: "mallocVolumes/v", Cipher: pb.EncryptionCipher_ENCRYPTION_CIPHER_AES_CBC,
					Key: bytes.Repeat([]byte{1}, 32)}})
			return err
		}, codes.FailedPrecondition, "does not support the cipher AES_CBC"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.call()
			if msg := status.Convert(err).Message(); status.Code(err) != c.code || !strings.Contains(msg, c.hint) || strings.Contains(msg, "rpc error") {
				t.Errorf("got %v; want %v with %q", err, c.code, c.hint)
			}
		})
	}
}
