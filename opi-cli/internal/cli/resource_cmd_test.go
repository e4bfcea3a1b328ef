package cli

import (
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
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

// TestListTablesHaveAHeaderOnATerminalOnly lists one resource of every
// kind the command tree offers: on a terminal (as gh's IOStreams, a flag
// here) the table starts with a header row, NAME ... STATUS (NAME alone
// first for a kind without a status), as kubectl get does; piped, it is
// the bare tab-separated row, as gh prints, so that cut and awk need not
// skip a line.
func TestListTablesHaveAHeaderOnATerminalOnly(t *testing.T) {
	f, addr := serveResources(t)
	var lists []*cobra.Command
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		if strings.Contains(c.Annotations[methodAnnotation], ".List") {
			lists = append(lists, c)
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(NewRootCmd(Streams{}))
	if len(lists) < 15 {
		t.Fatalf("found %d list commands, want one per kind", len(lists))
	}
	for _, c := range lists {
		path := strings.Fields(c.CommandPath())[1:]
		t.Run(strings.Join(path, " "), func(t *testing.T) {
			d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(c.Annotations[methodAnnotation]))
			if err != nil {
				t.Fatal(err)
			}
			out := d.(protoreflect.MethodDescriptor).Output()
			api := newResourceAPI(out.Fields().Get(0).Message())
			// One resource named by the pattern with every id "t1".
			var segs []string
			for _, s := range strings.Split(api.pattern.String(), "/") {
				if strings.HasPrefix(s, "{") {
					s = "t1"
				}
				segs = append(segs, s)
			}
			name := strings.Join(segs, "/")
			res := newMessage(api.kind)
			res.Set(field(res, "name"), protoreflect.ValueOfString(name))
			f.put(res.Interface().(resourceMessage))
			args := append([]string{"--insecure", "--addr", addr}, path...)
			if api.isChild() {
				var parent string
				c.LocalFlags().VisitAll(func(fl *pflag.Flag) {
					if !slices.Contains([]string{"page-size", "page-token", "all", "help"}, fl.Name) {
						parent = fl.Name
					}
				})
				args = append(args, "--"+parent, strings.Join(segs[:len(segs)-2], "/"))
			}

			code, tty, errOut := run(t, true, args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			lines := strings.Split(strings.TrimSuffix(tty, "\n"), "\n")
			hasStatus := api.kind.Fields().ByName("status") != nil
			if header := strings.Fields(lines[0]); len(lines) != 2 || header[0] != "NAME" || (header[len(header)-1] == "STATUS") != hasStatus ||
				!strings.HasPrefix(lines[1], name+" ") {
				t.Errorf("on a terminal, want a NAME header, ending in STATUS exactly if the kind has a status (%v), and one row for %s:\n%s", hasStatus, name, tty)
			}

			code, piped, errOut := run(t, false, args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			if strings.Count(piped, "\n") != 1 || !strings.HasPrefix(piped, name+"\t") {
				t.Errorf("piped, want the one tab-separated row of %s and no header:\n%s", name, piped)
			}
		})
	}
}
