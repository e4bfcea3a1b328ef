// Command schemagen writes JSON schemas for kubeconform from a Kubernetes
// OpenAPI v2 document (api/openapi-spec/swagger.json of the k8s.io/kubernetes
// module, which the Go module proxy serves), so that the manifests can be
// validated where GitHub, kubeconform's default schema source, cannot be
// reached.
//
//	go run ./opi-csi/deploy/schemagen -in swagger.json -out DIR
//
// It writes, in kubeconform's naming ({{ .ResourceKind }}{{ .KindSuffix }}.json,
// e.g. deployment-apps-v1.json, csidriver-storage-v1.json, serviceaccount-v1.json),
// one file per kind the document names (x-kubernetes-group-version-kind),
// whose references point into DIR/_definitions.json, which holds every
// definition. The schemas are strict: an object with declared properties
// admits no others (kubeconform -strict's meaning), and kind and apiVersion
// must be the file's. IntOrString and Quantity take what the API server
// takes (a string or a number). Validate with
//
//	kubeconform -strict -schema-location 'DIR/{{ .ResourceKind }}{{ .KindSuffix }}.json' FILES
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

func main() {
	in := flag.String("in", "", "the OpenAPI v2 document (swagger.json)")
	out := flag.String("out", "", "the directory to write the schemas to")
	flag.Parse()
	if *in == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "usage: schemagen -in swagger.json -out DIR")
		os.Exit(2)
	}
	n, err := generate(*in, *out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "schemagen:", err)
		os.Exit(1)
	}
	fmt.Printf("schemagen: %d kinds in %s\n", n, *out)
}

type gvk struct{ Group, Version, Kind string }

const (
	refPrefix   = "#/definitions/"
	definitions = "_definitions.json"
)

// generate writes the schemas and returns how many kinds it wrote.
func generate(in, out string) (int, error) {
	b, err := os.ReadFile(in)
	if err != nil {
		return 0, err
	}
	var doc struct {
		Definitions map[string]map[string]any `json:"definitions"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return 0, fmt.Errorf("%s: %w", in, err)
	}
	if len(doc.Definitions) == 0 {
		return 0, fmt.Errorf("%s: no definitions: not an OpenAPI v2 document", in)
	}
	// Into a fresh directory, renamed into place: a reader never sees half.
	tmp := out + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return 0, err
	}
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return 0, err
	}
	defs := map[string]any{}
	for name, d := range doc.Definitions {
		defs[name] = transform(name, d, "")
	}
	if err := writeJSON(filepath.Join(tmp, definitions), map[string]any{"definitions": defs}); err != nil {
		return 0, err
	}
	names := make([]string, 0, len(doc.Definitions))
	for name := range doc.Definitions {
		names = append(names, name)
	}
	sort.Strings(names)
	written := map[string]string{}
	for _, name := range names {
		for _, k := range kinds(doc.Definitions[name]) {
			apiVersion := k.Version
			if k.Group != "" {
				apiVersion = k.Group + "/" + k.Version
			}
			file := fileName(k.Kind, apiVersion)
			if prev, ok := written[file]; ok {
				// Two groups sharing a first label and version would
				// collide in kubeconform's layout: refuse rather than
				// validate against the wrong one.
				return 0, fmt.Errorf("%s: both %s and %s", file, prev, name)
			}
			written[file] = name
			s := transform(name, doc.Definitions[name], definitions).(map[string]any)
			props, _ := s["properties"].(map[string]any)
			if props == nil {
				continue
			}
			props["kind"] = map[string]any{"type": "string", "enum": []string{k.Kind}}
			props["apiVersion"] = map[string]any{"type": "string", "enum": []string{apiVersion}}
			s["$schema"] = "http://json-schema.org/draft-04/schema#"
			if err := writeJSON(filepath.Join(tmp, file), s); err != nil {
				return 0, err
			}
		}
	}
	if len(written) == 0 {
		return 0, errors.New("no definition names a group, version and kind")
	}
	if err := os.RemoveAll(out); err != nil {
		return 0, err
	}
	return len(written), os.Rename(tmp, out)
}

// fileName is kubeconform's {{ .ResourceKind }}{{ .KindSuffix }}.json: the
// kind in lower case, then the group's first label (if any) and the
// version, each after a dash.
func fileName(kind, apiVersion string) string {
	group, version, ok := strings.Cut(apiVersion, "/")
	suffix := "-" + strings.ToLower(strings.Split(group, ".")[0])
	if ok {
		suffix += "-" + strings.ToLower(version)
	}
	return strings.ToLower(kind) + suffix + ".json"
}

// kinds reads x-kubernetes-group-version-kind.
func kinds(d map[string]any) []gvk {
	list, _ := d["x-kubernetes-group-version-kind"].([]any)
	var out []gvk
	for _, e := range list {
		m, _ := e.(map[string]any)
		g, _ := m["group"].(string)
		v, _ := m["version"].(string)
		k, _ := m["kind"].(string)
		if v != "" && k != "" {
			out = append(out, gvk{g, v, k})
		}
	}
	return out
}

// transform returns a copy of an OpenAPI schema as a strict JSON schema:
// references into file (or into the same document when file is ""), the
// string-or-number types widened, and every object with properties closed.
func transform(name string, v any, file string) any {
	switch name {
	case "io.k8s.apimachinery.pkg.util.intstr.IntOrString":
		return map[string]any{"oneOf": []any{map[string]any{"type": "string"}, map[string]any{"type": "integer"}}}
	case "io.k8s.apimachinery.pkg.api.resource.Quantity":
		return map[string]any{"oneOf": []any{map[string]any{"type": "string"}, map[string]any{"type": "number"}}}
	}
	return walk(v, file)
}

func walk(v any, file string) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t)+1)
		for k, e := range t {
			if strings.HasPrefix(k, "x-kubernetes-") {
				continue
			}
			if k == "$ref" {
				if s, ok := e.(string); ok && strings.HasPrefix(s, refPrefix) {
					m[k] = file + s
					continue
				}
			}
			if k == "properties" {
				// Property names are data, not keywords: walk each
				// property's schema, never the map as a schema.
				props := map[string]any{}
				for p, ps := range e.(map[string]any) {
					props[p] = walk(ps, file)
				}
				m[k] = props
				continue
			}
			m[k] = walk(e, file)
		}
		if _, ok := m["properties"]; ok {
			if _, ok := m["additionalProperties"]; !ok {
				m["additionalProperties"] = false
			}
		}
		return m
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = walk(e, file)
		}
		return out
	}
	return v
}

func writeJSON(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}
