package main

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/opi-suite/opi/opi-tools/internal/release/releasetest"
)

func testModules() []releasetest.Module {
	return []releasetest.Module{
		{Folder: "kit", Version: "v0.1.0"},
		{Folder: "svc", Version: "v0.1.0", Depends: []string{"kit"}, Image: "example.com/svc"},
	}
}

// runIn runs opi-release with --root and returns its exit status and output.
func runIn(root string, args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := run(append([]string{"--root", root}, args...), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestCommands(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		prepare  func(t *testing.T, r *releasetest.Repo)
		code     int
		stdout   []string // substrings, in order
		stderr   string
		wantTags []string // the repository's tags afterwards
	}{
		{
			name:   "verify passes on a consistent repository",
			args:   []string{"verify"},
			stdout: []string{"verify: 2 modules OK"},
		},
		{
			name: "verify fails with the problem and its fix",
			args: []string{"verify"},
			prepare: func(t *testing.T, r *releasetest.Repo) {
				r.Write("svc/go.mod", "module example.com/repo/svc\n\ngo 1.26\n\nrequire example.com/repo/kit v0.0.1\n\nreplace example.com/repo/kit => ../kit\n")
			},
			code:   1,
			stdout: []string{"svc/go.mod: requires example.com/repo/kit v0.0.1, but release.yaml has kit at v0.1.0", "fix: cd svc && go mod edit -require=example.com/repo/kit@v0.1.0"},
			stderr: "verify: 1 problems",
		},
		{
			name:   "plan lists the initial tags and images",
			args:   []string{"plan"},
			stdout: []string{"MODULE", "kit", "initial", "release kit/v0.1.0", "Tags to create:\n  kit/v0.1.0\n  svc/v0.1.0", "Images to publish:\n  example.com/svc:v0.1.0"},
		},
		{
			name: "plan fails when a changed module keeps its version",
			args: []string{"plan"},
			prepare: func(t *testing.T, r *releasetest.Repo) {
				r.Git("tag", "-a", "-m", "kit", "kit/v0.1.0")
				r.Git("tag", "-a", "-m", "svc", "svc/v0.1.0")
				r.Write("kit/kit.go", "// Package kit is a test module.\npackage kit\n")
			},
			code:     1,
			stdout:   []string{"kit", "kit/v0.1.0", "1 file", "minor (>= v0.2.0)", "NEEDS ATTENTION", "breaking: ", "Hello: removed", "needs a minor bump since kit/v0.1.0: set version to v0.2.0 or later", "released dependencies: kit", "Tags to create: none"},
			stderr:   "plan: release.yaml does not satisfy the required bumps",
			wantTags: []string{"kit/v0.1.0", "svc/v0.1.0"},
		},
		{
			name:     "tag without --execute prints the tags and creates none",
			args:     []string{"tag"},
			stdout:   []string{"would create tag kit/v0.1.0 at ", "would create tag svc/v0.1.0 at ", "dry run: pass --execute"},
			wantTags: nil,
		},
		{
			name:     "tag --execute creates the tags",
			args:     []string{"tag", "--execute"},
			stdout:   []string{"created tag kit/v0.1.0", "created tag svc/v0.1.0", "git push origin kit/v0.1.0 svc/v0.1.0"},
			wantTags: []string{"kit/v0.1.0", "svc/v0.1.0"},
		},
		{
			name: "tag creates only the versions not tagged yet",
			args: []string{"tag", "--execute"},
			prepare: func(t *testing.T, r *releasetest.Repo) {
				r.Git("tag", "-a", "-m", "kit", "kit/v0.1.0")
			},
			stdout:   []string{"created tag svc/v0.1.0"},
			wantTags: []string{"kit/v0.1.0", "svc/v0.1.0"},
		},
		{
			name: "tag refuses uncommitted changes",
			args: []string{"tag", "--execute"},
			prepare: func(t *testing.T, r *releasetest.Repo) {
				r.Write("kit/new.go", "package kit\n")
			},
			code:   1,
			stderr: "not ready to tag: tags point at HEAD, but these changes are not committed:\n  ?? kit/new.go",
		},
		{
			name: "tag refuses when verify fails",
			args: []string{"tag"},
			prepare: func(t *testing.T, r *releasetest.Repo) {
				r.Write("go.work", "go 1.26\n\nuse ./kit\n")
				r.Commit("drop svc from go.work")
			},
			code:   1,
			stderr: "not ready to tag: release.yaml does not verify (1 problems)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := releasetest.New(t)
			releasetest.WriteModules(t, r.Root, testModules())
			r.Commit("initial")
			if tt.prepare != nil {
				tt.prepare(t, r)
			}
			code, stdout, stderr := runIn(r.Root, tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, stdout, stderr)
			}
			rest := stdout
			for _, w := range tt.stdout {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("stdout lacks %q (in order):\n%s", w, stdout)
				}
				rest = rest[i+len(w):]
			}
			if !strings.Contains(stderr, tt.stderr) {
				t.Fatalf("stderr lacks %q:\n%s", tt.stderr, stderr)
			}
			if got := r.Tags(); !slices.Equal(got, tt.wantTags) {
				t.Fatalf("tags %v, want %v", got, tt.wantTags)
			}
			for _, tag := range tt.wantTags {
				if kind := r.Git("cat-file", "-t", tag); kind != "tag" {
					t.Errorf("%s is a %s, want an annotated tag", tag, kind)
				}
			}
		})
	}
}

func TestPlanJSON(t *testing.T) {
	r := releasetest.New(t)
	releasetest.WriteModules(t, r.Root, testModules())
	r.Commit("initial")
	code, stdout, stderr := runIn(r.Root, "plan", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var plan struct {
		Modules []struct {
			Folder   string `json:"folder"`
			Required string `json:"required"`
			Tag      string `json:"tag"`
			Image    string `json:"image"`
		} `json:"modules"`
		Tags      []string `json:"tags"`
		Images    []string `json:"images"`
		Satisfied bool     `json:"satisfied"`
	}
	if err := json.Unmarshal([]byte(stdout), &plan); err != nil {
		t.Fatalf("%v:\n%s", err, stdout)
	}
	if !plan.Satisfied || len(plan.Modules) != 2 || plan.Modules[1].Image != "example.com/svc:v0.1.0" ||
		plan.Modules[0].Required != "none" || !slices.Equal(plan.Tags, []string{"kit/v0.1.0", "svc/v0.1.0"}) {
		t.Fatalf("unexpected plan:\n%s", stdout)
	}
}

// TestLists checks the lists the Makefile and scripts/images.sh read:
// release.yaml's modules, dependencies first whatever the order they are
// listed in, and every image tagged with its module's version beside the
// Dockerfile that builds it.
func TestLists(t *testing.T) {
	dir := t.TempDir()
	releasetest.WriteModules(t, dir, []releasetest.Module{
		{Folder: "svc", Version: "v0.2.0", Depends: []string{"kit"}, Image: "example.com/svc", Images: []string{"example.com/svc-daemon"}},
		{Folder: "kit", Version: "v0.1.0"},
		{Folder: "cli", Version: "v0.3.0", Depends: []string{"kit"}, Image: "example.com/cli"},
	})
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "modules lists every folder after its dependencies", args: []string{"modules"}, want: "kit\nsvc\ncli\n"},
		{
			name: "images lists each tagged image with its Dockerfile",
			args: []string{"images"},
			want: "example.com/svc:v0.2.0\tsvc/Dockerfile\nexample.com/svc-daemon:v0.2.0\tsvc/Dockerfile.svc-daemon\nexample.com/cli:v0.3.0\tcli/Dockerfile\n",
		},
		{
			name: "images --json gives the module of each",
			args: []string{"images", "--json"},
			want: `[
  {
    "module": "svc",
    "image": "example.com/svc:v0.2.0",
    "dockerfile": "svc/Dockerfile"
  },
  {
    "module": "svc",
    "image": "example.com/svc-daemon:v0.2.0",
    "dockerfile": "svc/Dockerfile.svc-daemon"
  },
  {
    "module": "cli",
    "image": "example.com/cli:v0.3.0",
    "dockerfile": "cli/Dockerfile"
  }
]
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runIn(dir, tt.args...)
			if code != 0 || stdout != tt.want {
				t.Fatalf("exit %d, stdout:\n%s\nwant:\n%s\nstderr:\n%s", code, stdout, tt.want, stderr)
			}
		})
	}
	t.Run("a manifest that does not parse fails", func(t *testing.T) {
		releasetest.WriteFile(t, dir, "release.yaml", "modules: [\n")
		if code, stdout, _ := runIn(dir, "modules"); code == 0 || stdout != "" {
			t.Fatalf("exit %d, stdout %q: want a failure and no list", code, stdout)
		}
	})
}
