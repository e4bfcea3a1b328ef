package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"sigs.k8s.io/yaml"
)

// printer writes a result in the format the user chose.
type printer struct {
	out      io.Writer
	format   string
	terminal bool
}

func (g *globals) printer() (*printer, error) {
	switch g.output {
	case "", "table", "json", "yaml":
	default:
		return nil, fmt.Errorf("%w (got %q)", errBadOutput, g.output)
	}
	return &printer{out: g.streams.Out, format: g.output, terminal: g.streams.Terminal}, nil
}

// print writes msg as JSON or YAML (field names as in the API), or hands a
// table to fill to the command.
func (p *printer) print(msg proto.Message, fill func(*table)) error {
	switch p.format {
	case "json", "yaml":
		compact, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(msg)
		if err != nil {
			return err
		}
		// protojson varies its whitespace on purpose; re-indent so the same
		// message always prints the same bytes (for diffs, scripts and tests).
		var indented bytes.Buffer
		if err := json.Indent(&indented, compact, "", "  "); err != nil {
			return err
		}
		b := indented.Bytes()
		if p.format == "yaml" {
			if b, err = yaml.JSONToYAML(b); err != nil {
				return err
			}
		} else {
			b = append(b, '\n')
		}
		_, err = p.out.Write(b)
		return err
	}
	t := &table{terminal: p.terminal}
	fill(t)
	return t.render(p.out)
}

// table collects rows. On a terminal it prints aligned columns with headers;
// piped, it prints tab-separated values without headers, for cut and awk.
type table struct {
	terminal bool
	sections []section
}

type section struct {
	title  string
	header []string
	rows   [][]string
}

// section starts a titled block of rows; header names its columns.
func (t *table) section(title string, header ...string) {
	t.sections = append(t.sections, section{title: title, header: header})
}

// row adds one row to the current section.
func (t *table) row(cells ...string) {
	if len(t.sections) == 0 {
		t.section("")
	}
	s := &t.sections[len(t.sections)-1]
	s.rows = append(s.rows, cells)
}

func (t *table) render(out io.Writer) error {
	for i, s := range t.sections {
		if !t.terminal {
			for _, r := range s.rows {
				if _, err := fmt.Fprintln(out, strings.Join(r, "\t")); err != nil {
					return err
				}
			}
			continue
		}
		if i > 0 {
			fmt.Fprintln(out)
		}
		if s.title != "" {
			fmt.Fprintln(out, s.title)
		}
		w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		if len(s.header) > 0 {
			fmt.Fprintln(w, strings.Join(s.header, "\t"))
		}
		for _, r := range s.rows {
			cells := make([]string, len(r))
			for j, c := range r {
				if c == "" {
					c = "-"
				}
				cells[j] = c
			}
			fmt.Fprintln(w, strings.Join(cells, "\t"))
		}
		if err := w.Flush(); err != nil {
			return err
		}
	}
	return nil
}
