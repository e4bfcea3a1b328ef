package deploy

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	storagev1 "k8s.io/api/storage/v1"
	"sigs.k8s.io/yaml"
)

// Two offline validations: kubeconform -strict against JSON schemas made
// from the Kubernetes release's OpenAPI document (make tools, schemagen),
// and each document decoded strictly (unknown or mistyped fields fail)
// into the Kubernetes API's own Go types (k8s.io/api), then checked for
// what the driver needs.

// k8sVersion is the Makefile's K8S_SCHEMA_VERSION.
const k8sVersion = "v1.37.2"

// kubeconform returns the kubeconform program and the schema location
// template make tools installed, or skips (fails under CI) saying what is
// missing.
func kubeconform(t *testing.T) (bin, location string) {
	t.Helper()
	tools, err := filepath.Abs("../../.tools")
	if err != nil {
		t.Fatal(err)
	}
	bin = filepath.Join(tools, "bin", "kubeconform")
	schemas := filepath.Join(tools, "k8s-schemas", k8sVersion)
	missing := ""
	if _, err := os.Stat(bin); err != nil {
		missing = bin
	} else if _, err := os.Stat(filepath.Join(schemas, "_definitions.json")); err != nil {
		missing = "the schemas in " + schemas
	}
	if missing != "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("no %s: make tools installs it, and CI runs it", missing)
		}
		t.Skipf("no %s: run make tools", missing)
	}
	return bin, filepath.Join(schemas, "{{ .ResourceKind }}{{ .KindSuffix }}.json")
}

func runKubeconform(t *testing.T, bin, location string, files ...string) (string, error) {
	t.Helper()
	args := append([]string{"-strict", "-summary", "-kubernetes-version", strings.TrimPrefix(k8sVersion, "v"),
		"-schema-location", location}, files...)
	out, err := exec.Command(bin, args...).CombinedOutput()
	return string(out), err
}

func TestKubeconformStrictAcceptsTheManifests(t *testing.T) {
	bin, location := kubeconform(t)
	out, err := runKubeconform(t, bin, location, "kubernetes/")
	if err != nil || !strings.Contains(out, "Valid: 8, Invalid: 0, Errors: 0, Skipped: 0") {
		t.Fatalf("kubeconform: %v\n%s", err, out)
	}
	t.Log(strings.TrimSpace(out))
}

// TestKubeconformStrictRefusesAMisspeltField proves the schemas bite: the
// node manifest with one field misspelt (deep in a container, behind
// several references) and a string where a boolean belongs.
func TestKubeconformStrictRefusesAMisspeltField(t *testing.T) {
	bin, location := kubeconform(t)
	b, err := os.ReadFile("kubernetes/node.yaml")
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(b), "mountPropagation:", "mountPropagaton:", 1)
	sc := "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: x}\nprovisioner: csi.opi.dev\nallowVolumeExpansion: \"yes\"\n"
	dir := t.TempDir()
	for name, text := range map[string]string{"node.yaml": bad, "sc.yaml": sc} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	out, err := runKubeconform(t, bin, location, dir)
	for _, want := range []string{"additional properties 'mountPropagaton' not allowed", "/allowVolumeExpansion", "Invalid: 2"} {
		if err == nil || !strings.Contains(out, want) {
			t.Errorf("kubeconform: %v, want a failure saying %q:\n%s", err, want, out)
		}
	}
}

// decode reads every document of the manifests in kubernetes/.
func decode(t *testing.T) map[string][]any {
	t.Helper()
	files, _ := filepath.Glob("kubernetes/*.yaml")
	if len(files) == 0 {
		t.Fatal("no manifests in kubernetes/")
	}
	kinds := map[string]any{
		"CSIDriver": &storagev1.CSIDriver{}, "StorageClass": &storagev1.StorageClass{},
		"Deployment": &appsv1.Deployment{}, "DaemonSet": &appsv1.DaemonSet{},
		"ServiceAccount": &corev1.ServiceAccount{}, "ClusterRole": &rbacv1.ClusterRole{},
		"ClusterRoleBinding": &rbacv1.ClusterRoleBinding{},
	}
	out := map[string][]any{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range bytes.Split(b, []byte("\n---\n")) {
			var meta struct{ APIVersion, Kind string }
			if err := yaml.Unmarshal(doc, &meta); err != nil {
				t.Fatalf("%s document %d: %v", f, i, err)
			}
			proto, ok := kinds[meta.Kind]
			if !ok {
				t.Fatalf("%s document %d: kind %q is not one this test knows", f, i, meta.Kind)
			}
			obj := newLike(proto)
			if err := yaml.UnmarshalStrict(doc, obj); err != nil {
				t.Errorf("%s document %d (%s): %v", f, i, meta.Kind, err)
			}
			out[meta.Kind] = append(out[meta.Kind], obj)
		}
	}
	return out
}

func newLike(v any) any {
	switch v.(type) {
	case *storagev1.CSIDriver:
		return &storagev1.CSIDriver{}
	case *storagev1.StorageClass:
		return &storagev1.StorageClass{}
	case *appsv1.Deployment:
		return &appsv1.Deployment{}
	case *appsv1.DaemonSet:
		return &appsv1.DaemonSet{}
	case *corev1.ServiceAccount:
		return &corev1.ServiceAccount{}
	case *rbacv1.ClusterRole:
		return &rbacv1.ClusterRole{}
	}
	return &rbacv1.ClusterRoleBinding{}
}

func TestManifestsDecodeStrictlyIntoTheKubernetesTypes(t *testing.T) {
	objs := decode(t)
	for _, kind := range []string{"CSIDriver", "StorageClass", "Deployment", "DaemonSet"} {
		if len(objs[kind]) != 1 {
			t.Errorf("%d %s, want 1", len(objs[kind]), kind)
		}
	}
}

func TestTheControllerAndNodeCarryTheUsualSidecars(t *testing.T) {
	objs := decode(t)
	dep := objs["Deployment"][0].(*appsv1.Deployment)
	ds := objs["DaemonSet"][0].(*appsv1.DaemonSet)
	for _, c := range []struct {
		name string
		pod  corev1.PodSpec
		want []string
	}{
		{"controller", dep.Spec.Template.Spec, []string{"csi-provisioner", "csi-attacher", "csi-resizer", "livenessprobe", "opi-csi"}},
		{"node", ds.Spec.Template.Spec, []string{"csi-node-driver-registrar", "livenessprobe", "opi-csi"}},
	} {
		var images []string
		for _, ctr := range c.pod.Containers {
			img := ctr.Image[strings.LastIndex(ctr.Image, "/")+1:]
			images = append(images, img[:strings.Index(img, ":")])
			// Every container reaches the driver through /csi/csi.sock.
			if !slices.ContainsFunc(ctr.VolumeMounts, func(m corev1.VolumeMount) bool { return m.MountPath == "/csi" }) {
				t.Errorf("%s: container %s does not mount the socket directory at /csi", c.name, ctr.Name)
			}
			for _, m := range ctr.VolumeMounts {
				if !slices.ContainsFunc(c.pod.Volumes, func(v corev1.Volume) bool { return v.Name == m.Name }) {
					t.Errorf("%s: container %s mounts volume %s, which the pod does not have", c.name, ctr.Name, m.Name)
				}
			}
		}
		for _, w := range c.want {
			if !slices.Contains(images, w) {
				t.Errorf("%s: no %s container (images %v)", c.name, w, images)
			}
		}
	}
	drv := objs["CSIDriver"][0].(*storagev1.CSIDriver)
	sc := objs["StorageClass"][0].(*storagev1.StorageClass)
	if sc.Provisioner != drv.Name || drv.Spec.AttachRequired == nil || !*drv.Spec.AttachRequired {
		t.Errorf("StorageClass provisioner %q, CSIDriver %q with attachRequired %v", sc.Provisioner, drv.Name, drv.Spec.AttachRequired)
	}
	// The node plugin mounts under the kubelet's directory for the pods:
	// only Bidirectional propagation makes them visible there.
	for _, ctr := range ds.Spec.Template.Spec.Containers {
		for _, m := range ctr.VolumeMounts {
			if m.MountPath == "/var/lib/kubelet" && (m.MountPropagation == nil || *m.MountPropagation != corev1.MountPropagationBidirectional) {
				t.Errorf("node container %s mounts the kubelet directory without Bidirectional propagation", ctr.Name)
			}
		}
	}
}
