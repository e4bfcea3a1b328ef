package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"sigs.k8s.io/yaml"

	storagev1 "github.com/opi-suite/opi/opi-api/storage/v1"
)

const testPSK = "NVMeTLSkey-1:01:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9LrZ:"

// runWith executes the command line with stdin and returns its exit code,
// stdout and stderr.
func runWith(t *testing.T, stdin string, terminal bool, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Execute(context.Background(), Streams{In: strings.NewReader(stdin), Out: &out, ErrOut: &errOut, Terminal: terminal}, args)
	return code, out.String(), errOut.String()
}

// writeFile writes content to a new file in a test directory.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// lastRequest returns the last request the fake got, or nil.
func lastRequest(f *fakeResources) proto.Message {
	reqs := f.requests()
	if len(reqs) == 0 {
		return nil
	}
	return reqs[len(reqs)-1]
}

func TestStorageCommandsSendWhatTheFlagsSay(t *testing.T) {
	f, addr := serveResources(t)
	pskFile := writeFile(t, "host1.psk", testPSK+"\n")
	f.put(&storagev1.NvmeSubsystem{Name: "nvmeSubsystems/s0", Nqn: "nqn.2022-09.io.opiproject:s0"})
	f.put(&storagev1.QosVolume{Name: "qosVolumes/q1", Volume: "mallocVolumes/m0", Limits: &storagev1.QosLimits{RwIosPerSec: 1000, WMbytesPerSec: 50}})
	f.put(&storagev1.LogicalVolume{Name: "logicalVolumeStores/pool/logicalVolumes/v1", SizeMib: 64})
	f.put(&storagev1.NvmeRemoteNamespace{Name: "nvmeRemoteControllers/r1/nvmeRemoteNamespaces/1", Nsid: 1})
	for _, tc := range []struct {
		name  string
		stdin string
		args  []string
		want  proto.Message // the request the server gets
		out   []string      // in stdout
	}{
		{"a malloc volume is created from its flags",
			"", []string{"malloc-volume", "create", "m1", "--block-count", "1024", "--block-size", "4096"},
			&storagev1.CreateMallocVolumeRequest{MallocVolumeId: "m1", MallocVolume: &storagev1.MallocVolume{BlockCount: 1024, BlockSize: 4096}},
			[]string{"NAME", "SIZE", "mallocVolumes/m1", "4.0 MiB", "4096", "READY"}},
		{"a subsystem is created with hosts and a PSK read from a file",
			"", []string{"nvme-subsystem", "create", "s1", "--nqn", "nqn.2022-09.io.opiproject:s1", "--host", "nqn.host:1", "--host", "nqn.host:2", "--psk-file", "nqn.host:1=" + pskFile},
			&storagev1.CreateNvmeSubsystemRequest{NvmeSubsystemId: "s1", NvmeSubsystem: &storagev1.NvmeSubsystem{Nqn: "nqn.2022-09.io.opiproject:s1",
				Hosts: []*storagev1.NvmeSubsystemHost{{HostNqn: "nqn.host:1", Psk: testPSK}, {HostNqn: "nqn.host:2"}}}},
			[]string{"nvmeSubsystems/s1", "nqn.2022-09.io.opiproject:s1", "2"}},
		{"a PSK for a host not listed adds the host, and stdin serves as the file",
			testPSK, []string{"nvme-subsystem", "create", "s2", "--nqn", "nqn.2022-09.io.opiproject:s2", "--psk-file", "nqn.host:3=-"},
			&storagev1.CreateNvmeSubsystemRequest{NvmeSubsystemId: "s2", NvmeSubsystem: &storagev1.NvmeSubsystem{Nqn: "nqn.2022-09.io.opiproject:s2",
				Hosts: []*storagev1.NvmeSubsystemHost{{HostNqn: "nqn.host:3", Psk: testPSK}}}},
			[]string{"nvmeSubsystems/s2"}},
		{"a namespace is created under the subsystem given by id",
			"", []string{"nvme-namespace", "create", "ns1", "--subsystem", "s1", "--volume", "mallocVolumes/m1", "--nsid", "3"},
			&storagev1.CreateNvmeNamespaceRequest{Parent: "nvmeSubsystems/s1", NvmeNamespaceId: "ns1", NvmeNamespace: &storagev1.NvmeNamespace{Volume: "mallocVolumes/m1", Nsid: 3}},
			[]string{"nvmeSubsystems/s1/nvmeNamespaces/ns1", "mallocVolumes/m1", "3"}},
		{"a namespace is created by its full name",
			"", []string{"nvme-namespace", "create", "nvmeSubsystems/s1/nvmeNamespaces/ns2", "--volume", "mallocVolumes/m2"},
			&storagev1.CreateNvmeNamespaceRequest{Parent: "nvmeSubsystems/s1", NvmeNamespaceId: "ns2", NvmeNamespace: &storagev1.NvmeNamespace{Volume: "mallocVolumes/m2"}},
			[]string{"nvmeSubsystems/s1/nvmeNamespaces/ns2"}},
		{"a TCP controller gets a fabrics endpoint",
			"", []string{"nvme-controller", "create", "tcp1", "--subsystem", "nvmeSubsystems/s1", "--trtype", "tcp", "--traddr", "10.0.0.1", "--trsvcid", "4421"},
			&storagev1.CreateNvmeControllerRequest{Parent: "nvmeSubsystems/s1", NvmeControllerId: "tcp1", NvmeController: &storagev1.NvmeController{
				Endpoint: &storagev1.NvmeController_Fabrics{Fabrics: &storagev1.NvmeFabricsAddress{Trtype: storagev1.NvmeTransportType_NVME_TRANSPORT_TYPE_TCP, Traddr: "10.0.0.1", Trsvcid: 4421}}}},
			[]string{"tcp 10.0.0.1:4421"}},
		{"a virtio-blk device on PCIe function 0 is a PCIe endpoint",
			"", []string{"virtio-blk", "create", "d1", "--volume", "mallocVolumes/m1", "--port-id", "0"},
			&storagev1.CreateVirtioBlkRequest{VirtioBlkId: "d1", VirtioBlk: &storagev1.VirtioBlk{Volume: "mallocVolumes/m1",
				Endpoint: &storagev1.VirtioBlk_Pcie{Pcie: &storagev1.PcieEndpoint{}}}},
			[]string{"pcie 0/0/0"}},
		{"get takes an id with its parent",
			"", []string{"nvme-namespace", "get", "ns1", "--subsystem", "s1"},
			&storagev1.GetNvmeNamespaceRequest{Name: "nvmeSubsystems/s1/nvmeNamespaces/ns1"},
			[]string{"nvmeSubsystems/s1/nvmeNamespaces/ns1"}},
		{"a full name with a decimal id, which is no AIP-122 id, is sent as it is",
			"", []string{"nvme-remote-namespace", "get", "nvmeRemoteControllers/r1/nvmeRemoteNamespaces/1"},
			&storagev1.GetNvmeRemoteNamespaceRequest{Name: "nvmeRemoteControllers/r1/nvmeRemoteNamespaces/1"},
			[]string{"nvmeRemoteControllers/r1/nvmeRemoteNamespaces/1"}},
		{"an id is joined to a parent given by its full name",
			"", []string{"nvme-remote-namespace", "get", "1", "--remote-controller", "nvmeRemoteControllers/r1"},
			&storagev1.GetNvmeRemoteNamespaceRequest{Name: "nvmeRemoteControllers/r1/nvmeRemoteNamespaces/1"},
			[]string{"nvmeRemoteControllers/r1/nvmeRemoteNamespaces/1"}},
		{"an update sends a mask of exactly the nested field given",
			"", []string{"qos-volume", "update", "q1", "--w-mbytes-per-sec", "100"},
			&storagev1.UpdateQosVolumeRequest{QosVolume: &storagev1.QosVolume{Name: "qosVolumes/q1", Limits: &storagev1.QosLimits{WMbytesPerSec: 100}},
				UpdateMask: mask("limits.w_mbytes_per_sec")},
			[]string{"qosVolumes/q1", "1000", "100"}},
		{"an update to false still names the field in the mask",
			"", []string{"nvme-subsystem", "update", "s0", "--allow-any-host=false"},
			&storagev1.UpdateNvmeSubsystemRequest{NvmeSubsystem: &storagev1.NvmeSubsystem{Name: "nvmeSubsystems/s0"}, UpdateMask: mask("allow_any_host")},
			[]string{"nvmeSubsystems/s0"}},
		{"an update of a child resizes the logical volume",
			"", []string{"lvol", "update", "v1", "--store", "pool", "--size-mib", "128"},
			&storagev1.UpdateLogicalVolumeRequest{LogicalVolume: &storagev1.LogicalVolume{Name: "logicalVolumeStores/pool/logicalVolumes/v1", SizeMib: 128}, UpdateMask: mask("size_mib")},
			[]string{"128.0 MiB"}},
		{"update with --allow-missing may set fields fixed at creation",
			"", []string{"malloc-volume", "update", "m9", "--allow-missing", "--block-count", "8"},
			&storagev1.UpdateMallocVolumeRequest{MallocVolume: &storagev1.MallocVolume{Name: "mallocVolumes/m9", BlockCount: 8}, UpdateMask: mask("block_count"), AllowMissing: true},
			[]string{"mallocVolumes/m9"}},
		{"a virtio-scsi target over vhost-user",
			"", []string{"virtio-scsi-target", "create", "t1", "--vhost-user", "--max-luns", "4"},
			&storagev1.CreateVirtioScsiTargetRequest{VirtioScsiTargetId: "t1", VirtioScsiTarget: &storagev1.VirtioScsiTarget{
				Endpoint: &storagev1.VirtioScsiTarget_VhostUser{VhostUser: &storagev1.VhostUserEndpoint{}}, MaxLuns: 4}},
			[]string{"virtioScsiTargets/t1"}},
		{"a virtio-scsi target on a PCIe function",
			"", []string{"virtio-scsi-target", "create", "t2", "--port-id", "1", "--physical-function", "2"},
			&storagev1.CreateVirtioScsiTargetRequest{VirtioScsiTargetId: "t2", VirtioScsiTarget: &storagev1.VirtioScsiTarget{
				Endpoint: &storagev1.VirtioScsiTarget_Pcie{Pcie: &storagev1.PcieEndpoint{PortId: 1, PhysicalFunction: 2}}}},
			[]string{"virtioScsiTargets/t2", "pcie 1/2/0"}},
		{"a LUN without --target-number leaves the number to the service",
			"", []string{"virtio-scsi-lun", "create", "l1", "--target", "t1", "--volume", "mallocVolumes/m1"},
			&storagev1.CreateVirtioScsiLunRequest{VirtioScsiLunId: "l1", VirtioScsiLun: &storagev1.VirtioScsiLun{Target: "virtioScsiTargets/t1", Volume: "mallocVolumes/m1"}},
			[]string{"virtioScsiLuns/l1"}},
		{"a LUN at --target-number 0 asks for number 0",
			"", []string{"virtio-scsi-lun", "create", "l2", "--target", "virtioScsiTargets/t1", "--volume", "mallocVolumes/m2", "--target-number", "0"},
			&storagev1.CreateVirtioScsiLunRequest{VirtioScsiLunId: "l2", VirtioScsiLun: &storagev1.VirtioScsiLun{Target: "virtioScsiTargets/t1", Volume: "mallocVolumes/m2", TargetNumber: proto.Uint32(0)}},
			[]string{"virtioScsiLuns/l2"}},
		{"stats show the volume's counters",
			"", []string{"malloc-volume", "stats", "m1"},
			&storagev1.StatsMallocVolumeRequest{Name: "mallocVolumes/m1"},
			[]string{"read", "7", "28.0 KiB"}},
		{"delete on a terminal says what it deleted",
			"", []string{"nvme-namespace", "delete", "ns2", "--subsystem", "s1"},
			&storagev1.DeleteNvmeNamespaceRequest{Name: "nvmeSubsystems/s1/nvmeNamespaces/ns2"},
			[]string{"deleted nvmeSubsystems/s1/nvmeNamespaces/ns2\n"}},
		{"delete of a missing resource succeeds with --allow-missing",
			"", []string{"null-volume", "delete", "nothing", "--allow-missing"},
			&storagev1.DeleteNullVolumeRequest{Name: "nullVolumes/nothing", AllowMissing: true},
			[]string{"deleted nullVolumes/nothing"}},
		{"delete --force asks the API to take a subsystem's controllers and namespaces with it",
			"", []string{"nvme-subsystem", "delete", "s0", "--force"},
			&storagev1.DeleteNvmeSubsystemRequest{Name: "nvmeSubsystems/s0", Force: true},
			[]string{"deleted nvmeSubsystems/s0"}},
		{"delete --force of a logical volume store takes its logical volumes",
			"", []string{"lvs", "delete", "pool", "--force", "--allow-missing"},
			&storagev1.DeleteLogicalVolumeStoreRequest{Name: "logicalVolumeStores/pool", Force: true, AllowMissing: true},
			[]string{"deleted logicalVolumeStores/pool"}},
		{"delete --force of a remote controller takes its paths",
			"", []string{"nvme-remote-controller", "delete", "r1", "--force", "--allow-missing"},
			&storagev1.DeleteNvmeRemoteControllerRequest{Name: "nvmeRemoteControllers/r1", Force: true, AllowMissing: true},
			[]string{"deleted nvmeRemoteControllers/r1"}},
		{"delete without --force leaves force unset",
			"", []string{"lvs", "delete", "pool", "--allow-missing"},
			&storagev1.DeleteLogicalVolumeStoreRequest{Name: "logicalVolumeStores/pool", AllowMissing: true},
			[]string{"deleted logicalVolumeStores/pool"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runWith(t, tc.stdin, true, append([]string{"--insecure", "--addr", addr, "storage"}, tc.args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			if got := lastRequest(f); !proto.Equal(got, tc.want) {
				t.Errorf("the server got\n%v\nwant\n%v", got, tc.want)
			}
			for _, w := range tc.out {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			if strings.Contains(out+errOut, "NVMeTLSkey") {
				t.Errorf("a PSK was printed:\n%s%s", out, errOut)
			}
		})
	}
}

func mask(paths ...string) *fieldmaskpb.FieldMask { return &fieldmaskpb.FieldMask{Paths: paths} }

func TestStorageListFollowsPages(t *testing.T) {
	f, addr := serveResources(t)
	for _, id := range []string{"a", "b", "c", "d", "e"} {
		f.put(&storagev1.NullVolume{Name: "nullVolumes/" + id, BlockCount: 8})
	}
	f.put(&storagev1.NvmeNamespace{Name: "nvmeSubsystems/s1/nvmeNamespaces/ns1", Volume: "nullVolumes/a"})
	f.put(&storagev1.NvmeNamespace{Name: "nvmeSubsystems/s2/nvmeNamespaces/ns9", Volume: "nullVolumes/b"})
	for _, tc := range []struct {
		name     string
		args     []string
		rows     []string // stdout, piped: one line per resource
		calls    int      // List requests sent
		errOut   string
		terminal bool
	}{
		{"--all follows next_page_token to the end", []string{"null-volume", "list", "--page-size", "2", "--all"},
			[]string{"nullVolumes/a", "nullVolumes/b", "nullVolumes/c", "nullVolumes/d", "nullVolumes/e"}, 3, "", false},
		{"one page says how to get the next", []string{"null-volume", "list", "--page-size", "2"},
			[]string{"nullVolumes/a", "nullVolumes/b"}, 1, "add --page-token 2, or --all", false},
		{"a page token starts further on", []string{"null-volume", "list", "--page-size", "2", "--page-token", "4"},
			[]string{"nullVolumes/e"}, 1, "", false},
		{"children are listed under the parent given", []string{"nvme-namespace", "list", "--subsystem", "s2"},
			[]string{"nvmeSubsystems/s2/nvmeNamespaces/ns9"}, 1, "", false},
		{"an empty list says so on a terminal", []string{"aio-volume", "list"},
			nil, 1, "no AIO volumes", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(f.requests())
			code, out, errOut := runWith(t, "", tc.terminal, append([]string{"--insecure", "--addr", addr, "storage"}, tc.args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			var names []string
			for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
				if line != "" && !tc.terminal {
					names = append(names, strings.Split(line, "\t")[0])
				}
			}
			if !slices.Equal(names, tc.rows) {
				t.Errorf("rows %q, want %q:\n%s", names, tc.rows, out)
			}
			if calls := len(f.requests()) - before; calls != tc.calls {
				t.Errorf("%d List calls, want %d", calls, tc.calls)
			}
			if !strings.Contains(errOut, tc.errOut) {
				t.Errorf("stderr lacks %q: %s", tc.errOut, errOut)
			}
		})
	}
}

func TestStorageOutputFormats(t *testing.T) {
	f, addr := serveResources(t)
	f.put(&storagev1.MallocVolume{Name: "mallocVolumes/m1", BlockCount: 2048, Uuid: "ceccf520-691e-4b46-9546-34af789907c5"})
	f.put(&storagev1.MallocVolume{Name: "mallocVolumes/m2", BlockCount: 16})
	for _, tc := range []struct {
		name     string
		terminal bool
		args     []string
		check    func(t *testing.T, out string)
	}{
		{"a terminal gets aligned columns with NAME and STATUS", true, []string{"malloc-volume", "list"}, func(t *testing.T, out string) {
			if !regexp.MustCompile(`NAME +SIZE +BLOCK SIZE +UUID +STATUS\nmallocVolumes/m1 +1.0 MiB +- +ceccf520-691e-4b46-9546-34af789907c5 +-\n`).MatchString(out) {
				t.Errorf("unexpected table:\n%s", out)
			}
		}},
		{"a pipe gets tab-separated rows without a header", false, []string{"malloc-volume", "get", "m2"}, func(t *testing.T, out string) {
			if out != "mallocVolumes/m2\t8.0 KiB\t\t\t\n" {
				t.Errorf("unexpected TSV: %q", out)
			}
		}},
		{"json holds the whole resource with the API's field names", false, []string{"malloc-volume", "get", "m1", "-o", "json"}, func(t *testing.T, out string) {
			var v map[string]any
			if err := json.Unmarshal([]byte(out), &v); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, out)
			}
			if v["name"] != "mallocVolumes/m1" || v["block_count"] != "2048" || v["uuid"] == nil {
				t.Errorf("unexpected JSON: %v", v)
			}
		}},
		{"yaml of a list holds every item", false, []string{"malloc-volume", "list", "-o", "yaml"}, func(t *testing.T, out string) {
			var v struct {
				MallocVolumes []map[string]any `json:"malloc_volumes"`
			}
			if err := yaml.Unmarshal([]byte(out), &v); err != nil {
				t.Fatalf("not YAML: %v\n%s", err, out)
			}
			if len(v.MallocVolumes) != 2 {
				t.Errorf("unexpected YAML: %s", out)
			}
		}},
		{"delete prints nothing when piped", false, []string{"malloc-volume", "delete", "m2"}, func(t *testing.T, out string) {
			if out != "" {
				t.Errorf("piped delete printed %q", out)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runWith(t, "", tc.terminal, append([]string{"--insecure", "--addr", addr, "storage"}, tc.args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			tc.check(t, out)
		})
	}
}

func TestStorageDryRunSendsNothing(t *testing.T) {
	f, addr := serveResources(t)
	key := writeFile(t, "data.key", strings.Repeat("k", 32))
	for _, tc := range []struct {
		name string
		args []string
		want map[string]any // top-level fields of the printed request
		left string         // the secret fields stderr says were left out
	}{
		{"create prints the request", []string{"nvme-namespace", "create", "ns1", "--subsystem", "s1", "--volume", "mallocVolumes/m1", "--dry-run"},
			map[string]any{"parent": "nvmeSubsystems/s1", "nvme_namespace_id": "ns1"}, ""},
		{"update prints the mask", []string{"lvol", "update", "v1", "--store", "pool", "--size-mib", "5", "--dry-run"},
			map[string]any{"update_mask": "sizeMib"}, ""}, // FieldMask JSON is lowerCamel, as protojson writes it
		{"delete prints each request", []string{"aio-volume", "delete", "a1", "--allow-missing", "--dry-run"},
			map[string]any{"name": "aioVolumes/a1", "allow_missing": true}, ""},
		{"secrets are left out of what is shown", []string{"encrypted-volume", "create", "e1", "--volume", "mallocVolumes/m1", "--cipher", "aes-cbc", "--key-file", key, "--dry-run"},
			map[string]any{"encrypted_volume_id": "e1"}, "encrypted_volume.key"},
		{"a PSK from stdin is left out too", []string{"nvme-remote-controller", "create", "r1", "--trtype", "tcp", "--traddr", "10.0.0.2", "--subnqn", "nqn.x:y", "--psk-file", "-", "--dry-run"},
			map[string]any{"nvme_remote_controller_id": "r1"}, "nvme_remote_controller.psk"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runWith(t, testPSK, true, append([]string{"--insecure", "--addr", addr, "storage"}, tc.args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			var v map[string]any
			if err := json.Unmarshal([]byte(out), &v); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, out)
			}
			for k, want := range tc.want {
				if v[k] != want {
					t.Errorf("%s = %v, want %v in %s", k, v[k], want, out)
				}
			}
			const said = "secret fields left out of what is shown: "
			if tc.left != "" && !strings.Contains(errOut, said+tc.left+"\n") || tc.left == "" && strings.Contains(errOut, said) {
				t.Errorf("stderr %q does not say exactly %q were left out", errOut, tc.left)
			}
			if strings.Contains(out, "NVMeTLSkey") || strings.Contains(out, "a2tr") || strings.Contains(out, "kkkk") {
				t.Errorf("a secret was printed:\n%s", out)
			}
			if n := len(f.requests()); n != 0 {
				t.Errorf("a dry run sent %d requests", n)
			}
		})
	}
}

func TestStorageErrorsSayWhatToDo(t *testing.T) {
	f, addr := serveResources(t)
	f.put(&storagev1.MallocVolume{Name: "mallocVolumes/m1", BlockCount: 8})
	empty := writeFile(t, "empty.psk", "\n")
	for _, tc := range []struct {
		name  string
		stdin string
		args  []string
		want  []string
	}{
		{"an id of a child needs its parent", "", []string{"nvme-namespace", "get", "ns1"}, []string{`"ns1" is an id`, "--subsystem", "nvmeSubsystems/{nvme_subsystem}/nvmeNamespaces/{nvme_namespace}"}},
		{"a name of another kind is refused with the pattern", "", []string{"nvme-namespace", "get", "mallocVolumes/m1"}, []string{"not a NVMe namespace name", "nvmeSubsystems/{nvme_subsystem}/nvmeNamespaces/{nvme_namespace}"}},
		{"a full name outside the parent given is refused", "", []string{"nvme-namespace", "get", "nvmeSubsystems/a/nvmeNamespaces/n", "--subsystem", "b"}, []string{"not in --subsystem b"}},
		{"listing children needs the parent", "", []string{"nvme-controller", "list"}, []string{"say which NVMe subsystem", "--subsystem"}},
		{"an unknown enum value lists the valid ones", "", []string{"nvme-controller", "create", "c1", "--subsystem", "s1", "--trtype", "fc"}, []string{`"fc" is not one of tcp, rdma`}},
		{"create names the required flags", "", []string{"malloc-volume", "create", "m2"}, []string{`required flag(s) "block-count" not set`}},
		{"an update that changes nothing lists what can change", "", []string{"nvme-controller", "update", "c1", "--subsystem", "s1"}, []string{"nothing to update", "--ana-state"}},
		{"an update of a field fixed at creation is refused before sending", "", []string{"malloc-volume", "update", "m1", "--block-count", "9"}, []string{"--block-count cannot change", "delete and create it again"}},
		{"a PSK argument without a host says the form", "", []string{"nvme-subsystem", "create", "s1", "--nqn", "nqn.x:s1", "--psk-file", "host1.psk"}, []string{"want HOST_NQN=FILE"}},
		{"a missing secret file is named", "", []string{"nvme-remote-controller", "create", "r1", "--trtype", "tcp", "--traddr", "10.0.0.2", "--subnqn", "nqn.x:y", "--psk-file", "/nonexistent/r1.psk"}, []string{"--psk-file", "/nonexistent/r1.psk"}},
		{"an empty secret file is refused", "", []string{"nvme-remote-controller", "create", "r1", "--trtype", "tcp", "--traddr", "10.0.0.2", "--subnqn", "nqn.x:y", "--psk-file", empty}, []string{"is empty"}},
		{"two secrets cannot both come from stdin", "k", []string{"encrypted-volume", "create", "e1", "--volume", "mallocVolumes/m1", "--cipher", "aes-xts", "--key-file", "-", "--key2-file", "-"}, []string{"--key-file and --key2-file both read stdin"}},
		{"two endpoints at once are refused", "", []string{"nvme-controller", "create", "c1", "--subsystem", "s1", "--trtype", "tcp", "--traddr", "10.0.0.1", "--port-id", "1"}, []string{"give one or the other"}},
		{"the server's AlreadyExists message is shown as it is", "", []string{"malloc-volume", "create", "m1", "--block-count", "8"}, []string{"already exists: mallocVolumes/m1 already exists; delete it first, or update it"}},
		{"the server's NotFound message is shown as it is", "", []string{"qos-volume", "get", "q7"}, []string{"not found: qosVolumes/q7 does not exist"}},
		{"a kind whose Delete has no force has no --force", "", []string{"malloc-volume", "delete", "m1", "--force"}, []string{"unknown flag: --force"}},
		{"a verb without its argument says what it takes", "", []string{"lvs", "get"}, []string{"opi storage lvs get takes one NAME"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runWith(t, tc.stdin, false, append([]string{"--insecure", "--addr", addr, "storage"}, tc.args...)...)
			if code == 0 {
				t.Fatalf("exit 0, want failure; stdout %s", out)
			}
			for _, w := range tc.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
		})
	}
}

// TestEveryStorageCallIsAMethodOfTheAPI calls each method the commands
// derive from the descriptors against the generated services, which answer
// "not implemented" only for methods they declare.
func TestEveryStorageCallIsAMethodOfTheAPI(t *testing.T) {
	addr := unimplementedStorage(t)
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, tc := range []struct {
		kind     proto.Message
		readOnly bool
		stats    bool
	}{
		{&storagev1.MallocVolume{}, false, true}, {&storagev1.NullVolume{}, false, true}, {&storagev1.AioVolume{}, false, true},
		{&storagev1.LogicalVolumeStore{}, false, false}, {&storagev1.LogicalVolume{}, false, true},
		{&storagev1.EncryptedVolume{}, false, true}, {&storagev1.QosVolume{}, false, true},
		{&storagev1.NvmeSubsystem{}, false, true}, {&storagev1.NvmeController{}, false, true}, {&storagev1.NvmeNamespace{}, false, true},
		{&storagev1.VirtioBlk{}, false, true}, {&storagev1.VirtioScsiTarget{}, false, true}, {&storagev1.VirtioScsiLun{}, false, true},
		{&storagev1.NvmeRemoteController{}, false, true}, {&storagev1.NvmePath{}, false, true}, {&storagev1.NvmeRemoteNamespace{}, true, true},
	} {
		t.Run(kindName(tc.kind), func(t *testing.T) {
			api := newResourceAPI(tc.kind.ProtoReflect().Descriptor())
			calls := map[string]proto.Message{
				"get":  nameRequest(api.get, "x", false),
				"list": api.listRequest("p", 1, ""),
			}
			if !tc.readOnly {
				calls["create"] = api.createRequest("p", "x", tc.kind)
				calls["update"] = api.updateRequest(tc.kind, []string{"name"}, true)
				calls["delete"] = api.deleteRequest("x", true, api.canForce())
			} else if api.create != nil || api.update != nil || api.del != nil {
				t.Error("a read-only kind has a method that changes it")
			}
			if tc.stats {
				calls["stats"] = nameRequest(api.stats, "x", false)
			} else if api.stats != nil {
				t.Error("found a Stats method the API table does not list")
			}
			if api.reset != nil {
				calls["reset"] = nameRequest(api.reset, "x", false)
			}
			methods := map[string]protoreflect.MethodDescriptor{"get": api.get, "list": api.list, "create": api.create, "update": api.update, "delete": api.del, "stats": api.stats, "reset": api.reset}
			for verb, req := range calls {
				if methods[verb] == nil {
					t.Errorf("%s: no method", verb)
					continue
				}
				_, err := invoke(context.Background(), conn, methods[verb], req)
				if err == nil || !strings.Contains(err.Error(), "not implemented") {
					t.Errorf("%s: %v, want the generated service's Unimplemented", verb, err)
				}
			}
		})
	}
}

func TestStorageStatsAndCompletion(t *testing.T) {
	f, addr := serveResources(t)
	f.put(&storagev1.NvmeSubsystem{Name: "nvmeSubsystems/s1"})
	f.put(&storagev1.NvmeRemoteController{Name: "nvmeRemoteControllers/r1"})
	f.put(&storagev1.NvmePath{Name: "nvmeRemoteControllers/r1/nvmePaths/p2"})
	f.put(&storagev1.VirtioBlk{Name: "virtioBlks/b1"})
	conn := []string{"--insecure", "--addr", addr}
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"subsystem stats show I/O and host connections", append(conn, "storage", "nvme-subsystem", "stats", "s1"),
			[]string{"I/O", "read", "HOST CONNECTIONS", "CONTROLLER ID"}},
		{"remote controller stats show its paths", append(conn, "storage", "nvme-remote-controller", "stats", "r1"),
			[]string{"PATHS", "CONNECTED"}},
		{"path stats show the one path", append(conn, "storage", "nvme-path", "stats", "p2", "--remote-controller", "r1"),
			[]string{"PATHS", "nvmeRemoteControllers/r1/nvmePaths/p2", "yes", "9"}},
		{"a virtio-blk's stats show its volume's I/O", append(conn, "storage", "virtio-blk", "stats", "b1"),
			[]string{"I/O", "read", "28.0 KiB"}},
		{"a remote controller resets", append(conn, "storage", "nvme-remote-controller", "reset", "r1"),
			[]string{"reset nvmeRemoteControllers/r1"}},
		{"names complete from the service", append(append([]string{"__complete"}, conn...), "storage", "nvme-subsystem", "get", ""),
			[]string{"nvmeSubsystems/s1\n"}},
		{"enum flags complete with their values", []string{"__complete", "storage", "encrypted-volume", "create", "e1", "--cipher", ""},
			[]string{"aes-cbc\naes-xts\n"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runWith(t, "", true, tc.args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

// unimplementedStorage registers the generated services with nothing
// implemented, so that a call reaches the generated stubs or fails as an
// unknown method.
func unimplementedStorage(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer()
	storagev1.RegisterVolumeServiceServer(s, storagev1.UnimplementedVolumeServiceServer{})
	storagev1.RegisterLogicalVolumeServiceServer(s, storagev1.UnimplementedLogicalVolumeServiceServer{})
	storagev1.RegisterMiddleendServiceServer(s, storagev1.UnimplementedMiddleendServiceServer{})
	storagev1.RegisterFrontendNvmeServiceServer(s, storagev1.UnimplementedFrontendNvmeServiceServer{})
	storagev1.RegisterFrontendVirtioBlkServiceServer(s, storagev1.UnimplementedFrontendVirtioBlkServiceServer{})
	storagev1.RegisterFrontendVirtioScsiServiceServer(s, storagev1.UnimplementedFrontendVirtioScsiServiceServer{})
	storagev1.RegisterBackendNvmeServiceServer(s, storagev1.UnimplementedBackendNvmeServiceServer{})
	go s.Serve(lis)
	t.Cleanup(s.Stop)
	return lis.Addr().String()
}
