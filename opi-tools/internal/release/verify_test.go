package release_test

import (
	"fmt"
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
				edit(t, dir, "release.yaml", "    image: example.com/svc\n", "    image: example.com/svc\n    images:\n      - name: example.com/svc-daemon:v1\n        dockerfile: Dockerfile\n")
			},
			want: []string{`image "example.com/svc-daemon:v1" must be a lower-case repository name without tag or digest`},
		},
		{
			name:   "an image whose module has no Dockerfile is reported",
			mutate: func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, "svc/Dockerfile")) },
			want:   []string{`module "svc": image example.com/svc has no build recipe: svc/Dockerfile does not exist`, "remove the image from release.yaml"},
		},
		{
			name: "a further image without its Dockerfile is reported",
			mutate: func(t *testing.T, dir string) {
				edit(t, dir, "release.yaml", "    image: example.com/svc\n", "    image: example.com/svc\n    images:\n      - name: example.com/svc-daemon\n        dockerfile: Dockerfile.daemon\n")
			},
			want: []string{"image example.com/svc-daemon has no build recipe: svc/Dockerfile.daemon does not exist"},
		},
		{
			name: "a further image with its Dockerfile passes",
			mutate: func(t *testing.T, dir string) {
				edit(t, dir, "release.yaml", "    image: example.com/svc\n", "    image: example.com/svc\n    images:\n      - name: example.com/svc-daemon\n        dockerfile: Dockerfile.daemon\n")
				releasetest.WriteFile(t, dir, "svc/Dockerfile.daemon", "FROM scratch\n")
			},
		},
		{
			name: "a further image's Dockerfile outside the module's folder is reported",
			mutate: func(t *testing.T, dir string) {
				edit(t, dir, "release.yaml", "    image: example.com/svc\n", "    image: example.com/svc\n    images:\n      - name: example.com/svc-daemon\n        dockerfile: ../kit/Dockerfile\n")
				releasetest.WriteFile(t, dir, "kit/Dockerfile", "FROM scratch\n")
			},
			want: []string{`image example.com/svc-daemon: dockerfile "../kit/Dockerfile" must be a clean relative path inside the module's folder`},
		},
		{
			name: "imports of the module itself, of its depends and of outside modules pass",
			mutate: func(t *testing.T, dir string) {
				releasetest.WriteFile(t, dir, "svc/cmd/svc/main.go", importing("main", "fmt", "example.com/repo/api", "example.com/repo/kit/sub", "example.com/repo/svc", "golang.org/x/mod/semver"))
				releasetest.WriteFile(t, dir, "svc/svc_test.go", importing("svc_test", "testing", "example.com/repo/svc", "example.com/repo/kit"))
			},
		},
		{
			name: "a package importing a module outside its depends is reported with both packages and the rule",
			mutate: func(t *testing.T, dir string) {
				releasetest.WriteFile(t, dir, "kit/sub/sub.go", importing("sub", "fmt", "example.com/repo/svc/server"))
			},
			want: []string{"kit/sub/sub.go:5: package example.com/repo/kit/sub imports example.com/repo/svc/server, but kit may import only api (its depends in release.yaml)", "add svc to its depends"},
		},
		{
			name: "the API module importing any of the repository's modules is reported",
			mutate: func(t *testing.T, dir string) {
				releasetest.WriteFile(t, dir, "api/api_ext.go", importing("api", "example.com/repo/kit"))
			},
			want: []string{"api/api_ext.go:4: package example.com/repo/api imports example.com/repo/kit, but api may import none of the repository's modules (release.yaml lists no depends)"},
		},
		{
			name: "an external test package's import counts",
			mutate: func(t *testing.T, dir string) {
				releasetest.WriteFile(t, dir, "svc/svc_test.go", importing("svc_test", "testing", "example.com/repo/tools"))
			},
			want: []string{"svc/svc_test.go:5: package example.com/repo/svc_test (test) imports example.com/repo/tools, but svc may import only api, kit (its depends in release.yaml)"},
		},
		{
			name: "a file another build would compile counts",
			mutate: func(t *testing.T, dir string) {
				releasetest.WriteFile(t, dir, "kit/kit_windows.go", "//go:build windows\n\n"+importing("kit", "example.com/repo/svc"))
			},
			want: []string{"kit/kit_windows.go:6: package example.com/repo/kit imports example.com/repo/svc, but kit may import only api"},
		},
		{
			name: "testdata and nested modules are not the module's packages",
			mutate: func(t *testing.T, dir string) {
				releasetest.WriteFile(t, dir, "kit/testdata/fixture.go", importing("fixture", "example.com/repo/svc"))
				releasetest.WriteFile(t, dir, "kit/nested/go.mod", "module example.com/repo/kit/nested\n\ngo 1.26\n")
				releasetest.WriteFile(t, dir, "kit/nested/nested.go", importing("nested", "example.com/repo/svc"))
				edit(t, dir, "release.yaml", "modules:\n", "modules:\n  - folder: kit/nested\n    path: example.com/repo/kit/nested\n    version: v0.1.0\n")
				edit(t, dir, "go.work", "\t./kit\n", "\t./kit\n\t./kit/nested\n")
			},
			// The nested module is checked as itself, not as kit.
			want: []string{"kit/nested/nested.go:4: package example.com/repo/kit/nested imports example.com/repo/svc, but kit/nested may import none"},
		},
		{
			name: "a package of a restricted dependency outside its packages is reported",
			mutate: func(t *testing.T, dir string) {
				edit(t, dir, "release.yaml", "depends: [api, kit]\n", "depends: [api, kit]\n    packages:\n      kit: [example.com/repo/kit/names, example.com/repo/kit/wire/...]\n")
				releasetest.WriteFile(t, dir, "svc/client/client.go", importing("client", "example.com/repo/kit/names", "example.com/repo/kit/wire", "example.com/repo/kit/wire/codec", "example.com/repo/api", "example.com/repo/kit/server"))
			},
			want: []string{"svc/client/client.go:8: package example.com/repo/svc/client imports example.com/repo/kit/server, but svc may import only example.com/repo/kit/names, example.com/repo/kit/wire/... of kit (its packages in release.yaml)", "add example.com/repo/kit/server to packages.kit of svc"},
		},
		{
			name: "the module root of a restricted dependency is outside its packages",
			mutate: func(t *testing.T, dir string) {
				edit(t, dir, "release.yaml", "depends: [api, kit]\n", "depends: [api, kit]\n    packages:\n      kit: [example.com/repo/kit/names]\n")
				releasetest.WriteFile(t, dir, "svc/svc_ext_test.go", importing("svc", "example.com/repo/kit"))
			},
			want: []string{"package example.com/repo/svc (test) imports example.com/repo/kit, but svc may import only example.com/repo/kit/names of kit"},
		},
		{
			name: "a packages entry for a module not yet depended on passes, and restricts it once it is",
			mutate: func(t *testing.T, dir string) {
				// tools may use all of api, and of svc only its client, even
				// before it depends on svc.
				edit(t, dir, "release.yaml", "depends: [api]\n    internal: true\n", "depends: [api]\n    packages:\n      svc: [example.com/repo/svc/client]\n    internal: true\n")
				releasetest.WriteFile(t, dir, "tools/tools.go", importing("tools", "example.com/repo/api"))
			},
		},
		{
			name: "packages naming an unlisted module or paths outside the dependency are reported",
			mutate: func(t *testing.T, dir string) {
				edit(t, dir, "release.yaml", "depends: [api, kit]\n", "depends: [api, kit]\n    packages:\n      ghost: [example.com/repo/ghost]\n      kit: [example.com/repo/kitchen, names]\n")
			},
			want: []string{
				`module "svc": packages restricts ghost, which release.yaml does not list`,
				`packages of kit lists "example.com/repo/kitchen", which is not a package of example.com/repo/kit`,
				`packages of kit lists "names"`,
			},
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

// importing returns a Go file of package name that imports each path, one a
// line from line 4 on (so the first is on line 4).
func importing(name string, paths ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "package %s\n\nimport (\n", name)
	for _, p := range paths {
		fmt.Fprintf(&b, "\t_ %q\n", p)
	}
	b.WriteString(")\n")
	return b.String()
}

func TestLoadManifestRejectsUnknownKeys(t *testing.T) {
	dir := t.TempDir()
	releasetest.WriteFile(t, dir, "release.yaml", "repository: example.com/repo\nmodules:\n  - folder: a\n    verison: v0.1.0\n")
	_, err := release.LoadManifest(filepath.Join(dir, "release.yaml"))
	if err == nil || !strings.Contains(err.Error(), "verison") {
		t.Fatalf("want an error naming the unknown key, got %v", err)
	}
}
