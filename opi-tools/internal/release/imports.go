package release

import (
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// imports checks the package import graph against the manifest (etcd's
// forbidden-dependency check, as part of verify): a package of a module may
// import packages of its own module, of modules outside the repository, and
// of the repository's modules its entry lists in depends, restricted to the
// packages its packages entry lists for that dependency. Test files count
// like the others.
//
// The graph is read from the source files rather than from `go list`: every
// .go file is parsed for its imports whatever its build constraints, so a
// file built only on another OS or with a tag cannot hide an import.
func (v *verifier) imports() error {
	for i := range v.m.Modules {
		mod := &v.m.Modules[i]
		if mod.Folder == "" {
			continue
		}
		if err := v.moduleImports(mod); err != nil {
			return err
		}
	}
	return nil
}

// moduleImports checks the imports of every Go file of mod: the files under
// its folder, less testdata, vendor, hidden and _ directories and nested
// modules.
func (v *verifier) moduleImports(mod *Module) error {
	dir := mod.Dir(v.root)
	if _, err := os.Stat(dir); err != nil {
		return nil // listed reported it
	}
	fset := token.NewFileSet()
	seen := map[[2]string]bool{} // importing package, imported path
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p == dir {
				return nil
			}
			name := d.Name()
			if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "vendor" || name == "node_modules" {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil {
				return filepath.SkipDir // another module
			}
			return nil
		}
		if !strings.HasSuffix(d.Name(), ".go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, parser.ImportsOnly)
		if err != nil {
			rel, _ := filepath.Rel(v.root, p)
			v.add(filepath.ToSlash(rel), "cannot read its imports: "+err.Error(), "")
			return nil
		}
		relDir, err := filepath.Rel(dir, filepath.Dir(p))
		if err != nil {
			return err
		}
		pkg := mod.Path
		if relDir != "." {
			pkg = path.Join(mod.Path, filepath.ToSlash(relDir))
		}
		if strings.HasSuffix(d.Name(), "_test.go") {
			if strings.HasSuffix(f.Name.Name, "_test") {
				pkg += "_test"
			}
			pkg += " (test)"
		}
		for _, spec := range f.Imports {
			imported, err := strconv.Unquote(spec.Path.Value)
			if err != nil {
				continue // the parser accepted it, so it cannot happen
			}
			key := [2]string{pkg, imported}
			if seen[key] {
				continue
			}
			if msg, fix := v.importRule(mod, imported); msg != "" {
				seen[key] = true
				pos := fset.Position(spec.Pos())
				rel, _ := filepath.Rel(v.root, pos.Filename)
				v.add(fmt.Sprintf("%s:%d", filepath.ToSlash(rel), pos.Line),
					fmt.Sprintf("package %s imports %s, but %s", pkg, imported, msg), fix)
			}
		}
		return nil
	})
}

// importRule returns, when mod may not import the package imported, the rule
// that forbids it and how to resolve it; empty strings when it may.
func (v *verifier) importRule(mod *Module, imported string) (rule, fix string) {
	owner := v.owner(imported)
	if owner == nil || owner == mod {
		return "", ""
	}
	if !slices.Contains(mod.Depends, owner.Folder) {
		allowed := "none of the repository's modules (release.yaml lists no depends)"
		if len(mod.Depends) > 0 {
			allowed = "only " + strings.Join(mod.Depends, ", ") + " (its depends in release.yaml)"
		}
		return fmt.Sprintf("%s may import %s", mod.Folder, allowed),
			fmt.Sprintf("remove the import; if %s may use %s (no bridge imports another bridge, nothing imports an internal module), add %s to its depends in release.yaml and require it in %s/go.mod", mod.Folder, owner.Folder, owner.Folder, mod.Folder)
	}
	if !mod.MayImport(owner.Folder, imported) {
		return fmt.Sprintf("%s may import only %s of %s (its packages in release.yaml)", mod.Folder, strings.Join(mod.Packages[owner.Folder], ", "), owner.Folder),
			fmt.Sprintf("import only those packages, or add %s to packages.%s of %s in release.yaml", imported, owner.Folder, mod.Folder)
	}
	return "", ""
}

// owner returns the listed module whose path is the longest prefix of the
// import path pkg, or nil when no listed module holds it.
func (v *verifier) owner(pkg string) *Module {
	var best *Module
	for i := range v.m.Modules {
		mod := &v.m.Modules[i]
		if mod.Path == "" || (pkg != mod.Path && !strings.HasPrefix(pkg, mod.Path+"/")) {
			continue
		}
		if best == nil || len(mod.Path) > len(best.Path) {
			best = mod
		}
	}
	return best
}
