package main

import (
	"fmt"

	"github.com/opi-suite/opi/opi-tools/internal/release"
	"github.com/spf13/cobra"
)

func newVerifyCmd(g *globalOptions) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Check release.yaml against the go.mod files and go.work",
		Long: `Verify checks that every module with a go.mod is listed once in release.yaml
with a valid version; that each module's declared dependencies are exactly its
go.mod's requires of other modules of the repository, each at the version
release.yaml gives the dependency and replaced by its folder; that go.work uses
every module; and that the dependencies have no cycle. It exits 1 on any problem.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			root, m, err := g.load()
			if err != nil {
				return err
			}
			problems, err := release.Verify(root, m)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				if problems == nil {
					problems = []release.Problem{}
				}
				if err := writeJSON(out, map[string]any{"problems": problems}); err != nil {
					return err
				}
			} else {
				for _, p := range problems {
					fmt.Fprintln(out, p)
				}
			}
			if len(problems) > 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "verify: %d problems\n", len(problems))
				return errReported
			}
			if !asJSON {
				fmt.Fprintf(out, "verify: %d modules OK\n", len(m.Modules))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the problems as JSON")
	return cmd
}
