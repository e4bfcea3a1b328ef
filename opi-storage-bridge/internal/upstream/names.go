package upstream

import (
	"context"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// NameStyle is the form of the names the facade answers.
type NameStyle int

const (
	// ProtoNames answers the patterns upstream's protos declare
	// ("virtioBlks/b", "mallocVolumes/m", "virtioScsiControllers/c").
	ProtoNames NameStyle = iota
	// VolumeNames answers "volumes/{id}" for every kind upstream's SPDK
	// bridge names so (virtio-blk devices, virtio-SCSI targets,
	// controllers and LUNs, malloc, null and AIO volumes, encrypted and
	// QoS volumes), as godpu's conformance test expects; NVMe subsystems,
	// controllers, namespaces, remote controllers and paths keep their
	// pattern names, which that bridge answers too.
	VolumeNames
)

// volumeNamed are upstream's messages that upstream's SPDK bridge names
// "volumes/{id}".
var volumeNamed = map[protoreflect.FullName]bool{
	"opi_api.storage.v1.VirtioBlk": true, "opi_api.storage.v1.VirtioScsiTarget": true,
	"opi_api.storage.v1.VirtioScsiController": true, "opi_api.storage.v1.VirtioScsiLun": true,
	"opi_api.storage.v1.MallocVolume": true, "opi_api.storage.v1.NullVolume": true,
	"opi_api.storage.v1.AioVolume": true, "opi_api.storage.v1.EncryptedVolume": true,
	"opi_api.storage.v1.QosVolume": true,
}

// ServiceDesc returns d for registration: as it is with ProtoNames; with
// VolumeNames, each method's answer has its resources' names rewritten
// ("virtioBlks/b" -> "volumes/b"), in the answer itself and in a list's
// items. Requests accept both forms either way (see name).
func (f *Facade) ServiceDesc(d *grpc.ServiceDesc) *grpc.ServiceDesc {
	if f.names != VolumeNames {
		return d
	}
	out := *d
	out.Methods = make([]grpc.MethodDesc, len(d.Methods))
	for i, m := range d.Methods {
		handler := m.Handler
		m.Handler = func(srv any, ctx context.Context, dec func(any) error, icpt grpc.UnaryServerInterceptor) (any, error) {
			resp, err := handler(srv, ctx, dec, icpt)
			if msg, ok := resp.(proto.Message); ok && err == nil {
				volumeNames(msg.ProtoReflect())
			}
			return resp, err
		}
		out.Methods[i] = m
	}
	return &out
}

// volumeNames rewrites the name of m, and of the messages in m's repeated
// fields (a list's items), when upstream's SPDK bridge names them
// "volumes/{id}".
func volumeNames(m protoreflect.Message) {
	if volumeNamed[m.Descriptor().FullName()] {
		if f := m.Descriptor().Fields().ByName("name"); f != nil {
			if n := m.Get(f).String(); n != "" {
				m.Set(f, protoreflect.ValueOfString(upstreamVolumes+n[strings.LastIndex(n, "/")+1:]))
			}
		}
		return
	}
	fields := m.Descriptor().Fields()
	for i := range fields.Len() {
		f := fields.Get(i)
		if f.IsList() && f.Message() != nil {
			l := m.Get(f).List()
			for j := range l.Len() {
				volumeNames(l.Get(j).Message())
			}
		}
	}
}
