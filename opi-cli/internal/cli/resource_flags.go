package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/opi-suite/opi/opi-kit/names"
)

// specFlags binds a command's flags to the fields of a resource message and
// remembers which field each flag sets, so that update can send a mask of
// exactly the flags given.
type specFlags struct {
	cmd   *cobra.Command
	kind  protoreflect.MessageDescriptor // the resource the flags fill
	paths map[string]string              // flag name -> field path in the resource
	names []string                       // flag names in the order they were bound
	// required lists flags create needs beyond the top-level REQUIRED
	// fields it finds itself, such as the parts of a required address.
	required []string
	// finishers run once the flags are parsed, for values that need more
	// than a flag's own parsing: secrets read from files, oneof choices.
	finishers []func(in *stdin) error
	// refKinds maps the flags bound by ref and refs to the kind they refer
	// to, for completion.
	refKinds map[string]*names.Resource
}

func newSpecFlags(cmd *cobra.Command, kind protoreflect.MessageDescriptor) *specFlags {
	return &specFlags{cmd: cmd, kind: kind, paths: map[string]string{}, refKinds: map[string]*names.Resource{}}
}

// bind records that flag name sets the field at path; the flag itself is
// already registered.
func (s *specFlags) bind(name, path string) {
	s.paths[name] = path
	s.names = append(s.names, name)
}

func (s *specFlags) flags() *pflag.FlagSet { return s.cmd.Flags() }

func (s *specFlags) str(p *string, name, path, usage string) {
	s.flags().StringVar(p, name, "", usage)
	s.bind(name, path)
}

func (s *specFlags) u32(p *uint32, name, path, usage string) {
	s.flags().Uint32Var(p, name, 0, usage)
	s.bind(name, path)
}

func (s *specFlags) u64(p *uint64, name, path, usage string) {
	s.flags().Uint64Var(p, name, 0, usage)
	s.bind(name, path)
}

func (s *specFlags) i32(p *int32, name, path, usage string) {
	s.flags().Int32Var(p, name, 0, usage)
	s.bind(name, path)
}

func (s *specFlags) boolean(p *bool, name, path, usage string) {
	s.flags().BoolVar(p, name, false, usage)
	s.bind(name, path)
}

// strs binds a repeated string field: the flag repeated or comma-separated.
func (s *specFlags) strs(p *[]string, name, path, usage string) {
	s.flags().StringSliceVar(p, name, nil, usage+"; repeat or comma-separate")
	s.bind(name, path)
}

// optU32 binds a proto3 optional uint32 field, which stays unset (not 0)
// unless the flag is given.
func (s *specFlags) optU32(p **uint32, name, path, usage string) {
	var v uint32
	s.flags().Uint32Var(&v, name, 0, usage)
	s.bind(name, path)
	s.then(func(*stdin) error {
		if s.changed(name) {
			*p = &v
		}
		return nil
	})
}

// ref binds a field that refers to a resource of another kind (its
// google.api.resource_reference): the flag takes the resource's id or its
// full name, and an id is sent as the full name, as the parent flags of
// child kinds are.
func (s *specFlags) ref(p *string, name, path, usage string) {
	pattern := s.referenced(name, path)
	s.str(p, name, path, usage+": an id or a full name ("+pattern.String()+")")
	s.then(func(*stdin) error {
		if !s.changed(name) {
			return nil
		}
		var err error
		*p, err = expandRef(pattern, name, *p)
		return err
	})
}

// refs is ref for a repeated field.
func (s *specFlags) refs(p *[]string, name, path, usage string) {
	pattern := s.referenced(name, path)
	s.strs(p, name, path, usage+": ids or full names ("+pattern.String()+")")
	s.then(func(*stdin) error {
		for i, v := range *p {
			full, err := expandRef(pattern, name, v)
			if err != nil {
				return err
			}
			(*p)[i] = full
		}
		return nil
	})
}

// referenced returns the name pattern of the kind that the field at path
// refers to, and records it as the kind of flag name. A field without a
// usable reference is a programming error: every command is built in every
// test.
func (s *specFlags) referenced(name, path string) *names.Pattern {
	fd := s.kind.Fields().ByName(protoreflect.Name(path))
	if fd == nil {
		panic(fmt.Sprintf("%s has no field %s", s.kind.FullName(), path))
	}
	ref, _ := proto.GetExtension(fd.Options(), annotations.E_ResourceReference).(*annotations.ResourceReference)
	res, err := names.Lookup(ref.GetType())
	if err != nil {
		panic(fmt.Sprintf("%s: %v", fd.FullName(), err))
	}
	s.refKinds[name] = res
	return res.Pattern
}

// expandRef turns the value of --flag, an id or a full name of pattern p,
// into the full name.
func expandRef(p *names.Pattern, flag, v string) (string, error) {
	full, ok := nameOrID(p, v)
	if !ok {
		return "", fmt.Errorf("--%s %q is neither an id nor a name of the form %s", flag, v, p)
	}
	return full, nil
}

// then adds a step to run once the flags are parsed.
func (s *specFlags) then(f func(in *stdin) error) { s.finishers = append(s.finishers, f) }

// changed says whether the user gave flag name.
func (s *specFlags) changed(name string) bool { return s.flags().Changed(name) }

// anyChanged says whether the user gave any of the flags.
func (s *specFlags) anyChanged(names ...string) bool {
	return slices.ContainsFunc(names, s.changed)
}

// finish runs the steps that need the parsed flags.
func (s *specFlags) finish(in io.Reader) error {
	src := &stdin{r: in}
	for _, f := range s.finishers {
		if err := f(src); err != nil {
			return err
		}
	}
	return nil
}

// given returns the flags the user set, in the order they were bound.
func (s *specFlags) given() []string {
	var out []string
	for _, name := range s.names {
		if s.changed(name) {
			out = append(out, name)
		}
	}
	return out
}

// mask returns the field paths of the flags the user set, each once.
func (s *specFlags) mask() []string {
	var out []string
	for _, name := range s.given() {
		if p := s.paths[name]; !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// secretFile registers --name, a file (or "-" for stdin) whose contents set
// a secret field. Secrets never come from a flag's value, which would stay
// in the shell's history and in the process list.
func (s *specFlags) secretFile(name, path, usage string, set func([]byte)) {
	var file string
	s.flags().StringVar(&file, name, "", usage+` (a file, or "-" for stdin; never the secret itself)`)
	s.bind(name, path)
	s.then(func(in *stdin) error {
		if !s.changed(name) {
			return nil
		}
		b, err := in.readSecret(name, file)
		if err != nil {
			return err
		}
		set(b)
		return nil
	})
}

// stdin hands standard input to at most one secret.
type stdin struct {
	r    io.Reader
	used string
}

// readSecret reads the secret for flag from file, or from stdin for "-".
func (in *stdin) readSecret(flag, file string) ([]byte, error) {
	var b []byte
	var err error
	if file == "-" {
		if in.used != "" {
			return nil, fmt.Errorf("--%s and --%s both read stdin: put one secret in a file", in.used, flag)
		}
		in.used = flag
		b, err = io.ReadAll(in.r)
	} else {
		b, err = os.ReadFile(file)
	}
	if err != nil {
		return nil, fmt.Errorf("--%s: %w", flag, err)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, fmt.Errorf("--%s: %s is empty", flag, orStdin(file))
	}
	return b, nil
}

func orStdin(file string) string {
	if file == "-" {
		return "stdin"
	}
	return file
}

// protoEnum is a generated enum type.
type protoEnum interface {
	~int32
	Descriptor() protoreflect.EnumDescriptor
}

// enumFlag binds --name to an enum field; the user writes a value as its
// lowercase short form ("tcp" for NVME_TRANSPORT_TYPE_TCP).
func enumFlag[E protoEnum](s *specFlags, p *E, name, path, usage string) {
	v := enumValue[E]{p}
	s.flags().Var(v, name, usage)
	s.bind(name, path)
	_ = s.cmd.RegisterFlagCompletionFunc(name, func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return v.words(), cobra.ShellCompDirectiveNoFileComp
	})
}

// enumValue is a pflag.Value over a generated enum.
type enumValue[E protoEnum] struct{ p *E }

func (v enumValue[E]) String() string { return enumWord(*v.p) }

func (v enumValue[E]) Set(s string) error {
	values := (*v.p).Descriptor().Values()
	for i := range values.Len() {
		if n := values.Get(i).Number(); n != 0 && enumWord(E(n)) == strings.ToLower(s) {
			*v.p = E(n)
			return nil
		}
	}
	return fmt.Errorf("%q is not one of %s", s, strings.Join(v.words(), ", "))
}

func (v enumValue[E]) Type() string { return strings.Join(v.words(), "|") }

// words lists the values a user can write, without the unspecified one.
func (v enumValue[E]) words() []string {
	values := (*v.p).Descriptor().Values()
	var out []string
	for i := 1; i < values.Len(); i++ {
		out = append(out, enumWord(E(values.Get(i).Number())))
	}
	return out
}

// enumWord is the short form of an enum value: NVME_TRANSPORT_TYPE_TCP is
// "tcp" and ENCRYPTION_CIPHER_AES_XTS is "aes-xts"; the unspecified value
// is "".
func enumWord[E protoEnum](e E) string {
	values := e.Descriptor().Values()
	v := values.ByNumber(protoreflect.EnumNumber(e))
	if v == nil || v.Number() == 0 {
		return ""
	}
	prefix := strings.TrimSuffix(string(values.ByNumber(0).Name()), "UNSPECIFIED")
	return strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(string(v.Name()), prefix)), "_", "-")
}

func flagList(names []string) string {
	return "--" + strings.Join(names, ", --")
}
