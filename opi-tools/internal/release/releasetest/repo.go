// Package releasetest builds small multi-module git repositories for the
// release tool's tests: a go.work, a release.yaml and a few tiny modules.
package releasetest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// Repository is the import-path prefix of the test modules.
const Repository = "example.com/repo"

// Module describes one module of a test repository.
type Module struct {
	// Folder is the module's folder and the last element of its path.
	Folder string
	// Version is its release.yaml version.
	Version string
	// Depends lists the folders it requires, at their release.yaml versions.
	Depends []string
	// Packages is its release.yaml packages: per dependency folder, the
	// only packages of it the module may import.
	Packages map[string][]string
	// Image is its release.yaml image; Images its further images. Each is
	// given a Dockerfile: <folder>/Dockerfile for Image, and for a further
	// image <folder>/Dockerfile.<last element of its name>.
	Image  string
	Images []string
	// API and Internal are its release.yaml flags.
	API, Internal bool
	// Source is the module's Go file <folder>.go; empty writes a package
	// with one exported function.
	Source string
}

// Repo is a git repository in a temporary directory.
type Repo struct {
	t *testing.T
	// Root is the repository's root directory.
	Root string
}

// New creates an empty git repository.
func New(t *testing.T) *Repo {
	t.Helper()
	r := &Repo{t: t, Root: t.TempDir()}
	r.Git("init", "--quiet", "--initial-branch=main")
	r.Git("config", "user.name", "Release Test")
	r.Git("config", "user.email", "release-test@example.com")
	r.Git("config", "commit.gpgsign", "false")
	r.Git("config", "tag.gpgsign", "false")
	return r
}

// Git runs git in the repository and returns its trimmed output; a failure
// fails the test.
func (r *Repo) Git(args ...string) string {
	r.t.Helper()
	cmd := exec.Command("git", append([]string{"-C", r.Root}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// Write writes a file under the root, creating its directory.
func (r *Repo) Write(path, content string) {
	r.t.Helper()
	WriteFile(r.t, r.Root, path, content)
}

// Remove removes a file under the root.
func (r *Repo) Remove(path string) {
	r.t.Helper()
	if err := os.Remove(filepath.Join(r.Root, filepath.FromSlash(path))); err != nil {
		r.t.Fatal(err)
	}
}

// Commit stages everything and commits it.
func (r *Repo) Commit(msg string) {
	r.t.Helper()
	r.Git("add", "-A")
	r.Git("commit", "--quiet", "--allow-empty", "-m", msg)
}

// Tags lists the repository's tags, sorted.
func (r *Repo) Tags() []string {
	r.t.Helper()
	out := r.Git("tag", "--list")
	if out == "" {
		return nil
	}
	tags := strings.Split(out, "\n")
	sort.Strings(tags)
	return tags
}

// WriteModules writes the modules, their release.yaml and a go.work using
// them all into dir (which need not be a repository).
func WriteModules(t *testing.T, dir string, mods []Module) {
	t.Helper()
	versions := map[string]string{}
	for _, m := range mods {
		versions[m.Folder] = m.Version
	}
	var manifest, work strings.Builder
	fmt.Fprintf(&manifest, "repository: %s\nmodules:\n", Repository)
	work.WriteString("go 1.26\n\nuse (\n")
	for _, m := range mods {
		fmt.Fprintf(&manifest, "  - folder: %s\n    path: %s/%s\n    version: %s\n", m.Folder, Repository, m.Folder, m.Version)
		if len(m.Depends) > 0 {
			fmt.Fprintf(&manifest, "    depends: [%s]\n", strings.Join(m.Depends, ", "))
		}
		if len(m.Packages) > 0 {
			manifest.WriteString("    packages:\n")
			deps := make([]string, 0, len(m.Packages))
			for dep := range m.Packages {
				deps = append(deps, dep)
			}
			sort.Strings(deps)
			for _, dep := range deps {
				fmt.Fprintf(&manifest, "      %s: [%s]\n", dep, strings.Join(m.Packages[dep], ", "))
			}
		}
		if m.Image != "" {
			fmt.Fprintf(&manifest, "    image: %s\n", m.Image)
			WriteFile(t, dir, m.Folder+"/Dockerfile", "FROM scratch\n")
		}
		if len(m.Images) > 0 {
			manifest.WriteString("    images:\n")
			for _, img := range m.Images {
				file := "Dockerfile." + img[strings.LastIndex(img, "/")+1:]
				fmt.Fprintf(&manifest, "      - name: %s\n        dockerfile: %s\n", img, file)
				WriteFile(t, dir, m.Folder+"/"+file, "FROM scratch\n")
			}
		}
		if m.API {
			manifest.WriteString("    api: true\n")
		}
		if m.Internal {
			manifest.WriteString("    internal: true\n")
		}
		fmt.Fprintf(&work, "\t./%s\n", m.Folder)
		WriteFile(t, dir, m.Folder+"/go.mod", GoMod(m, versions))
		src := m.Source
		if src == "" {
			src = fmt.Sprintf("// Package %s is a test module.\npackage %s\n\n// Hello greets.\nfunc Hello() string { return %q }\n", m.Folder, m.Folder, m.Folder)
		}
		WriteFile(t, dir, m.Folder+"/"+m.Folder+".go", src)
	}
	work.WriteString(")\n")
	WriteFile(t, dir, "release.yaml", manifest.String())
	WriteFile(t, dir, "go.work", work.String())
}

// GoMod returns the go.mod of m: its requires of its dependencies at the
// versions given, each replaced by the dependency's folder.
func GoMod(m Module, versions map[string]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "module %s/%s\n\ngo 1.26\n", Repository, m.Folder)
	for _, d := range m.Depends {
		fmt.Fprintf(&b, "\nrequire %s/%s %s\n\nreplace %s/%s => ../%s\n", Repository, d, versions[d], Repository, d, d)
	}
	return b.String()
}

// WriteFile writes content to dir/path, creating the directory.
func WriteFile(t *testing.T, dir, path, content string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(path))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
