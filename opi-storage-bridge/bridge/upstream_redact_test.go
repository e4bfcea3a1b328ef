package bridge_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/opi-suite/opi/opi-kit/server"
	"github.com/opi-suite/opi/opi-kit/server/servertest"
	up "github.com/opi-suite/opi/opi-upstream/storage/v1"

	"github.com/opi-suite/opi/opi-storage-bridge/storagetest"
)

// Upstream's protos mark no field secret, yet its encryption keys and
// PSKs must never be answered nor logged: with payloads logged (debug),
// none of them appears in the log in any encoding, nor in an answer.
func TestUpstreamSecretsAreNeitherLoggedNorAnswered(t *testing.T) {
	h := storagetest.Start(t, storagetest.Config{Target: storagetest.Sim(t)})
	var log bytes.Buffer
	logger, err := server.NewLogger(&log, "debug")
	if err != nil {
		t.Fatal(err)
	}
	cfg := servertest.Config()
	cfg.LogLevel = "debug"
	conn := servertest.StartWith(t, cfg, h.Bridge.Services(), server.WithLogger(logger)).Conn
	ctx := context.Background()

	key := []byte("0123456789abcdef0123456789abcdee")
	psk := []byte("NVMeTLSkey-1:01:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:")
	rpsk := []byte("NVMeTLSkey-1:01:MDAxMTIyMzM0NDU1NjY3Nzg4OTlhYWJiY2NkZGVlZmbbWxXi:")
	malloc := up.NewMallocVolumeServiceClient(conn)
	if _, err := malloc.CreateMallocVolume(ctx, &up.CreateMallocVolumeRequest{MallocVolumeId: "base", MallocVolume: &up.MallocVolume{BlockSize: 512, BlocksCount: 64}}); err != nil {
		t.Fatal(err)
	}
	enc := up.NewMiddleendEncryptionServiceClient(conn)
	ev, err := enc.CreateEncryptedVolume(ctx, &up.CreateEncryptedVolumeRequest{EncryptedVolumeId: "e1",
		EncryptedVolume: &up.EncryptedVolume{VolumeNameRef: "base", Key: key, Cipher: up.EncryptionType_ENCRYPTION_TYPE_AES_XTS_128}})
	if err != nil {
		t.Fatal(err)
	}
	nvme := up.NewFrontendNvmeServiceClient(conn)
	ss, err := nvme.CreateNvmeSubsystem(ctx, &up.CreateNvmeSubsystemRequest{NvmeSubsystemId: "s1", NvmeSubsystem: &up.NvmeSubsystem{Spec: &up.NvmeSubsystemSpec{
		Nqn: "nqn.2022-09.io.opi:s1", Hostnqn: "nqn.2014-08.org.nvmexpress:uuid:2b6c8a0e-3f4d-4e8a-9c1b-5d2e7f9a0b1c", Psk: psk}}})
	if err != nil {
		t.Fatal(err)
	}
	remote := up.NewNvmeRemoteControllerServiceClient(conn)
	rc, err := remote.CreateNvmeRemoteController(ctx, &up.CreateNvmeRemoteControllerRequest{NvmeRemoteControllerId: "r1",
		NvmeRemoteController: &up.NvmeRemoteController{Multipath: up.NvmeMultipath_NVME_MULTIPATH_DISABLE, Tcp: &up.TcpController{Psk: rpsk}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(ev.GetKey()) != 0 || len(ss.GetSpec().GetPsk()) != 0 || len(rc.GetTcp().GetPsk()) != 0 {
		t.Errorf("answers carry key material: %v / %v / %v", ev, ss, rc)
	}
	if g, _ := remote.GetNvmeRemoteController(ctx, &up.GetNvmeRemoteControllerRequest{Name: rc.GetName()}); len(g.GetTcp().GetPsk()) != 0 {
		t.Errorf("get answers the PSK: %v", g)
	}
	if !strings.Contains(log.String(), "CreateEncryptedVolume") {
		t.Fatalf("the log has no payloads to check: %s", log.String())
	}
	for what, secret := range map[string][]byte{"encryption key": key, "subsystem PSK": psk, "remote PSK": rpsk} {
		for _, form := range []string{string(secret), base64.StdEncoding.EncodeToString(secret), base64.StdEncoding.EncodeToString(secret)[:16]} {
			if strings.Contains(log.String(), form) {
				t.Errorf("the log holds the %s (as %q)", what, form)
			}
		}
	}
}
