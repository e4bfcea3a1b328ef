package release

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"golang.org/x/exp/apidiff"
	"golang.org/x/tools/go/packages"
)

// apiReport is what a compatibility check found: the breaking changes, and
// whether anything was added.
type apiReport struct {
	Breaking  []string
	Additions bool
}

// goAPIChanges compares the exported Go API of the module in folder between
// the tree at oldRoot (a snapshot of the last tag) and newRoot (the working
// tree) with apidiff. Internal and main packages are not API.
func goAPIChanges(oldRoot, newRoot, folder string) (apiReport, error) {
	oldMod, err := loadModule(oldRoot, folder)
	if err != nil {
		return apiReport{}, fmt.Errorf("loading %s at the tag: %w", folder, err)
	}
	newMod, err := loadModule(newRoot, folder)
	if err != nil {
		return apiReport{}, fmt.Errorf("loading %s in the working tree: %w", folder, err)
	}
	var rep apiReport
	for _, c := range apidiff.ModuleChanges(oldMod, newMod).Changes {
		if c.Compatible {
			rep.Additions = true
		} else {
			rep.Breaking = append(rep.Breaking, c.Message)
		}
	}
	return rep, nil
}

// loadModule type-checks the importable packages of the module in folder
// under root, the way the tree builds: with root's go.work when it has one.
func loadModule(root, folder string) (*apidiff.Module, error) {
	cfg := &packages.Config{
		Mode: packages.NeedName | packages.NeedTypes | packages.NeedModule,
		Dir:  filepath.Join(root, filepath.FromSlash(folder)),
		Env:  goEnv(root),
	}
	pkgs, err := packages.Load(cfg, "./...")
	if err != nil {
		return nil, err
	}
	mod := &apidiff.Module{}
	var errs []error
	for _, p := range pkgs {
		for _, e := range p.Errors {
			errs = append(errs, e)
		}
		if p.Module != nil && mod.Path == "" {
			mod.Path = p.Module.Path
		}
		if p.Name == "main" || isInternal(p.PkgPath) || p.Types == nil {
			continue
		}
		mod.Packages = append(mod.Packages, p.Types)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return mod, nil
}

func isInternal(pkgPath string) bool {
	for _, elem := range strings.Split(pkgPath, "/") {
		if elem == "internal" {
			return true
		}
	}
	return false
}

// goEnv is the environment for the go command over the tree at root: its
// go.work when it has one, module mode otherwise, and no -mod flag (a
// Makefile's -mod=mod is refused in workspace mode and must not edit the
// working tree's go.mod files).
func goEnv(root string) []string {
	env := os.Environ()
	work := filepath.Join(root, "go.work")
	if _, err := os.Stat(work); err != nil {
		work = "off"
	}
	var flags []string
	for _, f := range strings.Fields(os.Getenv("GOFLAGS")) {
		if !strings.HasPrefix(strings.TrimLeft(f, "-"), "mod=") {
			flags = append(flags, f)
		}
	}
	return append(env, "GOWORK="+work, "GOFLAGS="+strings.Join(flags, " "))
}

// copyWorkSum gives a snapshot the working tree's go.work.sum when the
// snapshot has a go.work but no go.work.sum (it is often left uncommitted),
// so that loading it finds the checksums the workspace needs.
func copyWorkSum(root, snap string) error {
	if _, err := os.Stat(filepath.Join(snap, "go.work")); err != nil {
		return nil
	}
	dst := filepath.Join(snap, "go.work.sum")
	if _, err := os.Stat(dst); err == nil {
		return nil
	}
	src, err := os.Open(filepath.Join(root, "go.work.sum"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	defer src.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, src); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// bufBreakingExit is buf's exit status when it found breaking changes (as
// opposed to failing to check).
const bufBreakingExit = 100

// bufBreaking runs buf breaking in the API module's folder against the tag,
// read from the repository's .git, and returns the breaking changes found.
func bufBreaking(buf string, r repo, folder, tag string) (apiReport, error) {
	gitDir, err := r.git("rev-parse", "--path-format=absolute", "--git-common-dir")
	if err != nil {
		return apiReport{}, err
	}
	against := fmt.Sprintf("%s#tag=%s,subdir=%s", gitDir, tag, folder)
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(buf, "breaking", "--against", against)
	cmd.Dir = filepath.Join(r.root, filepath.FromSlash(folder))
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return apiReport{}, nil
	case errors.As(err, &exit) && exit.ExitCode() == bufBreakingExit:
		return apiReport{Breaking: lines(stdout.String())}, nil
	default:
		return apiReport{}, fmt.Errorf("buf breaking --against %s: %w: %s", against, err, strings.TrimSpace(stderr.String()+stdout.String()))
	}
}

// findBuf returns buf from PATH, or the one `make tools` installs under
// root/.tools.
func findBuf(root string) (string, error) {
	if p, err := exec.LookPath("buf"); err == nil {
		return p, nil
	}
	p := filepath.Join(root, ".tools", "node_modules", ".bin", "buf")
	if _, err := os.Stat(p); err == nil {
		return p, nil
	}
	return "", errors.New("buf is not on PATH nor in .tools/node_modules/.bin: run `make tools` or pass --buf")
}
