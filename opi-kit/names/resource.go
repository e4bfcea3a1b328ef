package names

import (
	"slices"
	"sync"

	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// Resource is one resource kind as the API declares it with the
// `google.api.resource` option of its message (or a file's
// `google.api.resource_definition`). Deriving it from the descriptor is
// what lets a bridge and the CLI drop their own copies of the pattern: the
// proto is the only place it is written.
type Resource struct {
	// Type is the resource type, "storage.opi.dev/MallocVolume"; a
	// `google.api.resource_reference` names a kind by it.
	Type string
	// Singular and Plural are the declared forms, "mallocVolume" and
	// "mallocVolumes"; Plural is also the List method's suffix.
	Singular, Plural string
	// Pattern is the name pattern, "mallocVolumes/{malloc_volume}".
	Pattern *Pattern
	// Message is the resource's message, or nil for a resource declared
	// only by a file-level resource_definition.
	Message protoreflect.MessageDescriptor
}

// Collection is the collection id of the kind, "mallocVolumes": the store
// bucket and the name segment before the id; "" for a singleton.
func (r *Resource) Collection() string { return r.Pattern.Collection() }

// Parent is the name pattern of the kind's parent, or nil for a top-level
// kind.
func (r *Resource) Parent() *Pattern { return r.Pattern.ParentPattern() }

// ForMessage returns the resource kind that m's message type declares. It
// is the usual way in: `names.ForMessage(&storagev1.MallocVolume{})` names
// the kind by its Go type, so a typo cannot compile.
func ForMessage(m proto.Message) (*Resource, error) {
	return ForDescriptor(m.ProtoReflect().Descriptor())
}

// MustForMessage is ForMessage for kinds fixed at build time, such as a
// bridge's package variables; it panics if the message declares no valid
// resource, so the mistake shows at start-up.
func MustForMessage(m proto.Message) *Resource {
	r, err := ForMessage(m)
	if err != nil {
		panic(err)
	}
	return r
}

// ForDescriptor returns the resource kind that md declares with its
// `google.api.resource` option. The options are read whether the
// annotations were linked in as extensions or arrived as unknown fields
// (a descriptor built at run time).
func ForDescriptor(md protoreflect.MessageDescriptor) (*Resource, error) {
	rd := resourceOption(md)
	if rd == nil {
		return nil, invalidf("names: %s has no google.api.resource option", md.FullName())
	}
	r, err := fromDescriptor(rd, string(md.ParentFile().Path()))
	if err != nil {
		return nil, err
	}
	r.Message = md
	return r, nil
}

// fromDescriptor checks and compiles one declaration; where says where it
// is written, for the error.
func fromDescriptor(rd *annotations.ResourceDescriptor, where string) (*Resource, error) {
	switch {
	case rd.GetType() == "":
		return nil, invalidf("names: a google.api.resource in %s has no type", where)
	case len(rd.GetPattern()) != 1:
		// AIP-123 allows several patterns; OPI gives every kind one, and a
		// second would be a name the bridges do not serve.
		return nil, invalidf("names: %s (%s) declares %d patterns, want exactly one", rd.GetType(), where, len(rd.GetPattern()))
	}
	p, err := Compile(rd.GetPattern()[0])
	if err != nil {
		return nil, invalidf("names: %s (%s): %w", rd.GetType(), where, err)
	}
	return &Resource{Type: rd.GetType(), Singular: rd.GetSingular(), Plural: rd.GetPlural(), Pattern: p}, nil
}

// resourceOption returns md's google.api.resource option, or nil.
func resourceOption(md protoreflect.MessageDescriptor) *annotations.ResourceDescriptor {
	opts := md.Options()
	if opts == nil || !proto.HasExtension(resolved(opts), annotations.E_Resource) {
		return nil
	}
	return proto.GetExtension(resolved(opts), annotations.E_Resource).(*annotations.ResourceDescriptor)
}

// resourceDefinitions returns a file's google.api.resource_definition options.
func resourceDefinitions(fd protoreflect.FileDescriptor) []*annotations.ResourceDescriptor {
	opts := fd.Options()
	if opts == nil {
		return nil
	}
	defs, _ := proto.GetExtension(resolved(opts), annotations.E_ResourceDefinition).([]*annotations.ResourceDescriptor)
	return defs
}

// resolved returns opts with the google.api extensions parsed. Generated
// descriptors have them parsed already; a descriptor built from bytes at
// run time keeps them as unknown fields until they are re-read with the
// extension types known.
func resolved(opts proto.Message) proto.Message {
	if len(opts.ProtoReflect().GetUnknown()) == 0 {
		return opts
	}
	b, err := proto.Marshal(opts)
	if err != nil {
		return opts
	}
	c := opts.ProtoReflect().Type().New().Interface()
	if proto.Unmarshal(b, c) != nil {
		return opts
	}
	return c
}

// Registry finds resource kinds by type, as a resource_reference names
// them, among the messages and resource definitions of a set of files.
type Registry struct {
	kinds map[string]kind
}

// kind is one declared type: its resource, or why its declaration is
// unusable. A bad declaration fails only the lookups of its own type, so
// one malformed file linked into a binary does not take the others down.
type kind struct {
	res *Resource
	err error
}

// NewRegistry collects the resource kinds declared in files: every
// message's `google.api.resource` (nested messages included) and every
// file's `google.api.resource_definition`.
func NewRegistry(files *protoregistry.Files) *Registry {
	r := &Registry{kinds: map[string]kind{}}
	files.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
		where := fd.Path()
		for _, rd := range resourceDefinitions(fd) {
			res, err := fromDescriptor(rd, where)
			r.add(rd.GetType(), res, err)
		}
		forEachMessage(fd.Messages(), func(md protoreflect.MessageDescriptor) {
			if rd := resourceOption(md); rd != nil {
				res, err := ForDescriptor(md)
				r.add(rd.GetType(), res, err)
			}
		})
		return true
	})
	return r
}

func (r *Registry) add(typ string, res *Resource, err error) {
	if _, ok := r.kinds[typ]; ok {
		// Which one the API meant is not ours to guess.
		res, err = nil, invalidf("names: %s is declared twice", typ)
	}
	r.kinds[typ] = kind{res: res, err: err}
}

// Lookup returns the resource kind of type typ ("storage.opi.dev/MallocVolume").
func (r *Registry) Lookup(typ string) (*Resource, error) {
	k, ok := r.kinds[typ]
	if !ok {
		return nil, invalidf("names: no resource of type %q is declared", typ)
	}
	return k.res, k.err
}

// Types returns every declared type, sorted, including those whose
// declaration Lookup refuses.
func (r *Registry) Types() []string {
	out := make([]string, 0, len(r.kinds))
	for t := range r.kinds {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

func forEachMessage(msgs protoreflect.MessageDescriptors, f func(protoreflect.MessageDescriptor)) {
	for i := range msgs.Len() {
		md := msgs.Get(i)
		f(md)
		forEachMessage(md.Messages(), f)
	}
}

// global caches the registry of protoregistry.GlobalFiles; files registered
// later (in the init of a package linked in after the first Lookup) make it
// rebuild, which the file count detects.
var global struct {
	sync.Mutex
	files int
	reg   *Registry
}

// Lookup returns the resource kind of type typ among the files linked into
// the program (protoregistry.GlobalFiles). Importing the generated package
// that declares the kind is what registers it.
func Lookup(typ string) (*Resource, error) {
	global.Lock()
	defer global.Unlock()
	if n := protoregistry.GlobalFiles.NumFiles(); global.reg == nil || n != global.files {
		global.reg, global.files = NewRegistry(protoregistry.GlobalFiles), n
	}
	return global.reg.Lookup(typ)
}

// MustLookup is Lookup for types fixed at build time; it panics when the
// type is unknown or malformed.
func MustLookup(typ string) *Resource {
	r, err := Lookup(typ)
	if err != nil {
		panic(err)
	}
	return r
}
