package aip

import (
	"errors"

	"github.com/opi-suite/opi/opi-kit/names"
)

// Pattern is a compiled AIP-122 resource name pattern such as
// "nvmeSubsystems/{nvme_subsystem}/nvmeNamespaces/{nvme_namespace}". It is
// names.Pattern with every error in aip's InvalidArgument class, so that a
// bad name in a request becomes codes.InvalidArgument through Status; the
// parsing itself lives in package names alone.
type Pattern struct {
	p *names.Pattern
}

// Compile parses a pattern; see names.Compile.
func Compile(pattern string) (*Pattern, error) {
	p, err := names.Compile(pattern)
	if err != nil {
		return nil, InvalidArgumentf("aip: %w", err)
	}
	return &Pattern{p: p}, nil
}

// MustCompile is Compile for patterns fixed at build time; it panics on a bad
// pattern so the mistake shows at start-up, not on the first request.
func MustCompile(pattern string) *Pattern {
	p, err := Compile(pattern)
	if err != nil {
		panic(err)
	}
	return p
}

// FromNames wraps a names.Pattern, such as the Pattern of a names.Resource
// derived from an API message, for the code that takes an *aip.Pattern:
//
//	aip.FromNames(names.MustForMessage(&storagev1.MallocVolume{}).Pattern)
func FromNames(p *names.Pattern) *Pattern { return &Pattern{p: p} }

// Names returns the underlying names.Pattern.
func (p *Pattern) Names() *names.Pattern { return p.p }

// String returns the pattern as written.
func (p *Pattern) String() string { return p.p.String() }

// Variables returns the variable names in order, e.g. ["nvme_subsystem",
// "nvme_namespace"].
func (p *Pattern) Variables() []string { return p.p.Variables() }

// Parse splits a name into its ids, in the order of the pattern's variables;
// see names.Pattern.Parse. Errors are InvalidArgument.
func (p *Pattern) Parse(name string) ([]string, error) {
	ids, err := p.p.Parse(name)
	return ids, classify(err)
}

// Validate reports whether name matches the pattern; see Parse.
func (p *Pattern) Validate(name string) error { return classify(p.p.Validate(name)) }

// Format builds a name from ids given in the order of the variables.
func (p *Pattern) Format(ids ...string) (string, error) {
	name, err := p.p.Format(ids...)
	return name, classify(err)
}

// ID returns the last id of a name, the one the resource was created with.
func (p *Pattern) ID(name string) (string, error) {
	id, err := p.p.ID(name)
	return id, classify(err)
}

// Collection returns the collection identifier that precedes the last
// variable ("nvmeNamespaces"); it is empty when the pattern does not end in
// collection/{id} (a singleton such as "inventory").
func (p *Pattern) Collection() string { return p.p.Collection() }

// ParentPattern returns the pattern of the parent ("nvmeSubsystems/{nvme_subsystem}")
// or nil for a top-level collection, whose parent is the service itself.
func (p *Pattern) ParentPattern() *Pattern {
	pp := p.p.ParentPattern()
	if pp == nil {
		return nil
	}
	return &Pattern{p: pp}
}

// Parent returns the parent of a name: the name without its last
// collection/id pair, or "" for a top-level resource.
func (p *Pattern) Parent(name string) (string, error) {
	parent, err := p.p.Parent(name)
	return parent, classify(err)
}

// Child formats the name of the resource id under parent, checking the
// parent against the parent pattern ("" for a top-level collection). This is
// how Create and List turn the request's parent field into names.
func (p *Pattern) Child(parent, id string) (string, error) {
	name, err := p.p.Child(parent, id)
	return name, classify(err)
}

// ChildPrefix returns the key prefix shared by every direct child of parent,
// e.g. "nvmeSubsystems/s1/nvmeNamespaces/". Because names sort by parent
// first, a store can list one parent's children with a single seek.
func (p *Pattern) ChildPrefix(parent string) (string, error) {
	prefix, err := p.p.ChildPrefix(parent)
	return prefix, classify(err)
}

// classify puts an error of package names into the InvalidArgument class,
// keeping its message (what the client reads) as it is.
func classify(err error) error {
	if err == nil || !errors.Is(err, names.ErrInvalid) {
		return err
	}
	return InvalidArgumentf("%w", err)
}
