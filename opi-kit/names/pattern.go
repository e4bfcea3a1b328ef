// Package names is the one implementation of OPI resource names: AIP-122
// name patterns (parse, format, parent, child), ids, and the resource kinds
// the API declares with `google.api.resource`, so that a bridge, the CLI
// and opi-kit check names the same way and take their patterns from the
// protos instead of restating them.
//
// It depends on nothing but the standard library and the protobuf runtime
// (and the generated google/api annotations it reads), so a client can
// import it without pulling in a server: a test in this module keeps it so.
package names

import (
	"fmt"
	"slices"
	"strings"
)

// Pattern is a compiled AIP-122 resource name pattern such as
// "nvmeSubsystems/{nvme_subsystem}/nvmeNamespaces/{nvme_namespace}". It is
// compiled once per resource kind and then parses, formats and validates
// names without regular expressions, so names are checked the same way
// everywhere. A Pattern is immutable and safe for concurrent use.
type Pattern struct {
	raw      string
	segments []segment
	vars     []string
}

// segment is either a literal collection identifier or a {variable}.
type segment struct {
	literal  string
	variable string
}

// Compile parses a pattern. Segments are separated by "/"; a segment is a
// literal (a collection identifier such as "nvmeSubsystems") or a variable in
// braces. Variables must be distinct.
func Compile(pattern string) (*Pattern, error) {
	if pattern == "" {
		return nil, invalidf("empty resource name pattern")
	}
	p := &Pattern{raw: pattern}
	for _, s := range strings.Split(pattern, "/") {
		switch {
		case s == "":
			return nil, invalidf("pattern %q has an empty segment", pattern)
		case strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}"):
			v := s[1 : len(s)-1]
			if v == "" || strings.ContainsAny(v, "{}") {
				return nil, invalidf("pattern %q has a malformed variable %q", pattern, s)
			}
			if slices.Contains(p.vars, v) {
				return nil, invalidf("pattern %q repeats variable %q", pattern, v)
			}
			p.vars = append(p.vars, v)
			p.segments = append(p.segments, segment{variable: v})
		case strings.ContainsAny(s, "{}"):
			return nil, invalidf("pattern %q has a malformed segment %q", pattern, s)
		default:
			p.segments = append(p.segments, segment{literal: s})
		}
	}
	return p, nil
}

// MustCompile is Compile for patterns fixed at build time; it panics on a bad
// pattern so the mistake shows at start-up, not on the first request.
func MustCompile(pattern string) *Pattern {
	p, err := Compile(pattern)
	if err != nil {
		panic(fmt.Sprintf("names: %v", err))
	}
	return p
}

// String returns the pattern as written.
func (p *Pattern) String() string { return p.raw }

// Variables returns the variable names in order, e.g. ["nvme_subsystem",
// "nvme_namespace"].
func (p *Pattern) Variables() []string { return slices.Clone(p.vars) }

// Match reports whether name has the pattern's shape: every literal as
// written and one non-empty segment per variable, whatever the segment
// holds. It is for a client that only routes a name (the server checks the
// ids), and for ids that are not AIP-122 ids, such as the decimal namespace
// id of a remote NVMe namespace; Parse is the full check.
func (p *Pattern) Match(name string) bool {
	parts := strings.Split(name, "/")
	if len(parts) != len(p.segments) {
		return false
	}
	for i, seg := range p.segments {
		if parts[i] == "" || (seg.variable == "" && parts[i] != seg.literal) {
			return false
		}
	}
	return true
}

// Parse splits a name into its ids, in the order of the pattern's variables.
// Every id must pass ValidateID. Errors are ErrInvalid and name the
// expected pattern, since that is what the client needs to fix the call.
func (p *Pattern) Parse(name string) ([]string, error) {
	parts := strings.Split(name, "/")
	if name == "" || len(parts) != len(p.segments) {
		return nil, invalidf("resource name %s does not match pattern %q", Quote(name), p.raw)
	}
	ids := make([]string, 0, len(p.vars))
	for i, seg := range p.segments {
		if seg.variable == "" {
			if parts[i] != seg.literal {
				return nil, invalidf("resource name %s does not match pattern %q: expected %q, got %s", Quote(name), p.raw, seg.literal, Quote(parts[i]))
			}
			continue
		}
		if err := ValidateID(parts[i]); err != nil {
			return nil, invalidf("resource name %s: %s: %w", Quote(name), seg.variable, err)
		}
		ids = append(ids, parts[i])
	}
	return ids, nil
}

// Validate reports whether name matches the pattern; see Parse.
func (p *Pattern) Validate(name string) error {
	_, err := p.Parse(name)
	return err
}

// Format builds a name from ids given in the order of the variables.
func (p *Pattern) Format(ids ...string) (string, error) {
	if len(ids) != len(p.vars) {
		return "", invalidf("pattern %q needs %d ids, got %d", p.raw, len(p.vars), len(ids))
	}
	var b strings.Builder
	next := 0
	for i, seg := range p.segments {
		if i > 0 {
			b.WriteByte('/')
		}
		if seg.variable == "" {
			b.WriteString(seg.literal)
			continue
		}
		if err := ValidateID(ids[next]); err != nil {
			return "", invalidf("%s: %w", seg.variable, err)
		}
		b.WriteString(ids[next])
		next++
	}
	return b.String(), nil
}

// ID returns the last id of a name, the one the resource was created with.
func (p *Pattern) ID(name string) (string, error) {
	ids, err := p.Parse(name)
	if err != nil {
		return "", err
	}
	if len(ids) == 0 {
		return "", invalidf("pattern %q has no id", p.raw)
	}
	return ids[len(ids)-1], nil
}

// Collection returns the collection identifier that precedes the last
// variable ("nvmeNamespaces"); it is empty when the pattern does not end in
// collection/{id} (a singleton such as "inventory").
func (p *Pattern) Collection() string {
	n := len(p.segments)
	if n < 2 || p.segments[n-1].variable == "" || p.segments[n-2].literal == "" {
		return ""
	}
	return p.segments[n-2].literal
}

// ParentPattern returns the pattern of the parent ("nvmeSubsystems/{nvme_subsystem}")
// or nil for a top-level collection, whose parent is the service itself.
func (p *Pattern) ParentPattern() *Pattern {
	if p.Collection() == "" || len(p.segments) == 2 {
		return nil
	}
	segs := p.segments[:len(p.segments)-2]
	parent := &Pattern{vars: p.vars[:len(p.vars)-1], segments: segs}
	raw := make([]string, len(segs))
	for i, s := range segs {
		raw[i] = s.literal
		if s.variable != "" {
			raw[i] = "{" + s.variable + "}"
		}
	}
	parent.raw = strings.Join(raw, "/")
	return parent
}

// Parent returns the parent of a name: the name without its last
// collection/id pair, or "" for a top-level resource.
func (p *Pattern) Parent(name string) (string, error) {
	if err := p.Validate(name); err != nil {
		return "", err
	}
	if p.Collection() == "" {
		return "", invalidf("pattern %q does not end in a collection", p.raw)
	}
	parts := strings.Split(name, "/")
	return strings.Join(parts[:len(parts)-2], "/"), nil
}

// Child formats the name of the resource id under parent, checking the
// parent against the parent pattern ("" for a top-level collection). This is
// how Create and List turn the request's parent field into names.
func (p *Pattern) Child(parent, id string) (string, error) {
	ids, err := p.parentIDs(parent)
	if err != nil {
		return "", err
	}
	return p.Format(append(ids, id)...)
}

// ChildPrefix returns the key prefix shared by every direct child of parent,
// e.g. "nvmeSubsystems/s1/nvmeNamespaces/". Because names sort by parent
// first, a store can list one parent's children with a single seek.
func (p *Pattern) ChildPrefix(parent string) (string, error) {
	if p.Collection() == "" {
		return "", invalidf("pattern %q does not end in a collection", p.raw)
	}
	if _, err := p.parentIDs(parent); err != nil {
		return "", err
	}
	if parent == "" {
		return p.Collection() + "/", nil
	}
	return parent + "/" + p.Collection() + "/", nil
}

func (p *Pattern) parentIDs(parent string) ([]string, error) {
	pp := p.ParentPattern()
	if pp == nil {
		if parent != "" {
			return nil, invalidf("%s are top-level resources: parent must be empty, got %s", p.Collection(), Quote(parent))
		}
		return nil, nil
	}
	ids, err := pp.Parse(parent)
	if err != nil {
		return nil, invalidf("parent: %w", err)
	}
	return ids, nil
}
