package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/opi-suite/opi/opi-kit/names"
)

// resourceAPI is the calls of one resource kind of any OPI service (the
// storage kinds, firewall policies, IPsec connections and credentials),
// found from the kind's message descriptor: the service is the one declared
// beside the message, the methods follow the API's naming (Create<Kind>,
// List<Plural>, Stats<Kind>, ...) and the name pattern is the
// google.api.resource option, read by opi-kit's names. Building requests
// from descriptors spares every kind a copy of the same request plumbing;
// the tests call every method against the generated services to prove the
// names right.
type resourceAPI struct {
	kind    protoreflect.MessageDescriptor
	service protoreflect.ServiceDescriptor
	// pattern is the kind's name pattern, such as
	// nvmeSubsystems/{nvme_subsystem}/nvmeNamespaces/{nvme_namespace}.
	pattern *names.Pattern
	// The methods, nil where the API does not offer the verb.
	create, get, list, update, del, stats protoreflect.MethodDescriptor
	// reset is Reset<Kind>, an action on a name (a remote controller).
	reset protoreflect.MethodDescriptor
}

// newResourceAPI resolves the calls of the kind md. A kind the API does not
// describe as expected is a programming error, so it panics: every command
// is built in every test.
func newResourceAPI(md protoreflect.MessageDescriptor) *resourceAPI {
	res, err := names.ForDescriptor(md)
	if err != nil || res.Plural == "" {
		panic(fmt.Sprintf("%s has no single google.api.resource pattern with a plural: %v", md.FullName(), err))
	}
	a := &resourceAPI{kind: md, pattern: res.Pattern}
	kind, plural := string(md.Name()), upperFirst(res.Plural)
	services := md.ParentFile().Services()
	for i := range services.Len() {
		if m := services.Get(i).Methods().ByName(protoreflect.Name("Get" + kind)); m != nil {
			a.service = services.Get(i)
		}
	}
	if a.service == nil {
		panic(fmt.Sprintf("no service beside %s offers Get%s", md.FullName(), kind))
	}
	method := func(name string) protoreflect.MethodDescriptor {
		if m := a.service.Methods().ByName(protoreflect.Name(name)); m != nil {
			return m
		}
		return nil
	}
	a.create, a.get, a.list = method("Create"+kind), method("Get"+kind), method("List"+plural)
	a.update, a.del, a.stats = method("Update"+kind), method("Delete"+kind), method("Stats"+kind)
	a.reset = method("Reset" + kind)
	return a
}

// isChild says whether resources of this kind live under a parent.
func (a *resourceAPI) isChild() bool { return a.pattern.ParentPattern() != nil }

// newMessage returns an empty message of the generated Go type for md.
func newMessage(md protoreflect.MessageDescriptor) protoreflect.Message {
	mt, err := protoregistry.GlobalTypes.FindMessageByName(md.FullName())
	if err != nil {
		panic(fmt.Sprintf("%s is not linked in: %v", md.FullName(), err))
	}
	return mt.New()
}

// field returns the field of m called name, which must exist.
func field(m protoreflect.Message, name string) protoreflect.FieldDescriptor {
	fd := m.Descriptor().Fields().ByName(protoreflect.Name(name))
	if fd == nil {
		panic(fmt.Sprintf("%s has no field %s", m.Descriptor().FullName(), name))
	}
	return fd
}

// kindField returns the field of m that holds resources of this kind: the
// resource of a Create or Update request, or the list of a List response.
func (a *resourceAPI) kindField(m protoreflect.Message) protoreflect.FieldDescriptor {
	fields := m.Descriptor().Fields()
	for i := range fields.Len() {
		if fd := fields.Get(i); fd.Message() != nil && fd.Message().FullName() == a.kind.FullName() {
			return fd
		}
	}
	panic(fmt.Sprintf("%s holds no %s", m.Descriptor().FullName(), a.kind.Name()))
}

// createRequest builds Create<Kind>: the resource, its id and, for child
// kinds, the parent.
func (a *resourceAPI) createRequest(parent, id string, res proto.Message) proto.Message {
	req := newMessage(a.create.Input())
	fields := req.Descriptor().Fields()
	for i := range fields.Len() {
		switch fd := fields.Get(i); {
		case fd.Name() == "parent":
			req.Set(fd, protoreflect.ValueOfString(parent))
		case strings.HasSuffix(string(fd.Name()), "_id"):
			req.Set(fd, protoreflect.ValueOfString(id))
		}
	}
	req.Set(a.kindField(req), protoreflect.ValueOfMessage(res.ProtoReflect()))
	return req.Interface()
}

// nameRequest builds Get, Delete or Stats: a name and, for Delete, allow_missing.
func nameRequest(m protoreflect.MethodDescriptor, name string, allowMissing bool) proto.Message {
	req := newMessage(m.Input())
	req.Set(field(req, "name"), protoreflect.ValueOfString(name))
	if allowMissing {
		req.Set(field(req, "allow_missing"), protoreflect.ValueOfBool(true))
	}
	return req.Interface()
}

// deleteRequest builds Delete<Kind>: a name, allow_missing and, where the
// request has it, force.
func (a *resourceAPI) deleteRequest(name string, allowMissing, force bool) proto.Message {
	req := nameRequest(a.del, name, allowMissing).ProtoReflect()
	if force {
		req.Set(field(req, "force"), protoreflect.ValueOfBool(true))
	}
	return req.Interface()
}

// canForce says whether Delete<Kind> takes force: whether deleting a
// resource can take what it holds with it (an NVMe subsystem's controllers
// and namespaces, say) instead of failing while it holds any.
func (a *resourceAPI) canForce() bool {
	return a.del != nil && hasBoolField(a.del.Input(), "force")
}

// updateCanCreate says whether Update<Kind> takes allow_missing: whether
// an update may create a resource that does not exist.
func (a *resourceAPI) updateCanCreate() bool {
	return a.update != nil && hasBoolField(a.update.Input(), "allow_missing")
}

// hasBoolField says whether md has a singular bool field called name.
func hasBoolField(md protoreflect.MessageDescriptor, name string) bool {
	fd := md.Fields().ByName(protoreflect.Name(name))
	return fd != nil && fd.Kind() == protoreflect.BoolKind && fd.Cardinality() != protoreflect.Repeated
}

// updateRequest builds Update<Kind> with exactly the paths given in the mask.
func (a *resourceAPI) updateRequest(res proto.Message, paths []string, allowMissing bool) proto.Message {
	req := newMessage(a.update.Input())
	req.Set(a.kindField(req), protoreflect.ValueOfMessage(res.ProtoReflect()))
	req.Set(field(req, "update_mask"), protoreflect.ValueOfMessage((&fieldmaskpb.FieldMask{Paths: paths}).ProtoReflect()))
	if allowMissing {
		req.Set(field(req, "allow_missing"), protoreflect.ValueOfBool(true))
	}
	return req.Interface()
}

// listRequest builds one page's List<Plural>.
func (a *resourceAPI) listRequest(parent string, pageSize int32, token string) proto.Message {
	req := newMessage(a.list.Input())
	if a.isChild() {
		req.Set(field(req, "parent"), protoreflect.ValueOfString(parent))
	}
	req.Set(field(req, "page_size"), protoreflect.ValueOfInt32(pageSize))
	req.Set(field(req, "page_token"), protoreflect.ValueOfString(token))
	return req.Interface()
}

// listAll calls List<Plural> from token on, following next_page_token when
// all is set, and returns one response holding every resource it got and
// the token of the page after them (empty when there is none).
func (a *resourceAPI) listAll(ctx context.Context, conn *grpc.ClientConn, parent string, pageSize int32, token string, all bool) (protoreflect.Message, error) {
	var out protoreflect.Message
	seen := map[string]bool{}
	for {
		resp, err := invoke(ctx, conn, a.list, a.listRequest(parent, pageSize, token))
		if err != nil {
			return nil, err
		}
		page := resp.ProtoReflect()
		if out == nil {
			out = page
		} else {
			items, more := out.Mutable(a.kindField(out)).List(), page.Get(a.kindField(page)).List()
			for i := range more.Len() {
				items.Append(more.Get(i))
			}
			out.Set(field(out, "next_page_token"), page.Get(field(page, "next_page_token")))
		}
		token = page.Get(field(page, "next_page_token")).String()
		if !all || token == "" {
			return out, nil
		}
		if seen[token] {
			return nil, fmt.Errorf("the service returned page token %q twice; list without --all and page with --page-token", token)
		}
		seen[token] = true
	}
}

// items returns the resources of a List response.
func (a *resourceAPI) items(resp protoreflect.Message) []proto.Message {
	list := resp.Get(a.kindField(resp)).List()
	out := make([]proto.Message, list.Len())
	for i := range out {
		out[i] = list.Get(i).Message().Interface()
	}
	return out
}

// invoke calls method m with req and returns the response.
func invoke(ctx context.Context, conn *grpc.ClientConn, m protoreflect.MethodDescriptor, req proto.Message) (proto.Message, error) {
	resp := newMessage(m.Output()).Interface()
	full := fmt.Sprintf("/%s/%s", m.Parent().FullName(), m.Name())
	if err := conn.Invoke(ctx, full, req, resp); err != nil {
		return nil, err
	}
	return resp, nil
}

// behaviors returns the google.api.field_behavior of fd.
func behaviors(fd protoreflect.FieldDescriptor) []annotations.FieldBehavior {
	b, _ := proto.GetExtension(fd.Options(), annotations.E_FieldBehavior).([]annotations.FieldBehavior)
	return b
}

// hasBehavior says whether the top-level field that path starts with is
// marked b.
func (a *resourceAPI) hasBehavior(path string, b annotations.FieldBehavior) bool {
	top, _, _ := strings.Cut(path, ".")
	fd := a.kind.Fields().ByName(protoreflect.Name(top))
	if fd == nil {
		panic(fmt.Sprintf("%s has no field %s", a.kind.FullName(), top))
	}
	return slices.Contains(behaviors(fd), b)
}

// upperFirst turns "mallocVolumes" into "MallocVolumes".
func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
