package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

// newModulesCmd lists the module folders, for the Makefile: release.yaml is
// the one list of modules.
func newModulesCmd(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "modules",
		Short: "Print the module folders, one a line, dependencies first",
		Long: `Modules prints the folder of every module release.yaml lists, one a line,
each after its dependencies (the Makefile's MODULES). It reads release.yaml
only; run verify to check it against the repository.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, m, err := g.load()
			if err != nil {
				return err
			}
			mods, err := m.Ordered()
			if err != nil {
				return err
			}
			for _, mod := range mods {
				fmt.Fprintln(cmd.OutOrStdout(), mod.Folder)
			}
			return nil
		},
	}
}

// newImagesCmd lists the images with their tags and Dockerfiles, for
// scripts/images.sh.
func newImagesCmd(g *globalOptions) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "images",
		Short: "Print every image with its tag and Dockerfile, one a line",
		Long: `Images prints every image release.yaml lists, tagged with its module's
version, and the Dockerfile that builds it (relative to the repository root,
which is the build context), separated by a tab, one image a line, modules
dependencies first (scripts/images.sh). With --json, a list of objects with
module, image (the tagged reference) and dockerfile.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, m, err := g.load()
			if err != nil {
				return err
			}
			mods, err := m.Ordered()
			if err != nil {
				return err
			}
			type image struct {
				Module     string `json:"module"`
				Image      string `json:"image"`
				Dockerfile string `json:"dockerfile"`
			}
			list := []image{}
			for _, mod := range mods {
				for _, b := range mod.ImageBuilds() {
					list = append(list, image{Module: mod.Folder, Image: b.Name + ":" + mod.Version, Dockerfile: b.Dockerfile})
				}
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), list)
			}
			for _, img := range list {
				fmt.Fprintf(cmd.OutOrStdout(), "%s\t%s\n", img.Image, img.Dockerfile)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the images as JSON")
	return cmd
}
