package release

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

// Problem is one inconsistency Verify found: where it is, what is wrong and,
// when there is one, the command or edit that fixes it.
type Problem struct {
	// Where names the file (and module) the problem is in.
	Where string `json:"where"`
	// Message says what is wrong.
	Message string `json:"message"`
	// Fix says how to fix it; empty when the fix is not mechanical.
	Fix string `json:"fix,omitempty"`
}

// String formats the problem on one line, its fix on a second.
func (p Problem) String() string {
	s := p.Where + ": " + p.Message
	if p.Fix != "" {
		s += "\n    fix: " + p.Fix
	}
	return s
}

// Verify checks the manifest against the repository at root: every Go module
// is listed once, versions are valid, the declared dependencies are exactly
// the go.mod's intra-repository requires, each at the dependency's version
// and replaced by its folder, every package imports only modules (and
// packages) its module's entry allows, every image has a Dockerfile, go.work
// uses every module, and the dependencies have no cycle. It returns the
// problems found; an error means the check itself could not run.
func Verify(root string, m *Manifest) ([]Problem, error) {
	v := &verifier{root: root, m: m}
	v.manifest()
	if err := v.listed(); err != nil {
		return nil, err
	}
	for i := range m.Modules {
		v.gomod(&m.Modules[i])
		v.recipes(&m.Modules[i])
	}
	if err := v.imports(); err != nil {
		return nil, err
	}
	v.gowork()
	if _, err := m.Ordered(); errors.Is(err, errCycle) {
		v.add(ManifestFile, err.Error(), "break the cycle: a module cannot depend on itself, directly or through others")
	}
	return v.problems, nil
}

type verifier struct {
	root     string
	m        *Manifest
	problems []Problem
}

func (v *verifier) add(where, msg, fix string) {
	v.problems = append(v.problems, Problem{Where: where, Message: msg, Fix: fix})
}

// manifest checks release.yaml on its own.
func (v *verifier) manifest() {
	m := v.m
	if m.Repository == "" {
		v.add(ManifestFile, "repository is empty", "set repository to the import-path prefix of the modules, e.g. github.com/opi-suite/opi")
	}
	folders := map[string]bool{}
	paths := map[string]bool{}
	apis := []string{}
	for _, mod := range m.Modules {
		where := fmt.Sprintf("%s: module %q", ManifestFile, mod.Folder)
		switch {
		case mod.Folder == "":
			v.add(ManifestFile, fmt.Sprintf("a module (path %q) has no folder", mod.Path), "set folder to the module's directory relative to the repository root")
			continue
		case !filepath.IsLocal(mod.Folder) || path.Clean(mod.Folder) != mod.Folder:
			v.add(where, "folder must be a clean relative path inside the repository", "")
		}
		if folders[mod.Folder] {
			v.add(where, "is listed more than once", "keep one entry per folder")
		}
		folders[mod.Folder] = true
		if paths[mod.Path] {
			v.add(where, fmt.Sprintf("module path %s is listed more than once", mod.Path), "")
		}
		paths[mod.Path] = true
		v.version(where, mod)
		if mod.API {
			apis = append(apis, mod.Folder)
		}
		v.depends(where, mod)
		v.packages(where, mod)
		for _, img := range mod.AllImages() {
			if img == "" || strings.ContainsAny(img, ":@ ") || strings.ToLower(img) != img {
				v.add(where, fmt.Sprintf("image %q must be a lower-case repository name without tag or digest", img), "")
			}
		}
		for _, img := range mod.Images {
			if !filepath.IsLocal(img.Dockerfile) || path.Clean(img.Dockerfile) != img.Dockerfile {
				v.add(where, fmt.Sprintf("image %s: dockerfile %q must be a clean relative path inside the module's folder", img.Name, img.Dockerfile),
					"name the Dockerfile that builds it, e.g. dockerfile: Dockerfile.daemon")
			}
		}
	}
	if len(apis) > 1 {
		v.add(ManifestFile, fmt.Sprintf("%d modules are marked api (%s); at most one may be", len(apis), strings.Join(apis, ", ")), "")
	}
}

// version checks the module's version and that its path carries the major
// version suffix Go requires from v2 on.
func (v *verifier) version(where string, mod Module) {
	if !semver.IsValid(mod.Version) || semver.Canonical(mod.Version) != mod.Version {
		v.add(where, fmt.Sprintf("version %q is not a full semantic version", mod.Version), "write it as vMAJOR.MINOR.PATCH, e.g. v0.1.0")
		return
	}
	if v.m.Repository == "" {
		return
	}
	base := v.m.Repository + "/" + mod.Folder
	want := base
	if major := semver.Major(mod.Version); major != "v0" && major != "v1" {
		want = base + "/" + major
	}
	if mod.Path != want {
		v.add(where, fmt.Sprintf("path is %q, but a module in folder %s at %s must have path %q", mod.Path, mod.Folder, mod.Version, want),
			fmt.Sprintf("set path to %s here and in %s/go.mod (and in every import of it)", want, mod.Folder))
	}
	if err := module.Check(mod.Path, mod.Version); err != nil && mod.Path == want {
		v.add(where, err.Error(), "")
	}
}

// depends checks the declared dependencies name listed modules.
func (v *verifier) depends(where string, mod Module) {
	seen := map[string]bool{}
	for _, dep := range mod.Depends {
		d := v.m.Module(dep)
		switch {
		case seen[dep]:
			v.add(where, fmt.Sprintf("depends lists %s twice", dep), "")
		case dep == mod.Folder:
			v.add(where, "depends on itself", "remove it from depends")
		case d == nil:
			v.add(where, fmt.Sprintf("depends on %s, which release.yaml does not list", dep), "list it as a module or remove it from depends")
		case d.Internal && !mod.Internal:
			v.add(where, fmt.Sprintf("depends on %s, which is internal and never tagged", dep), "remove the dependency, or stop marking it internal")
		}
		seen[dep] = true
	}
}

// packages checks the per-dependency package allowlists: each names a
// listed module other than this one and lists import paths of that module.
// An entry for a module that is not (yet) in depends is kept: it restricts
// the dependency from the moment it is added.
func (v *verifier) packages(where string, mod Module) {
	for _, dep := range slices.Sorted(maps.Keys(mod.Packages)) {
		d := v.m.Module(dep)
		switch {
		case dep == mod.Folder:
			v.add(where, "packages restricts the module itself", "remove that entry from packages")
			continue
		case d == nil:
			v.add(where, fmt.Sprintf("packages restricts %s, which release.yaml does not list", dep), "name a listed module's folder, or remove the entry")
			continue
		case len(mod.Packages[dep]) == 0:
			v.add(where, fmt.Sprintf("packages lists no package of %s", dep), fmt.Sprintf("list the packages of %s that %s may import, or remove %s from depends", dep, mod.Folder, dep))
		}
		for _, pkg := range mod.Packages[dep] {
			base := strings.TrimSuffix(pkg, "/...")
			if base != d.Path && !strings.HasPrefix(base, d.Path+"/") {
				v.add(where, fmt.Sprintf("packages of %s lists %q, which is not a package of %s", dep, pkg, d.Path),
					fmt.Sprintf("write full import paths under %s (a trailing /... takes the packages below too)", d.Path))
			}
		}
	}
}

// recipes checks every image the module ships has a Dockerfile to build it
// (scripts/images.sh builds each image from it).
func (v *verifier) recipes(mod *Module) {
	for _, b := range mod.ImageBuilds() {
		if fi, err := os.Stat(filepath.Join(v.root, filepath.FromSlash(b.Dockerfile))); err == nil && fi.Mode().IsRegular() {
			continue
		}
		v.add(fmt.Sprintf("%s: module %q", ManifestFile, mod.Folder), fmt.Sprintf("image %s has no build recipe: %s does not exist", b.Name, b.Dockerfile),
			fmt.Sprintf("write %s, or remove the image from release.yaml until something builds it", b.Dockerfile))
	}
}

// listed checks every go.mod under root is listed and every listed folder
// has one.
func (v *verifier) listed() error {
	found := map[string]bool{}
	err := filepath.WalkDir(v.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if p != v.root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") ||
				name == "testdata" || name == "vendor" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Name() == "go.mod" {
			rel, err := filepath.Rel(v.root, filepath.Dir(p))
			if err != nil {
				return err
			}
			found[filepath.ToSlash(rel)] = true
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("looking for go.mod files: %w", err)
	}
	for _, folder := range slices.Sorted(maps.Keys(found)) {
		if v.m.Module(folder) == nil {
			v.add(path.Join(folder, "go.mod"), "this module is not listed in release.yaml",
				fmt.Sprintf("add an entry with folder: %s (mark it internal: true if it is never released)", folder))
		}
	}
	for _, mod := range v.m.Modules {
		if mod.Folder != "" && !found[mod.Folder] {
			v.add(fmt.Sprintf("%s: module %q", ManifestFile, mod.Folder), fmt.Sprintf("%s/go.mod does not exist", mod.Folder),
				"remove the entry or fix its folder")
		}
	}
	return nil
}

// gomod checks one module's go.mod against its manifest entry.
func (v *verifier) gomod(mod *Module) {
	where := path.Join(mod.Folder, "go.mod")
	data, err := os.ReadFile(filepath.Join(mod.Dir(v.root), "go.mod"))
	if err != nil {
		return // listed reported it
	}
	f, err := modfile.Parse(where, data, nil)
	if err != nil {
		v.add(where, err.Error(), "")
		return
	}
	if f.Module == nil || f.Module.Mod.Path != mod.Path {
		got := ""
		if f.Module != nil {
			got = f.Module.Mod.Path
		}
		v.add(where, fmt.Sprintf("module path is %q, release.yaml says %q", got, mod.Path), "make release.yaml's path and the go.mod's module line agree")
	}
	required := map[string]bool{}
	for _, req := range f.Require {
		dep := v.m.ModuleByPath(req.Mod.Path)
		if dep == nil {
			if v.m.Repository != "" && strings.HasPrefix(req.Mod.Path, v.m.Repository+"/") {
				v.add(where, fmt.Sprintf("requires %s, an in-repository path release.yaml does not list", req.Mod.Path), "list the module in release.yaml or drop the require")
			}
			continue
		}
		required[dep.Folder] = true
		if !slices.Contains(mod.Depends, dep.Folder) {
			v.add(where, fmt.Sprintf("requires %s, but release.yaml does not list %s in %s's depends", req.Mod.Path, dep.Folder, mod.Folder),
				fmt.Sprintf("add %s to depends of %s in release.yaml", dep.Folder, mod.Folder))
		}
		if req.Mod.Version != dep.Version {
			v.add(where, fmt.Sprintf("requires %s %s, but release.yaml has %s at %s", req.Mod.Path, req.Mod.Version, dep.Folder, dep.Version),
				fmt.Sprintf("cd %s && go mod edit -require=%s@%s", mod.Folder, req.Mod.Path, dep.Version))
		}
		v.replace(where, f, mod, dep)
	}
	for _, name := range mod.Depends {
		if dep := v.m.Module(name); dep != nil && !required[name] {
			v.add(where, fmt.Sprintf("release.yaml says %s depends on %s, but go.mod does not require %s", mod.Folder, name, dep.Path),
				fmt.Sprintf("remove %s from depends, or cd %s && go mod edit -require=%s@%s -replace=%s=%s", name, mod.Folder, dep.Path, dep.Version, dep.Path, relFolder(mod, dep)))
		}
	}
	for _, rep := range f.Replace {
		if dep := v.m.ModuleByPath(rep.Old.Path); dep != nil && !required[dep.Folder] {
			v.add(where, fmt.Sprintf("replaces %s but does not require it", rep.Old.Path), fmt.Sprintf("cd %s && go mod edit -dropreplace=%s", mod.Folder, rep.Old.Path))
		}
	}
}

// replace checks the go.mod replaces dep by its folder.
func (v *verifier) replace(where string, f *modfile.File, mod, dep *Module) {
	want := relFolder(mod, dep)
	fix := fmt.Sprintf("cd %s && go mod edit -replace=%s=%s", mod.Folder, dep.Path, want)
	for _, rep := range f.Replace {
		if rep.Old.Path != dep.Path {
			continue
		}
		if rep.New.Version != "" || path.Clean(rep.New.Path) != path.Clean(want) {
			v.add(where, fmt.Sprintf("replaces %s by %s, not by its folder %s", dep.Path, strings.TrimSpace(rep.New.Path+" "+rep.New.Version), want), fix)
		}
		return
	}
	v.add(where, fmt.Sprintf("requires %s without replacing it by its folder %s", dep.Path, want), fix)
}

// relFolder is the replacement path from mod's directory to dep's, e.g.
// ../opi-api.
func relFolder(mod, dep *Module) string {
	rel, err := filepath.Rel(filepath.FromSlash(mod.Folder), filepath.FromSlash(dep.Folder))
	if err != nil {
		return "../" + dep.Folder
	}
	return filepath.ToSlash(rel)
}

// gowork checks go.work uses every listed module and nothing unlisted.
func (v *verifier) gowork() {
	data, err := os.ReadFile(filepath.Join(v.root, "go.work"))
	if err != nil {
		v.add("go.work", "cannot read go.work: "+err.Error(), "create it with: go work init && go work use "+strings.Join(v.folders("./"), " "))
		return
	}
	f, err := modfile.ParseWork("go.work", data, nil)
	if err != nil {
		v.add("go.work", err.Error(), "")
		return
	}
	used := map[string]bool{}
	for _, u := range f.Use {
		folder := path.Clean(filepath.ToSlash(u.Path))
		used[folder] = true
		if v.m.Module(folder) == nil {
			v.add("go.work", fmt.Sprintf("uses %s, which release.yaml does not list", u.Path), "list it in release.yaml or run: go work edit -dropuse="+u.Path)
		}
	}
	for _, mod := range v.m.Modules {
		if mod.Folder != "" && !used[mod.Folder] {
			v.add("go.work", fmt.Sprintf("does not use %s", mod.Folder), "go work use ./"+mod.Folder)
		}
	}
}

func (v *verifier) folders(prefix string) []string {
	var list []string
	for _, mod := range v.m.Modules {
		list = append(list, prefix+mod.Folder)
	}
	return list
}
