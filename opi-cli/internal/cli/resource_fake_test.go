package cli

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	commonv1 "github.com/opi-suite/opi/opi-api/common/v1"
	securityv1 "github.com/opi-suite/opi/opi-api/security/v1"
	storagev1 "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/names"
	"github.com/opi-suite/opi/opi-kit/redact"
)

// fakeResources answers every method of the resource services from one
// in-memory map of resources by name, and records the requests it gets. It
// decodes each request by the method's descriptor, as the generated
// services do, so it serves all fourteen kinds without fourteen copies.
type fakeResources struct {
	mu   sync.Mutex
	res  map[string]proto.Message
	reqs []proto.Message
	sas  []*securityv1.IkeSa // live IKE SAs, for ListIkeSas
}

// serveResources starts a fake server of every resource service and
// returns its address.
func serveResources(t *testing.T) (*fakeResources, string) {
	t.Helper()
	f := &fakeResources{res: map[string]proto.Message{}}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer(grpc.UnknownServiceHandler(f.handle))
	go s.Serve(lis)
	t.Cleanup(s.Stop)
	return f, lis.Addr().String()
}

// requests returns the requests received so far, oldest first.
func (f *fakeResources) requests() []proto.Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.reqs)
}

// put stores a resource as if it had been created.
func (f *fakeResources) put(m resourceMessage) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.res[m.GetName()] = m
}

func (f *fakeResources) handle(_ any, stream grpc.ServerStream) error {
	full, _ := grpc.MethodFromServerStream(stream)
	svc, name, _ := strings.Cut(strings.TrimPrefix(full, "/"), "/")
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(svc))
	if err != nil {
		return status.Errorf(codes.Unimplemented, "unknown service %s", svc)
	}
	md := d.(protoreflect.ServiceDescriptor).Methods().ByName(protoreflect.Name(name))
	if md == nil {
		return status.Errorf(codes.Unimplemented, "unknown method %s", full)
	}
	req := newMessage(md.Input())
	if err := stream.RecvMsg(req.Interface()); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reqs = append(f.reqs, req.Interface())
	resp := newMessage(md.Output())
	switch {
	case name == "ListIkeSas": // SAs are not resources
		err = f.listIkeSas(req.Interface().(*securityv1.ListIkeSasRequest), resp.Interface().(*securityv1.ListIkeSasResponse))
	case strings.HasPrefix(name, "Create"):
		err = f.create(req, resp)
	case strings.HasPrefix(name, "Get"):
		err = f.get(req, resp)
	case strings.HasPrefix(name, "List"):
		err = f.list(req, resp)
	case strings.HasPrefix(name, "Update"):
		err = f.update(req, resp)
	case strings.HasPrefix(name, "Delete"):
		_, err = f.lookup(req)
		if err == nil || req.Get(field(req, "allow_missing")).Bool() {
			delete(f.res, req.Get(field(req, "name")).String())
			err = nil
		}
	case strings.HasPrefix(name, "Stats"):
		if _, err = f.lookup(req); err == nil && resp.Descriptor().Fields().ByName("stats") != nil {
			resp.Set(field(resp, "stats"), protoreflect.ValueOfMessage((&storagev1.VolumeStats{ReadOps: 7, ReadBytes: 7 << 12}).ProtoReflect()))
		}
		if err == nil && resp.Descriptor().Fields().ByName("state") != nil {
			st := &storagev1.NvmePathState{Path: req.Get(field(req, "name")).String(), Connected: true, Stats: &storagev1.VolumeStats{ReadOps: 9}}
			resp.Set(field(resp, "state"), protoreflect.ValueOfMessage(st.ProtoReflect()))
		}
	case strings.HasPrefix(name, "Reset"):
		_, err = f.lookup(req)
	}
	if err != nil {
		return err
	}
	return stream.SendMsg(resp.Interface())
}

// resourceField is the field of a request that holds the resource.
func resourceField(m protoreflect.Message) protoreflect.FieldDescriptor {
	fields := m.Descriptor().Fields()
	for i := range fields.Len() {
		if fd := fields.Get(i); fd.Message() != nil && proto.HasExtension(fd.Message().Options(), annotations.E_Resource) {
			return fd
		}
	}
	panic("no resource in " + m.Descriptor().FullName())
}

// collectionOf is the name segment before the id in md's pattern.
func collectionOf(md protoreflect.MessageDescriptor) string {
	res, err := names.ForDescriptor(md)
	if err != nil {
		panic(err)
	}
	return res.Collection()
}

// store keeps a copy of res as the server would return it: named, READY
// (for kinds with a status) and without its secrets.
func (f *fakeResources) store(res protoreflect.Message, name string, resp protoreflect.Message) {
	res.Set(field(res, "name"), protoreflect.ValueOfString(name))
	if fd := res.Descriptor().Fields().ByName("status"); fd != nil {
		res.Set(fd, protoreflect.ValueOfMessage((&commonv1.ResourceStatus{State: commonv1.ResourceState_RESOURCE_STATE_READY}).ProtoReflect()))
	}
	kept := redact.Redacted(res.Interface())
	f.res[name] = kept
	proto.Merge(resp.Interface(), kept)
}

func (f *fakeResources) create(req, resp protoreflect.Message) error {
	res := proto.Clone(req.Get(resourceField(req)).Message().Interface()).ProtoReflect()
	var parent, id string
	fields := req.Descriptor().Fields()
	for i := range fields.Len() {
		switch fd := fields.Get(i); {
		case fd.Name() == "parent":
			parent = req.Get(fd).String() + "/"
		case strings.HasSuffix(string(fd.Name()), "_id"):
			id = req.Get(fd).String()
		}
	}
	name := parent + collectionOf(res.Descriptor()) + "/" + id
	if _, ok := f.res[name]; ok {
		return status.Errorf(codes.AlreadyExists, "%s already exists; delete it first, or update it", name)
	}
	f.store(res, name, resp)
	return nil
}

func (f *fakeResources) lookup(req protoreflect.Message) (proto.Message, error) {
	name := req.Get(field(req, "name")).String()
	if r, ok := f.res[name]; ok {
		return r, nil
	}
	return nil, status.Errorf(codes.NotFound, "%s does not exist", name)
}

func (f *fakeResources) get(req, resp protoreflect.Message) error {
	r, err := f.lookup(req)
	if err == nil {
		proto.Merge(resp.Interface(), r)
	}
	return err
}

// list pages through the resources of the listed kind under the parent,
// ordered by name; the page token is the offset of the next item.
func (f *fakeResources) list(req, resp protoreflect.Message) error {
	items := resourceField(resp)
	prefix := collectionOf(items.Message()) + "/"
	if fd := req.Descriptor().Fields().ByName("parent"); fd != nil {
		prefix = req.Get(fd).String() + "/" + prefix
	}
	var names []string
	for name := range f.res {
		if strings.HasPrefix(name, prefix) && !strings.Contains(strings.TrimPrefix(name, prefix), "/") {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	from, _ := strconv.Atoi(req.Get(field(req, "page_token")).String())
	size := int(req.Get(field(req, "page_size")).Int())
	if size == 0 {
		size = 50
	}
	to := min(from+size, len(names))
	list := resp.Mutable(items).List()
	for _, name := range names[from:to] {
		list.Append(protoreflect.ValueOfMessage(proto.Clone(f.res[name]).ProtoReflect()))
	}
	if to < len(names) {
		resp.Set(field(resp, "next_page_token"), protoreflect.ValueOfString(strconv.Itoa(to)))
	}
	return nil
}

// update applies the mask's paths onto the stored resource, or creates it
// with allow_missing where the request has it.
func (f *fakeResources) update(req, resp protoreflect.Message) error {
	patch := req.Get(resourceField(req)).Message()
	name := patch.Get(field(patch, "name")).String()
	cur, ok := f.res[name]
	allowMissing := hasBoolField(req.Descriptor(), "allow_missing") && req.Get(field(req, "allow_missing")).Bool()
	switch {
	case !ok && allowMissing:
		f.store(proto.Clone(patch.Interface()).ProtoReflect(), name, resp)
		return nil
	case !ok:
		return status.Errorf(codes.NotFound, "%s does not exist", name)
	}
	dst := proto.Clone(cur).ProtoReflect()
	mask := req.Get(field(req, "update_mask")).Message()
	paths := mask.Get(field(mask, "paths")).List()
	for i := range paths.Len() {
		d, s := dst, patch
		segs := strings.Split(paths.Get(i).String(), ".")
		for _, seg := range segs[:len(segs)-1] {
			d, s = d.Mutable(field(d, seg)).Message(), s.Get(field(s, seg)).Message()
		}
		last := field(d, segs[len(segs)-1])
		if !s.Has(last) {
			d.Clear(last)
			continue
		}
		d.Set(last, s.Get(last))
	}
	f.store(dst, name, resp)
	return nil
}

// kindName is "MallocVolume" for a *storagev1.MallocVolume.
func kindName(m proto.Message) string {
	return fmt.Sprint(m.ProtoReflect().Descriptor().Name())
}
