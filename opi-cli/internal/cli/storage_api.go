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

	commonv1 "github.com/opi-suite/opi/opi-api/common/v1"
)

// storageAPI is the calls of one storage resource kind, found from the
// kind's message descriptor: the service is the one declared beside the
// message, the methods follow the API's naming (Create<Kind>, List<Plural>,
// Stats<Kind>, ...) and the name pattern is the google.api.resource option.
// Building requests from descriptors spares fourteen kinds fourteen copies of
// the same request plumbing; the tests call every method against the
// generated services to prove the names right.
type storageAPI struct {
	kind    protoreflect.MessageDescriptor
	service protoreflect.ServiceDescriptor
	// pattern is the name pattern split at "/", such as
	// [nvmeSubsystems {nvme_subsystem} nvmeNamespaces {nvme_namespace}].
	pattern []string
	// The methods, nil where the API does not offer the verb.
	create, get, list, update, del, stats protoreflect.MethodDescriptor
}

// newStorageAPI resolves the calls of the kind md. A kind the API does not
// describe as expected is a programming error, so it panics: every command
// is built in every test.
func newStorageAPI(md protoreflect.MessageDescriptor) *storageAPI {
	res, _ := proto.GetExtension(md.Options(), annotations.E_Resource).(*annotations.ResourceDescriptor)
	if res == nil || len(res.GetPattern()) != 1 || res.GetPlural() == "" {
		panic(fmt.Sprintf("%s has no single google.api.resource pattern", md.FullName()))
	}
	a := &storageAPI{kind: md, pattern: strings.Split(res.GetPattern()[0], "/")}
	kind, plural := string(md.Name()), upperFirst(res.GetPlural())
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
	return a
}

// collection is the name segment before a resource's id, such as "nvmeNamespaces".
func (a *storageAPI) collection() string { return a.pattern[len(a.pattern)-2] }

// parentPattern is the pattern of the parent's name; empty for top-level kinds.
func (a *storageAPI) parentPattern() []string { return a.pattern[:len(a.pattern)-2] }

// isChild says whether resources of this kind live under a parent.
func (a *storageAPI) isChild() bool { return len(a.pattern) > 2 }

// matches says whether name has the shape of pattern: the literal segments
// as they are, one non-empty segment for each variable.
func matches(pattern []string, name string) bool {
	segs := strings.Split(name, "/")
	if len(segs) != len(pattern) {
		return false
	}
	for i, p := range pattern {
		if segs[i] == "" || (!strings.HasPrefix(p, "{") && segs[i] != p) {
			return false
		}
	}
	return true
}

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
func (a *storageAPI) kindField(m protoreflect.Message) protoreflect.FieldDescriptor {
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
func (a *storageAPI) createRequest(parent, id string, res proto.Message) proto.Message {
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

// updateRequest builds Update<Kind> with exactly the paths given in the mask.
func (a *storageAPI) updateRequest(res proto.Message, paths []string, allowMissing bool) proto.Message {
	req := newMessage(a.update.Input())
	req.Set(a.kindField(req), protoreflect.ValueOfMessage(res.ProtoReflect()))
	req.Set(field(req, "update_mask"), protoreflect.ValueOfMessage((&fieldmaskpb.FieldMask{Paths: paths}).ProtoReflect()))
	if allowMissing {
		req.Set(field(req, "allow_missing"), protoreflect.ValueOfBool(true))
	}
	return req.Interface()
}

// listRequest builds one page's List<Plural>.
func (a *storageAPI) listRequest(parent string, pageSize int32, token string) proto.Message {
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
func (a *storageAPI) listAll(ctx context.Context, conn *grpc.ClientConn, parent string, pageSize int32, token string, all bool) (protoreflect.Message, error) {
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
func (a *storageAPI) items(resp protoreflect.Message) []proto.Message {
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
func (a *storageAPI) hasBehavior(path string, b annotations.FieldBehavior) bool {
	top, _, _ := strings.Cut(path, ".")
	fd := a.kind.Fields().ByName(protoreflect.Name(top))
	if fd == nil {
		panic(fmt.Sprintf("%s has no field %s", a.kind.FullName(), top))
	}
	return slices.Contains(behaviors(fd), b)
}

// withoutSecrets returns a copy of m with every field marked
// (opi.common.v1.secret) cleared, and the paths of those that were set, so
// that a dry run shows the request without the keys in it.
func withoutSecrets(m proto.Message) (proto.Message, []string) {
	c := proto.Clone(m)
	var cleared []string
	var walk func(m protoreflect.Message, prefix string)
	walk = func(m protoreflect.Message, prefix string) {
		var secret []protoreflect.FieldDescriptor
		m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
			path := prefix + string(fd.Name())
			switch {
			case proto.GetExtension(fd.Options(), commonv1.E_Secret).(bool):
				secret = append(secret, fd)
				if !slices.Contains(cleared, path) {
					cleared = append(cleared, path)
				}
			case fd.IsList() && fd.Message() != nil:
				for i := range v.List().Len() {
					walk(v.List().Get(i).Message(), path+".")
				}
			case fd.IsMap() && fd.MapValue().Message() != nil:
				v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
					walk(mv.Message(), path+"["+k.String()+"].")
					return true
				})
			case fd.Message() != nil && !fd.IsMap():
				walk(v.Message(), path+".")
			}
			return true
		})
		// Cleared after Range: a message must not change while it is ranged over.
		for _, fd := range secret {
			m.Clear(fd)
		}
	}
	walk(c.ProtoReflect(), "")
	return c, cleared
}

// upperFirst turns "mallocVolumes" into "MallocVolumes".
func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
