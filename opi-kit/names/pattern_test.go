package names_test

import (
	"errors"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"slices"
	"strings"
	"testing"

	"github.com/opi-suite/opi/opi-kit/names"
)

var namespaces = names.MustCompile("nvmeSubsystems/{nvme_subsystem}/nvmeNamespaces/{nvme_namespace}")

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
				if !errors.Is(err, names.ErrInvalid) || !errors.Is(err, errdefs.ErrInvalidArgument) {
					t.Fatalf("Parse(%q) error = %v, want ErrInvalid, which is also errdefs.ErrInvalidArgument", tt.in, err)
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
	subsystems := names.MustCompile("nvmeSubsystems/{nvme_subsystem}")
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
	subsystems := names.MustCompile("nvmeSubsystems/{nvme_subsystem}")
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
			if !errors.Is(tt.err, names.ErrInvalid) {
				t.Fatalf("error = %v, want ErrInvalid", tt.err)
			}
		})
	}
}

func TestCompileRejectsMalformedPatterns(t *testing.T) {
	for _, p := range []string{"", "a//{b}", "a/{}", "a/{b}/c/{b}", "a/b{c}"} {
		t.Run(p, func(t *testing.T) {
			if _, err := names.Compile(p); err == nil {
				t.Fatalf("Compile(%q) succeeded", p)
			}
		})
	}
}

func TestPatternMatchChecksTheShapeOnly(t *testing.T) {
	remote := names.MustCompile("nvmeRemoteControllers/{nvme_remote_controller}/nvmeRemoteNamespaces/{nvme_remote_namespace}")
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{name: "a well-formed name matches", in: "nvmeSubsystems/s1/nvmeNamespaces/ns1", want: true},
		{name: "an id that is no AIP-122 id still matches", in: "nvmeSubsystems/S_1/nvmeNamespaces/ns1", want: true},
		{name: "a wrong collection does not match", in: "nvmeSubsystems/s1/nvmeControllers/c1"},
		{name: "an empty id does not match", in: "nvmeSubsystems//nvmeNamespaces/ns1"},
		{name: "a parent's name does not match", in: "nvmeSubsystems/s1"},
		{name: "a trailing slash does not match", in: "nvmeSubsystems/s1/nvmeNamespaces/ns1/"},
		{name: "an empty name does not match", in: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := namespaces.Match(tt.in); got != tt.want {
				t.Fatalf("Match(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
	// The reason Match exists: remote namespace ids are decimal, which
	// Parse refuses and a client must still be able to name.
	name := "nvmeRemoteControllers/r1/nvmeRemoteNamespaces/1"
	if !remote.Match(name) || remote.Validate(name) == nil {
		t.Fatalf("Match(%q) = %v, Validate = %v; want a match that Validate refuses", name, remote.Match(name), remote.Validate(name))
	}
}

func TestValidateID(t *testing.T) {
	tests := []struct {
		name string
		id   string
		ok   bool
	}{
		{name: "a letter is an id", id: "a", ok: true},
		{name: "letters, digits and inner hyphens are an id", id: "ns-1a", ok: true},
		{name: "63 characters are allowed", id: strings.Repeat("a", names.MaxIDLength), ok: true},
		{name: "64 characters are too many", id: strings.Repeat("a", names.MaxIDLength+1)},
		{name: "an empty id is refused", id: ""},
		{name: "a leading digit is refused", id: "1a"},
		{name: "a trailing hyphen is refused", id: "a-"},
		{name: "upper case is refused", id: "A"},
		{name: "a slash is refused", id: "a/b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := names.ValidateID(tt.id)
			if tt.ok != (err == nil) || (err != nil && !errors.Is(err, names.ErrInvalid)) {
				t.Fatalf("ValidateID(%q) = %v, want ok %v (or ErrInvalid)", tt.id, err, tt.ok)
			}
		})
	}
}
