package sim

import (
	"bytes"
	"encoding/json"
	"sync"
	"time"

	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk/contract"
)

const (
	msgNeedsRuntime = "Method may only be called after framework is initialized using framework_start_init RPC."
	msgNeedsStartup = "Method may only be called before framework is initialized. Use --wait-for-rpc command line parameter and then issue this RPC before the framework_start_init RPC."
)

// handler is a method's behaviour: it gets params already decoded through
// SPDK's contract (so unknown keys, wrong types and missing required keys
// never reach it) and runs under the state lock.
type handler func(a contract.Params) (any, error)

// method is one registered RPC: its facts in SPDK's contract (RPC states,
// how its params decode, its decode-failure error) and its behaviour.
type method struct {
	name   string
	facts  *contract.Method
	handle handler
}

// runs reports whether the sim, always in SPDK's RUNTIME state, serves the
// method (STARTUP-only methods are answered with the wrong-state error).
func (m *method) runs() bool { return m.facts.RunsIn("RUNTIME") }

// register adds a method by its contract entry. A name the contract does
// not have is a programming error: the sim serves only SPDK's methods.
func (s *Sim) register(m *method) {
	m.facts = s.contract.Method(m.name)
	if m.facts == nil || m.facts.ClientSideOnly {
		panic("sim: " + m.name + " is not a method of SPDK's contract")
	}
	s.methods[m.name] = m
	s.order = append(s.order, m.name)
}

// request is a decoded JSON-RPC request envelope.
type request struct {
	id       json.RawMessage // nil: notification (no id or id null)
	method   string
	params   json.RawMessage // nil when absent or null
	hasParam bool
}

// process handles one top-level JSON value (a request or a batch) and calls
// done exactly once with the bytes to send, or nil to send nothing.
func (s *Sim) process(raw json.RawMessage, done func([]byte)) {
	if raw[0] == '[' {
		s.processBatch(raw, done)
		return
	}
	s.processOne(raw, func(obj []byte) {
		if obj == nil {
			done(nil)
			return
		}
		done(append(obj, '\n'))
	})
}

// processBatch answers a v26.05 batch: elements are dispatched as decoded,
// their responses gathered in completion order and sent as one array once
// all are done.
func (s *Sim) processBatch(raw json.RawMessage, done func([]byte)) {
	var elems []json.RawMessage
	_ = json.Unmarshal(raw, &elems)
	if len(elems) == 0 {
		done(errorResponse(nil, &rpcError{Code: spdk.CodeInvalidRequest, Message: "Invalid request"}))
		return
	}
	var (
		mu    sync.Mutex
		parts [][]byte
		wg    sync.WaitGroup
	)
	wg.Add(len(elems))
	for _, e := range elems {
		s.processOne(e, func(obj []byte) {
			if obj != nil {
				mu.Lock()
				parts = append(parts, obj)
				mu.Unlock()
			}
			wg.Done()
		})
	}
	go func() {
		wg.Wait()
		if len(parts) == 0 {
			done(nil)
			return
		}
		out := append([]byte{'['}, bytes.Join(parts, []byte{','})...)
		done(append(out, ']', '\n'))
	}()
}

// processOne handles one request object; done gets the compact response
// object without the trailing newline, or nil.
func (s *Sim) processOne(raw json.RawMessage, done func([]byte)) {
	r, ok := parseRequest(raw)
	if !ok {
		done(compactError(nil, &rpcError{Code: spdk.CodeInvalidRequest, Message: "Invalid request"}))
		return
	}
	m := s.methods[r.method]
	if m == nil {
		done(compactError(r.id, &rpcError{Code: spdk.CodeMethodNotFound, Message: "Method not found"}))
		return
	}
	if !m.runs() {
		done(compactError(r.id, &rpcError{Code: spdk.CodeInvalidState, Message: msgNeedsStartup}))
		return
	}
	run := func() {
		res, err := s.call(m, r)
		if err != nil {
			done(compactError(r.id, toRPCError(err)))
			return
		}
		if r.id == nil {
			done(nil) // notification: no response on success
			return
		}
		done(compactResult(r.id, res))
	}
	if d := s.cfg.delays[m.name]; d > 0 {
		go func() {
			time.Sleep(d)
			run()
		}()
		return
	}
	run()
}

// call decodes the params through the contract, answering SPDK's error for
// the method when they do not decode, and runs the handler.
func (s *Sim) call(m *method, r request) (any, error) {
	a, err := s.contract.Decode(m.name, r.params)
	if ve, ok := err.(*contract.ValidationError); ok {
		return nil, &rpcError{Code: ve.Code, Message: ve.Message}
	}
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return m.handle(a)
}

func toRPCError(err error) *rpcError {
	if e, ok := err.(*rpcError); ok {
		return e
	}
	return &rpcError{Code: spdk.CodeInternalError, Message: err.Error()}
}

// parseRequest decodes the envelope as SPDK's parse_single_request does:
// an object with only jsonrpc ("2.0"), method (string), id (string, number
// or null) and params (object, array or null), no member twice.
func parseRequest(raw json.RawMessage) (request, bool) {
	var r request
	if raw[0] != '{' {
		return r, false
	}
	ms, err := contract.Members(raw)
	if err != nil {
		return r, false
	}
	seen := map[string]bool{}
	hasMethod := false
	for _, m := range ms {
		if seen[m.Key] {
			return r, false
		}
		seen[m.Key] = true
		switch m.Key {
		case "jsonrpc":
			if string(m.Value) != `"2.0"` {
				return r, false
			}
		case "method":
			if !isString(m.Value) || json.Unmarshal(m.Value, &r.method) != nil {
				return r, false
			}
			hasMethod = true
		case "id":
			switch c := m.Value[0]; {
			case c == 'n':
				r.id = nil
			case c == '"' || c == '-' || (c >= '0' && c <= '9'):
				r.id = m.Value
			default:
				return r, false
			}
		case "params":
			switch m.Value[0] {
			case 'n':
			case '{', '[':
				r.params = m.Value
				r.hasParam = true
			default:
				return r, false
			}
		default:
			return r, false
		}
	}
	return r, hasMethod
}

func isString(v json.RawMessage) bool { return len(v) > 0 && v[0] == '"' }

// Responses are built by hand to keep SPDK's member order: jsonrpc, id,
// then result or error.
func compactResult(id json.RawMessage, res any) []byte {
	b, err := json.Marshal(res)
	if err != nil {
		return compactError(id, &rpcError{Code: spdk.CodeInternalError, Message: "Internal error"})
	}
	out := []byte(`{"jsonrpc":"2.0","id":`)
	out = append(out, compactID(id)...)
	out = append(out, `,"result":`...)
	out = append(out, b...)
	return append(out, '}')
}

func compactError(id json.RawMessage, e *rpcError) []byte {
	b, _ := json.Marshal(e)
	out := []byte(`{"jsonrpc":"2.0","id":`)
	out = append(out, compactID(id)...)
	out = append(out, `,"error":`...)
	out = append(out, b...)
	return append(out, '}')
}

func errorResponse(id json.RawMessage, e *rpcError) []byte {
	return append(compactError(id, e), '\n')
}

func compactID(id json.RawMessage) []byte {
	if id == nil {
		return []byte("null")
	}
	var b bytes.Buffer
	if json.Compact(&b, id) != nil {
		return []byte("null")
	}
	return b.Bytes()
}
