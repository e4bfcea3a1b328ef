package main

import (
	"strings"

	"fmt"

	"github.com/opi-suite/opi/opi-tools/internal/release"
	"github.com/spf13/cobra"
)

func newTagCmd(g *globalOptions) *cobra.Command {
	var (
		asJSON bool
		opts   release.TagOptions
	)
	cmd := &cobra.Command{
		Use:   "tag",
		Short: "Create the annotated tags of the modules whose version is not tagged yet",
		Long: `Tag creates an annotated tag <folder>/<version> at HEAD for every released module
whose release.yaml version is not tagged yet. It refuses unless verify passes,
the plan is satisfied and the modules and release.yaml are committed. Without
--execute it only prints the tags it would create. It never pushes: push with
git push origin <tag>... once the tags look right.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			root, m, err := g.load()
			if err != nil {
				return err
			}
			res, err := release.Tag(root, m, opts)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return writeJSON(out, res)
			}
			verb := "would create"
			if res.Created {
				verb = "created"
			}
			for _, t := range res.Tags {
				fmt.Fprintf(out, "%s tag %s at %.12s\n", verb, t, res.Commit)
			}
			switch {
			case len(res.Tags) == 0:
				fmt.Fprintln(out, "nothing to tag: every release.yaml version is tagged")
			case !res.Created:
				fmt.Fprintln(out, "dry run: pass --execute to create these tags")
			default:
				fmt.Fprintln(out, "push them with: git push origin", strings.Join(res.Tags, " "))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&opts.Execute, "execute", false, "create the tags (default: dry run)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	cmd.Flags().StringVar(&opts.Plan.Buf, "buf", "", "buf binary (default: buf on PATH, then .tools/node_modules/.bin/buf)")
	return cmd
}
