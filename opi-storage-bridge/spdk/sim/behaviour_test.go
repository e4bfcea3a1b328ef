package sim

import (
	"encoding/json"
	"strings"
	"testing"
)

type step struct {
	method, params string
	wantCode       int    // 0: success
	wantMsg        string // checked when not empty
	wantResult     string // checked (as substring) when not empty
}

func runSteps(t *testing.T, steps []step) {
	t.Helper()
	_, path := startSim(t)
	c := dial(t, path)
	for i, s := range steps {
		r := c.call(s.method, s.params)
		switch {
		case s.wantCode == 0 && r.Error != nil:
			t.Fatalf("step %d %s: unexpected error %v", i, s.method, r.Error)
		case s.wantCode != 0 && (r.Error == nil || r.Error.Code != s.wantCode):
			t.Fatalf("step %d %s: got %s %v, want code %d", i, s.method, r.Result, r.Error, s.wantCode)
		case s.wantMsg != "" && r.Error.Message != s.wantMsg:
			t.Fatalf("step %d %s: message %q, want %q", i, s.method, r.Error.Message, s.wantMsg)
		case s.wantResult != "" && !strings.Contains(string(r.Result), s.wantResult):
			t.Fatalf("step %d %s: result %s lacks %s", i, s.method, r.Result, s.wantResult)
		}
	}
}

func TestStateBehavesAsSPDK(t *testing.T) {
	const sub = `"nqn":"nqn.2016-06.io.spdk:cnode1"`
	listen := `{` + sub + `,"listen_address":{"trtype":"TCP","traddr":"127.0.0.1","trsvcid":"4420"}}`
	attach := `{"name":"Nvme0","trtype":"tcp","traddr":"127.0.0.1","trsvcid":"4420","subnqn":"nqn.2016-06.io.spdk:cnode1"}`
	cases := []struct {
		name  string
		steps []step
	}{
		{"a namespace exported over TCP is attached back as a remote bdev", []step{
			{method: "bdev_malloc_create", params: `{"block_size":4096,"num_blocks":256}`, wantResult: `"Malloc0"`},
			{method: "nvmf_create_subsystem", params: `{` + sub + `,"allow_any_host":true}`},
			{method: "nvmf_subsystem_add_ns", params: `{` + sub + `,"namespace":{"bdev_name":"Malloc0"}}`, wantResult: "1"},
			{method: "nvmf_subsystem_add_listener", params: listen, wantCode: -32602},
			{method: "nvmf_create_transport", params: `{"trtype":"TCP"}`},
			{method: "nvmf_subsystem_add_listener", params: listen},
			{method: "bdev_nvme_attach_controller", params: attach, wantResult: `["Nvme0n1"]`},
			{method: "bdev_get_bdevs", params: `{"name":"Nvme0n1"}`, wantResult: `"product_name":"NVMe disk","block_size":4096,"num_blocks":256`},
			{method: "nvmf_subsystem_get_controllers", params: `{` + sub + `}`, wantResult: `"cntlid":1`},
			{method: "bdev_nvme_attach_controller", params: attach, wantCode: -114},
			{method: "nvmf_subsystem_add_listener", params: `{` + sub + `,"listen_address":{"trtype":"TCP","traddr":"127.0.0.1","trsvcid":"4421"}}`},
			{method: "bdev_nvme_attach_controller", params: strings.Replace(attach, "4420", "4421", 1), wantResult: `["Nvme0n1"]`},
			{method: "bdev_nvme_get_controllers", params: `{"name":"Nvme0"}`, wantResult: `"trsvcid":"4421"`},
			{method: "bdev_nvme_detach_controller", params: `{"name":"Nvme0"}`},
			{method: "bdev_get_bdevs", params: `{"name":"Nvme0n1"}`, wantCode: -19, wantMsg: "No such device"},
		}},
		{"an unreachable target fails to attach", []step{
			{method: "bdev_nvme_attach_controller", params: `{"name":"N","trtype":"TCP","traddr":"10.0.0.1","trsvcid":"4420","subnqn":"nqn.2016-06.io.spdk:x"}`, wantCode: -5},
			{method: "bdev_nvme_attach_controller", params: `{"name":"N","trtype":"XYZ","traddr":"a"}`, wantCode: -19, wantMsg: "No such device"}, // as spdk_tgt: an unknown custom transport
		}},
		{"a claimed bdev cannot be claimed twice", []step{
			{method: "bdev_malloc_create", params: `{"name":"M","block_size":512,"num_blocks":1024}`},
			{method: "nvmf_create_subsystem", params: `{` + sub + `}`},
			{method: "nvmf_subsystem_add_ns", params: `{` + sub + `,"namespace":{"bdev_name":"M"}}`},
			{method: "bdev_get_bdevs", params: `{"name":"M"}`, wantResult: `"claimed":true`},
			{method: "nvmf_subsystem_add_ns", params: `{` + sub + `,"namespace":{"bdev_name":"M"}}`, wantCode: -32602},
			{method: "bdev_passthru_create", params: `{"name":"P","base_bdev_name":"M"}`, wantCode: -1, wantMsg: "Operation not permitted"},
			{method: "bdev_lvol_create_lvstore", params: `{"bdev_name":"M","lvs_name":"L"}`, wantCode: -1, wantMsg: "Operation not permitted"},
		}},
		{"deleting a claimed base hot-removes its users as SPDK does", []step{
			{method: "bdev_malloc_create", params: `{"name":"M","block_size":512,"num_blocks":1024}`},
			{method: "bdev_passthru_create", params: `{"name":"P","base_bdev_name":"M"}`},
			{method: "nvmf_create_subsystem", params: `{` + sub + `}`},
			{method: "nvmf_subsystem_add_ns", params: `{` + sub + `,"namespace":{"bdev_name":"P"}}`},
			{method: "bdev_malloc_delete", params: `{"name":"M"}`},
			{method: "bdev_get_bdevs", params: `{"name":"P"}`, wantCode: -19},
			{method: "nvmf_get_subsystems", params: `{` + sub + `}`, wantResult: `"namespaces":[]`},
			{method: "bdev_malloc_create", params: `{"name":"M","block_size":512,"num_blocks":1024}`},
			{method: "bdev_get_bdevs", params: `{"name":"P"}`, wantResult: `"passthru"`},
		}},
		{"duplicates are refused with SPDK's codes", []step{
			{method: "bdev_malloc_create", params: `{"name":"M","block_size":512,"num_blocks":1024}`},
			{method: "bdev_malloc_create", params: `{"name":"M","block_size":512,"num_blocks":1024}`, wantCode: -17, wantMsg: "File exists"},
			{method: "bdev_malloc_create", params: `{"name":"X","block_size":500,"num_blocks":1024}`, wantCode: -22},
			{method: "nvmf_create_subsystem", params: `{` + sub + `}`},
			{method: "nvmf_create_subsystem", params: `{` + sub + `}`, wantCode: -32603, wantMsg: "Unable to create subsystem nqn.2016-06.io.spdk:cnode1"},
			{method: "nvmf_create_transport", params: `{"trtype":"TCP"}`},
			{method: "nvmf_create_transport", params: `{"trtype":"TCP"}`, wantCode: -32603, wantMsg: "Transport type 'TCP' already exists"},
			{method: "bdev_lvol_create_lvstore", params: `{"bdev_name":"M","lvs_name":"L"}`, wantCode: -32602, wantMsg: "No space left on device"},
		}},
		{"missing objects are reported as SPDK reports them", []step{
			{method: "bdev_malloc_delete", params: `{"name":"nope"}`, wantCode: -19},
			{method: "bdev_get_bdevs", params: `{"name":"nope"}`, wantCode: -19},
			{method: "nvmf_delete_subsystem", params: `{"nqn":"nqn.2016-06.io.spdk:none"}`, wantCode: -32602},
			{method: "keyring_file_add_key", params: `{"name":"k","path":"/nonexistent/key"}`, wantCode: -2},
			{method: "keyring_file_add_key", params: `{"name":"k","path":"relative/key"}`, wantCode: -1},
			{method: "bdev_lvol_get_lvstores", params: `{"lvs_name":"none"}`, wantCode: -19},
			{method: "vhost_delete_controller", params: `{"ctrlr":"none"}`, wantCode: -32602, wantMsg: "No such device"},
			{method: "bdev_crypto_create", params: `{"name":"C","base_bdev_name":"B","key_name":"none"}`, wantCode: -32602, wantMsg: "Key was not found"},
		}},
		{"logical volumes are named by UUID with an lvs/lvol alias", []step{
			{method: "bdev_malloc_create", params: `{"name":"M","block_size":512,"num_blocks":262144}`},
			{method: "bdev_lvol_create_lvstore", params: `{"bdev_name":"M","lvs_name":"lvs"}`},
			{method: "bdev_lvol_create", params: `{"lvs_name":"lvs","lvol_name":"v","size_in_mib":8}`},
			{method: "bdev_get_bdevs", params: `{"name":"lvs/v"}`, wantResult: `"aliases":["lvs/v"]`},
			{method: "bdev_lvol_create", params: `{"lvs_name":"lvs","lvol_name":"v","size_in_mib":8}`, wantCode: -17},
			{method: "bdev_lvol_create", params: `{"lvs_name":"lvs","lvol_name":"big","size_in_mib":4096}`, wantCode: -32602, wantMsg: "No space left on device"},
			{method: "bdev_lvol_resize", params: `{"name":"lvs/v","size_in_mib":16}`, wantResult: `true`},
			{method: "bdev_get_bdevs", params: `{"name":"lvs/v"}`, wantResult: `"num_blocks":32768`},
			{method: "bdev_lvol_resize", params: `{"name":"lvs/v","size_in_mib":4096}`, wantCode: -32602, wantMsg: "No space left on device"},
			{method: "bdev_lvol_resize", params: `{"name":"M","size_in_mib":16}`, wantCode: -22},
			{method: "bdev_lvol_resize", params: `{"name":"nope","size_in_mib":16}`, wantCode: -19},
			{method: "bdev_lvol_delete_lvstore", params: `{"lvs_name":"lvs"}`},
			{method: "bdev_get_bdevs", params: `{"name":"lvs/v"}`, wantCode: -19},
			{method: "bdev_get_bdevs", params: `{"name":"M"}`, wantResult: `"claimed":false`},
		}},
		{"QoS limits show in bdev_get_bdevs rounded as SPDK rounds them", []step{
			{method: "bdev_malloc_create", params: `{"name":"M","block_size":512,"num_blocks":1024}`},
			{method: "bdev_set_qos_limit", params: `{"name":"M"}`, wantCode: -22, wantMsg: "No rate limits specified"},
			{method: "bdev_set_qos_limit", params: `{"name":"M","rw_ios_per_sec":1500,"w_mbytes_per_sec":7}`},
			{method: "bdev_get_bdevs", params: `{"name":"M"}`, wantResult: `"assigned_rate_limits":{"rw_ios_per_sec":2000,"rw_mbytes_per_sec":0,"r_mbytes_per_sec":0,"w_mbytes_per_sec":7}`},
		}},
		{"STARTUP-only methods answer the wrong-state error", []step{
			{method: "framework_start_init", wantCode: -1, wantMsg: msgNeedsStartup},
			{method: "no_such_method", wantCode: -32601, wantMsg: "Method not found"},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { runSteps(t, tc.steps) })
	}
}

func TestKeyFileWithGroupBitsIsRefused(t *testing.T) {
	_, path := startSim(t)
	c := dial(t, path)
	r := c.call("keyring_file_add_key", `{"name":"k","path":"`+keyFile(t, 0o640)+`"}`)
	if r.Error == nil || r.Error.Code != -1 {
		t.Fatalf("got %+v, want -1", r.Error)
	}
}

func TestARestartedSimIsEmpty(t *testing.T) {
	_, path := startSim(t)
	dial(t, path).must("bdev_malloc_create", `{"name":"M","block_size":512,"num_blocks":8}`)
	_, path2 := startSim(t)
	var got []json.RawMessage
	_ = json.Unmarshal(dial(t, path2).must("bdev_get_bdevs", ""), &got)
	if len(got) != 0 {
		t.Fatalf("new sim has bdevs: %s", got)
	}
}

func TestVhostCoalescingIsCheckedAsSPDKChecksIt(t *testing.T) {
	_, path := startSim(t)
	c := dial(t, path)
	c.must("bdev_malloc_create", `{"name":"m0","num_blocks":256,"block_size":512}`)
	c.must("vhost_create_blk_controller", `{"ctrlr":"vh0","dev_name":"m0"}`)
	cases := []struct {
		name, params string
		want         *rpcError // nil: accepted
	}{
		{"100 IOPS, one per 10 ms stats interval, is accepted", `{"ctrlr":"vh0","delay_base_us":80,"iops_threshold":100}`, nil},
		{"99 IOPS round to 0 per interval and are refused", `{"ctrlr":"vh0","delay_base_us":80,"iops_threshold":99}`, &rpcError{Code: -32602, Message: "Invalid argument"}},
		{"a delay over 2^32 ticks is refused", `{"ctrlr":"vh0","delay_base_us":4294968,"iops_threshold":60000}`, &rpcError{Code: -32602, Message: "Invalid argument"}},
		{"an unknown controller is No such device", `{"ctrlr":"vh9","delay_base_us":0,"iops_threshold":60000}`, &rpcError{Code: -32602, Message: "No such device"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := c.call("vhost_controller_set_coalescing", tc.params)
			if (r.Error == nil) != (tc.want == nil) || (r.Error != nil && *r.Error != *tc.want) {
				t.Fatalf("got error %+v, want %+v", r.Error, tc.want)
			}
		})
	}
	var ctrlrs []struct {
		DelayBaseUs   uint32 `json:"delay_base_us"`
		IopsThreshold uint32 `json:"iops_threshold"`
	}
	if err := json.Unmarshal(c.must("vhost_get_controllers", `{"name":"vh0"}`), &ctrlrs); err != nil {
		t.Fatal(err)
	}
	if len(ctrlrs) != 1 || ctrlrs[0].DelayBaseUs != 80 || ctrlrs[0].IopsThreshold != 100 {
		t.Errorf("vhost_get_controllers = %+v, want the accepted setting (80 us, 100 IOPS)", ctrlrs)
	}
}
