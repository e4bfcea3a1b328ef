package aip_test

import (
	"errors"
	"testing"

	"github.com/opi-suite/opi/opi-kit/aip"
	"github.com/opi-suite/opi/opi-kit/names"
)

// The parsing itself is tested in package names; these tests hold aip's
// part: every failure a request can cause is InvalidArgument, which Status
// turns into the code the client gets, with the names message unchanged.
func TestPatternErrorsAreInvalidArgument(t *testing.T) {
	namespaces := aip.MustCompile("nvmeSubsystems/{nvme_subsystem}/nvmeNamespaces/{nvme_namespace}")
	subsystems := aip.MustCompile("nvmeSubsystems/{nvme_subsystem}")
	errOf := func(_ string, err error) error { return err }
	tests := []struct {
		name string
		err  error
	}{
		{name: "a name of another kind", err: namespaces.Validate("nvmeSubsystems/s1")},
		{name: "an upper-case id in a name", err: errOf(namespaces.ID("nvmeSubsystems/S1/nvmeNamespaces/ns1"))},
		{name: "too few ids to format", err: errOf(namespaces.Format("s1"))},
		{name: "a child under a malformed parent", err: errOf(namespaces.Child("nvmeSubsystems", "ns1"))},
		{name: "a top-level resource with a parent", err: errOf(subsystems.Child("nvmeSubsystems/s1", "s2"))},
		{name: "a namespace listed under nothing", err: errOf(namespaces.ChildPrefix(""))},
		{name: "the parent of a malformed name", err: errOf(namespaces.Parent("nvmeSubsystems/s1/nvmeNamespaces"))},
		{name: "an id that is too long", err: aip.ValidateID("a234567890123456789012345678901234567890123456789012345678901234")},
		{name: "a malformed pattern", err: func() error { _, err := aip.Compile("a//{b}"); return err }()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !errors.Is(tt.err, aip.ErrInvalidArgument) || !errors.Is(tt.err, names.ErrInvalid) {
				t.Fatalf("error = %v, want InvalidArgument wrapping names.ErrInvalid", tt.err)
			}
		})
	}
}

func TestPatternDelegatesToNames(t *testing.T) {
	p := aip.FromNames(names.MustCompile("nvmeSubsystems/{nvme_subsystem}/nvmeNamespaces/{nvme_namespace}"))
	ids, err := p.Parse("nvmeSubsystems/s1/nvmeNamespaces/ns1")
	if err != nil || len(ids) != 2 || ids[1] != "ns1" {
		t.Fatalf("Parse = %v, %v", ids, err)
	}
	if got := p.ParentPattern().String(); got != "nvmeSubsystems/{nvme_subsystem}" {
		t.Errorf("ParentPattern = %q", got)
	}
	if p.ParentPattern().ParentPattern() != nil {
		t.Error("a top-level pattern has a parent pattern")
	}
	if p.Names().Collection() != p.Collection() || p.Collection() != "nvmeNamespaces" {
		t.Errorf("Collection = %q, names says %q", p.Collection(), p.Names().Collection())
	}
	// The message is the one names wrote: aip adds a class, not words.
	_, want := p.Names().Parse("x")
	if _, err := p.Parse("x"); err == nil || err.Error() != want.Error() {
		t.Errorf("Parse error %q, want %q", err, want)
	}
}
