package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

func TestFileNamesFollowKubeconformsLayout(t *testing.T) {
	for _, c := range []struct{ kind, apiVersion, want string }{
		{"ServiceAccount", "v1", "serviceaccount-v1.json"},
		{"Deployment", "apps/v1", "deployment-apps-v1.json"},
		{"CSIDriver", "storage.k8s.io/v1", "csidriver-storage-v1.json"},
		{"ClusterRoleBinding", "rbac.authorization.k8s.io/v1", "clusterrolebinding-rbac-v1.json"},
	} {
		if got := fileName(c.kind, c.apiVersion); got != c.want {
			t.Errorf("fileName(%s, %s) = %s, want %s", c.kind, c.apiVersion, got, c.want)
		}
	}
}

func TestGenerateWritesStrictSchemasWithReferences(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "swagger.json")
	doc := `{"definitions": {
	  "io.k8s.api.x.v1.Thing": {"type": "object", "x-kubernetes-group-version-kind": [{"group": "x.k8s.io", "version": "v1", "kind": "Thing"}],
	    "properties": {"apiVersion": {"type": "string"}, "kind": {"type": "string"}, "spec": {"$ref": "#/definitions/io.k8s.api.x.v1.Spec"}}},
	  "io.k8s.api.x.v1.Spec": {"type": "object", "properties": {"port": {"$ref": "#/definitions/io.k8s.apimachinery.pkg.util.intstr.IntOrString"},
	    "x-kubernetes-list-type": {"type": "string"}}},
	  "io.k8s.apimachinery.pkg.util.intstr.IntOrString": {"type": "string", "format": "int-or-string"}}}`
	if err := os.WriteFile(in, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	if n, err := generate(in, out); err != nil || n != 1 {
		t.Fatalf("generate: %d, %v", n, err)
	}
	var thing map[string]any
	b, err := os.ReadFile(filepath.Join(out, "thing-x-v1.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &thing); err != nil {
		t.Fatal(err)
	}
	props := thing["properties"].(map[string]any)
	if thing["additionalProperties"] != false || props["spec"].(map[string]any)["$ref"] != "_definitions.json#/definitions/io.k8s.api.x.v1.Spec" {
		t.Fatalf("thing: %s", b)
	}
	if e := props["apiVersion"].(map[string]any)["enum"].([]any); len(e) != 1 || e[0] != "x.k8s.io/v1" {
		t.Fatalf("apiVersion: %v", props["apiVersion"])
	}
	var defs struct{ Definitions map[string]map[string]any }
	b, _ = os.ReadFile(filepath.Join(out, "_definitions.json"))
	if err := json.Unmarshal(b, &defs); err != nil {
		t.Fatal(err)
	}
	spec := defs.Definitions["io.k8s.api.x.v1.Spec"]
	// A property named like an extension is a property, and kept.
	if _, ok := spec["properties"].(map[string]any)["x-kubernetes-list-type"]; !ok || spec["additionalProperties"] != false {
		t.Fatalf("Spec: %v", spec)
	}
	if _, ok := defs.Definitions["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]["oneOf"]; !ok {
		t.Fatalf("IntOrString: %v", defs.Definitions["io.k8s.apimachinery.pkg.util.intstr.IntOrString"])
	}
}
