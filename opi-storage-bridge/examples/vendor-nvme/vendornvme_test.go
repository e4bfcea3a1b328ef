package vendornvme_test

import (
	"context"
	"encoding/json"
	"os"
	"strconv"
	"testing"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	vendornvme "github.com/opi-suite/opi/opi-storage-bridge/examples/vendor-nvme"
	"github.com/opi-suite/opi/opi-storage-bridge/storagetest"
)

// The vendor's bridge passes the storage conformance suite on both SPDKs,
// and then shows what the suite cannot know: its own transport and
// records. One target per test function serves both.

func TestVendorBridgeOnSpdkSim(t *testing.T) {
	testVendor(t, storagetest.Sim(t))
}

func TestVendorBridgeOnSpdkTgt(t *testing.T) {
	testVendor(t, storagetest.SPDK(t))
}

func testVendor(t *testing.T, target *storagetest.Target) {
	cfg := storagetest.Config{Target: target, Options: vendornvme.Options()}
	storagetest.Run(t, cfg)
	t.Run("controllers use the vendor's transport and are recorded", func(t *testing.T) {
		h := storagetest.Start(t, cfg)
		ctx := context.Background()
		if _, err := h.Nvme.CreateNvmeSubsystem(ctx, &pb.CreateNvmeSubsystemRequest{NvmeSubsystemId: "vsub",
			NvmeSubsystem: &pb.NvmeSubsystem{Nqn: "nqn.2022-09.io.vendor:vsub", AllowAnyHost: true}}); err != nil {
			t.Fatal(err)
		}
		port := storagetest.FreePort(t)
		c, err := h.Nvme.CreateNvmeController(ctx, &pb.CreateNvmeControllerRequest{Parent: "nvmeSubsystems/vsub", NvmeControllerId: "vc",
			NvmeController: &pb.NvmeController{Endpoint: &pb.NvmeController_Fabrics{Fabrics: &pb.NvmeFabricsAddress{
				Trtype: pb.NvmeTransportType_NVME_TRANSPORT_TYPE_TCP, Traddr: "127.0.0.1", Trsvcid: port}}}})
		if err != nil {
			t.Fatal(err)
		}
		// The suite ran first on this target, so the transport it made
		// is the vendor's too.
		var transports []struct {
			MaxQueueDepth uint32 `json:"max_queue_depth"`
			InCapsule     uint32 `json:"in_capsule_data_size"`
		}
		if err := h.SPDK.Call(ctx, "nvmf_get_transports", map[string]any{"trtype": "TCP"}, &transports); err != nil || len(transports) != 1 {
			t.Fatalf("nvmf_get_transports = %+v, %v", transports, err)
		}
		if transports[0].MaxQueueDepth != 256 || transports[0].InCapsule != 8192 {
			t.Errorf("SPDK's TCP transport = %+v; want the vendor's tuning (queue depth 256, 8192 in-capsule)", transports[0])
		}
		if c.GetMaxQueueDepth() != 256 || c.GetMaxIoQueuePairs() != 31 {
			t.Errorf("controller limits = %d/%d; want the vendor transport's 256/31", c.GetMaxQueueDepth(), c.GetMaxIoQueuePairs())
		}
		path := vendornvme.RecordPath(h.StateDir+"/"+vendornvme.RecordDir, c.GetName())
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("the vendor's record: %v", err)
		}
		var r vendornvme.Record
		if err := json.Unmarshal(b, &r); err != nil || r.NQN != "nqn.2022-09.io.vendor:vsub" || r.Listener.Trsvcid != strconv.Itoa(int(port)) || r.MaxQueueDepth != 256 {
			t.Errorf("record %s = %+v, %v", path, r, err)
		}
		if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("record mode: %v, %v; want 0600", st, err)
		}
		if _, err := h.Nvme.DeleteNvmeSubsystem(ctx, &pb.DeleteNvmeSubsystemRequest{Name: "nvmeSubsystems/vsub", Force: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Errorf("the record outlived its controller: %v", err)
		}
	})
}
