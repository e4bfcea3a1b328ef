// Command opi-release checks release.yaml against the repository, plans the
// version bumps a release needs and creates the module tags. Run it from the
// repository root (or pass --root):
//
//	opi-release verify            # release.yaml, go.mod files and go.work agree
//	opi-release plan [--json]     # what changed since each module's last tag
//	opi-release tag [--execute]   # the tags a release creates (dry run first)
//	opi-release modules           # the module folders, for the Makefile
//	opi-release images [--json]   # the tagged images and their Dockerfiles
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/opi-suite/opi/opi-tools/internal/release"
	"github.com/spf13/cobra"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// errReported is returned by a command that has already printed why it
// failed; run exits non-zero without printing it again.
var errReported = errors.New("reported")

// run executes the command line args and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	cmd := newRootCmd()
	cmd.SetArgs(args)
	cmd.SetOut(stdout)
	cmd.SetErr(stderr)
	if err := cmd.Execute(); err != nil {
		if !errors.Is(err, errReported) {
			fmt.Fprintln(stderr, "opi-release:", err)
		}
		return 1
	}
	return 0
}

// globalOptions are the flags every command shares.
type globalOptions struct {
	root     string
	manifest string
}

// load finds the repository root and reads its manifest.
func (o *globalOptions) load() (string, *release.Manifest, error) {
	root := o.root
	if root == "" {
		var err error
		if root, err = findRoot(); err != nil {
			return "", nil, err
		}
	}
	manifest := o.manifest
	if manifest == "" {
		manifest = filepath.Join(root, release.ManifestFile)
	}
	m, err := release.LoadManifest(manifest)
	if err != nil {
		return "", nil, err
	}
	return root, m, nil
}

// findRoot returns the nearest directory from the working directory up that
// holds release.yaml.
func findRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, release.ManifestFile)); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no %s in the working directory or above it: run from the repository root or pass --root", release.ManifestFile)
		}
		dir = parent
	}
}

func newRootCmd() *cobra.Command {
	opts := &globalOptions{}
	cmd := &cobra.Command{
		Use:           "opi-release",
		Short:         "Verify release.yaml, plan version bumps and tag module releases",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	cmd.PersistentFlags().StringVar(&opts.root, "root", "", "repository root (default: the nearest directory up holding release.yaml)")
	cmd.PersistentFlags().StringVar(&opts.manifest, "manifest", "", "release manifest (default: <root>/release.yaml)")
	cmd.AddCommand(newVerifyCmd(opts), newPlanCmd(opts), newTagCmd(opts), newModulesCmd(opts), newImagesCmd(opts))
	return cmd
}

// writeJSON writes v indented, for --json.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
