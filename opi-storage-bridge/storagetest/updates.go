package storagetest

import (
	"testing"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

// updates changes the two fields a frontend or remote controller may
// change after its create, and checks them in SPDK: a controller's ANA
// state (nvmf_subsystem_listener_set_ana_state) and a remote controller's
// multipath policy (bdev_nvme_set_multipath_policy).
func updates(t *testing.T, h *Harness) {
	ctx := ctxT(t)
	port := FreePort(t)
	must[*pb.NvmeSubsystem](t, "a subsystem with ANA reporting")(h.Nvme.CreateNvmeSubsystem(ctx, &pb.CreateNvmeSubsystemRequest{
		NvmeSubsystemId: "usub", NvmeSubsystem: &pb.NvmeSubsystem{Nqn: nqn("usub"), AllowAnyHost: true, AnaReporting: true}}))
	ctrl := tcp(port)
	ctrl.AnaState = pb.NvmeAnaState_NVME_ANA_STATE_OPTIMIZED
	c := must[*pb.NvmeController](t, "an optimized controller")(h.Nvme.CreateNvmeController(ctx, &pb.CreateNvmeControllerRequest{
		Parent: "nvmeSubsystems/usub", NvmeControllerId: "uc", NvmeController: ctrl}))
	c.AnaState = pb.NvmeAnaState_NVME_ANA_STATE_INACCESSIBLE
	got := must[*pb.NvmeController](t, "update ana_state")(h.Nvme.UpdateNvmeController(ctx, &pb.UpdateNvmeControllerRequest{
		NvmeController: c, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"ana_state"}}}))
	if got.GetAnaState() != pb.NvmeAnaState_NVME_ANA_STATE_INACCESSIBLE {
		t.Errorf("updated controller = %v; want INACCESSIBLE", got)
	}
	if s := h.anaState(t, nqn("usub")); s != "inaccessible" {
		t.Errorf("SPDK's listener ANA state = %q; want inaccessible", s)
	}
	must[*emptypb.Empty](t, "delete the subsystem")(h.Nvme.DeleteNvmeSubsystem(ctx, &pb.DeleteNvmeSubsystemRequest{Name: "nvmeSubsystems/usub", Force: true}))

	h.malloc(t, "uvol", 2048)
	port = FreePort(t)
	h.export(t, "umsub", "mallocVolumes/uvol", port)
	r := must[*pb.NvmeRemoteController](t, "attach with multipath")(h.Remote.CreateNvmeRemoteController(ctx, &pb.CreateNvmeRemoteControllerRequest{
		NvmeRemoteControllerId: "um", NvmeRemoteController: &pb.NvmeRemoteController{Subnqn: nqn("umsub"),
			MultipathMode: pb.NvmeMultipathMode_NVME_MULTIPATH_MODE_MULTIPATH,
			Address:       &pb.NvmeFabricsAddress{Trtype: pb.NvmeTransportType_NVME_TRANSPORT_TYPE_TCP, Traddr: "127.0.0.1", Trsvcid: port}}}))
	r.MultipathPolicy = pb.NvmeMultipathPolicy_NVME_MULTIPATH_POLICY_ACTIVE_ACTIVE
	r = must[*pb.NvmeRemoteController](t, "update multipath_policy")(h.Remote.UpdateNvmeRemoteController(ctx, &pb.UpdateNvmeRemoteControllerRequest{
		NvmeRemoteController: r, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"multipath_policy"}}}))
	if r.GetMultipathPolicy() != pb.NvmeMultipathPolicy_NVME_MULTIPATH_POLICY_ACTIVE_ACTIVE {
		t.Errorf("updated remote controller = %v; want ACTIVE_ACTIVE", r)
	}
	var bdevs []struct {
		DriverSpecific struct {
			MpPolicy string `json:"mp_policy"`
		} `json:"driver_specific"`
	}
	h.call(t, "bdev_get_bdevs", map[string]any{"name": "nvme-umn1"}, &bdevs)
	if len(bdevs) != 1 || bdevs[0].DriverSpecific.MpPolicy != "active_active" {
		t.Errorf("SPDK's nvme-umn1 = %+v; want mp_policy active_active", bdevs)
	}
	must[*emptypb.Empty](t, "detach")(h.Remote.DeleteNvmeRemoteController(ctx, &pb.DeleteNvmeRemoteControllerRequest{Name: r.GetName(), Force: true}))
	h.unexport(t, "umsub", "mallocVolumes/uvol")
}

// anaState returns the ANA state of the only listener of the subsystem nqn.
func (h *Harness) anaState(t *testing.T, nqn string) string {
	t.Helper()
	var ls []struct {
		AnaState  string `json:"ana_state"` // spdk-sim
		AnaStates []struct {
			AnaState string `json:"ana_state"`
		} `json:"ana_states"` // spdk_tgt: one per ANA group
	}
	h.call(t, "nvmf_subsystem_get_listeners", map[string]any{"nqn": nqn}, &ls)
	switch {
	case len(ls) != 1:
		t.Fatalf("SPDK's listeners of %s: %+v; want one", nqn, ls)
	case len(ls[0].AnaStates) > 0:
		return ls[0].AnaStates[0].AnaState
	}
	return ls[0].AnaState
}
