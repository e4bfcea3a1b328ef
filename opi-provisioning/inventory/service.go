// Package inventory serves the host inventory API (opi.inventory.v1): what
// hardware this machine has, read from the running kernel's /sys and /proc
// on every call.
package inventory

import (
	"context"
	"log/slog"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	inventoryv1 "github.com/opi-suite/opi/opi-api/inventory/v1"
)

// ResourceName is the name of the one inventory resource a machine has.
const ResourceName = "inventory"

// Service implements inventoryv1.InventoryServiceServer.
type Service struct {
	inventoryv1.UnimplementedInventoryServiceServer
	hw *hardware
}

// Option configures a Service.
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

// NewService returns an inventory service reading this machine's hardware.
func NewService(opts ...Option) *Service {
	c := config{root: "/", logger: slog.Default()}
	for _, o := range opts {
		o.apply(&c)
	}
	return &Service{hw: newHardware(c.root, c.logger)}
}

// GetInventory returns the inventory of this machine.
func (s *Service) GetInventory(ctx context.Context, req *inventoryv1.GetInventoryRequest) (*inventoryv1.Inventory, error) {
	switch req.GetName() {
	case ResourceName:
	case "":
		return nil, status.Error(codes.InvalidArgument, `name is required: use "inventory"`)
	default:
		return nil, status.Errorf(codes.NotFound, "inventory %q not found: the only inventory is %q", req.GetName(), ResourceName)
	}
	inv, err := s.hw.read(ctx)
	if err != nil {
		return nil, status.Errorf(codes.Unavailable, "reading the hardware inventory: %v", err)
	}
	inv.Name = ResourceName
	return inv, nil
}
