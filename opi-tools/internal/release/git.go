package release

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"golang.org/x/mod/semver"
)

// repo runs git in one repository's root.
type repo struct {
	root string
}

// git runs a git command and returns its trimmed standard output; the error
// carries git's standard error.
func (r repo) git(args ...string) (string, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.Command("git", append([]string{"-C", r.root}, args...)...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimRight(stdout.String(), "\n"), nil
}

// lines splits git output into its non-empty lines.
func lines(out string) []string {
	var list []string
	for _, l := range strings.Split(out, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			list = append(list, l)
		}
	}
	return list
}

// versions returns the versions the module folder is tagged with: the valid
// semantic versions v in the tags <folder>/v, in no particular order.
func (r repo) versions(folder string) ([]string, error) {
	out, err := r.git("tag", "--list", folder+"/v*")
	if err != nil {
		return nil, err
	}
	var vs []string
	for _, tag := range lines(out) {
		v := strings.TrimPrefix(tag, folder+"/")
		if semver.IsValid(v) && semver.Canonical(v) == v {
			vs = append(vs, v)
		}
	}
	return vs, nil
}

// changedFiles lists the files under folder that differ between ref and the
// working tree, untracked files included, sorted as git sorts them.
func (r repo) changedFiles(ref, folder string) ([]string, error) {
	diff, err := r.git("diff", "--name-only", ref, "--", folder)
	if err != nil {
		return nil, err
	}
	untracked, err := r.git("ls-files", "--others", "--exclude-standard", "--", folder)
	if err != nil {
		return nil, err
	}
	return append(lines(diff), lines(untracked)...), nil
}

// dirty lists the uncommitted changes under paths (git status --porcelain).
func (r repo) dirty(paths ...string) ([]string, error) {
	out, err := r.git(append([]string{"status", "--porcelain", "--"}, paths...)...)
	if err != nil {
		return nil, err
	}
	return lines(out), nil
}

// commit resolves ref to a commit hash.
func (r repo) commit(ref string) (string, error) {
	return r.git("rev-parse", "--verify", "--quiet", ref+"^{commit}")
}

// snapshot writes the tree of ref into a new temporary directory (git
// archive, so the repository and its worktree list are left untouched) and
// returns it; the caller removes it.
func (r repo) snapshot(ref string) (string, error) {
	dir, err := os.MkdirTemp("", "opi-release-*")
	if err != nil {
		return "", err
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command("git", "-C", r.root, "archive", "--format=tar", ref)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("git archive %s: %w: %s", ref, err, strings.TrimSpace(stderr.String()))
	}
	if err := untar(&stdout, dir); err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("extracting %s: %w", ref, err)
	}
	return dir, nil
}

// untar extracts the directories, files and symbolic links of a tar stream
// into dir, refusing entries that would land outside it.
func untar(r io.Reader, dir string) error {
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		name := filepath.FromSlash(hdr.Name)
		if !filepath.IsLocal(name) {
			if hdr.Typeflag == tar.TypeXGlobalHeader {
				continue
			}
			return fmt.Errorf("entry %q leaves the archive", hdr.Name)
		}
		target := filepath.Join(dir, name)
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			f, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, hdr.FileInfo().Mode().Perm())
			if err != nil {
				return err
			}
			_, err = io.Copy(f, tr)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		case tar.TypeSymlink:
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			if err := os.Symlink(hdr.Linkname, target); err != nil {
				return err
			}
		}
	}
}
