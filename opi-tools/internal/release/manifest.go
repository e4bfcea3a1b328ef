// Package release reads release.yaml, checks it against the repository
// (verify), works out which modules need which version bump (plan) and
// creates the module tags (tag). It is the repository's answer to
// opentelemetry-go's versions.yaml and multimod.
package release

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ManifestFile is the name of the manifest at the repository root.
const ManifestFile = "release.yaml"

// Manifest is the parsed release.yaml: the repository's modules, each listed
// once, with the version its next tag gets.
type Manifest struct {
	// Repository is the import-path prefix every module path starts with,
	// for example github.com/opi-suite/opi. A require of a path under it is
	// an intra-repository dependency.
	Repository string `yaml:"repository"`
	// Modules lists the modules, dependencies before their dependents by
	// convention (the order is not significant).
	Modules []Module `yaml:"modules"`
}

// Module is one Go module of the repository.
type Module struct {
	// Folder is the module's directory relative to the repository root; tags
	// are named <Folder>/vX.Y.Z.
	Folder string `yaml:"folder"`
	// Path is the module path, as in the module's go.mod.
	Path string `yaml:"path"`
	// Version is the version the module's next release is tagged with; when
	// it is already tagged, the module has nothing to release.
	Version string `yaml:"version"`
	// Depends names, by folder, the intra-repository modules the go.mod
	// requires. They are also the only modules of the repository whose
	// packages the module's packages (tests included) may import.
	Depends []string `yaml:"depends,omitempty"`
	// Packages restricts, per dependency folder, which of the dependency's
	// packages the module may import: import paths, each either exact or
	// ending in /... for the package and everything below it. A dependency
	// without an entry may be imported whole.
	Packages map[string][]string `yaml:"packages,omitempty"`
	// Image is the container image the module ships, without a tag; empty
	// when it ships none. It is built from the module's Dockerfile.
	Image string `yaml:"image,omitempty"`
	// Images are further images the module ships beside Image (a backend
	// daemon it is deployed with, say), each with the Dockerfile that builds
	// it; a release publishes each with the module's version.
	Images []Image `yaml:"images,omitempty"`
	// API marks the module whose protos are checked by buf breaking instead
	// of the Go API check. At most one module is the API module.
	API bool `yaml:"api,omitempty"`
	// Internal marks a module that is verified like the others but never
	// tagged and never imported by a released module (the repository's own
	// tooling).
	Internal bool `yaml:"internal,omitempty"`
}

// ModuleDockerfile is the file, in a module's folder, that builds the
// module's Image.
const ModuleDockerfile = "Dockerfile"

// Image is a further image a module ships.
type Image struct {
	// Name is the image repository, without a tag.
	Name string `yaml:"name"`
	// Dockerfile is the file that builds the image, relative to the
	// module's folder (e.g. Dockerfile.strongswan).
	Dockerfile string `yaml:"dockerfile"`
}

// ImageBuild is one image a module ships and the recipe that builds it.
type ImageBuild struct {
	// Name is the image repository, without a tag.
	Name string `json:"name"`
	// Dockerfile is the Dockerfile that builds it, relative to the
	// repository root (the build context is the root).
	Dockerfile string `json:"dockerfile"`
}

// LoadManifest reads and parses the manifest at path. Unknown keys are
// errors, so that a typo does not silently drop a setting.
func LoadManifest(path string) (*Manifest, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &m, nil
}

// Module returns the module in folder, or nil.
func (m *Manifest) Module(folder string) *Module {
	for i := range m.Modules {
		if m.Modules[i].Folder == folder {
			return &m.Modules[i]
		}
	}
	return nil
}

// ModuleByPath returns the module with the module path path, or nil.
func (m *Manifest) ModuleByPath(path string) *Module {
	for i := range m.Modules {
		if m.Modules[i].Path == path {
			return &m.Modules[i]
		}
	}
	return nil
}

// errCycle reports a dependency cycle; Verify reports it as a problem and
// callers that need an order fail with it.
var errCycle = errors.New("dependency cycle")

// Ordered returns the modules with every module after its dependencies,
// keeping the manifest's order where the dependencies allow it. Unknown
// dependencies are ignored (Verify reports them); a cycle is an error naming
// it.
func (m *Manifest) Ordered() ([]*Module, error) {
	const (
		unvisited = iota
		visiting
		done
	)
	state := make(map[string]int, len(m.Modules))
	var out []*Module
	var stack []string
	var visit func(mod *Module) error
	visit = func(mod *Module) error {
		switch state[mod.Folder] {
		case done:
			return nil
		case visiting:
			cycle := append([]string{}, stack[indexOf(stack, mod.Folder):]...)
			cycle = append(cycle, mod.Folder)
			return fmt.Errorf("%w: %s", errCycle, joinArrow(cycle))
		}
		state[mod.Folder] = visiting
		stack = append(stack, mod.Folder)
		for _, dep := range mod.Depends {
			if d := m.Module(dep); d != nil {
				if err := visit(d); err != nil {
					return err
				}
			}
		}
		stack = stack[:len(stack)-1]
		state[mod.Folder] = done
		out = append(out, mod)
		return nil
	}
	for i := range m.Modules {
		if err := visit(&m.Modules[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Dir returns the module's directory under root.
func (mod *Module) Dir(root string) string {
	return filepath.Join(root, filepath.FromSlash(mod.Folder))
}

// TagName returns the module's tag for version: <folder>/<version>.
func (mod *Module) TagName(version string) string {
	return mod.Folder + "/" + version
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

func joinArrow(list []string) string {
	var b bytes.Buffer
	for i, s := range list {
		if i > 0 {
			b.WriteString(" -> ")
		}
		b.WriteString(s)
	}
	return b.String()
}

// AllImages returns Image followed by the names of Images: every image the
// module ships.
func (m *Module) AllImages() []string {
	var all []string
	for _, b := range m.ImageBuilds() {
		all = append(all, b.Name)
	}
	return all
}

// ImageBuilds returns every image the module ships with its Dockerfile:
// Image from <folder>/Dockerfile, then each of Images from its own file.
func (m *Module) ImageBuilds() []ImageBuild {
	var all []ImageBuild
	if m.Image != "" {
		all = append(all, ImageBuild{Name: m.Image, Dockerfile: path.Join(m.Folder, ModuleDockerfile)})
	}
	for _, img := range m.Images {
		all = append(all, ImageBuild{Name: img.Name, Dockerfile: path.Join(m.Folder, img.Dockerfile)})
	}
	return all
}

// MayImport reports whether the module may import the package pkg of its
// dependency dep under Packages: always when Packages has no entry for dep.
func (m *Module) MayImport(dep, pkg string) bool {
	allowed, ok := m.Packages[dep]
	if !ok {
		return true
	}
	for _, a := range allowed {
		if pkg == a {
			return true
		}
		if base, ok := strings.CutSuffix(a, "/..."); ok && (pkg == base || strings.HasPrefix(pkg, base+"/")) {
			return true
		}
	}
	return false
}
