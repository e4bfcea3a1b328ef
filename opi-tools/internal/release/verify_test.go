package release_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opi-suite/opi/opi-tools/internal/release"
	"github.com/opi-suite/opi/opi-tools/internal/release/releasetest"
)

// baseModules is a consistent repository: an API module, a runtime kit that
// imports it, a service on the kit with an image, and internal tooling.
func baseModules() []releasetest.Module {
	return []releasetest.Module{
		{Folder: "api", Version: "v0.1.0", API: true},
		{Folder: "kit", Version: "v0.1.0", Depends: []string{"api"}},
		{Folder: "svc", Version: "v0.1.0", Depends: []string{"api", "kit"}, Image: "example.com/svc"},
		{Folder: "tools", Version: "v0.1.0", Depends: []string{"api"}, Internal: true},
	}
}

// edit rewrites the file at dir/path with old replaced by new, failing when
// old is absent.
func edit(t *testing.T, dir, path, old, new string) {
	t.Helper()
	p := filepath.Join(dir, path)
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), old) {
		t.Fatalf("%s does not contain %q:\n%s", path, old, data)
	}
	if err := os.WriteFile(p, []byte(strings.Replace(string(data), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestVerify(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(t *testing.T, dir string)
		want   []string // substrings of the problems, in order; none: clean
	}{
		{name: "a consistent repository has no problems"},
		{
			name: "a further image with a tag is reported",
			mutate: func(t *testing.T, dir string) {
				edit(t, dir, "release.yaml", "    image: example.com/svc\n", "    image: example.com/svc\n    images: [example.com/svc-daemon:v1]\n")
			},
			want: []string{`image "example.com/svc-daemon:v1" must be a lower-case repository name without tag or digest`},
		},
		{
			name: "a module directory missing from release.yaml is reported",
			mutate: func(t *testing.T, dir string) {
				releasetest.WriteFile(t, dir, "extra/go.mod", "module example.com/repo/extra\n\ngo 1.26\n")
			},
			want: []string{"extra/go.mod: this module is not listed in release.yaml"},
		},
		{
			name: "a module listed twice is reported",
			mutate: func(t *testing.T, dir string) {
				f, _ := os.OpenFile(filepath.Join(dir, "release.yaml"), os.O_APPEND|os.O_WRONLY, 0)
				f.WriteString("  - folder: api\n    path: example.com/repo/api\n    version: v0.1.0\n")
				f.Close()
			},
			want: []string{`module "api": is listed more than once`},
		},
		{
			name:   "a listed folder without go.mod is reported",
			mutate: func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, "svc/go.mod")) },
			want:   []string{"svc/go.mod does not exist"},
		},
		{
			name: "a version that is not full semver is reported",
			mutate: func(t *testing.T, dir string) {
				edit(t, dir, "release.yaml", "version: v0.1.0\n    depends: [api, kit]", "version: v0.1\n    depends: [api, kit]")
			},
			want: []string{`version "v0.1" is not a full semantic version`},
		},
		{
			name: "a v2 module path without /v2 is reported",
			mutate: func(t *testing.T, dir string) {
				edit(t, dir, "release.yaml", "version: v0.1.0\n    depends: [api, kit]", "version: v2.0.0\n    depends: [api, kit]")
			},
			want: []string{`must have path "example.com/repo/svc/v2"`},
		},
		{
			name: "a go.mod module line that differs from release.yaml is reported",
			mutate: func(t *testing.T, dir string) {
				edit(t, dir, "kit/go.mod", "module example.com/repo/kit", "module example.com/repo/kit2")
			},
			want: []string{`kit/go.mod: module path is "example.com/repo/kit2"`},
		},
		{
			name:   "a require missing from depends is reported",
			mutate: func(t *testing.T, dir string) { edit(t, dir, "release.yaml", "depends: [api, kit]", "depends: [api]") },
			want:   []string{"svc/go.mod: requires example.com/repo/kit, but release.yaml does not list kit in svc's depends"},
		},
		{
			name: "a dependency the go.mod does not require is reported",
			mutate: func(t *testing.T, dir string) {
				edit(t, dir, "kit/go.mod", "require example.com/repo/api v0.1.0", "")
				edit(t, dir, "kit/go.mod", "replace example.com/repo/api => ../api", "")
			},
			want: []string{"release.yaml says kit depends on api, but go.mod does not require example.com/repo/api"},
		},
		{
			name: "a require at another version than release.yaml's is reported",
			mutate: func(t *testing.T, dir string) {
				edit(t, dir, "svc/go.mod", "example.com/repo/kit v0.1.0", "example.com/repo/kit v0.0.9")
			},
			want: []string{"requires example.com/repo/kit v0.0.9, but release.yaml has kit at v0.1.0", "go mod edit -require=example.com/repo/kit@v0.1.0"},
		},
		{
			name: "a require without replace is reported",
			mutate: func(t *testing.T, dir string) {
				edit(t, dir, "svc/go.mod", "replace example.com/repo/kit => ../kit", "")
			},
			want: []string{"requires example.com/repo/kit without replacing it by its folder ../kit", "-replace=example.com/repo/kit=../kit"},
		},
		{
			name:   "a replace by another directory is reported",
			mutate: func(t *testing.T, dir string) { edit(t, dir, "svc/go.mod", "=> ../kit", "=> ../../kit") },
			want:   []string{"replaces example.com/repo/kit by ../../kit, not by its folder ../kit"},
		},
		{
			name: "an in-repository require release.yaml does not list is reported",
			mutate: func(t *testing.T, dir string) {
				edit(t, dir, "kit/go.mod", "go 1.26\n", "go 1.26\n\nrequire example.com/repo/ghost v0.1.0\n")
			},
			want: []string{"requires example.com/repo/ghost, an in-repository path release.yaml does not list"},
		},
		{
			name:   "go.work missing a module is reported",
			mutate: func(t *testing.T, dir string) { edit(t, dir, "go.work", "\t./svc\n", "") },
			want:   []string{"go.work: does not use svc", "go work use ./svc"},
		},
		{
			name: "a released module depending on an internal one is reported",
			mutate: func(t *testing.T, dir string) {
				edit(t, dir, "release.yaml", "depends: [api, kit]", "depends: [api, kit, tools]")
			},
			want: []string{"depends on tools, which is internal and never tagged"},
		},
		{
			name: "a dependency cycle is reported with its path",
			mutate: func(t *testing.T, dir string) {
				edit(t, dir, "release.yaml", "version: v0.1.0\n    api: true", "version: v0.1.0\n    depends: [svc]\n    api: true")
				edit(t, dir, "api/go.mod", "go 1.26\n", "go 1.26\n\nrequire example.com/repo/svc v0.1.0\n\nreplace example.com/repo/svc => ../svc\n")
			},
			want: []string{"dependency cycle: api -> svc -> api"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			releasetest.WriteModules(t, dir, baseModules())
			if tt.mutate != nil {
				tt.mutate(t, dir)
			}
			m, err := release.LoadManifest(filepath.Join(dir, "release.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			problems, err := release.Verify(dir, m)
			if err != nil {
				t.Fatal(err)
			}
			var text strings.Builder
			for _, p := range problems {
				text.WriteString(p.String() + "\n")
			}
			if len(tt.want) == 0 && len(problems) > 0 {
				t.Fatalf("want no problems, got:\n%s", text.String())
			}
			rest := text.String()
			for _, w := range tt.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("want a problem containing %q (in order), got:\n%s", w, text.String())
				}
				rest = rest[i+len(w):]
			}
		})
	}
}

func TestLoadManifestRejectsUnknownKeys(t *testing.T) {
	dir := t.TempDir()
	releasetest.WriteFile(t, dir, "release.yaml", "repository: example.com/repo\nmodules:\n  - folder: a\n    verison: v0.1.0\n")
	_, err := release.LoadManifest(filepath.Join(dir, "release.yaml"))
	if err == nil || !strings.Contains(err.Error(), "verison") {
		t.Fatalf("want an error naming the unknown key, got %v", err)
	}
}
