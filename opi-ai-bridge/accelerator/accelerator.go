// Package accelerator is the AI bridge's accelerator domain: the GPUs and
// inference accelerators of this machine as opi.ai.v1 describes them,
// discovered through a Source (PCI sysfs by default, see internal/sysfs).
// Nothing is stored: accelerators are read afresh on every call.
package accelerator

import (
	"context"
	"sort"
	"strings"

	aiv1 "github.com/opi-suite/opi/opi-api/ai/v1"
	"github.com/opi-suite/opi/opi-kit/aip"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-kit/names"
)

// Pattern is the accelerators' resource name pattern, from the API.
var Pattern = aip.FromNames(names.MustForMessage(&aiv1.Accelerator{}).Pattern)

// Source finds the accelerators of a machine. Scan returns them with their
// names set (see NameOf); Stats reads one accelerator's counters and
// returns a NotFound error when it is gone.
type Source interface {
	Scan(ctx context.Context) ([]*aiv1.Accelerator, error)
	Stats(ctx context.Context, acc *aiv1.Accelerator) (*aiv1.AcceleratorStats, error)
}

// NameOf returns the resource name of the accelerator at PCI address addr
// ("0000:3b:00.0" becomes "accelerators/pci-0000-3b-00-0").
func NameOf(addr string) string {
	id := "pci-" + strings.NewReplacer(":", "-", ".", "-").Replace(strings.ToLower(addr))
	return "accelerators/" + id
}

// Inventory serves the accelerators a Source finds.
type Inventory struct {
	src Source
}

// New returns the inventory over src.
func New(src Source) *Inventory { return &Inventory{src: src} }

func (inv *Inventory) scan(ctx context.Context) ([]*aiv1.Accelerator, error) {
	accs, err := inv.src.Scan(ctx)
	if err != nil {
		return nil, err
	}
	sort.Slice(accs, func(i, j int) bool { return accs[i].GetName() < accs[j].GetName() })
	return accs, nil
}

// List returns one page of the accelerators, ordered by name.
func (inv *Inventory) List(ctx context.Context, pageSize int32, pageToken string) ([]*aiv1.Accelerator, string, error) {
	size, err := aip.PageSize(pageSize)
	if err != nil {
		return nil, "", err
	}
	after, err := aip.DecodePageToken(pageToken)
	if err != nil {
		return nil, "", err
	}
	accs, err := inv.scan(ctx)
	if err != nil {
		return nil, "", err
	}
	i := sort.Search(len(accs), func(i int) bool { return accs[i].GetName() > after })
	accs = accs[i:]
	next := ""
	if len(accs) > size {
		accs = accs[:size]
		next = aip.EncodePageToken(accs[size-1].GetName())
	}
	return accs, next, nil
}

// Get returns the accelerator called name.
func (inv *Inventory) Get(ctx context.Context, name string) (*aiv1.Accelerator, error) {
	if _, err := Pattern.Parse(name); err != nil {
		return nil, err
	}
	accs, err := inv.scan(ctx)
	if err != nil {
		return nil, err
	}
	for _, a := range accs {
		if a.GetName() == name {
			return a, nil
		}
	}
	return nil, errdefs.NotFoundf("%s not found: no accelerator at that PCI address", name)
}

// Stats returns the counters of the accelerator called name.
func (inv *Inventory) Stats(ctx context.Context, name string) (*aiv1.AcceleratorStats, error) {
	a, err := inv.Get(ctx, name)
	if err != nil {
		return nil, err
	}
	return inv.src.Stats(ctx, a)
}
