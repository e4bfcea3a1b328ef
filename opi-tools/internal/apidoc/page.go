package apidoc

import (
	"fmt"
	"strings"

	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/protobuf/compiler/protogen"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// page renders the page of one proto package.
type page struct {
	strings.Builder
	pkg   *pkg
	known map[string]bool // packages that have a page, for links
}

func (w *page) render() {
	w.WriteString(header)
	fmt.Fprintf(w, "# %s\n\n", w.pkg.name)
	var files []string
	for _, f := range w.pkg.files {
		if c := packageComment(f); c != "" {
			w.WriteString(paragraphs(c) + "\n\n")
		}
		files = append(files, "`"+f.Desc.Path()+"`")
	}
	fmt.Fprintf(w, "Defined in %s.\n\n", strings.Join(files, ", "))
	w.resources()
	for _, f := range w.pkg.files {
		for _, s := range f.Services {
			w.service(s)
		}
	}
	var msgs []*protogen.Message
	var enums []*protogen.Enum
	for _, f := range w.pkg.files {
		enums = append(enums, f.Enums...)
		for _, m := range f.Messages {
			msgs, enums = flatten(m, msgs, enums)
		}
	}
	if len(msgs) > 0 {
		w.WriteString("## Messages\n\n")
		for _, m := range msgs {
			w.message(m)
		}
	}
	if len(enums) > 0 {
		w.WriteString("## Enums\n\n")
		for _, e := range enums {
			w.enum(e)
		}
	}
}

// flatten appends m and its nested messages (map entries aside) and enums,
// in declaration order.
func flatten(m *protogen.Message, msgs []*protogen.Message, enums []*protogen.Enum) ([]*protogen.Message, []*protogen.Enum) {
	if m.Desc.IsMapEntry() {
		return msgs, enums
	}
	msgs = append(msgs, m)
	enums = append(enums, m.Enums...)
	for _, n := range m.Messages {
		msgs, enums = flatten(n, msgs, enums)
	}
	return msgs, enums
}

// resources lists the resource types the package defines: on messages
// (google.api.resource) and on files (google.api.resource_definition).
func (w *page) resources() {
	type row struct{ typ, patterns, where string }
	var rows []row
	add := func(rd *annotations.ResourceDescriptor, where string) {
		if rd == nil || rd.GetType() == "" {
			return
		}
		var pats []string
		for _, p := range rd.GetPattern() {
			pats = append(pats, "`"+p+"`")
		}
		rows = append(rows, row{"`" + rd.GetType() + "`", strings.Join(pats, "<br>"), where})
	}
	for _, f := range w.pkg.files {
		for _, rd := range proto.GetExtension(f.Desc.Options(), annotations.E_ResourceDefinition).([]*annotations.ResourceDescriptor) {
			add(rd, "-")
		}
		for _, m := range f.Messages {
			var msgs []*protogen.Message
			msgs, _ = flatten(m, msgs, nil)
			for _, n := range msgs {
				add(resourceOf(n), w.link(n.Desc))
			}
		}
	}
	if len(rows) == 0 {
		return
	}
	w.WriteString("## Resources\n\n| Type | Patterns | Message |\n|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(w, "| %s | %s | %s |\n", r.typ, orDash(r.patterns), r.where)
	}
	w.WriteString("\n")
}

func resourceOf(m *protogen.Message) *annotations.ResourceDescriptor {
	return proto.GetExtension(m.Desc.Options(), annotations.E_Resource).(*annotations.ResourceDescriptor)
}

func (w *page) service(s *protogen.Service) {
	fmt.Fprintf(w, "## %s\n\n", s.Desc.Name())
	if c := string(s.Comments.Leading); c != "" {
		w.WriteString(paragraphs(c) + "\n\n")
	}
	if len(s.Methods) == 0 {
		return
	}
	w.WriteString("| Method | Request | Response | HTTP |\n|---|---|---|---|\n")
	for _, m := range s.Methods {
		fmt.Fprintf(w, "| [%s](#%s) | %s | %s | %s |\n", m.Desc.Name(), anchor(methodHeading(s, m)),
			w.stream(m.Desc.IsStreamingClient(), m.Input), w.stream(m.Desc.IsStreamingServer(), m.Output), orDash(strings.Join(httpRules(m), "<br>")))
	}
	w.WriteString("\n")
	for _, m := range s.Methods {
		fmt.Fprintf(w, "### %s\n\n", methodHeading(s, m))
		if c := string(m.Comments.Leading); c != "" {
			w.WriteString(paragraphs(c) + "\n\n")
		}
		fmt.Fprintf(w, "- Request: %s\n- Response: %s\n", w.stream(m.Desc.IsStreamingClient(), m.Input), w.stream(m.Desc.IsStreamingServer(), m.Output))
		for _, h := range httpRules(m) {
			fmt.Fprintf(w, "- HTTP: %s\n", h)
		}
		w.WriteString("\n")
	}
}

func methodHeading(s *protogen.Service, m *protogen.Method) string {
	return string(s.Desc.Name()) + "." + string(m.Desc.Name())
}

func (w *page) stream(streaming bool, m *protogen.Message) string {
	if streaming {
		return "stream " + w.link(m.Desc)
	}
	return w.link(m.Desc)
}

// httpRules renders a method's google.api.http binding and its additional
// bindings as `VERB /path` (body: `field`).
func httpRules(m *protogen.Method) []string {
	rule, _ := proto.GetExtension(m.Desc.Options(), annotations.E_Http).(*annotations.HttpRule)
	if rule == nil {
		return nil
	}
	var out []string
	for _, r := range append([]*annotations.HttpRule{rule}, rule.GetAdditionalBindings()...) {
		var verb, p string
		switch pat := r.GetPattern().(type) {
		case *annotations.HttpRule_Get:
			verb, p = "GET", pat.Get
		case *annotations.HttpRule_Put:
			verb, p = "PUT", pat.Put
		case *annotations.HttpRule_Post:
			verb, p = "POST", pat.Post
		case *annotations.HttpRule_Delete:
			verb, p = "DELETE", pat.Delete
		case *annotations.HttpRule_Patch:
			verb, p = "PATCH", pat.Patch
		case *annotations.HttpRule_Custom:
			verb, p = pat.Custom.GetKind(), pat.Custom.GetPath()
		default:
			continue
		}
		s := fmt.Sprintf("`%s %s`", verb, p)
		if r.GetBody() != "" {
			s += fmt.Sprintf(" (body: `%s`)", r.GetBody())
		}
		out = append(out, s)
	}
	return out
}

func (w *page) message(m *protogen.Message) {
	fmt.Fprintf(w, "### %s\n\n", relName(m.Desc))
	if c := string(m.Comments.Leading); c != "" {
		w.WriteString(paragraphs(c) + "\n\n")
	}
	if rd := resourceOf(m); rd != nil && rd.GetType() != "" {
		fmt.Fprintf(w, "Resource type `%s`, pattern %s.\n\n", rd.GetType(), orDash("`"+strings.Join(rd.GetPattern(), "`, `")+"`"))
	}
	if len(m.Fields) == 0 {
		w.WriteString("No fields.\n\n")
		return
	}
	w.WriteString("| Field | Type | Behavior | Description |\n|---|---|---|---|\n")
	for _, f := range m.Fields {
		desc := cell(string(f.Comments.Leading))
		if ref := proto.GetExtension(f.Desc.Options(), annotations.E_ResourceReference).(*annotations.ResourceReference); ref != nil {
			if t := ref.GetType() + ref.GetChildType(); t != "" {
				desc = strings.TrimSpace(desc + " Resource reference: `" + t + "`.")
			}
		}
		fmt.Fprintf(w, "| `%s` | %s | %s | %s |\n", f.Desc.Name(), w.fieldType(f), orDash(behavior(f)), orDash(desc))
	}
	w.WriteString("\n")
}

// behavior lists the field's google.api.field_behavior values, its oneof and
// whether it is deprecated.
func behavior(f *protogen.Field) string {
	var list []string
	for _, b := range proto.GetExtension(f.Desc.Options(), annotations.E_FieldBehavior).([]annotations.FieldBehavior) {
		list = append(list, b.String())
	}
	if f.Oneof != nil && !f.Oneof.Desc.IsSynthetic() {
		list = append(list, "oneof `"+string(f.Oneof.Desc.Name())+"`")
	}
	if opts, ok := f.Desc.Options().(interface{ GetDeprecated() bool }); ok && opts.GetDeprecated() {
		list = append(list, "deprecated")
	}
	return strings.Join(list, ", ")
}

// fieldType renders the field's type, linking messages and enums.
func (w *page) fieldType(f *protogen.Field) string {
	d := f.Desc
	if d.IsMap() {
		return fmt.Sprintf("map<%s, %s>", w.kindName(d.MapKey(), nil, nil), w.kindName(d.MapValue(), f.Message.Fields[1].Message, f.Message.Fields[1].Enum))
	}
	t := w.kindName(d, f.Message, f.Enum)
	switch {
	case d.IsList():
		return "repeated " + t
	case d.HasOptionalKeyword():
		return "optional " + t
	}
	return t
}

func (w *page) kindName(d protoreflect.FieldDescriptor, m *protogen.Message, e *protogen.Enum) string {
	switch {
	case m != nil:
		return w.link(m.Desc)
	case e != nil:
		return w.link(e.Desc)
	}
	return d.Kind().String()
}

func (w *page) enum(e *protogen.Enum) {
	fmt.Fprintf(w, "### %s\n\n", relName(e.Desc))
	if c := string(e.Comments.Leading); c != "" {
		w.WriteString(paragraphs(c) + "\n\n")
	}
	w.WriteString("| Name | Number | Description |\n|---|---|---|\n")
	for _, v := range e.Values {
		fmt.Fprintf(w, "| `%s` | %d | %s |\n", v.Desc.Name(), v.Desc.Number(), orDash(cell(string(v.Comments.Leading))))
	}
	w.WriteString("\n")
}

// relName is a descriptor's name within its package, e.g. Outer.Inner.
func relName(d protoreflect.Descriptor) string {
	return strings.TrimPrefix(string(d.FullName()), string(d.ParentFile().Package())+".")
}

// link renders a reference to a message or enum: an anchor on this page, a
// link to another package's page, or plain code for types without a page
// (well-known types and other imports).
func (w *page) link(d protoreflect.Descriptor) string {
	pkgName, rel := string(d.ParentFile().Package()), relName(d)
	switch {
	case pkgName == w.pkg.name:
		return fmt.Sprintf("[%s](#%s)", rel, anchor(rel))
	case w.known[pkgName]:
		return fmt.Sprintf("[%s](%s#%s)", d.FullName(), pageFile(pkgName), anchor(rel))
	}
	return "`" + string(d.FullName()) + "`"
}

// anchor is the fragment GitHub gives a heading: lower case, spaces as
// hyphens, other punctuation dropped.
func anchor(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || ('a' <= r && r <= 'z') || ('0' <= r && r <= '9'):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// paragraphs tidies a proto comment for the page body: the space after the
// comment marker is dropped, lines and paragraphs kept.
func paragraphs(comment string) string {
	lines := strings.Split(strings.TrimRight(comment, "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(strings.TrimPrefix(l, " "), " \t")
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

// cell puts a comment on one table line: paragraphs are joined by <br><br>
// and pipes escaped.
func cell(comment string) string {
	var paras []string
	for _, p := range strings.Split(paragraphs(comment), "\n\n") {
		if p = strings.Join(strings.Fields(p), " "); p != "" {
			paras = append(paras, p)
		}
	}
	return strings.ReplaceAll(strings.Join(paras, "<br><br>"), "|", `\|`)
}
