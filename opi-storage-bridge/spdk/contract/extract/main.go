// Command extract writes the facts-only extract of SPDK's JSON-RPC contract
// that package contract embeds: method names, parameters (names, JSON and
// schema types, required flags, ranges, enum values, nested fields), handler
// behaviour flags and error codes. Descriptions and examples are left out.
//
// Usage, from anywhere in the monorepo:
//
//	go run ./spdk/contract/extract [-o out.json] [path/to/spdk-jsonrpc.json]
//
// The source defaults to ../shared/spdk/spdk-jsonrpc.json relative to the
// repository root (the folder holding go.work); the output to stdout.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/opi-suite/opi/opi-storage-bridge/spdk/contract"
)

func main() {
	out := flag.String("o", "", "write the extract to this file instead of stdout")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: extract [-o out.json] [spdk-jsonrpc.json]")
		flag.PrintDefaults()
	}
	flag.Parse()
	src := flag.Arg(0)
	if src == "" {
		var err error
		if src, err = defaultSource(); err != nil {
			fail(err)
		}
	}
	data, err := os.ReadFile(src)
	if err != nil {
		fail(err)
	}
	extract, err := Extract(data)
	if err != nil {
		fail(fmt.Errorf("%s: %w", src, err))
	}
	if *out == "" {
		_, err = os.Stdout.Write(extract)
	} else {
		err = os.WriteFile(*out, extract, 0o644)
	}
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "extract:", err)
	os.Exit(1)
}

// defaultSource finds ../shared/spdk/spdk-jsonrpc.json next to the
// repository root, the nearest folder above the working directory that
// holds go.work.
func defaultSource() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return filepath.Join(dir, "..", "shared", "spdk", "spdk-jsonrpc.json"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.work above the working directory: give the source path")
		}
		dir = parent
	}
}

// source is the part of spdk-jsonrpc.json the extract reads.
type source struct {
	SPDKVersion string               `json:"spdk_version"`
	Tag         string               `json:"tag"`
	Commit      string               `json:"commit"`
	Transport   contract.Transport   `json:"transport"`
	Methods     map[string]srcMethod `json:"methods"`
}

type srcMethod struct {
	StateMask      []string        `json:"state_mask"`
	ClientSideOnly bool            `json:"client_side_only"`
	Params         []srcParam      `json:"params"`
	Handler        *srcHandler     `json:"handler"`
	ErrorExamples  []srcErrExample `json:"error_examples"`
}

type srcHandler struct {
	UnknownKeys          string              `json:"unknown_keys"`
	ParamsObjectOptional bool                `json:"params_object_optional"`
	ParamsMustBeOmitted  bool                `json:"params_must_be_omitted"`
	DecodeFailureError   *contract.ErrorFact `json:"decode_failure_error"`
	ParamsPresentError   *contract.ErrorFact `json:"params_present_error"`
}

type srcErrExample struct {
	Code json.RawMessage `json:"code"`
}

type srcParam struct {
	Name       string        `json:"name"`
	Type       string        `json:"type"`
	SchemaType string        `json:"schema_type"`
	Required   bool          `json:"required"`
	Range      []json.Number `json:"range"`
	Enum       []string      `json:"enum"`
	Format     string        `json:"format"`
	Deprecated bool          `json:"deprecated"`
	Fields     []srcParam    `json:"fields"`
	Items      *srcParam     `json:"items"`
	MaxItems   int           `json:"max_items"`
}

// Extract turns the source contract into the facts-only extract, as
// indented JSON with methods in name order.
func Extract(data []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber() // ranges reach 2^64-1: keep them exact
	var src source
	if err := dec.Decode(&src); err != nil {
		return nil, err
	}
	if len(src.Methods) == 0 {
		return nil, errors.New("no methods")
	}
	c := contract.Contract{
		SPDKVersion: src.SPDKVersion,
		Tag:         src.Tag,
		Commit:      src.Commit,
		Transport:   src.Transport,
		Methods:     make(map[string]*contract.Method, len(src.Methods)),
	}
	for name, sm := range src.Methods {
		m, err := method(name, sm)
		if err != nil {
			return nil, fmt.Errorf("method %s: %w", name, err)
		}
		c.Methods[name] = m
	}
	out, err := json.MarshalIndent(c, "", " ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

func method(name string, sm srcMethod) (*contract.Method, error) {
	m := &contract.Method{
		Name:           name,
		States:         sm.StateMask,
		ClientSideOnly: sm.ClientSideOnly,
		Params:         []contract.Param{},
	}
	for _, sp := range sm.Params {
		p, err := param(sp)
		if err != nil {
			return nil, err
		}
		m.Params = append(m.Params, p)
	}
	codes := map[int]bool{}
	if h := sm.Handler; h != nil {
		m.ParamsMustBeOmitted = h.ParamsMustBeOmitted
		m.ParamsOptional = h.ParamsObjectOptional
		m.AllowUnknownKeys = strings.HasPrefix(h.UnknownKeys, "ignored")
		m.DecodeFailure = h.DecodeFailureError
		m.ParamsPresent = h.ParamsPresentError
		for _, e := range []*contract.ErrorFact{h.DecodeFailureError, h.ParamsPresentError} {
			if e != nil {
				codes[e.Code] = true
			}
		}
	}
	for _, ex := range sm.ErrorExamples {
		var code int
		// A few examples give the code as an expression ("rc"): not a fact.
		if err := json.Unmarshal(ex.Code, &code); err == nil {
			codes[code] = true
		}
	}
	for code := range codes {
		m.ErrorCodes = append(m.ErrorCodes, code)
	}
	sort.Ints(m.ErrorCodes)
	return m, nil
}

func param(sp srcParam) (contract.Param, error) {
	switch sp.Type {
	case "string", "number", "boolean", "array", "object":
	default:
		return contract.Param{}, fmt.Errorf("param %q: unknown JSON type %q", sp.Name, sp.Type)
	}
	if len(sp.Range) != 0 && len(sp.Range) != 2 {
		return contract.Param{}, fmt.Errorf("param %q: range has %d bounds", sp.Name, len(sp.Range))
	}
	p := contract.Param{
		Name:       sp.Name,
		Type:       sp.Type,
		SchemaType: sp.SchemaType,
		Required:   sp.Required,
		Range:      sp.Range,
		Enum:       sp.Enum,
		Format:     sp.Format,
		Deprecated: sp.Deprecated,
		MaxItems:   sp.MaxItems,
		FreeForm:   sp.Type == "object" && len(sp.Fields) == 0,
	}
	for _, sf := range sp.Fields {
		f, err := param(sf)
		if err != nil {
			return contract.Param{}, fmt.Errorf("param %q: %w", sp.Name, err)
		}
		p.Fields = append(p.Fields, f)
	}
	if sp.Items != nil {
		it, err := param(*sp.Items)
		if err != nil {
			return contract.Param{}, fmt.Errorf("param %q items: %w", sp.Name, err)
		}
		p.Items = &it
	}
	return p, nil
}
