package cli

import (
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// TestDeleteHasForceExactlyWhereTheAPIHas checks --force against the API
// itself: every Delete method of the OPI services the CLI links in whose
// request has a force field must have a command with --force, and no other
// delete command may offer it.
func TestDeleteHasForceExactlyWhereTheAPIHas(t *testing.T) {
	// The API's side, read from the registry of generated files, not from
	// the commands.
	var withForce []string
	protoregistry.GlobalFiles.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
		if !strings.HasPrefix(string(fd.Package()), "opi.") {
			return true
		}
		for i := range fd.Services().Len() {
			methods := fd.Services().Get(i).Methods()
			for j := range methods.Len() {
				m := methods.Get(j)
				if strings.HasPrefix(string(m.Name()), "Delete") && m.Input().Fields().ByName("force") != nil {
					withForce = append(withForce, string(m.FullName()))
				}
			}
		}
		return true
	})
	slices.Sort(withForce)
	// The three the storage API has today, so that a registry read wrong
	// (and empty) cannot pass.
	for _, m := range []string{
		"opi.storage.v1.LogicalVolumeService.DeleteLogicalVolumeStore",
		"opi.storage.v1.FrontendNvmeService.DeleteNvmeSubsystem",
		"opi.storage.v1.BackendNvmeService.DeleteNvmeRemoteController",
	} {
		if !slices.Contains(withForce, m) {
			t.Errorf("%s has no force in the registry: %v", m, withForce)
		}
	}

	// The commands' side.
	var forced, deletes []string
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		if m := c.Annotations[methodAnnotation]; strings.Contains(m, ".Delete") {
			deletes = append(deletes, m)
			if c.Flags().Lookup("force") != nil {
				forced = append(forced, m)
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(NewRootCmd(Streams{}))
	slices.Sort(forced)
	if len(deletes) < 10 {
		t.Fatalf("found %d delete commands by their annotation, want one per kind: %v", len(deletes), deletes)
	}
	for _, m := range withForce {
		if !slices.Contains(deletes, m) {
			t.Errorf("%s takes force but no command calls it", m)
		}
	}
	if !slices.Equal(forced, withForce) {
		t.Errorf("delete commands with --force:\n%v\nDelete methods with force:\n%v", forced, withForce)
	}
}
