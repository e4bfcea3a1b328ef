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
