package release_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/opi-suite/opi/opi-tools/internal/release"
	"github.com/opi-suite/opi/opi-tools/internal/release/releasetest"
)

// chainModules is three Go modules in a chain, app -> svc -> kit, so that a
// change to kit reaches app only through svc.
func chainModules() []releasetest.Module {
	return []releasetest.Module{
		{Folder: "kit", Version: "v0.1.0"},
		{Folder: "svc", Version: "v0.1.0", Depends: []string{"kit"}, Image: "example.com/svc"},
		{Folder: "app", Version: "v0.1.0", Depends: []string{"svc"}},
	}
}

// releasedRepo commits the modules and tags each at its version.
func releasedRepo(t *testing.T, mods []releasetest.Module) *releasetest.Repo {
	t.Helper()
	r := releasetest.New(t)
	releasetest.WriteModules(t, r.Root, mods)
	r.Commit("initial")
	for _, m := range mods {
		r.Git("tag", "-a", "-m", m.Folder, m.Folder+"/"+m.Version)
	}
	return r
}

// plan loads the repository's manifest and plans it.
func plan(t *testing.T, root string) *release.Plan {
	t.Helper()
	m, err := release.LoadManifest(filepath.Join(root, "release.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := release.MakePlan(root, m, release.PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// want is the expected plan of one module.
type want struct {
	required  release.Bump
	minimum   string
	satisfied bool
	tag       string
	deps      []string
	breaking  string // substring of a breaking change; empty: none
}

func check(t *testing.T, p *release.Plan, wants map[string]want) {
	t.Helper()
	for _, mp := range p.Modules {
		w, ok := wants[mp.Folder]
		if !ok {
			continue
		}
		got := want{mp.Required, mp.Minimum, mp.Satisfied, mp.Tag, mp.Dependencies, ""}
		if w.breaking != "" && strings.Contains(strings.Join(mp.Breaking, "\n"), w.breaking) {
			got.breaking = w.breaking
		} else if w.breaking == "" && len(mp.Breaking) > 0 {
			got.breaking = strings.Join(mp.Breaking, "; ")
		}
		if got.required != w.required || got.minimum != w.minimum || got.satisfied != w.satisfied ||
			got.tag != w.tag || !slices.Equal(got.deps, w.deps) || got.breaking != w.breaking {
			t.Errorf("%s: got %+v (problem %q, changed %v),\nwant %+v", mp.Folder, got, mp.Problem, mp.Changed, w)
		}
	}
}

func TestPlan(t *testing.T) {
	const kitV0 = "// Package kit is a test module.\npackage kit\n\n// Hello greets.\nfunc Hello() string { return \"kit\" }\n"
	tests := []struct {
		name    string
		mods    []releasetest.Module
		tagged  bool                                    // tag every module at its version first
		change  func(t *testing.T, r *releasetest.Repo) // then change the working tree
		wants   map[string]want
		tags    []string
		images  []string
		satisfy bool
	}{
		{
			name:    "modules without tags are initial releases at their versions",
			mods:    chainModules(),
			wants:   map[string]want{"kit": {minimum: "v0.1.0", satisfied: true, tag: "kit/v0.1.0"}},
			tags:    []string{"kit/v0.1.0", "svc/v0.1.0", "app/v0.1.0"},
			images:  []string{"example.com/svc:v0.1.0"},
			satisfy: true,
		},
		{
			name: "a module's further images are published with its version after its image",
			mods: []releasetest.Module{
				{Folder: "kit", Version: "v0.1.0"},
				{Folder: "svc", Version: "v0.2.0", Depends: []string{"kit"}, Image: "example.com/svc", Images: []string{"example.com/svc-daemon", "example.com/svc-tool"}},
			},
			wants:   map[string]want{"svc": {minimum: "v0.2.0", satisfied: true, tag: "svc/v0.2.0", deps: nil}},
			tags:    []string{"kit/v0.1.0", "svc/v0.2.0"},
			images:  []string{"example.com/svc:v0.2.0", "example.com/svc-daemon:v0.2.0", "example.com/svc-tool:v0.2.0"},
			satisfy: true,
		},
		{
			name:    "unchanged tagged modules have nothing to release",
			mods:    chainModules(),
			tagged:  true,
			wants:   map[string]want{"kit": {minimum: "v0.1.0", satisfied: true}, "app": {minimum: "v0.1.0", satisfied: true}},
			satisfy: true,
		},
		{
			name:   "a changed module and its dependents, transitively, need a bump",
			mods:   chainModules(),
			tagged: true,
			change: func(t *testing.T, r *releasetest.Repo) {
				r.Write("kit/doc.txt", "notes\n")
			},
			wants: map[string]want{
				"kit": {required: release.BumpPatch, minimum: "v0.1.1"},
				"svc": {required: release.BumpPatch, minimum: "v0.1.1", deps: []string{"kit"}},
				"app": {required: release.BumpPatch, minimum: "v0.1.1", deps: []string{"svc"}},
			},
		},
		{
			name:   "bumped versions satisfy the plan and are tagged, dependencies first",
			mods:   chainModules(),
			tagged: true,
			change: func(t *testing.T, r *releasetest.Repo) {
				mods := chainModules()
				for i := range mods {
					mods[i].Version = "v0.1.1"
				}
				mods[0].Source = kitV0 + "\n// Bye parts.\nfunc Bye() string { return \"bye\" }\n"
				releasetest.WriteModules(t, r.Root, mods)
			},
			wants: map[string]want{
				"kit": {required: release.BumpPatch, minimum: "v0.1.1", satisfied: true, tag: "kit/v0.1.1"},
				"app": {required: release.BumpPatch, minimum: "v0.1.1", satisfied: true, tag: "app/v0.1.1", deps: []string{"svc"}},
			},
			tags:    []string{"kit/v0.1.1", "svc/v0.1.1", "app/v0.1.1"},
			images:  []string{"example.com/svc:v0.1.1"},
			satisfy: true,
		},
		{
			name:   "a removed exported func below v1 needs a minor bump",
			mods:   chainModules(),
			tagged: true,
			change: func(t *testing.T, r *releasetest.Repo) {
				r.Write("kit/kit.go", "// Package kit is a test module.\npackage kit\n")
			},
			wants: map[string]want{
				"kit": {required: release.BumpMinor, minimum: "v0.2.0", breaking: "Hello: removed"},
				"svc": {required: release.BumpPatch, minimum: "v0.1.1", deps: []string{"kit"}},
			},
		},
		{
			name:   "a removed exported func from v1 on needs a major bump",
			mods:   []releasetest.Module{{Folder: "kit", Version: "v1.2.3"}},
			tagged: true,
			change: func(t *testing.T, r *releasetest.Repo) {
				r.Write("kit/kit.go", "// Package kit is a test module.\npackage kit\n")
			},
			wants: map[string]want{"kit": {required: release.BumpMajor, minimum: "v2.0.0", breaking: "Hello: removed"}},
		},
		{
			name:   "an added exported func from v1 on needs a minor bump",
			mods:   []releasetest.Module{{Folder: "kit", Version: "v1.2.3"}},
			tagged: true,
			change: func(t *testing.T, r *releasetest.Repo) {
				r.Write("kit/more.go", "package kit\n\n// More adds.\nfunc More() {}\n")
			},
			wants: map[string]want{"kit": {required: release.BumpMinor, minimum: "v1.3.0"}},
		},
		{
			name: "a version behind the last tag is not satisfied",
			mods: []releasetest.Module{{Folder: "kit", Version: "v0.1.0"}},
			change: func(t *testing.T, r *releasetest.Repo) {
				r.Git("tag", "-a", "-m", "kit", "kit/v0.3.0")
			},
			wants: map[string]want{"kit": {minimum: "v0.3.0", tag: ""}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r *releasetest.Repo
			if tt.tagged {
				r = releasedRepo(t, tt.mods)
			} else {
				r = releasetest.New(t)
				releasetest.WriteModules(t, r.Root, tt.mods)
				r.Commit("initial")
			}
			if tt.change != nil {
				tt.change(t, r)
			}
			p := plan(t, r.Root)
			check(t, p, tt.wants)
			if p.Satisfied != tt.satisfy {
				t.Errorf("plan satisfied = %v, want %v", p.Satisfied, tt.satisfy)
			}
			if !slices.Equal(p.Tags, tt.tags) {
				t.Errorf("tags = %v, want %v", p.Tags, tt.tags)
			}
			if !slices.Equal(p.Images, tt.images) {
				t.Errorf("images = %v, want %v", p.Images, tt.images)
			}
		})
	}
}

// findBufForTest returns buf from PATH or from the repository's .tools, or
// skips the test naming buf.
func findBufForTest(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("buf"); err == nil {
		return p
	}
	_, file, _, _ := runtime.Caller(0)
	p := filepath.Join(filepath.Dir(file), "..", "..", "..", ".tools", "node_modules", ".bin", "buf")
	if _, err := exec.LookPath(p); err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatal("buf is not on PATH nor in .tools in CI: make tools installs it")
	}
	t.Skip("buf is not on PATH (nor in .tools): the buf breaking check of the API module is untested; run `make tools`")
	return ""
}

func TestPlanAPIModuleUsesBufBreaking(t *testing.T) {
	buf := findBufForTest(t)
	r := releasedRepo(t, nil)
	releasetest.WriteModules(t, r.Root, []releasetest.Module{{Folder: "api", Version: "v0.1.0", API: true}})
	r.Write("api/buf.yaml", "version: v2\nmodules:\n  - path: proto\nbreaking:\n  use: [FILE]\n")
	r.Write("api/proto/demo/v1/demo.proto", "syntax = \"proto3\";\n\npackage demo.v1;\n\nmessage Thing {\n  string name = 1;\n  string kind = 2;\n}\n")
	r.Commit("api")
	r.Git("tag", "-a", "-m", "api", "api/v0.1.0")

	m, err := release.LoadManifest(filepath.Join(r.Root, "release.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	r.Write("api/proto/demo/v1/demo.proto", "syntax = \"proto3\";\n\npackage demo.v1;\n\n// Thing gained a comment.\nmessage Thing {\n  string name = 1;\n  string kind = 2;\n}\n")
	p, err := release.MakePlan(r.Root, m, release.PlanOptions{Buf: buf})
	if err != nil {
		t.Fatal(err)
	}
	check(t, p, map[string]want{"api": {required: release.BumpPatch, minimum: "v0.1.1"}})

	r.Write("api/proto/demo/v1/demo.proto", "syntax = \"proto3\";\n\npackage demo.v1;\n\nmessage Thing {\n  string name = 1;\n  reserved 2;\n}\n")
	if p, err = release.MakePlan(r.Root, m, release.PlanOptions{Buf: buf}); err != nil {
		t.Fatal(err)
	}
	check(t, p, map[string]want{"api": {required: release.BumpMinor, minimum: "v0.2.0", breaking: `"kind"`}})
}
