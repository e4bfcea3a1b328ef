//go:build !nvml

package nvml

import (
	"log/slog"

	"github.com/opi-suite/opi/opi-ai-bridge/accelerator"
)

// Available says whether the build has NVML support.
const Available = false

// New returns inner: this build has no NVML support.
func New(inner accelerator.Source, _ *slog.Logger) accelerator.Source { return inner }
