package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	commonv1 "github.com/opi-suite/opi/opi-api/common/v1"
	"github.com/opi-suite/opi/opi-kit/names"
	"github.com/opi-suite/opi/opi-kit/redact"
)

// resourceMessage is what every resource message of the API offers.
type resourceMessage interface {
	proto.Message
	GetName() string
}

// withStatus is a resource whose intent the service reconciles with its
// backend, and which says how far it has come. Most kinds are; a kind that
// only mirrors the backend (a kernel network interface) is not, and its
// tables have no STATUS column.
type withStatus interface {
	GetStatus() *commonv1.ResourceStatus
}

// resourceKind describes the commands of one resource kind: what to call
// it, its flags and its table columns. The calls themselves come from the
// kind's descriptor (resourceAPI), so a kind is mostly flags and columns.
type resourceKind[T resourceMessage] struct {
	use     string // the command, such as "nvme-namespace"
	noun    string // for people, such as "NVMe namespace"
	group   string // the help group in the parent command's --help, such as `opi storage --help`
	example string
	// parentFlag names the parent of a child kind, such as "subsystem", and
	// parentNoun says what it is; both empty for top-level kinds.
	parentFlag, parentNoun string
	columns                []string
	row                    func(T) []string
	// spec binds flags to the fields of v; nil for kinds the API only reads.
	spec func(s *specFlags, v T)
}

// kindCmd is a resourceKind with its type erased, so that the verbs are
// written once.
type kindCmd struct {
	g                            *globals
	api                          *resourceAPI
	noun, parentFlag, parentNoun string
	columns                      []string
	row                          func(proto.Message) []string
	spec                         func(s *specFlags) proto.Message
	// hasStatus says whether the kind's resources carry a status.
	hasStatus bool
}

// resourceCommand returns the command of one kind, such as `opi storage
// nvme-namespace` or `opi ipsec connection`, with the verbs the API offers
// for the kind.
func resourceCommand[T resourceMessage](g *globals, k resourceKind[T]) *cobra.Command {
	var zero T
	md := zero.ProtoReflect().Descriptor()
	c := &kindCmd{g: g, api: newResourceAPI(md), noun: k.noun, parentFlag: k.parentFlag, parentNoun: k.parentNoun,
		columns: k.columns, row: func(m proto.Message) []string { return k.row(m.(T)) }}
	_, c.hasStatus = any(zero).(withStatus)
	if c.api.isChild() != (k.parentFlag != "") {
		panic(fmt.Sprintf("%s: a parent flag is needed exactly for child kinds", k.use))
	}
	if k.spec != nil {
		c.spec = func(s *specFlags) proto.Message {
			v := zero.ProtoReflect().Type().New().Interface().(T)
			k.spec(s, v)
			return v
		}
	}
	cmd := &cobra.Command{
		Use:     k.use,
		Short:   upperFirst(k.noun) + "s (" + c.api.pattern.String() + ")",
		GroupID: k.group,
		Example: k.example,
	}
	if c.spec != nil && c.api.create != nil {
		cmd.AddCommand(c.createCmd())
	}
	cmd.AddCommand(c.getCmd(), c.listCmd())
	if c.spec != nil && c.api.update != nil {
		cmd.AddCommand(c.updateCmd())
	}
	if c.api.del != nil {
		cmd.AddCommand(c.deleteCmd())
	}
	if c.api.stats != nil {
		cmd.AddCommand(c.statsCmd())
	}
	if c.api.reset != nil {
		cmd.AddCommand(c.resetCmd())
	}
	return cmd
}

// nameArg is what every verb that takes a resource shares: the argument
// (an id or a full name), the parent flag of child kinds and --dry-run for
// verbs that change something.
type nameArg struct {
	parent string
	dryRun bool
}

// methodAnnotation is the cobra annotation naming the method a verb calls,
// such as opi.storage.v1.FrontendNvmeService.DeleteNvmeSubsystem: the tests
// find the command of every method by it.
const methodAnnotation = "opi.method"

func (c *kindCmd) verb(m protoreflect.MethodDescriptor, use, short string, args cobra.PositionalArgs, n *nameArg, mutates bool) *cobra.Command {
	cmd := &cobra.Command{Use: use, Short: short, Args: args, ValidArgsFunction: c.completeNames(n),
		Annotations: map[string]string{methodAnnotation: string(m.FullName())}}
	if c.api.isChild() {
		cmd.Flags().StringVar(&n.parent, c.parentFlag, "", fmt.Sprintf("the %s (its id or full name)", c.parentNoun))
	}
	if mutates {
		cmd.Flags().BoolVar(&n.dryRun, "dry-run", false, "print the request as JSON and send nothing")
	}
	return cmd
}

func (c *kindCmd) createCmd() *cobra.Command {
	var n nameArg
	cmd := c.verb(c.api.create, "create ID", "Create "+withArticle(c.noun), oneArg("ID"), &n, true)
	cmd.ValidArgsFunction = nil // the id is new
	s := newSpecFlags(cmd, c.api.kind)
	res := c.spec(s)
	c.completeRefs(s)
	for _, name := range s.names {
		if p := s.paths[name]; !strings.Contains(p, ".") && c.api.hasBehavior(p, annotations.FieldBehavior_REQUIRED) {
			_ = cmd.MarkFlagRequired(name)
		}
	}
	for _, name := range s.required {
		_ = cmd.MarkFlagRequired(name)
	}
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		name, err := c.resolve(args[0], n.parent)
		if err != nil {
			return err
		}
		if err := s.finish(c.g.streams.In); err != nil {
			return err
		}
		segs := strings.Split(name, "/")
		req := c.api.createRequest(strings.Join(segs[:len(segs)-2], "/"), segs[len(segs)-1], res)
		return c.send(cmd, n.dryRun, c.api.create, req, c.printResource)
	}
	return cmd
}

func (c *kindCmd) getCmd() *cobra.Command {
	var n nameArg
	cmd := c.verb(c.api.get, "get NAME", "Show one "+c.noun, oneArg("NAME"), &n, false)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		name, err := c.resolve(args[0], n.parent)
		if err != nil {
			return err
		}
		return c.send(cmd, false, c.api.get, nameRequest(c.api.get, name, false), c.printResource)
	}
	return cmd
}

func (c *kindCmd) statsCmd() *cobra.Command {
	var n nameArg
	cmd := c.verb(c.api.stats, "stats NAME", "Show the counters of "+withArticle(c.noun), oneArg("NAME"), &n, false)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		name, err := c.resolve(args[0], n.parent)
		if err != nil {
			return err
		}
		return c.send(cmd, false, c.api.stats, nameRequest(c.api.stats, name, false), func(p *printer, resp proto.Message) error {
			return p.print(resp, func(t *table) { statsTable(t, resp) })
		})
	}
	return cmd
}

// resetCmd is `reset NAME`, for kinds the API can reset (a remote NVMe
// controller reconnects): nothing stored changes.
func (c *kindCmd) resetCmd() *cobra.Command {
	var n nameArg
	cmd := c.verb(c.api.reset, "reset NAME", "Reset "+withArticle(c.noun)+" in the backend", oneArg("NAME"), &n, true)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		name, err := c.resolve(args[0], n.parent)
		if err != nil {
			return err
		}
		return c.send(cmd, n.dryRun, c.api.reset, nameRequest(c.api.reset, name, false), func(p *printer, resp proto.Message) error {
			return p.print(resp, func(t *table) { t.row("reset " + name) })
		})
	}
	return cmd
}

func (c *kindCmd) listCmd() *cobra.Command {
	var n nameArg
	var pageSize int32
	var token string
	var all bool
	cmd := c.verb(c.api.list, "list", "List "+c.noun+"s", cobra.NoArgs, &n, false)
	cmd.ValidArgsFunction = nil
	f := cmd.Flags()
	f.Int32Var(&pageSize, "page-size", 0, "the most items per page (default: the server's, 50)")
	f.StringVar(&token, "page-token", "", "start at this page (the token a previous list printed)")
	f.BoolVar(&all, "all", false, "follow the pages to the end")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		parent, err := c.listParent(n.parent)
		if err != nil {
			return err
		}
		p, err := c.g.printer()
		if err != nil {
			return err
		}
		var resp protoreflect.Message
		err = c.g.call(cmd.Context(), func(ctx context.Context, conn *grpc.ClientConn) error {
			resp, err = c.api.listAll(ctx, conn, parent, pageSize, token, all)
			return err
		})
		if err != nil {
			return err
		}
		items := c.api.items(resp)
		if err := p.print(resp.Interface(), func(t *table) { c.fill(t, items...) }); err != nil {
			return err
		}
		if next := resp.Get(field(resp, "next_page_token")).String(); next != "" && p.format != "json" && p.format != "yaml" {
			fmt.Fprintf(c.g.streams.ErrOut, "more %ss: add --page-token %s, or --all\n", c.noun, next)
		} else if len(items) == 0 && c.g.streams.Terminal && p.format != "json" && p.format != "yaml" {
			fmt.Fprintf(c.g.streams.ErrOut, "no %ss\n", c.noun)
		}
		return nil
	}
	return cmd
}

func (c *kindCmd) updateCmd() *cobra.Command {
	var n nameArg
	var allowMissing bool
	cmd := c.verb(c.api.update, "update NAME", "Change "+withArticle(c.noun)+"; only the fields given are sent", oneArg("NAME"), &n, true)
	s := newSpecFlags(cmd, c.api.kind)
	res := c.spec(s)
	c.completeRefs(s)
	// --allow-missing exactly where the API's Update request has
	// allow_missing: a kind the service does not store (a kernel interface)
	// cannot be created by an update.
	if c.api.updateCanCreate() {
		cmd.Flags().BoolVar(&allowMissing, "allow-missing", false, "create the "+c.noun+" from the flags if it does not exist")
	}
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		name, err := c.resolve(args[0], n.parent)
		if err != nil {
			return err
		}
		if err := c.checkUpdate(s, allowMissing); err != nil {
			return err
		}
		if err := s.finish(c.g.streams.In); err != nil {
			return err
		}
		res.ProtoReflect().Set(field(res.ProtoReflect(), "name"), protoreflect.ValueOfString(name))
		return c.send(cmd, n.dryRun, c.api.update, c.api.updateRequest(res, s.mask(), allowMissing), c.printResource)
	}
	return cmd
}

// checkUpdate refuses, before anything is sent, an update that changes
// nothing or a field that is fixed at creation.
func (c *kindCmd) checkUpdate(s *specFlags, allowMissing bool) error {
	var mutable []string
	for _, name := range s.names {
		if !c.api.hasBehavior(s.paths[name], annotations.FieldBehavior_IMMUTABLE) {
			mutable = append(mutable, name)
		}
	}
	given := s.given()
	switch {
	case allowMissing:
		return nil
	case len(given) == 0 && len(mutable) == 0:
		return fmt.Errorf("nothing to update: every field of a %s is fixed at creation (with --allow-missing, update creates a missing one)", c.noun)
	case len(given) == 0:
		return fmt.Errorf("nothing to update: give at least one of %s", flagList(mutable))
	}
	for _, name := range given {
		if c.api.hasBehavior(s.paths[name], annotations.FieldBehavior_IMMUTABLE) {
			return fmt.Errorf("--%s cannot change: it is fixed when the %s is created; delete and create it again to change it", name, c.noun)
		}
	}
	return nil
}

func (c *kindCmd) deleteCmd() *cobra.Command {
	var n nameArg
	var allowMissing, force bool
	cmd := c.verb(c.api.del, "delete NAME...", "Delete "+c.noun+"s", cobra.MinimumNArgs(1), &n, true)
	cmd.Flags().BoolVar(&allowMissing, "allow-missing", false, "succeed if the "+c.noun+" does not exist")
	// --force exactly where the API's Delete request has force, found in
	// the descriptor so that a kind given force later gets the flag too.
	if c.api.canForce() {
		cmd.Flags().BoolVar(&force, "force", false, "delete what the "+c.noun+" holds with it; without --force, deleting one that holds anything fails")
	}
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		for _, arg := range args {
			name, err := c.resolve(arg, n.parent)
			if err != nil {
				return err
			}
			err = c.send(cmd, n.dryRun, c.api.del, c.api.deleteRequest(name, allowMissing, force), func(*printer, proto.Message) error {
				if c.g.streams.Terminal {
					fmt.Fprintf(c.g.streams.Out, "deleted %s\n", name)
				}
				return nil
			})
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
		return nil
	}
	return cmd
}

// send prints req for a dry run, or sends it and hands the response to show.
func (c *kindCmd) send(cmd *cobra.Command, dryRun bool, m protoreflect.MethodDescriptor, req proto.Message, show func(*printer, proto.Message) error) error {
	p, err := c.g.printer()
	if err != nil {
		return err
	}
	if dryRun {
		return c.printDryRun(p, m, req)
	}
	var resp proto.Message
	err = c.g.call(cmd.Context(), func(ctx context.Context, conn *grpc.ClientConn) error {
		resp, err = invoke(ctx, conn, m, req)
		return err
	})
	if err != nil {
		return err
	}
	return show(p, resp)
}

// printDryRun prints the request that would be sent, as JSON unless YAML
// was asked for, with its secrets left out.
func (c *kindCmd) printDryRun(p *printer, m protoreflect.MethodDescriptor, req proto.Message) error {
	shown, secrets := redact.Redacted(req), redact.SecretPaths(req)
	if len(secrets) > 0 {
		fmt.Fprintf(c.g.streams.ErrOut, "dry run of %s: secret fields left out of what is shown: %s\n", m.Name(), strings.Join(secrets, ", "))
	}
	if p.format != "yaml" {
		p = &printer{out: p.out, format: "json"}
	}
	return p.print(shown, nil)
}

func (c *kindCmd) printResource(p *printer, res proto.Message) error {
	return p.print(res, func(t *table) { c.fill(t, res) })
}

// fill writes the header and one row per resource: NAME, the kind's
// columns and, for kinds with a status, STATUS.
func (c *kindCmd) fill(t *table, items ...proto.Message) {
	header := append([]string{"NAME"}, c.columns...)
	if c.hasStatus {
		header = append(header, "STATUS")
	}
	t.section("", header...)
	for _, it := range items {
		row := append([]string{it.(resourceMessage).GetName()}, c.row(it)...)
		if c.hasStatus {
			row = append(row, statusText(it.(withStatus).GetStatus()))
		}
		t.row(row...)
	}
}

// statusText is READY, PENDING or ERROR, with the reason when there is one.
func statusText(st *commonv1.ResourceStatus) string {
	s := strings.ToUpper(enumWord(st.GetState()))
	if st.GetMessage() != "" {
		s += ": " + st.GetMessage()
	}
	return s
}

// resolve turns what the user typed into a full resource name. A full name
// must match the kind's pattern; an id is joined to the collection and, for
// a child kind, to the parent given with --<parentFlag>.
func (c *kindCmd) resolve(arg, parent string) (string, error) {
	pattern := c.api.pattern.String()
	if strings.Contains(arg, "/") {
		// Match, not Parse: the service checks the ids (and a remote
		// namespace's decimal id is no AIP-122 id); the CLI only routes.
		if !c.api.pattern.Match(arg) {
			return "", fmt.Errorf("%q is not a %s name: want %s, or an id", arg, c.noun, pattern)
		}
		if parent != "" {
			p, err := c.resolveParent(parent)
			if err != nil {
				return "", err
			}
			if !strings.HasPrefix(arg, p+"/") {
				return "", fmt.Errorf("%s is not in --%s %s: give the full name or the parent, not both", arg, c.parentFlag, parent)
			}
		}
		return arg, nil
	}
	if !c.api.isChild() {
		return c.api.pattern.Collection() + "/" + arg, nil
	}
	if parent == "" {
		return "", fmt.Errorf("%q is an id: say which %s it is in with --%s, or give the full name (%s)", arg, c.parentNoun, c.parentFlag, pattern)
	}
	p, err := c.resolveParent(parent)
	if err != nil {
		return "", err
	}
	return p + "/" + c.api.pattern.Collection() + "/" + arg, nil
}

// resolveParent turns the --<parentFlag> value, an id or a full name, into
// the parent's full name.
func (c *kindCmd) resolveParent(parent string) (string, error) {
	pp := c.api.pattern.ParentPattern()
	full, ok := nameOrID(pp, parent)
	if !ok {
		return "", fmt.Errorf("--%s %q is not a %s name: want %s, or an id", c.parentFlag, parent, c.parentNoun, pp)
	}
	return full, nil
}

// nameOrID turns what a user typed for a resource of pattern p, an id or a
// full name, into the full name, and says whether it fits. An id is joined
// to the collection of a top-level kind; a child kind's id alone says too
// little, and a full name must have the pattern's shape.
func nameOrID(p *names.Pattern, arg string) (string, bool) {
	if !strings.Contains(arg, "/") && p.ParentPattern() == nil {
		return p.Collection() + "/" + arg, arg != ""
	}
	return arg, p.Match(arg)
}

// listParent is the parent to list in: required for child kinds.
func (c *kindCmd) listParent(parent string) (string, error) {
	if !c.api.isChild() {
		return "", nil
	}
	if parent == "" {
		return "", fmt.Errorf("say which %s to list the %ss of, with --%s", c.parentNoun, c.noun, c.parentFlag)
	}
	return c.resolveParent(parent)
}

// completeNames offers the names of existing resources (the first page).
func (c *kindCmd) completeNames(n *nameArg) cobra.CompletionFunc {
	return func(cmd *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
		parent, err := c.listParent(n.parent)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var names []string
		_ = c.g.call(cmd.Context(), func(ctx context.Context, conn *grpc.ClientConn) error {
			resp, err := c.api.listAll(ctx, conn, parent, 0, "", false)
			if err == nil {
				for _, it := range c.api.items(resp) {
					names = append(names, it.(resourceMessage).GetName())
				}
			}
			return err
		})
		return names, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeRefs offers the names of existing resources (the first page)
// for each flag that refers to a top-level kind, such as --logical-bridge.
func (c *kindCmd) completeRefs(s *specFlags) {
	for name, res := range s.refKinds {
		if res.Message == nil || res.Pattern.ParentPattern() != nil {
			continue // no List to call, or one that needs a parent
		}
		ref := &kindCmd{g: c.g, api: newResourceAPI(res.Message)}
		_ = s.cmd.RegisterFlagCompletionFunc(name, ref.completeNames(&nameArg{}))
	}
}

// oneArg accepts exactly one argument, and names it when it is missing.
func oneArg(what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != 1 {
			return fmt.Errorf("%s takes one %s, got %d (see --help)", cmd.CommandPath(), what, len(args))
		}
		return nil
	}
}

// withArticle puts "a" or "an" before a noun, as it is spoken: "an NVMe
// controller", "an SVI", "a VRF".
func withArticle(noun string) string {
	first, _, _ := strings.Cut(noun, " ")
	acronym := strings.ToUpper(first) == first
	if strings.HasPrefix(noun, "NVMe") || strings.ContainsAny(noun[:1], "aeiouAEIOU") ||
		acronym && strings.ContainsAny(noun[:1], "FHLMNRSX") {
		return "an " + noun
	}
	return "a " + noun
}
