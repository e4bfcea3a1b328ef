package aip_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/opi-suite/opi/opi-kit/aip"
)

var namespaces = aip.MustCompile("nvmeSubsystems/{nvme_subsystem}/nvmeNamespaces/{nvme_namespace}")

func TestPatternParse(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []string
		wantErr bool
	}{
		{name: "a well-formed child name yields both ids", in: "nvmeSubsystems/s1/nvmeNamespaces/ns-1", want: []string{"s1", "ns-1"}},
		{name: "an empty name is rejected", in: "", wantErr: true},
		{name: "a parent name is too short", in: "nvmeSubsystems/s1", wantErr: true},
		{name: "a wrong collection is rejected", in: "nvmeSubsystems/s1/nvmeControllers/c1", wantErr: true},
		{name: "an upper-case id is rejected", in: "nvmeSubsystems/S1/nvmeNamespaces/ns1", wantErr: true},
		{name: "an empty id is rejected", in: "nvmeSubsystems//nvmeNamespaces/ns1", wantErr: true},
		{name: "a trailing slash is rejected", in: "nvmeSubsystems/s1/nvmeNamespaces/ns1/", wantErr: true},
		{name: "an id ending in a hyphen is rejected", in: "nvmeSubsystems/s1/nvmeNamespaces/ns-", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := namespaces.Parse(tt.in)
			if tt.wantErr {
				if !errors.Is(err, aip.ErrInvalidArgument) {
					t.Fatalf("Parse(%q) error = %v, want InvalidArgument", tt.in, err)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("Parse(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestPatternFormat(t *testing.T) {
	tests := []struct {
		name    string
		ids     []string
		want    string
		wantErr bool
	}{
		{name: "two valid ids make a child name", ids: []string{"s1", "ns1"}, want: "nvmeSubsystems/s1/nvmeNamespaces/ns1"},
		{name: "too few ids are rejected", ids: []string{"s1"}, wantErr: true},
		{name: "an id with a slash is rejected", ids: []string{"s1", "a/b"}, wantErr: true},
		{name: "an id longer than 63 characters is rejected", ids: []string{"s1", "a" + string(make([]byte, 63))}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := namespaces.Format(tt.ids...)
			if tt.wantErr != (err != nil) || got != tt.want {
				t.Fatalf("Format(%v) = %q, %v; want %q (error %v)", tt.ids, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestPatternRelations(t *testing.T) {
	subsystems := aip.MustCompile("nvmeSubsystems/{nvme_subsystem}")
	tests := []struct {
		name string
		got  func() (string, error)
		want string
	}{
		{name: "the parent of a namespace is its subsystem", got: func() (string, error) { return namespaces.Parent("nvmeSubsystems/s1/nvmeNamespaces/ns1") }, want: "nvmeSubsystems/s1"},
		{name: "the parent of a top-level resource is empty", got: func() (string, error) { return subsystems.Parent("nvmeSubsystems/s1") }, want: ""},
		{name: "the id is the last segment", got: func() (string, error) { return namespaces.ID("nvmeSubsystems/s1/nvmeNamespaces/ns1") }, want: "ns1"},
		{name: "a child is formatted under its parent", got: func() (string, error) { return namespaces.Child("nvmeSubsystems/s1", "ns2") }, want: "nvmeSubsystems/s1/nvmeNamespaces/ns2"},
		{name: "the child prefix ends in the collection", got: func() (string, error) { return namespaces.ChildPrefix("nvmeSubsystems/s1") }, want: "nvmeSubsystems/s1/nvmeNamespaces/"},
		{name: "a top-level child prefix is the collection", got: func() (string, error) { return subsystems.ChildPrefix("") }, want: "nvmeSubsystems/"},
		{name: "the parent pattern drops the last pair", got: func() (string, error) { return namespaces.ParentPattern().String(), nil }, want: "nvmeSubsystems/{nvme_subsystem}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.got()
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestPatternRejectsBadParents(t *testing.T) {
	subsystems := aip.MustCompile("nvmeSubsystems/{nvme_subsystem}")
	tests := []struct {
		name string
		err  error
	}{
		{name: "a child under a malformed parent", err: func() error { _, err := namespaces.Child("nvmeSubsystems", "ns1"); return err }()},
		{name: "a top-level resource with a parent", err: func() error { _, err := subsystems.Child("nvmeSubsystems/s1", "s2"); return err }()},
		{name: "a namespace listed under nothing", err: func() error { _, err := namespaces.ChildPrefix(""); return err }()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !errors.Is(tt.err, aip.ErrInvalidArgument) {
				t.Fatalf("error = %v, want InvalidArgument", tt.err)
			}
		})
	}
}

func TestCompileRejectsMalformedPatterns(t *testing.T) {
	for _, p := range []string{"", "a//{b}", "a/{}", "a/{b}/c/{b}", "a/b{c}"} {
		t.Run(p, func(t *testing.T) {
			if _, err := aip.Compile(p); err == nil {
				t.Fatalf("Compile(%q) succeeded", p)
			}
		})
	}
}
