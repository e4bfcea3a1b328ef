package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// refuseUnknownSubcommands makes every command group under root (a command
// that only holds subcommands, such as `opi storage` or `opi storage
// nvme-subsystem`) fail on a word it does not know, naming the subcommands
// it might have meant, as the root command itself does. Left to cobra, a
// group is not runnable, so `opi storage nvme-subsytem list` prints the
// group's help and exits 0: a script or a typo goes unnoticed. Alone, a
// group still prints its help and succeeds, as gh and kubectl do.
func refuseUnknownSubcommands(root *cobra.Command) {
	var walk func(*cobra.Command)
	walk = func(parent *cobra.Command) {
		for _, c := range parent.Commands() {
			if c.HasSubCommands() && c.Run == nil && c.RunE == nil {
				c.Args = knownSubcommand
				c.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
			}
			walk(c)
		}
	}
	walk(root)
	// A group is runnable now, which cobra's usage would show as a line of
	// its own ("opi storage [flags]") above "opi storage [command]"; only
	// commands without subcommands are used alone.
	root.SetUsageTemplate(strings.Replace(root.UsageTemplate(), "{{if .Runnable}}", "{{if and .Runnable (not .HasAvailableSubCommands)}}", 1))
}

// knownSubcommand accepts no arguments: cobra hands a group the words it
// could not match to a subcommand.
func knownSubcommand(c *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], c.CommandPath())
	if c.SuggestionsMinimumDistance <= 0 {
		c.SuggestionsMinimumDistance = 2 // cobra's default, which it sets only for the root
	}
	if s := c.SuggestionsFor(args[0]); len(s) > 0 {
		msg += "\n\nDid you mean this?\n\t" + strings.Join(s, "\n\t") + "\n"
	}
	return fmt.Errorf("%s\nRun '%s --help' for its commands", msg, c.CommandPath())
}
