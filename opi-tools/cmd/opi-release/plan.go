package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/opi-suite/opi/opi-tools/internal/release"
	"github.com/spf13/cobra"
)

func newPlanCmd(g *globalOptions) *cobra.Command {
	var (
		asJSON bool
		opts   release.PlanOptions
	)
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Show what changed since each module's last tag and the bump it needs",
		Long: `Plan compares each module with its last tag <folder>/vX.Y.Z: the files that
changed, the breaking changes (buf breaking for the API module, apidiff for the
exported Go API of the others) and the dependencies this release publishes. From
these it derives the least version bump (a breaking change needs a major bump,
or a minor one below v1) and says whether release.yaml's version satisfies it.
It lists the tags and image references a release creates and exits 1 when a
version does not satisfy its bump.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			root, m, err := g.load()
			if err != nil {
				return err
			}
			plan, err := release.MakePlan(root, m, opts)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				err = writeJSON(out, plan)
			} else {
				err = printPlan(out, plan)
			}
			if err != nil {
				return err
			}
			if !plan.Satisfied {
				fmt.Fprintln(cmd.ErrOrStderr(), "plan: release.yaml does not satisfy the required bumps")
				return errReported
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the plan as JSON")
	cmd.Flags().StringVar(&opts.Buf, "buf", "", "buf binary (default: buf on PATH, then .tools/node_modules/.bin/buf)")
	return cmd
}

// printPlan writes the plan as a table, the reasons behind each bump, and the
// tags and images.
func printPlan(w io.Writer, plan *release.Plan) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MODULE\tVERSION\tLAST TAG\tCHANGED\tREQUIRED\tSTATUS")
	for _, mp := range plan.Modules {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", mp.Folder, mp.Version, orDash(mp.LastTag), changedCell(mp), requiredCell(mp), statusCell(mp))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, mp := range plan.Modules {
		if len(mp.Breaking) == 0 && len(mp.Dependencies) == 0 && mp.Problem == "" {
			continue
		}
		fmt.Fprintf(w, "\n%s:\n", mp.Folder)
		for _, b := range mp.Breaking {
			fmt.Fprintf(w, "  breaking: %s\n", b)
		}
		if len(mp.Dependencies) > 0 {
			fmt.Fprintf(w, "  released dependencies: %s\n", strings.Join(mp.Dependencies, ", "))
		}
		if mp.Problem != "" {
			fmt.Fprintf(w, "  problem: %s\n", mp.Problem)
		}
	}
	printList(w, "Tags to create", plan.Tags)
	printList(w, "Images to publish", plan.Images)
	return nil
}

func printList(w io.Writer, title string, list []string) {
	fmt.Fprintf(w, "\n%s:", title)
	if len(list) == 0 {
		fmt.Fprintln(w, " none")
		return
	}
	fmt.Fprintln(w)
	for _, s := range list {
		fmt.Fprintf(w, "  %s\n", s)
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func changedCell(mp release.ModulePlan) string {
	switch {
	case mp.Internal || mp.LastTag == "":
		return "-"
	case len(mp.Changed) == 0:
		return "no"
	case len(mp.Changed) == 1:
		return "1 file"
	}
	return fmt.Sprintf("%d files", len(mp.Changed))
}

func requiredCell(mp release.ModulePlan) string {
	switch {
	case mp.Internal:
		return "-"
	case mp.LastTag == "":
		return "initial"
	case mp.Required == release.BumpNone:
		return "none"
	}
	return fmt.Sprintf("%s (>= %s)", mp.Required, mp.Minimum)
}

func statusCell(mp release.ModulePlan) string {
	switch {
	case mp.Internal:
		return "internal, not released"
	case !mp.Satisfied:
		return "NEEDS ATTENTION"
	case mp.Tag != "":
		return "release " + mp.Tag
	}
	return "up to date"
}
