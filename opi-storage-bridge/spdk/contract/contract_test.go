package contract

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
)

func TestLoadHoldsEveryMethodOfTheSource(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if got := len(c.Methods); got != 298 {
		t.Errorf("methods = %d, want 298 (296 server methods and 2 client-side helpers)", got)
	}
	if c.Transport.MaxRequestSizeBytes != 256<<10 {
		t.Errorf("max request size = %d, want 262144", c.Transport.MaxRequestSizeBytes)
	}
	if c.Transport.AcceptPollerIntervalUS != 4000 {
		t.Errorf("accept poller interval = %dus, want 4000", c.Transport.AcceptPollerIntervalUS)
	}
	m := c.Method("nvmf_subsystem_add_listener")
	if m == nil {
		t.Fatal("nvmf_subsystem_add_listener missing")
	}
	la := m.Param("listen_address")
	if la == nil || la.Type != "object" || len(la.Fields) != 4 || !la.Required {
		t.Fatalf("listen_address = %+v, want a required object with 4 fields", la)
	}
	if !c.Method("save_config").ClientSideOnly {
		t.Error("save_config is not marked client-side only")
	}
	if c.Method("no_such_method") != nil {
		t.Error("Method returned facts for an unknown method")
	}
}

func TestValidateRequest(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	const uuid = "4a9c1f5e-0f1b-4c61-9d8e-2b1c8f0a5e11"
	tests := []struct {
		name     string
		method   string
		params   string // "" = no params member
		wantCode int    // 0 = valid
	}{
		{"a subsystem with only its NQN is valid", "nvmf_create_subsystem", `{"nqn":"nqn.2016-06.io.spdk:cnode1"}`, 0},
		{"a subsystem with every common option is valid", "nvmf_create_subsystem", `{"nqn":"nqn.2016-06.io.spdk:cnode1","serial_number":"SN1","model_number":"M1","allow_any_host":true,"max_namespaces":32,"min_cntlid":1,"max_cntlid":65519,"ana_reporting":false}`, 0},
		{"a subsystem without its NQN is refused", "nvmf_create_subsystem", `{"serial_number":"SN1"}`, -32602},
		{"a subsystem with an unknown key is refused", "nvmf_create_subsystem", `{"nqn":"n","colour":"red"}`, -32602},
		{"a subsystem with a duplicate key is refused", "nvmf_create_subsystem", `{"nqn":"a","nqn":"b"}`, -32602},
		{"a subsystem with a numeric NQN is refused", "nvmf_create_subsystem", `{"nqn":1}`, -32602},
		{"a boolean given as a string is refused", "nvmf_create_subsystem", `{"nqn":"n","allow_any_host":"true"}`, -32602},
		{"a uint16 above 65535 is refused", "nvmf_create_subsystem", `{"nqn":"n","max_cntlid":65536}`, -32602},
		{"a negative uint32 is refused", "nvmf_create_subsystem", `{"nqn":"n","max_namespaces":-1}`, -32602},
		{"an integer with a fraction is refused", "nvmf_create_subsystem", `{"nqn":"n","max_namespaces":1.5}`, -32602},
		{"an integer with an exponent is refused", "nvmf_create_subsystem", `{"nqn":"n","max_namespaces":1e3}`, -32602},
		{"an integer given as a string is refused", "nvmf_create_subsystem", `{"nqn":"n","max_namespaces":"32"}`, -32602},
		{"the largest uint64 is accepted", "nvmf_create_subsystem", `{"nqn":"n","max_discard_size_kib":18446744073709551615}`, 0},
		{"one above the largest uint64 is refused", "nvmf_create_subsystem", `{"nqn":"n","max_discard_size_kib":18446744073709551616}`, -32602},
		{"a missing params object is refused for a method that needs one", "nvmf_create_subsystem", "", -32602},
		{"a null params object counts as missing", "nvmf_create_subsystem", `null`, -32602},
		{"a params array is refused", "nvmf_create_subsystem", `["nqn"]`, -32602},

		{"a malloc bdev with its block count and size is valid", "bdev_malloc_create", `{"name":"Malloc0","num_blocks":2048,"block_size":512}`, 0},
		{"a malloc bdev with a UUID is valid", "bdev_malloc_create", `{"num_blocks":2048,"block_size":512,"uuid":"` + uuid + `"}`, 0},
		{"a malloc bdev with a malformed UUID is refused with the method's decode error", "bdev_malloc_create", `{"num_blocks":2048,"block_size":512,"uuid":"not-a-uuid"}`, -32603},
		{"a malloc bdev without num_blocks is refused with the method's decode error", "bdev_malloc_create", `{"block_size":512}`, -32603},
		{"a malloc bdev with an unknown key is refused", "bdev_malloc_create", `{"num_blocks":1,"block_size":512,"size_mb":1}`, -32603},

		{"a listener with a full listen address is valid", "nvmf_subsystem_add_listener", `{"nqn":"n","listen_address":{"trtype":"TCP","adrfam":"IPv4","traddr":"127.0.0.1","trsvcid":"4420"}}`, 0},
		{"a listener with an ANA state from the enum is valid", "nvmf_subsystem_add_listener", `{"nqn":"n","listen_address":{"trtype":"TCP","traddr":"127.0.0.1"},"ana_state":"optimized"}`, 0},
		{"a listener with an ANA state outside the enum is refused", "nvmf_subsystem_add_listener", `{"nqn":"n","listen_address":{"trtype":"TCP","traddr":"127.0.0.1"},"ana_state":"fast"}`, -32602},
		{"a listener may carry keys the method does not list (relaxed decode)", "nvmf_subsystem_add_listener", `{"nqn":"n","listen_address":{"trtype":"TCP","traddr":"127.0.0.1"},"transport_option":1}`, 0},
		{"a listen address without traddr is refused", "nvmf_subsystem_add_listener", `{"nqn":"n","listen_address":{"trtype":"TCP"}}`, -32602},
		{"a listen address with an unknown key is refused (nested objects decode strictly)", "nvmf_subsystem_add_listener", `{"nqn":"n","listen_address":{"trtype":"TCP","traddr":"a","port":4420}}`, -32602},
		{"a listen address given as a string is refused", "nvmf_subsystem_add_listener", `{"nqn":"n","listen_address":"127.0.0.1:4420"}`, -32602},
		{"a listener without its listen address is refused", "nvmf_subsystem_add_listener", `{"nqn":"n"}`, -32602},
		{"an int32 NUMA id of -1 is valid", "nvmf_subsystem_add_listener", `{"nqn":"n","listen_address":{"trtype":"TCP","traddr":"a"},"numa_id":-1}`, 0},

		{"a method without parameters is valid without params", "spdk_get_version", "", 0},
		{"a method without parameters refuses even an empty params object", "spdk_get_version", `{}`, -32602},
		{"a method with only optional parameters is valid without params", "bdev_get_bdevs", "", 0},
		{"an array of enum values within its bound is valid", "bdev_nvme_set_options", `{"dhchap_digests":["sha256","sha512"]}`, 0},
		{"an array with a value outside its enum is refused", "bdev_nvme_set_options", `{"dhchap_digests":["md5"]}`, -32603},
		{"an unknown method is refused as not found", "bdev_frobnicate", "", -32601},
		{"a client-side rpc.py helper is not a server method", "save_config", "", -32601},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var params json.RawMessage
			if tt.params != "" {
				params = json.RawMessage(tt.params)
			}
			err := c.ValidateRequest(tt.method, params)
			if tt.wantCode == 0 {
				if err != nil {
					t.Fatalf("ValidateRequest = %v, want valid", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("ValidateRequest = %v, want a *ValidationError", err)
			}
			if ve.Code != tt.wantCode {
				t.Errorf("code = %d (%v), want %d", ve.Code, err, tt.wantCode)
			}
			wantSentinel := ErrInvalidParams
			if tt.wantCode == spdk.CodeMethodNotFound {
				wantSentinel = ErrMethodNotFound
			}
			if !errors.Is(err, wantSentinel) {
				t.Errorf("errors.Is(%v, %v) = false", err, wantSentinel)
			}
		})
	}
}
