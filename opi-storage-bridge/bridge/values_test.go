package bridge

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"hash/crc32"
	"strings"
	"testing"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// psk returns an NVMe TLS PSK in interchange format for a 32-byte key,
// with its CRC-32 added to the checksum (0: a correct PSK).
func psk(key byte, crcDelta uint32) string {
	raw := bytes.Repeat([]byte{key}, 32)
	raw = binary.LittleEndian.AppendUint32(raw, crc32.ChecksumIEEE(raw)+crcDelta)
	return "NVMeTLSkey-1:01:" + base64.StdEncoding.EncodeToString(raw) + ":"
}

// Values the bridge used to accept although SPDK or a host would act on
// them otherwise than asked: a PSK with a wrong CRC-32 (a mistyped key that
// fails every TLS handshake), the nil UUID, an IOPS limit SPDK rounds up,
// and AES-CBC that SPDK's software crypto refuses ("check the key lengths").
func TestValuesSPDKWouldNotHonourAreRefused(t *testing.T) {
	f := newFixture(t, fixtureConfig{memoryStore: true})
	ctx := context.Background()
	// A volume per case, so that a wrongly accepted case does not make
	// the next one fail for another reason (the volume claimed).
	for _, v := range []string{"vn", "vq", "ve"} {
		f.malloc(v)
	}
	f.subsystem("sub1")
	host := func(p string) *pb.NvmeSubsystem {
		return &pb.NvmeSubsystem{Nqn: nqn("tls"), Hosts: []*pb.NvmeSubsystemHost{{HostNqn: nqn("host"), Psk: p}}}
	}
	for _, c := range []struct {
		name string
		call func() error
		code codes.Code
		hint string
	}{
		{"a PSK whose CRC-32 does not match", func() error {
			_, err := f.nvme.CreateNvmeSubsystem(ctx, &pb.CreateNvmeSubsystemRequest{NvmeSubsystemId: "tls", NvmeSubsystem: host(psk(7, 1))})
			return err
		}, codes.InvalidArgument, "CRC-32 does not match"},
		{"a malloc volume with the nil UUID", func() error {
			_, err := f.vols.CreateMallocVolume(ctx, &pb.CreateMallocVolumeRequest{MallocVolumeId: "nil",
				MallocVolume: &pb.MallocVolume{BlockSize: 512, BlockCount: 8, Uuid: "00000000-0000-0000-0000-000000000000"}})
			return err
		}, codes.InvalidArgument, "nil UUID"},
		{"a namespace with the nil UUID", func() error {
			_, err := f.nvme.CreateNvmeNamespace(ctx, &pb.CreateNvmeNamespaceRequest{Parent: "nvmeSubsystems/sub1", NvmeNamespaceId: "n",
				NvmeNamespace: &pb.NvmeNamespace{Volume: "mallocVolumes/vn", Uuid: "00000000-0000-0000-0000-000000000000"}})
			return err
		}, codes.InvalidArgument, "nil UUID"},
		{"an IOPS limit SPDK would round up", func() error {
			_, err := f.mid.CreateQosVolume(ctx, &pb.CreateQosVolumeRequest{QosVolumeId: "q",
				QosVolume: &pb.QosVolume{Volume: "mallocVolumes/vq", Limits: &pb.QosLimits{RwIosPerSec: 1500}}})
			return err
		}, codes.InvalidArgument, "SPDK would enforce 2000"},
		{"AES-CBC, which SPDK's software crypto lacks", func() error {
			_, err := f.mid.CreateEncryptedVolume(ctx, &pb.CreateEncryptedVolumeRequest{EncryptedVolumeId: "e",
				EncryptedVolume: &pb.EncryptedVolume{Volume: "mallocVolumes/ve", Cipher: pb.EncryptionCipher_ENCRYPTION_CIPHER_AES_CBC,
					Key: bytes.Repeat([]byte{1}, 32)}})
			return err
		}, codes.FailedPrecondition, "does not support the cipher AES_CBC"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := c.call(); status.Code(err) != c.code || !strings.Contains(status.Convert(err).Message(), c.hint) {
				t.Errorf("got %v; want %v with %q", err, c.code, c.hint)
			}
		})
	}
	if b := f.bdevs(); len(b) != 3 {
		t.Errorf("SPDK's bdevs = %v; want the three malloc volumes only", b)
	}
	if ns := f.subsystems()[nqn("sub1")].Namespaces; len(ns) != 0 {
		t.Errorf("SPDK's namespaces = %+v; want none", ns)
	}
	if _, err := f.nvme.CreateNvmeSubsystem(ctx, &pb.CreateNvmeSubsystemRequest{NvmeSubsystemId: "tls", NvmeSubsystem: host(psk(7, 0))}); err != nil {
		t.Errorf("a PSK with the right CRC-32: %v", err)
	}
}

// A UUID asked for in upper case used to be stored so, while SPDK reports
// it lower-case: it is stored lower-case, and the same create in the other
// case is the same object.
func TestUUIDsAreStoredLowerCase(t *testing.T) {
	f := newFixture(t, fixtureConfig{memoryStore: true})
	ctx := context.Background()
	const upper = "CECCF520-691E-4B46-9546-34AF789907C5"
	create := func(u string) (*pb.MallocVolume, error) {
		return f.vols.CreateMallocVolume(ctx, &pb.CreateMallocVolumeRequest{MallocVolumeId: "u",
			MallocVolume: &pb.MallocVolume{BlockSize: 512, BlockCount: 8, Uuid: u}})
	}
	v, err := create(upper)
	if err != nil || v.GetUuid() != strings.ToLower(upper) {
		t.Fatalf("create = %v, %v; want uuid %s", v, err, strings.ToLower(upper))
	}
	if _, err := create(strings.ToLower(upper)); err != nil {
		t.Errorf("the same create in lower case: %v", err)
	}
}
