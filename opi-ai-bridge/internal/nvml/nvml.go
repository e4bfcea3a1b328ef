//go:build nvml

package nvml

import (
	"context"
	"log/slog"
	"sync"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
	aiv1 "github.com/opi-suite/opi/opi-api/ai/v1"

	"github.com/opi-suite/opi/opi-ai-bridge/accelerator"
)

// Available says whether the build has NVML support.
const Available = true

// New wraps inner; the library is loaded on the first Scan, and a host
// without it gets inner's answers unchanged.
func New(inner accelerator.Source, logger *slog.Logger) accelerator.Source {
	return &source{inner: inner, logger: logger}
}

type source struct {
	inner  accelerator.Source
	logger *slog.Logger
	once   sync.Once
	ok     bool
}

func (s *source) init() {
	s.once.Do(func() {
		if ret := nvml.Init(); ret != nvml.SUCCESS {
			s.logger.Info("NVML is not available: accelerators are described from sysfs alone", "reason", nvml.ErrorString(ret))
			return
		}
		s.ok = true
	})
}

// Scan implements accelerator.Source.
func (s *source) Scan(ctx context.Context) ([]*aiv1.Accelerator, error) {
	accs, err := s.inner.Scan(ctx)
	if err != nil {
		return nil, err
	}
	s.init()
	if !s.ok {
		return accs, nil
	}
	driver, _ := nvml.SystemGetDriverVersion()
	for _, a := range accs {
		if a.GetVendorId() != 0x10de {
			continue
		}
		dev, ret := nvml.DeviceGetHandleByPciBusId(a.GetPciAddress())
		if ret != nvml.SUCCESS {
			continue
		}
		info := &aiv1.NvmlInfo{DriverVersion: driver}
		info.ProductName, _ = dev.GetName()
		info.Uuid, _ = dev.GetUUID()
		if mem, ret := dev.GetMemoryInfo(); ret == nvml.SUCCESS {
			info.MemoryTotalBytes = mem.Total
		}
		a.Nvml = info
	}
	return accs, nil
}

// Stats implements accelerator.Source.
func (s *source) Stats(ctx context.Context, acc *aiv1.Accelerator) (*aiv1.AcceleratorStats, error) {
	return s.inner.Stats(ctx, acc)
}
