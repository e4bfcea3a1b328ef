package sim

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/opi-suite/opi/opi-storage-bridge/spdk/contract"
)

const cnode1 = "nqn.2016-06.io.spdk:cnode1"

// baseState builds the state every conformance case starts from.
func baseState(t *testing.T, c *client) {
	t.Helper()
	c.must("bdev_malloc_create", `{"name":"Malloc0","block_size":512,"num_blocks":32768}`)
	c.must("bdev_malloc_create", `{"name":"Malloc1","block_size":512,"num_blocks":131072}`)
	c.must("bdev_null_create", `{"name":"Null0","block_size":512,"num_blocks":1024}`)
	c.must("keyring_file_add_key", fmt.Sprintf(`{"name":"key0","path":%q}`, keyFile(t, 0o600)))
	c.must("accel_crypto_key_create", `{"cipher":"AES_XTS","key":"00112233445566778899aabbccddeeff","key2":"ffeeddccbbaa99887766554433221100","name":"k0"}`)
	c.must("nvmf_create_transport", `{"trtype":"TCP"}`)
	c.must("nvmf_create_subsystem", `{"nqn":"`+cnode1+`","allow_any_host":true}`)
	c.must("nvmf_subsystem_add_listener", `{"nqn":"`+cnode1+`","listen_address":{"trtype":"TCP","adrfam":"IPv4","traddr":"127.0.0.1","trsvcid":"4420"}}`)
	c.must("bdev_lvol_create_lvstore", `{"bdev_name":"Malloc1","lvs_name":"lvs0"}`)
}

type fixture struct {
	setup  [][2]string // method, params
	params string      // "" omits params
	// refuses is what the valid request answers where spdk_tgt, in its
	// default configuration, refuses it before reading the params (the
	// differential test checks the same answer on spdk_tgt); nil: success.
	refuses *rpcError
}

func fixtures(t *testing.T) map[string]fixture {
	aio := filepath.Join(t.TempDir(), "aio.img")
	if err := os.WriteFile(aio, make([]byte, 1<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	aioParams := fmt.Sprintf(`{"name":"Aio0","filename":%q,"block_size":512}`, aio)
	attach := `{"name":"Nvme0","trtype":"TCP","adrfam":"IPv4","traddr":"127.0.0.1","trsvcid":"4420","subnqn":"` + cnode1 + `"}`
	ns := `{"nqn":"` + cnode1 + `","namespace":{"bdev_name":"Malloc0"}}`
	host := `{"nqn":"` + cnode1 + `","host":"nqn.2016-06.io.spdk:host1"}`
	q := `{"nqn":"` + cnode1 + `"}`
	return map[string]fixture{
		"spdk_get_version":               {},
		"rpc_get_methods":                {params: `{"current":true}`},
		"framework_wait_init":            {},
		"bdev_get_bdevs":                 {params: `{"name":"Malloc0"}`},
		"bdev_get_iostat":                {params: `{"names":["Malloc0"]}`},
		"bdev_malloc_create":             {params: `{"name":"M9","block_size":4096,"num_blocks":16}`},
		"bdev_malloc_delete":             {params: `{"name":"Malloc0"}`},
		"bdev_null_create":               {params: `{"name":"N9","block_size":512,"num_blocks":16}`},
		"bdev_null_delete":               {params: `{"name":"Null0"}`},
		"bdev_aio_create":                {params: aioParams},
		"bdev_aio_delete":                {setup: [][2]string{{"bdev_aio_create", aioParams}}, params: `{"name":"Aio0"}`},
		"bdev_lvol_create_lvstore":       {params: `{"bdev_name":"Malloc0","lvs_name":"lvs9"}`},
		"bdev_lvol_delete_lvstore":       {params: `{"lvs_name":"lvs0"}`},
		"bdev_lvol_get_lvstores":         {params: `{"lvs_name":"lvs0"}`},
		"bdev_lvol_create":               {params: `{"lvol_name":"v1","size_in_mib":4,"lvs_name":"lvs0"}`},
		"bdev_lvol_delete":               {setup: [][2]string{{"bdev_lvol_create", `{"lvol_name":"v0","size_in_mib":4,"lvs_name":"lvs0"}`}}, params: `{"name":"lvs0/v0"}`},
		"bdev_lvol_get_lvols":            {params: `{"lvs_name":"lvs0"}`},
		"bdev_lvol_resize":               {setup: [][2]string{{"bdev_lvol_create", `{"lvol_name":"v2","size_in_mib":4,"lvs_name":"lvs0"}`}}, params: `{"name":"lvs0/v2","size_in_mib":8}`},
		"bdev_passthru_create":           {params: `{"name":"pt0","base_bdev_name":"Malloc0"}`},
		"bdev_passthru_delete":           {setup: [][2]string{{"bdev_passthru_create", `{"name":"pt0","base_bdev_name":"Malloc0"}`}}, params: `{"name":"pt0"}`},
		"bdev_set_qos_limit":             {params: `{"name":"Malloc0","rw_ios_per_sec":1000}`},
		"accel_crypto_key_create":        {params: `{"cipher":"AES_XTS","key":"00112233445566778899aabbccddee00","key2":"ffeeddccbbaa99887766554433221111","name":"k9"}`},
		"accel_crypto_key_destroy":       {params: `{"key_name":"k0"}`},
		"accel_crypto_keys_get":          {params: `{"key_name":"k0"}`},
		"bdev_crypto_create":             {params: `{"base_bdev_name":"Malloc0","name":"c0","key_name":"k0"}`},
		"bdev_crypto_delete":             {setup: [][2]string{{"bdev_crypto_create", `{"base_bdev_name":"Malloc0","name":"c0","key_name":"k0"}`}}, params: `{"name":"c0"}`},
		"keyring_file_add_key":           {params: fmt.Sprintf(`{"name":"key9","path":%q}`, keyFile(t, 0o600))},
		"keyring_file_remove_key":        {params: `{"name":"key0"}`},
		"keyring_get_keys":               {},
		"nvmf_create_transport":          {params: `{"trtype":"VFIOUSER"}`},
		"nvmf_get_transports":            {params: `{"trtype":"TCP"}`},
		"nvmf_create_subsystem":          {params: `{"nqn":"nqn.2016-06.io.spdk:cnode9","serial_number":"SPDK9"}`},
		"nvmf_delete_subsystem":          {params: q},
		"nvmf_get_subsystems":            {params: q},
		"nvmf_subsystem_add_ns":          {params: ns},
		"nvmf_subsystem_remove_ns":       {setup: [][2]string{{"nvmf_subsystem_add_ns", ns}}, params: `{"nqn":"` + cnode1 + `","nsid":1}`},
		"nvmf_subsystem_add_listener":    {params: `{"nqn":"` + cnode1 + `","listen_address":{"trtype":"tcp","traddr":"127.0.0.1","trsvcid":"4421"}}`},
		"nvmf_subsystem_remove_listener": {params: `{"nqn":"` + cnode1 + `","listen_address":{"trtype":"TCP","adrfam":"IPv4","traddr":"127.0.0.1","trsvcid":"4420"}}`},
		"nvmf_subsystem_add_host":        {params: `{"nqn":"` + cnode1 + `","host":"nqn.2016-06.io.spdk:host1","psk":"key0"}`},
		"nvmf_subsystem_remove_host":     {setup: [][2]string{{"nvmf_subsystem_add_host", host}}, params: host},
		"nvmf_subsystem_allow_any_host":  {params: `{"nqn":"` + cnode1 + `","allow_any_host":false}`},
		"nvmf_subsystem_get_controllers": {params: q},
		"nvmf_subsystem_get_qpairs":      {params: q},
		"nvmf_subsystem_get_listeners":   {params: q},
		"bdev_nvme_attach_controller":    {setup: [][2]string{{"nvmf_subsystem_add_ns", ns}}, params: attach},
		"bdev_nvme_detach_controller":    {setup: [][2]string{{"bdev_nvme_attach_controller", attach}}, params: `{"name":"Nvme0"}`},
		"bdev_nvme_get_controllers":      {params: `{}`},
		"bdev_nvme_set_multipath_policy": {setup: [][2]string{{"nvmf_subsystem_add_ns", ns}, {"bdev_nvme_attach_controller", attach}}, params: `{"name":"Nvme0n1","policy":"active_active"}`},
		"nvmf_subsystem_listener_set_ana_state": {setup: [][2]string{
			{"nvmf_create_subsystem", `{"nqn":"nqn.2016-06.io.spdk:ana","ana_reporting":true}`},
			{"nvmf_subsystem_add_listener", `{"nqn":"nqn.2016-06.io.spdk:ana","listen_address":{"trtype":"TCP","traddr":"127.0.0.1","trsvcid":"4420"}}`},
		}, params: `{"nqn":"nqn.2016-06.io.spdk:ana","listen_address":{"trtype":"TCP","traddr":"127.0.0.1","trsvcid":"4420"},"ana_state":"inaccessible"}`},
		"vhost_create_blk_controller": {params: `{"ctrlr":"vh0","dev_name":"Malloc0"}`},
		"vhost_delete_controller":     {setup: [][2]string{{"vhost_create_blk_controller", `{"ctrlr":"vh0","dev_name":"Malloc0"}`}}, params: `{"ctrlr":"vh0"}`},
		"vhost_get_controllers":       {params: `{}`},
		"vhost_controller_set_coalescing": {setup: [][2]string{{"vhost_create_blk_controller", `{"ctrlr":"vh0","dev_name":"Malloc0"}`}},
			params: `{"ctrlr":"vh0","delay_base_us":80,"iops_threshold":100000}`},
		"vfu_virtio_create_blk_endpoint":  {params: `{"name":"vfu0","bdev_name":"Malloc0","num_queues":2}`},
		"vfu_virtio_delete_endpoint":      {setup: [][2]string{{"vfu_virtio_create_blk_endpoint", `{"name":"vfu0","bdev_name":"Malloc0"}`}}, params: `{"name":"vfu0"}`},
		"vfu_virtio_create_scsi_endpoint": {params: `{"name":"vfs0","num_io_queues":2}`},
		"vfu_virtio_scsi_add_target": {setup: [][2]string{{"vfu_virtio_create_scsi_endpoint", `{"name":"vfs0"}`}},
			params: `{"name":"vfs0","scsi_target_num":0,"bdev_name":"Malloc0"}`},
		"vfu_virtio_scsi_remove_target": {setup: [][2]string{{"vfu_virtio_create_scsi_endpoint", `{"name":"vfs0"}`},
			{"vfu_virtio_scsi_add_target", `{"name":"vfs0","scsi_target_num":0,"bdev_name":"Malloc0"}`}}, params: `{"name":"vfs0","scsi_target_num":0}`},
		"bdev_nvme_reset_controller": {setup: [][2]string{{"nvmf_subsystem_add_ns", ns}, {"bdev_nvme_attach_controller", attach}}, params: `{"name":"Nvme0"}`},
		"bdev_nvme_get_path_iostat": {setup: [][2]string{{"nvmf_subsystem_add_ns", ns}, {"bdev_nvme_attach_controller", attach}}, params: `{"name":"Nvme0n1"}`,
			refuses: &rpcError{Code: -1, Message: "RPC not enabled if enable_io_path_stat is false"}},
		"vhost_create_scsi_controller": {params: `{"ctrlr":"vs0"}`},
		"vhost_scsi_controller_add_target": {setup: [][2]string{{"vhost_create_scsi_controller", `{"ctrlr":"vs0"}`}},
			params: `{"ctrlr":"vs0","scsi_target_num":0,"bdev_name":"Malloc0"}`},
		"vhost_scsi_controller_remove_target": {setup: [][2]string{{"vhost_create_scsi_controller", `{"ctrlr":"vs0"}`},
			{"vhost_scsi_controller_add_target", `{"ctrlr":"vs0","scsi_target_num":0,"bdev_name":"Malloc0"}`}},
			params: `{"ctrlr":"vs0","scsi_target_num":0}`},
	}
}

// implemented lists the methods the sim implements (not the STARTUP-only
// names it answers with the wrong-state error).
func implemented(s *Sim) []string {
	var out []string
	for _, n := range s.order {
		if s.methods[n].runs() {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// wrongValue is a value of another JSON type than the parameter's.
func wrongValue(p contract.Param) string {
	switch p.Type {
	case "string":
		return `12345`
	case "number":
		return `"12"`
	default:
		return `"not-a-` + p.Type + `"`
	}
}

func withKey(params, key, value string) string {
	m := map[string]json.RawMessage{}
	if params != "" {
		_ = json.Unmarshal([]byte(params), &m)
	}
	m[key] = json.RawMessage(value)
	b, _ := json.Marshal(m)
	return string(b)
}

// withoutKey removes a key from a params object.
func withoutKey(params, key string) string {
	m := map[string]json.RawMessage{}
	_ = json.Unmarshal([]byte(params), &m)
	delete(m, key)
	b, _ := json.Marshal(m)
	return string(b)
}

func TestEveryImplementedMethodFollowsTheContract(t *testing.T) {
	ct, err := contract.Load()
	if err != nil {
		t.Fatal(err)
	}
	fx := fixtures(t)
	for _, name := range implemented(New()) {
		t.Run(name, func(t *testing.T) {
			cm := ct.Method(name)
			if cm == nil {
				t.Fatalf("%s is not an SPDK v26.05 method", name)
			}
			if sm := New().methods[name]; sm.facts != cm {
				t.Fatalf("the sim does not decode %s through the contract's entry", name)
			}
			f, ok := fx[name]
			if !ok {
				t.Fatalf("no conformance fixture for %s", name)
			}
			if f.params != "" {
				if err := ct.ValidateRequest(name, json.RawMessage(f.params)); err != nil {
					t.Fatalf("fixture is not a valid request: %v", err)
				}
			}
			fresh := func() *client {
				_, path := startSim(t)
				c := dial(t, path)
				baseState(t, c)
				for _, st := range f.setup {
					c.must(st[0], st[1])
				}
				return c
			}
			c := fresh()
			if f.refuses != nil {
				// Only the valid request: spdk_tgt refuses before it
				// decodes, the sim decodes every request first, so they
				// differ on malformed ones, which the bridge never sends.
				if r := c.call(name, f.params); r.Error == nil || *r.Error != *f.refuses {
					t.Errorf("request %s: got %+v, want spdk_tgt's default refusal %+v", f.params, r.Error, *f.refuses)
				}
				return
			}
			if r := c.call(name, f.params); r.Error != nil {
				t.Fatalf("valid request %s: %v", f.params, r.Error)
			}
			if cm.ParamsMustBeOmitted {
				r := c.call(name, `{}`)
				if r.Error == nil || r.Error.Code != cm.ParamsPresent.Code || r.Error.Message != cm.ParamsPresent.Message {
					t.Errorf("params {}: got %+v, want %+v", r.Error, cm.ParamsPresent)
				}
				return
			}
			if cm.DecodeFailure == nil {
				return // params are ignored
			}
			want := rpcError{Code: cm.DecodeFailure.Code, Message: cm.DecodeFailure.Message}
			unknown := c.call(name, withKey(f.params, "no_such_param", "1"))
			if cm.AllowUnknownKeys {
				// Relaxed decoders ignore the key: on a fresh state the
				// request succeeds as the valid one did.
				if unknown = fresh().call(name, withKey(f.params, "no_such_param", "1")); unknown.Error != nil {
					t.Errorf("unknown key rejected by a relaxed decoder: %v", unknown.Error)
				}
			} else if unknown.Error == nil || *unknown.Error != want {
				t.Errorf("unknown key: got %+v, want %+v", unknown.Error, want)
			}
			for _, p := range cm.Params {
				r := c.call(name, withKey(f.params, p.Name, wrongValue(p)))
				if r.Error == nil || *r.Error != want {
					t.Errorf("%s ill-typed: got %+v, want %+v", p.Name, r.Error, want)
				}
			}
			for _, p := range cm.Params {
				if !p.Required {
					continue
				}
				r := c.call(name, withoutKey(f.params, p.Name))
				if r.Error == nil || *r.Error != want {
					t.Errorf("%s missing: got %+v, want %+v", p.Name, r.Error, want)
				}
			}
			if !cm.ParamsOptional && len(cm.Params) > 0 {
				if r := c.call(name, ""); r.Error == nil || *r.Error != want {
					t.Errorf("params omitted: got %+v, want %+v", r.Error, want)
				}
			}
		})
	}
}
