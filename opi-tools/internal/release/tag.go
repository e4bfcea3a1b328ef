package release

import (
	"errors"
	"fmt"
	"strings"
)

// TagOptions configures Tag.
type TagOptions struct {
	// Execute creates the tags; without it Tag only says what it would do.
	Execute bool
	// Plan is passed to MakePlan.
	Plan PlanOptions
}

// TagResult is what Tag did or would do.
type TagResult struct {
	// Commit is the commit the tags point at (HEAD).
	Commit string `json:"commit"`
	// Tags lists the annotated tags, dependencies first.
	Tags []string `json:"tags"`
	// Created is true when the tags were created, false on a dry run.
	Created bool `json:"created"`
}

// ErrNotReady is returned, wrapped with the reasons, when the repository is
// not in a state to tag: verify fails, the plan is not satisfied, or the
// module folders have uncommitted changes.
var ErrNotReady = errors.New("not ready to tag")

// Tag creates an annotated tag <folder>/<version> at HEAD for every released
// module whose release.yaml version is not tagged yet, once verify passes,
// the plan is satisfied and the modules and release.yaml are committed. It
// never pushes.
func Tag(root string, m *Manifest, opts TagOptions) (*TagResult, error) {
	problems, err := Verify(root, m)
	if err != nil {
		return nil, err
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%w: release.yaml does not verify (%d problems): run verify", ErrNotReady, len(problems))
	}
	r := repo{root: root}
	paths := []string{ManifestFile}
	for _, mod := range m.Modules {
		paths = append(paths, mod.Folder)
	}
	dirty, err := r.dirty(paths...)
	if err != nil {
		return nil, err
	}
	if len(dirty) > 0 {
		return nil, fmt.Errorf("%w: tags point at HEAD, but these changes are not committed:\n  %s", ErrNotReady, strings.Join(dirty, "\n  "))
	}
	plan, err := MakePlan(root, m, opts.Plan)
	if err != nil {
		return nil, err
	}
	if !plan.Satisfied {
		var why []string
		for _, mp := range plan.Modules {
			if !mp.Satisfied {
				why = append(why, mp.Folder+": "+mp.Problem)
			}
		}
		return nil, fmt.Errorf("%w: the plan is not satisfied:\n  %s", ErrNotReady, strings.Join(why, "\n  "))
	}
	commit, err := r.commit("HEAD")
	if err != nil {
		return nil, err
	}
	res := &TagResult{Commit: commit, Tags: plan.Tags}
	if !opts.Execute {
		return res, nil
	}
	for _, mp := range plan.Modules {
		if mp.Tag == "" {
			continue
		}
		msg := fmt.Sprintf("%s %s", mp.Path, mp.Version)
		if _, err := r.git("tag", "--annotate", "--message", msg, mp.Tag, commit); err != nil {
			return res, fmt.Errorf("creating %s: %w", mp.Tag, err)
		}
	}
	res.Created = true
	return res, nil
}
