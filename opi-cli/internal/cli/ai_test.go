package cli

import (
	"regexp"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	aiv1 "github.com/opi-suite/opi/opi-api/ai/v1"
)

func TestAICommandsSendWhatTheFlagsSay(t *testing.T) {
	f, addr := serveResources(t)
	f.put(&aiv1.InferencePool{Name: "inferencePools/llama", ServedModelNames: []string{"llama"}, Endpoints: []string{"10.0.0.11:8000"}})
	for _, tc := range []struct {
		name string
		args []string
		want proto.Message
		out  []string
	}{
		{"a pool is created with its models, endpoints and objectives",
			[]string{"inference-pool", "create", "chat", "--model", "chat", "--endpoint", "10.0.0.1:8000,10.0.0.2", "--target-port", "9000",
				"--objective", "chat=1", "--objective", "batch=-1", "--scrape-interval-ms", "500", "--saturation-kv", "0.9"},
			&aiv1.CreateInferencePoolRequest{InferencePoolId: "chat", InferencePool: &aiv1.InferencePool{ServedModelNames: []string{"chat"},
				Endpoints: []string{"10.0.0.1:8000", "10.0.0.2"}, TargetPort: 9000, ScrapeIntervalMs: 500, SaturationKvCacheUsage: 0.9,
				Objectives: []*aiv1.InferenceObjective{{Model: "chat", Priority: 1}, {Model: "batch", Priority: -1}}}},
			[]string{"inferencePools/chat", "10.0.0.1:8000,10.0.0.2", "chat=1,batch=-1"}},
		{"an update of the endpoints replaces the list by its mask",
			[]string{"inference-pool", "update", "llama", "--endpoint", "10.0.0.12:8000"},
			&aiv1.UpdateInferencePoolRequest{InferencePool: &aiv1.InferencePool{Name: "inferencePools/llama", Endpoints: []string{"10.0.0.12:8000"}},
				UpdateMask: mask("endpoints")},
			[]string{"inferencePools/llama", "10.0.0.12:8000"}},
		{"accelerators are listed",
			[]string{"accelerator", "list"},
			&aiv1.ListAcceleratorsRequest{},
			nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runWith(t, "", true, append([]string{"--insecure", "--addr", addr, "ai"}, tc.args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			if got := lastRequest(f); !proto.Equal(got, tc.want) {
				t.Errorf("the server got\n%v\nwant\n%v", got, tc.want)
			}
			for _, w := range tc.out {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
		})
	}
	t.Run("an objective without a priority is refused before sending", func(t *testing.T) {
		code, _, errOut := runWith(t, "", true, "--insecure", "--addr", addr, "ai", "inference-pool", "create", "x", "--model", "x", "--endpoint", "h", "--objective", "batch")
		if code == 0 || !strings.Contains(errOut, "MODEL=PRIORITY") {
			t.Fatalf("exit %d: %s", code, errOut)
		}
	})
}

func TestAcceleratorTableShowsLinkAndNics(t *testing.T) {
	f, addr := serveResources(t)
	f.put(&aiv1.Accelerator{Name: "accelerators/pci-0000-03-00-0", PciAddress: "0000:03:00.0", Vendor: "NVIDIA", DeviceId: 0x2330,
		AcceleratorClass: aiv1.AcceleratorClass_ACCELERATOR_CLASS_3D, Driver: "nvidia",
		Link:  &aiv1.PcieLink{CurrentWidth: 8, MaxWidth: 16, CurrentSpeedGts: 32, MaxSpeedGts: 32, Degraded: true},
		Sriov: &aiv1.SriovState{}, AffineNics: []*aiv1.AffineNic{{Interface: "ens1f0", Relation: aiv1.NicRelation_NIC_RELATION_PCIE_SWITCH}}})
	code, out, errOut := runWith(t, "", true, "--insecure", "--addr", addr, "ai", "accelerator", "get", "pci-0000-03-00-0")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	want := `accelerators/pci-0000-03-00-0 +0000:03:00\.0 +NVIDIA +2330 +3d +nvidia +0 +x8/x16 32/32 GT/s DEGRADED +- +ens1f0\(pcie-switch\)`
	if !regexp.MustCompile(want).MatchString(out) {
		t.Errorf("output does not match %q:\n%s", want, out)
	}
}

func TestFabricPortCommandsSendWhatTheFlagsSay(t *testing.T) {
	f, addr := serveResources(t)
	f.put(&aiv1.FabricPort{Name: "fabricPorts/gpu0", Interface: "ens1f0", Mtu: 9000, DscpTrust: true,
		DscpPriorities: []*aiv1.DscpPriority{{Dscp: 26, Priority: 3}}, Ecn: &aiv1.EcnThresholds{MinBytes: 1000, MaxBytes: 9000}, PfcPriorities: []uint32{3}})
	full := &aiv1.FabricPort{Interface: "ens2f0", Mtu: 9000, DscpTrust: true,
		DscpPriorities: []*aiv1.DscpPriority{{Dscp: 26, Priority: 3}, {Dscp: 48, Priority: 6}},
		Ecn:            &aiv1.EcnThresholds{MinBytes: 150000, MaxBytes: 1500000, MaxProbabilityPercent: 10}, PfcPriorities: []uint32{3, 4}}
	portFlags := []string{"--interface", "ens2f0", "--mtu", "9000", "--dscp-trust", "--dscp-priority", "26=3,48=6",
		"--ecn-min-bytes", "150000", "--ecn-max-bytes", "1500000", "--ecn-max-probability", "10", "--pfc-priority", "3", "--pfc-priority", "4"}
	for _, tc := range []struct {
		name string
		args []string
		want proto.Message
		out  []string
	}{
		{"a port is created with every setting",
			append([]string{"fabric-port", "create", "gpu1"}, portFlags...),
			&aiv1.CreateFabricPortRequest{FabricPortId: "gpu1", FabricPort: full},
			[]string{"fabricPorts/gpu1", "ens2f0", "9000", "trust 26=3,48=6", "150000-1500000 B 10%", "3,4"}},
		{"--validate-only asks the server for its dry run",
			[]string{"fabric-port", "create", "gpu2", "--interface", "ens3f0", "--mtu", "4200", "--validate-only"},
			&aiv1.CreateFabricPortRequest{FabricPortId: "gpu2", FabricPort: &aiv1.FabricPort{Interface: "ens3f0", Mtu: 4200}, ValidateOnly: true},
			nil},
		{"an update sends the MTU alone by its mask",
			[]string{"fabric-port", "update", "gpu0", "--mtu", "4200"},
			&aiv1.UpdateFabricPortRequest{FabricPort: &aiv1.FabricPort{Name: "fabricPorts/gpu0", Mtu: 4200}, UpdateMask: mask("mtu")},
			[]string{"fabricPorts/gpu0", "4200"}},
		{"an update of the ECN thresholds replaces them as one field",
			[]string{"fabric-port", "update", "gpu0", "--ecn-min-bytes", "2000", "--ecn-max-bytes", "8000"},
			&aiv1.UpdateFabricPortRequest{FabricPort: &aiv1.FabricPort{Name: "fabricPorts/gpu0", Ecn: &aiv1.EcnThresholds{MinBytes: 2000, MaxBytes: 8000}}, UpdateMask: mask("ecn")},
			nil},
		{"preflight sends the port given by the same flags",
			append([]string{"fabric-port", "preflight"}, portFlags...),
			&aiv1.PreflightFabricPortRequest{FabricPort: full},
			[]string{"CHECKS", "COMMANDS"}},
		{"ports are listed",
			[]string{"fabric-port", "list"},
			&aiv1.ListFabricPortsRequest{},
			[]string{"fabricPorts/gpu0", "ens1f0"}},
		{"a port is deleted",
			[]string{"fabric-port", "delete", "gpu0"},
			&aiv1.DeleteFabricPortRequest{Name: "fabricPorts/gpu0"},
			nil},
		{"an inference pool's metrics port",
			[]string{"inference-pool", "create", "oip", "--model", "m", "--endpoint", "10.0.0.1:8001", "--protocol", "oip", "--metrics-port", "8002"},
			&aiv1.CreateInferencePoolRequest{InferencePoolId: "oip", InferencePool: &aiv1.InferencePool{ServedModelNames: []string{"m"},
				Endpoints: []string{"10.0.0.1:8001"}, Protocol: aiv1.InferenceProtocol_INFERENCE_PROTOCOL_OIP, MetricsPort: 8002}},
			nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runWith(t, "", true, append([]string{"--insecure", "--addr", addr, "ai"}, tc.args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			if got := lastRequest(f); !proto.Equal(got, tc.want) {
				t.Errorf("the server got\n%v\nwant\n%v", got, tc.want)
			}
			for _, w := range tc.out {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
		})
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"a DSCP mapping without a class", []string{"fabric-port", "create", "x", "--interface", "e", "--dscp-priority", "26"}, "DSCP=CLASS"},
		{"ECN with one threshold", []string{"fabric-port", "preflight", "--interface", "e", "--ecn-min-bytes", "10"}, "--ecn-max-bytes"},
		{"the interface of a port", []string{"fabric-port", "update", "gpu0", "--interface", "eth9"}, "fixed when the fabric port is created"},
		{"a preflight without an interface", []string{"fabric-port", "preflight", "--mtu", "9000"}, "interface"},
	} {
		t.Run(tc.name+" is refused before sending", func(t *testing.T) {
			before := len(f.requests())
			code, _, errOut := runWith(t, "", true, append([]string{"--insecure", "--addr", addr, "ai"}, tc.args...)...)
			if code == 0 || !strings.Contains(errOut, tc.want) || len(f.requests()) != before {
				t.Fatalf("exit %d, %d requests sent: %s", code, len(f.requests())-before, errOut)
			}
		})
	}
	t.Run("--dry-run prints the request and sends nothing", func(t *testing.T) {
		before := len(f.requests())
		code, out, errOut := runWith(t, "", true, "--insecure", "--addr", addr, "ai", "fabric-port", "create", "gpu9", "--interface", "ens9", "--mtu", "9000", "--dry-run")
		if code != 0 || len(f.requests()) != before || !strings.Contains(out, `"fabric_port_id": "gpu9"`) {
			t.Fatalf("exit %d, %d sent: %s %s", code, len(f.requests())-before, out, errOut)
		}
	})
}
