package bridge

import (
	"bytes"
	"crypto/aes"
	"crypto/sha256"
	"testing"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
)

// The data path on a real spdk_tgt: what the bridge builds carries data.
// The host side is SPDK's NVMe/TCP initiator in processes of its own
// (spdk_dd, spdk_nvme_perf): this kernel has no NVMe/TCP host, and the
// bridge must not check itself.

const (
	dpVolumeBytes = 4 << 20 // each volume
	dpIOBytes     = 1 << 20 // each pattern written and read back
)

var (
	// AES-XTS-128: two different 16-byte keys.
	dpKey  = bytes.Repeat([]byte{0x5a}, 16)
	dpKey2 = bytes.Repeat([]byte{0xc3}, 16)
)

// TestRealDataPathThroughAPlainVolume: a malloc volume exported through
// the bridge (subsystem, namespace, NVMe/TCP controller) takes a random
// pattern from an outside initiator and gives the same bytes back.
func TestRealDataPathThroughAPlainVolume(t *testing.T) {
	r := newRealBridge(t)
	ctx := realCtx(t)
	if _, err := r.vols.CreateMallocVolume(ctx, &pb.CreateMallocVolumeRequest{MallocVolumeId: "plain",
		MallocVolume: &pb.MallocVolume{BlockSize: 512, BlockCount: dpVolumeBytes / 512}}); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	nqn := r.export(ctx, "plain", "mallocVolumes/plain", port)
	newHost(t, r.tgt, nqn, port).roundTrip(dpIOBytes)

	// The I/O shows in the volume's metrics, read from SPDK on scrape.
	got := scrape(t, r.b)
	for _, m := range []string{"read_ops", "write_ops", "read_bytes", "write_bytes", "read_latency_seconds", "write_latency_seconds"} {
		key := "opi_storage_volume_" + m + "_total{volume=mallocVolumes/plain}"
		if got[key] <= 0 {
			t.Errorf("after a round trip, %s = %v", key, got[key])
		}
	}
	if got["opi_storage_volume_read_bytes_total{volume=mallocVolumes/plain}"] < dpIOBytes {
		t.Errorf("read %v bytes, want at least the %d read back", got["opi_storage_volume_read_bytes_total{volume=mallocVolumes/plain}"], dpIOBytes)
	}
}

// TestRealDataPathThroughAnEncryptedVolume: the same through an encrypted
// volume over an AIO volume, whose file shows what reached the base: not
// the plaintext, but its AES-XTS encryption under the volume's keys (each
// 512-byte block with its LBA in the tweak), so the bridge gave SPDK the
// keys and cipher the user asked for.
func TestRealDataPathThroughAnEncryptedVolume(t *testing.T) {
	r := newRealBridge(t)
	ctx := realCtx(t)
	file := backingFile(t, dpVolumeBytes)
	if _, err := r.vols.CreateAioVolume(ctx, &pb.CreateAioVolumeRequest{AioVolumeId: "base",
		AioVolume: &pb.AioVolume{Filename: file, BlockSize: 512}}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.mid.CreateEncryptedVolume(ctx, &pb.CreateEncryptedVolumeRequest{EncryptedVolumeId: "enc",
		EncryptedVolume: &pb.EncryptedVolume{Volume: "aioVolumes/base", Cipher: pb.EncryptionCipher_ENCRYPTION_CIPHER_AES_XTS,
			Key: dpKey, Key2: dpKey2}}); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	nqn := r.export(ctx, "enc", "encryptedVolumes/enc", port)
	plain := newHost(t, r.tgt, nqn, port).roundTrip(dpIOBytes)

	cipher := fileHead(t, file, dpIOBytes)
	if bytes.Equal(cipher, plain) {
		t.Fatal("the base volume holds the plaintext: nothing was encrypted")
	}
	for off := 0; off < dpIOBytes; off += 4096 {
		if bytes.Equal(cipher[off:off+4096], plain[off:off+4096]) {
			t.Fatalf("the 4 KiB block at byte %d of the base volume is the plaintext", off)
		}
	}
	if want := xtsEncrypt(t, dpKey, dpKey2, plain, 512); !bytes.Equal(cipher, want) {
		t.Errorf("the base volume is not AES-XTS(key, key2) of the plaintext with the LBA as tweak: %s (sha256 %x, want %x)",
			equalBytes(cipher, want), sha256.Sum256(cipher), sha256.Sum256(want))
	}
}

// TestRealDataPathThroughAQosVolume: a QoS volume's limit is in SPDK's rate
// limits of its bdev, data passes through it unchanged, and reading through
// it is held to the limit while the same read of an unlimited volume on
// the same target is not.
func TestRealDataPathThroughAQosVolume(t *testing.T) {
	r := newRealBridge(t)
	ctx := realCtx(t)
	for _, id := range []string{"fast", "slowbase"} {
		if _, err := r.vols.CreateMallocVolume(ctx, &pb.CreateMallocVolumeRequest{MallocVolumeId: id,
			MallocVolume: &pb.MallocVolume{BlockSize: 512, BlockCount: dpVolumeBytes / 512}}); err != nil {
			t.Fatal(err)
		}
	}
	const limitMBps = 1
	if _, err := r.mid.CreateQosVolume(ctx, &pb.CreateQosVolumeRequest{QosVolumeId: "slow",
		QosVolume: &pb.QosVolume{Volume: "mallocVolumes/slowbase", Limits: &pb.QosLimits{RMbytesPerSec: limitMBps}}}); err != nil {
		t.Fatal(err)
	}
	var bdevs []struct {
		AssignedRateLimits map[string]uint64 `json:"assigned_rate_limits"`
	}
	if err := r.direct.Call(ctx, "bdev_get_bdevs", map[string]any{"name": "qos-slow"}, &bdevs); err != nil || len(bdevs) != 1 {
		t.Fatalf("SPDK's bdev qos-slow: %v, %v", bdevs, err)
	}
	if got := bdevs[0].AssignedRateLimits["r_mbytes_per_sec"]; got != limitMBps {
		t.Fatalf("SPDK's read limit of qos-slow = %d MB/s (limits %v), want %d", got, bdevs[0].AssignedRateLimits, limitMBps)
	}

	fastPort, slowPort := freePort(t), freePort(t)
	fastNQN := r.export(ctx, "fast", "mallocVolumes/fast", fastPort)
	slowNQN := r.export(ctx, "slow", "qosVolumes/slow", slowPort)
	newHost(t, r.tgt, slowNQN, slowPort).roundTrip(256 << 10)

	// Two seconds of 64 KiB reads at queue depth 4 each: spdk_nvme_perf
	// times the I/O alone (spdk_dd's start-up of seconds would drown it).
	fast := perf(t, r.tgt, perfArgs(fastNQN, fastPort, 4, 65536, "randread", 2))
	slow := perf(t, r.tgt, perfArgs(slowNQN, slowPort, 4, 65536, "randread", 2))
	t.Logf("64 KiB reads, QD4, 2 s: unlimited %.1f MiB/s, QoS %d MB/s volume %.2f MiB/s", fast.MiBps, limitMBps, slow.MiBps)
	// SPDK lets a timeslice overdraw by the I/O in flight, so allow 50 %.
	if slow.MiBps > 1.5*limitMBps {
		t.Errorf("reads through the QoS volume ran at %.2f MiB/s, above its %d MB/s limit", slow.MiBps, limitMBps)
	}
	if fast.MiBps < 3*slow.MiBps {
		t.Errorf("the unlimited volume read at %.2f MiB/s, not clearly faster than the limited one (%.2f MiB/s): the limit is not what slows it",
			fast.MiBps, slow.MiBps)
	}
}

// xtsEncrypt is AES-XTS (IEEE 1619) of data in units of unit bytes, unit i
// with tweak i: what SPDK's crypto bdev writes for LBA i. SPDK passes the
// LBA as the high 64 bits of its 128-bit IV, so as the tweak's bytes 8-15,
// little-endian (found by matching the real target's ciphertext).
// Written out here since the module has no XTS dependency, and so the test
// does not trust SPDK's own code to check SPDK.
func xtsEncrypt(t testing.TB, key1, key2, data []byte, unit int) []byte {
	t.Helper()
	k1, err1 := aes.NewCipher(key1)
	k2, err2 := aes.NewCipher(key2)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	out := make([]byte, len(data))
	for u := 0; u*unit < len(data); u++ {
		var tweak [16]byte
		for i := range 8 {
			tweak[8+i] = byte(uint64(u) >> (8 * i))
		}
		k2.Encrypt(tweak[:], tweak[:])
		for off := u * unit; off < (u+1)*unit; off += 16 {
			var x [16]byte
			for i := range 16 {
				x[i] = data[off+i] ^ tweak[i]
			}
			k1.Encrypt(x[:], x[:])
			for i := range 16 {
				out[off+i] = x[i] ^ tweak[i]
			}
			// tweak *= x in GF(2^128), little-endian.
			carry := tweak[15] >> 7
			for i := 15; i > 0; i-- {
				tweak[i] = tweak[i]<<1 | tweak[i-1]>>7
			}
			tweak[0] = tweak[0]<<1 ^ carry*0x87
		}
	}
	return out
}
