package storage

import (
	"context"
	"reflect"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-kit/resource"
)

// Transport names how a frontend device is presented or a remote subsystem
// is reached: the key of the transport registries in Backends.
type Transport string

// The transports of the storage API.
const (
	TransportTCP       Transport = "tcp"        // NVMe/TCP
	TransportRDMA      Transport = "rdma"       // NVMe/RDMA
	TransportPCIe      Transport = "pcie"       // a PCIe function of the DPU
	TransportVhostUser Transport = "vhost-user" // a vhost-user socket
)

// FabricsTransport is the transport of an NVMe-oF address; "" when its
// trtype is unspecified or unknown.
func FabricsTransport(a *pb.NvmeFabricsAddress) Transport {
	switch a.GetTrtype() {
	case pb.NvmeTransportType_NVME_TRANSPORT_TYPE_TCP:
		return TransportTCP
	case pb.NvmeTransportType_NVME_TRANSPORT_TYPE_RDMA:
		return TransportRDMA
	}
	return ""
}

// ControllerTransport is the transport of an NVMe controller's endpoint.
func ControllerTransport(c *pb.NvmeController) Transport {
	if c.GetPcie() != nil {
		return TransportPCIe
	}
	return FabricsTransport(c.GetFabrics())
}

// VirtioBlkTransport is the transport of a virtio-blk device's endpoint.
func VirtioBlkTransport(v *pb.VirtioBlk) Transport {
	if v.GetPcie() != nil {
		return TransportPCIe
	}
	if v.GetVhostUser() != nil {
		return TransportVhostUser
	}
	return ""
}

// byTransport is the resource.Backend of a kind realised per transport: it
// hands each call to the backend registered for the resource's transport.
type byTransport[T named] struct {
	what     string // the kind, in messages: "NVMe controllers"
	of       func(T) Transport
	backends map[Transport]resource.Backend[T]
}

func (d byTransport[T]) pick(m T) (resource.Backend[T], error) {
	t := d.of(m)
	if b := d.backends[t]; b != nil {
		return b, nil
	}
	return nil, errdefs.Unimplementedf("this bridge has no backend for %s over %q (%s)", d.what, t, m.GetName())
}

func (d byTransport[T]) Create(ctx context.Context, m T) error {
	b, err := d.pick(m)
	if err != nil {
		return err
	}
	return b.Create(ctx, m)
}

func (d byTransport[T]) Update(ctx context.Context, old, m T) error {
	b, err := d.pick(m)
	if err != nil {
		return err
	}
	return b.Update(ctx, old, m)
}

func (d byTransport[T]) Delete(ctx context.Context, m T) error {
	b, err := d.pick(m)
	if err != nil {
		return err
	}
	return b.Delete(ctx, m)
}

// Present asks every registered backend that implements Presence, once
// each (one registered for several transports is asked once), and answers
// for a resource from its transport's answer.
func (d byTransport[T]) Present(ctx context.Context) (func(T) bool, error) {
	present := map[Transport]func(T) bool{}
	asked := map[any]func(T) bool{}
	for t, b := range d.backends {
		p, ok := b.(Presence[T])
		if !ok {
			continue
		}
		// One backend value (a pointer) registered for several transports
		// is asked once; others are not compared, which could panic.
		comparable := reflect.TypeOf(p).Kind() == reflect.Pointer
		if comparable {
			if f, ok := asked[p]; ok {
				present[t] = f
				continue
			}
		}
		f, err := p.Present(ctx)
		if err != nil {
			return nil, err
		}
		present[t] = f
		if comparable {
			asked[p] = f
		}
	}
	return func(m T) bool {
		f := present[d.of(m)]
		return f != nil && f(m)
	}, nil
}

// child is the resource.Backend of a kind realised by a ChildBackend: it
// reads the stored parent for every call.
type child[P, T named] struct {
	parents *resource.Collection[P]
	pattern interface {
		Parent(name string) (string, error)
	}
	b ChildBackend[P, T]
}

func (c child[P, T]) parent(ctx context.Context, m T) (P, error) {
	name, err := c.pattern.Parent(m.GetName())
	if err != nil {
		var zero P
		return zero, err
	}
	return c.parents.Get(ctx, name)
}

func (c child[P, T]) Create(ctx context.Context, m T) error {
	p, err := c.parent(ctx, m)
	if err != nil {
		return err
	}
	return c.b.Create(ctx, p, m)
}

func (c child[P, T]) Update(ctx context.Context, old, m T) error {
	p, err := c.parent(ctx, m)
	if err != nil {
		return err
	}
	return c.b.Update(ctx, p, old, m)
}

func (c child[P, T]) Delete(ctx context.Context, m T) error {
	p, err := c.parent(ctx, m)
	if err != nil {
		return err
	}
	return c.b.Delete(ctx, p, m)
}

// Present reads each parent once per pass (siblings share it).
func (c child[P, T]) Present(ctx context.Context) (func(T) bool, error) {
	cp, ok := c.b.(ChildPresence[P, T])
	if !ok {
		return func(T) bool { return false }, nil
	}
	f, err := cp.Present(ctx)
	if err != nil {
		return nil, err
	}
	parents := map[string]P{}
	return func(m T) bool {
		name, err := c.pattern.Parent(m.GetName())
		if err != nil {
			return false
		}
		p, ok := parents[name]
		if !ok {
			if p, err = c.parents.Get(ctx, name); err != nil {
				return false
			}
			parents[name] = p
		}
		return f(p, m)
	}, nil
}

// children turns a registry of ChildBackends into one of resource.Backends.
func children[P, T named](parents *resource.Collection[P], pattern interface {
	Parent(name string) (string, error)
}, in map[Transport]ChildBackend[P, T]) map[Transport]resource.Backend[T] {
	out := make(map[Transport]resource.Backend[T], len(in))
	for t, b := range in {
		if b != nil {
			out[t] = child[P, T]{parents: parents, pattern: pattern, b: b}
		}
	}
	return out
}
