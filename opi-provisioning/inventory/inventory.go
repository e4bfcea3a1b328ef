// Package inventory is the provisioning bridge's inventory domain: what
// hardware this machine has, read from the running kernel's /sys and /proc
// on every call. The API layer (internal/api) serves it as
// opi.inventory.v1.InventoryService.
package inventory

import (
	"context"
	"log/slog"

	inventoryv1 "github.com/opi-suite/opi/opi-api/inventory/v1"
	"github.com/opi-suite/opi/opi-kit/errdefs"
)

// ResourceName is the name of the one inventory resource a machine has.
const ResourceName = "inventory"

// Inventory reads this machine's inventory.
type Inventory struct {
	hw *hardware
}

// Option configures an Inventory.
type Option interface{ apply(*config) }

type config struct {
	root   string
	logger *slog.Logger
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// WithRoot reads the hardware below root instead of "/" (root/sys and
// root/proc). It exists for tests and for reading a host's inventory from a
// container that mounts the host's /sys and /proc elsewhere.
func WithRoot(root string) Option {
	return optionFunc(func(c *config) { c.root = root })
}

// WithLogger sets the logger for the parts of the inventory that could not be
// read (they are left empty, not fatal). A nil logger keeps the default.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(c *config) {
		if l != nil {
			c.logger = l
		}
	})
}

// New returns an Inventory reading this machine's hardware.
func New(opts ...Option) *Inventory {
	c := config{root: "/", logger: slog.Default()}
	for _, o := range opts {
		o.apply(&c)
	}
	return &Inventory{hw: newHardware(c.root, c.logger)}
}

// Get returns the inventory named name; the only one is ResourceName.
func (i *Inventory) Get(ctx context.Context, name string) (*inventoryv1.Inventory, error) {
	switch name {
	case ResourceName:
	case "":
		return nil, errdefs.InvalidArgumentf(`name is required: use %q`, ResourceName)
	default:
		return nil, errdefs.NotFoundf("inventory %q not found: the only inventory is %q", name, ResourceName)
	}
	inv, err := i.hw.read(ctx)
	if err != nil {
		return nil, errdefs.Unavailablef("reading the hardware inventory: %v", err)
	}
	inv.Name = ResourceName
	return inv, nil
}
