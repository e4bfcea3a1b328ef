package main

import (
	"bytes"
	"encoding/json"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/opi-suite/opi/opi-storage-bridge/spdk/contract"
)

// sourceOrSkip reads SPDK's contract from the monorepo's shared folder; a
// plain clone of the module alone does not have it.
func sourceOrSkip(t *testing.T) []byte {
	t.Helper()
	path, err := defaultSource()
	if err == nil {
		var data []byte
		if data, err = os.ReadFile(path); err == nil {
			return data
		}
	}
	t.Skipf("SPDK contract source not available (%v): the embedded extract is used as is", err)
	return nil
}

func TestEmbeddedExtractIsUpToDateWithTheSource(t *testing.T) {
	src := sourceOrSkip(t)
	want, err := Extract(src)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../spdk-contract.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("spdk/contract/spdk-contract.json is stale: run go generate ./spdk/contract")
	}
}

func TestExtractKeepsNoDescriptionsOrExamples(t *testing.T) {
	got, err := os.ReadFile("../spdk-contract.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"description"`, `"example_request"`, `"example_response"`, `"when"`, `"cli_help"`, `"details"`} {
		if bytes.Contains(got, []byte(key)) {
			t.Errorf("extract holds %s: it must be facts only", key)
		}
	}
}

// TestSPDKsOwnExamplesPassTheValidator checks the validator against SPDK's
// documented example requests: those SPDK's decoders accept must pass, and
// those the source marks as contradicting the decoders on a parameter's
// presence or type must fail.
func TestSPDKsOwnExamplesPassTheValidator(t *testing.T) {
	src := sourceOrSkip(t)
	var doc struct {
		Methods map[string]struct {
			ExampleRequest *struct {
				Method string          `json:"method"`
				Params json.RawMessage `json:"params"`
			} `json:"example_request"`
			DocExampleIssues []string `json:"doc_example_issues"`
		} `json:"methods"`
	}
	if err := json.Unmarshal(src, &doc); err != nil {
		t.Fatal(err)
	}
	c, err := contract.Load()
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(doc.Methods))
	for n := range doc.Methods {
		names = append(names, n)
	}
	sort.Strings(names)
	var checked int
	for _, name := range names {
		m := doc.Methods[name]
		if m.ExampleRequest == nil || c.Method(name).ClientSideOnly {
			continue
		}
		if m.ExampleRequest.Method != name {
			// Two sections of SPDK's doc show another method's name in
			// their example (framework_get_scheduler, fsdev_set_opts):
			// check the params against the section's method.
			t.Logf("%s: example names method %s", name, m.ExampleRequest.Method)
		}
		err := c.ValidateRequest(name, m.ExampleRequest.Params)
		checked++
		switch {
		case len(m.DocExampleIssues) == 0 && err != nil:
			t.Errorf("%s: SPDK's example is refused: %v", name, err)
		case decoderIssue(m.DocExampleIssues) && err == nil:
			t.Errorf("%s: example passes although SPDK's decoder refuses it: %v", name, m.DocExampleIssues)
		}
	}
	if checked < 290 {
		t.Errorf("checked %d examples, want every server method's", checked)
	}
}

// decoderIssue reports issues SPDK's decoders catch (unknown, missing or
// mistyped parameters), as opposed to semantic ones the validator cannot see.
func decoderIssue(issues []string) bool {
	for _, s := range issues {
		if strings.Contains(s, "not accepted by the schema") || strings.Contains(s, "omits required") || strings.Contains(s, "schema expects") {
			return true
		}
	}
	return false
}
