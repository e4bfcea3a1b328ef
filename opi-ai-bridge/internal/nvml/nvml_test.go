package nvml

import (
	"context"
	"log/slog"
	"testing"

	aiv1 "github.com/opi-suite/opi/opi-api/ai/v1"
)

type fixed []*aiv1.Accelerator

func (f fixed) Scan(context.Context) ([]*aiv1.Accelerator, error) { return f, nil }
func (f fixed) Stats(_ context.Context, a *aiv1.Accelerator) (*aiv1.AcceleratorStats, error) {
	return &aiv1.AcceleratorStats{Name: a.GetName()}, nil
}

// TestWithoutTheDriverTheSysfsAnswerStands runs in both builds: this
// machine has no NVIDIA driver, so with or without the nvml tag an NVIDIA
// accelerator comes back as the inner source described it, without error.
func TestWithoutTheDriverTheSysfsAnswerStands(t *testing.T) {
	src := New(fixed{{Name: "accelerators/pci-0000-03-00-0", PciAddress: "0000:03:00.0", VendorId: 0x10de}}, slog.Default())
	got, err := src.Scan(context.Background())
	if err != nil || len(got) != 1 || got[0].GetNvml() != nil {
		t.Fatalf("Scan = %v, %v (NVML support built in: %v)", got, err, Available)
	}
}
