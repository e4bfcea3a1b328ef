package release

import (
	"fmt"
	"os"
	"slices"

	"golang.org/x/mod/semver"
)

// PlanOptions configures Plan.
type PlanOptions struct {
	// Buf is the buf binary for the API module's check; empty looks it up
	// on PATH, then in <root>/.tools/node_modules/.bin.
	Buf string
}

// Plan is what a release of the repository's current state needs, module by
// module, dependencies first.
type Plan struct {
	// Modules holds one entry per manifest module, dependencies first.
	Modules []ModulePlan `json:"modules"`
	// Tags are the tags a release creates now, dependencies first.
	Tags []string `json:"tags"`
	// Images are the image references those releases publish.
	Images []string `json:"images"`
	// Satisfied is true when every module's release.yaml version satisfies
	// its required bump and every check ran.
	Satisfied bool `json:"satisfied"`
}

// ModulePlan is one module's part of the plan.
type ModulePlan struct {
	// Folder is the module's folder.
	Folder string `json:"folder"`
	// Path is the module path.
	Path string `json:"path"`
	// Version is the version release.yaml gives the module.
	Version string `json:"version"`
	// Internal is true for modules that are never tagged.
	Internal bool `json:"internal,omitempty"`
	// LastTag is the module's highest tag, empty before its first release.
	LastTag string `json:"last_tag,omitempty"`
	// Changed lists the files of the module's folder that differ from
	// LastTag.
	Changed []string `json:"changed,omitempty"`
	// Breaking lists the incompatible API changes since LastTag.
	Breaking []string `json:"breaking,omitempty"`
	// Additions is true when the exported Go API grew since LastTag.
	Additions bool `json:"additions,omitempty"`
	// Dependencies lists the dependencies released by this plan, which the
	// module must be released against.
	Dependencies []string `json:"dependencies,omitempty"`
	// Required is the least bump from LastTag; none before the first
	// release.
	Required Bump `json:"required"`
	// Minimum is the least version that satisfies Required.
	Minimum string `json:"minimum,omitempty"`
	// Satisfied is true when Version is at least Minimum.
	Satisfied bool `json:"satisfied"`
	// Problem says why the module is not satisfied.
	Problem string `json:"problem,omitempty"`
	// Tag is the tag a release creates for the module, if any.
	Tag string `json:"tag,omitempty"`
	// Image is the image reference the release publishes, if any.
	Image string `json:"image,omitempty"`
	// MoreImages are the references of the module's further images
	// (release.yaml's images) the release publishes.
	MoreImages []string `json:"more_images,omitempty"`
}

// Releases reports whether the plan releases the module or should: its
// version is untagged, or it changed since its last tag.
func (mp *ModulePlan) Releases() bool {
	return mp.Tag != "" || mp.Required != BumpNone
}

// MakePlan works out, for every module of the manifest, what changed since
// its last tag and which version that requires. Go modules are compared with
// apidiff, the API module with buf breaking. The manifest must verify; a
// module whose check cannot run is reported unsatisfied with the reason.
func MakePlan(root string, m *Manifest, opts PlanOptions) (*Plan, error) {
	order, err := m.Ordered()
	if err != nil {
		return nil, err
	}
	p := &planner{r: repo{root: root}, opts: opts, byFolder: map[string]*ModulePlan{}, snaps: map[string]string{}}
	defer p.cleanup()
	plan := &Plan{Satisfied: true}
	for _, mod := range order {
		mp, err := p.module(mod)
		if err != nil {
			return nil, fmt.Errorf("planning %s: %w", mod.Folder, err)
		}
		plan.Modules = append(plan.Modules, *mp)
		p.byFolder[mod.Folder] = mp
		if mp.Tag != "" {
			plan.Tags = append(plan.Tags, mp.Tag)
		}
		if mp.Image != "" {
			plan.Images = append(plan.Images, mp.Image)
		}
		plan.Images = append(plan.Images, mp.MoreImages...)
		plan.Satisfied = plan.Satisfied && mp.Satisfied
	}
	return plan, nil
}

type planner struct {
	r        repo
	opts     PlanOptions
	byFolder map[string]*ModulePlan
	snaps    map[string]string // commit -> snapshot directory
}

func (p *planner) cleanup() {
	for _, dir := range p.snaps {
		os.RemoveAll(dir)
	}
}

func (p *planner) module(mod *Module) (*ModulePlan, error) {
	mp := &ModulePlan{Folder: mod.Folder, Path: mod.Path, Version: mod.Version, Internal: mod.Internal, Satisfied: true}
	if mod.Internal {
		return mp, nil
	}
	versions, err := p.r.versions(mod.Folder)
	if err != nil {
		return nil, err
	}
	semver.Sort(versions)
	tagged := slices.Contains(versions, mod.Version)
	if !tagged {
		mp.Tag = mod.TagName(mod.Version)
		if mod.Image != "" {
			mp.Image = mod.Image + ":" + mod.Version
		}
		for _, img := range mod.Images {
			mp.MoreImages = append(mp.MoreImages, img.Name+":"+mod.Version)
		}
	}
	if len(versions) == 0 {
		mp.Minimum = mod.Version // the initial release: any valid version
		return mp, nil
	}
	last := versions[len(versions)-1]
	mp.LastTag = mod.TagName(last)
	if mp.Changed, err = p.r.changedFiles(mp.LastTag, mod.Folder); err != nil {
		return nil, err
	}
	for _, dep := range mod.Depends {
		if d := p.byFolder[dep]; d != nil && d.Releases() {
			mp.Dependencies = append(mp.Dependencies, dep)
		}
	}
	if len(mp.Changed) > 0 {
		rep, err := p.compatibility(mod, mp.LastTag)
		if err != nil {
			mp.Satisfied, mp.Problem = false, "cannot check compatibility: "+err.Error()
		}
		mp.Breaking, mp.Additions = rep.Breaking, rep.Additions
	}
	changed := len(mp.Changed) > 0 || len(mp.Dependencies) > 0
	// The API module's check (buf) reports breaks only, so any other change
	// to it from v1 on counts as an addition.
	additions := mp.Additions || (mod.API && len(mp.Changed) > 0)
	mp.Required = requiredBump(last, changed, len(mp.Breaking) > 0, additions)
	if mp.Minimum, err = next(last, mp.Required); err != nil {
		return nil, err
	}
	switch {
	case !mp.Satisfied:
	case semver.Compare(mod.Version, last) < 0:
		mp.Satisfied, mp.Problem = false, fmt.Sprintf("release.yaml's %s is behind the last tag %s", mod.Version, mp.LastTag)
	case semver.Compare(mod.Version, mp.Minimum) < 0:
		mp.Satisfied, mp.Problem = false, fmt.Sprintf("needs a %s bump since %s: set version to %s or later", mp.Required, mp.LastTag, mp.Minimum)
		if semver.Major(mp.Minimum) != semver.Major(last) && semver.Major(mp.Minimum) != "v1" {
			mp.Problem += fmt.Sprintf(" (and the module path to %s/%s)", p.basePath(mod), semver.Major(mp.Minimum))
		}
	}
	if !mp.Satisfied {
		mp.Tag, mp.Image, mp.MoreImages = "", "", nil
	}
	return mp, nil
}

// basePath is the module path without a major version suffix.
func (p *planner) basePath(mod *Module) string {
	major := "/" + semver.Major(mod.Version)
	if len(mod.Path) > len(major) && mod.Path[len(mod.Path)-len(major):] == major {
		return mod.Path[:len(mod.Path)-len(major)]
	}
	return mod.Path
}

// compatibility runs the module's API check against tag.
func (p *planner) compatibility(mod *Module, tag string) (apiReport, error) {
	if mod.API {
		buf := p.opts.Buf
		if buf == "" {
			var err error
			if buf, err = findBuf(p.r.root); err != nil {
				return apiReport{}, err
			}
		}
		return bufBreaking(buf, p.r, mod.Folder, tag)
	}
	snap, err := p.snapshot(tag)
	if err != nil {
		return apiReport{}, err
	}
	return goAPIChanges(snap, p.r.root, mod.Folder)
}

// snapshot returns a directory holding the tree of tag, shared by tags of
// the same commit.
func (p *planner) snapshot(tag string) (string, error) {
	commit, err := p.r.commit(tag)
	if err != nil {
		return "", err
	}
	if dir, ok := p.snaps[commit]; ok {
		return dir, nil
	}
	dir, err := p.r.snapshot(commit)
	if err != nil {
		return "", err
	}
	p.snaps[commit] = dir
	if err := copyWorkSum(p.r.root, dir); err != nil {
		return "", err
	}
	return dir, nil
}
