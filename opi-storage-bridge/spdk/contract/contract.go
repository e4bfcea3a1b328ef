// Package contract holds the facts of SPDK's JSON-RPC contract that the
// storage bridge and its SPDK stand-in check requests against: method names,
// parameter names, JSON types, required flags, integer ranges, enum values,
// nested object fields and error codes.
//
// The facts are an extract of SPDK v26.05's machine-readable contract
// (../shared/spdk/spdk-jsonrpc.json in the monorepo), made by the program in
// ./extract and embedded here, so that tests run from a plain clone. SPDK's
// descriptions and examples stay in the source file. Regenerate with
//
//	go run ./spdk/contract/extract > spdk/contract/spdk-contract.json
//
// from the module root (or go generate ./spdk/contract).
package contract

//go:generate go run ./extract -o spdk-contract.json

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"sync"
)

//go:embed spdk-contract.json
var extract []byte

// Contract is SPDK's JSON-RPC contract, facts only.
type Contract struct {
	// SPDKVersion, Tag and Commit say which SPDK release the facts are from.
	SPDKVersion string `json:"spdk_version"`
	Tag         string `json:"tag"`
	Commit      string `json:"commit"`
	// Transport holds the connection-level limits.
	Transport Transport `json:"transport"`
	// Methods maps each method name to its facts.
	Methods map[string]*Method `json:"methods"`
}

// Transport holds the facts about SPDK's RPC socket.
type Transport struct {
	// DefaultSocketPath is where SPDK listens unless told otherwise.
	DefaultSocketPath string `json:"default_socket_path"`
	// AcceptPollerIntervalUS is the RPC poller period: SPDK accepts at most
	// one new connection per tick.
	AcceptPollerIntervalUS int `json:"accept_poller_interval_us"`
	// MaxConcurrentConnections is how many connections SPDK serves at once.
	MaxConcurrentConnections int `json:"max_concurrent_connections"`
	// MaxRequestSizeBytes is the largest request SPDK can receive; a larger
	// one makes it close the connection without an answer.
	MaxRequestSizeBytes int `json:"max_request_size_bytes"`
	// MaxJSONValuesPerRequest is the token limit of one request; over it
	// SPDK answers -32700 and closes the connection.
	MaxJSONValuesPerRequest int `json:"max_json_values_per_request"`
}

// Method is one JSON-RPC method.
type Method struct {
	// Name is the method name (exact, case-sensitive).
	Name string `json:"name"`
	// States lists the RPC states it may be called in (STARTUP, RUNTIME).
	States []string `json:"states,omitempty"`
	// ClientSideOnly marks rpc.py helpers that are no server method
	// (save_config, load_config): SPDK answers them -32601.
	ClientSideOnly bool `json:"client_side_only,omitempty"`
	// ParamsMustBeOmitted: the method takes no parameters and rejects a
	// "params" member that is present, even {}.
	ParamsMustBeOmitted bool `json:"params_must_be_omitted,omitempty"`
	// ParamsOptional: "params" may be left out although the method has
	// parameters (all of them optional).
	ParamsOptional bool `json:"params_optional,omitempty"`
	// AllowUnknownKeys: the method decodes its top-level params relaxed and
	// ignores keys it does not know (transport-specific options and the like).
	AllowUnknownKeys bool `json:"allow_unknown_keys,omitempty"`
	// Params lists the parameters.
	Params []Param `json:"params"`
	// DecodeFailure is what SPDK answers when params do not decode.
	DecodeFailure *ErrorFact `json:"decode_failure,omitempty"`
	// ParamsPresent is what SPDK answers when params are sent to a method
	// that takes none.
	ParamsPresent *ErrorFact `json:"params_present,omitempty"`
	// ErrorCodes lists the error codes the method is known to answer with.
	ErrorCodes []int `json:"error_codes,omitempty"`
}

// Param is one parameter, or one field of an object parameter, or the
// element description of an array parameter (then without a name).
type Param struct {
	// Name is the JSON key.
	Name string `json:"name,omitempty"`
	// Type is the JSON type SPDK's decoder accepts: string, number, boolean,
	// array or object.
	Type string `json:"type"`
	// SchemaType is SPDK's finer type: uint8..uint64, int32, uuid, enum, ...
	SchemaType string `json:"schema_type"`
	// Required says whether the key must be present.
	Required bool `json:"required,omitempty"`
	// Range is the inclusive [min, max] of an integer, exact.
	Range []json.Number `json:"range,omitempty"`
	// Enum lists the accepted strings of an enum.
	Enum []string `json:"enum,omitempty"`
	// Format names a string format (uuid).
	Format string `json:"format,omitempty"`
	// Deprecated marks a parameter SPDK still accepts but plans to drop.
	Deprecated bool `json:"deprecated,omitempty"`
	// Fields are the members of an object parameter, decoded strictly.
	Fields []Param `json:"fields,omitempty"`
	// FreeForm marks an object parameter whose keys SPDK does not fix.
	FreeForm bool `json:"free_form,omitempty"`
	// Items describes the elements of an array parameter.
	Items *Param `json:"items,omitempty"`
	// MaxItems bounds the length of an array parameter (0: no bound known).
	MaxItems int `json:"max_items,omitempty"`
}

// ErrorFact is an error SPDK answers with.
type ErrorFact struct {
	// Code is the JSON-RPC error code.
	Code int `json:"code"`
	// Message is SPDK's error message.
	Message string `json:"message"`
}

var (
	loadOnce sync.Once
	loaded   *Contract
	loadErr  error
)

// Load returns the embedded contract. It is parsed once; the result is
// shared and must not be modified.
func Load() (*Contract, error) {
	loadOnce.Do(func() { loaded, loadErr = Parse(extract) })
	return loaded, loadErr
}

// Parse reads a contract extract (the format of spdk-contract.json).
func Parse(data []byte) (*Contract, error) {
	var c Contract
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("contract: %w", err)
	}
	if len(c.Methods) == 0 {
		return nil, fmt.Errorf("contract: no methods")
	}
	for name, m := range c.Methods {
		if m == nil || m.Name != name {
			return nil, fmt.Errorf("contract: method entry %q is malformed", name)
		}
	}
	return &c, nil
}

// Method returns the facts of one method, or nil if SPDK has no such
// method. Client-side-only helpers are returned too (see ClientSideOnly).
func (c *Contract) Method(name string) *Method {
	return c.Methods[name]
}

// IgnoresParams reports a method whose SPDK handler never looks at its
// params: the contract records no decode failure, no params-present error
// and no parameters for it. SPDK answers such a method whatever params
// come with it.
func (m *Method) IgnoresParams() bool {
	return m.DecodeFailure == nil && m.ParamsPresent == nil && !m.ParamsMustBeOmitted && len(m.Params) == 0
}

// RunsIn reports whether the method may be called in the RPC state
// ("STARTUP" or "RUNTIME").
func (m *Method) RunsIn(state string) bool {
	return slices.Contains(m.States, state)
}

// MethodNames returns every method name, sorted.
func (c *Contract) MethodNames() []string {
	names := make([]string, 0, len(c.Methods))
	for n := range c.Methods {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Param returns the parameter called name, or nil.
func (m *Method) Param(name string) *Param {
	for i := range m.Params {
		if m.Params[i].Name == name {
			return &m.Params[i]
		}
	}
	return nil
}
