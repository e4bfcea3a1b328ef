package sim

import (
	"bytes"
	"encoding/json"
	"sync"
	"time"
)

// rpcState is SPDK's RPC state: STARTUP before framework_start_init (only
// with --wait-for-rpc), RUNTIME after. The sim is always in RUNTIME.
type rpcState int

const (
	stateStartup rpcState = 1 << iota
	stateRuntime
)

const (
	msgNeedsRuntime = "Method may only be called after framework is initialized using framework_start_init RPC."
	msgNeedsStartup = "Method may only be called before framework is initialized. Use --wait-for-rpc command line parameter and then issue this RPC before the framework_start_init RPC."
)

// method is one registered RPC with the decoding behaviour of its SPDK
// handler.
type method struct {
	name   string
	states rpcState

	// noParams: the handler rejects any params member with presentErr.
	noParams   bool
	presentErr *rpcError
	// ignoreParams: the handler never looks at params.
	ignoreParams bool

	fields         []field
	relaxed        bool // unknown keys ignored (spdk_json_decode_object_relaxed)
	optionalParams bool // params may be omitted
	decodeErr      *rpcError

	handle func(a args) (any, error)
}

func (s *Sim) register(m *method) {
	if m.states == 0 {
		m.states = stateRuntime
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
		done(errorResponse(nil, &rpcError{Code: codeInvalidRequest, Message: "Invalid request"}))
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
		done(compactError(nil, &rpcError{Code: codeInvalidRequest, Message: "Invalid request"}))
		return
	}
	m := s.methods[r.method]
	if m == nil {
		done(compactError(r.id, &rpcError{Code: codeMethodNotFound, Message: "Method not found"}))
		return
	}
	if m.states&stateRuntime == 0 {
		done(compactError(r.id, &rpcError{Code: codeInvalidState, Message: msgNeedsStartup}))
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

func (s *Sim) call(m *method, r request) (any, error) {
	var a args
	switch {
	case m.ignoreParams:
	case m.noParams:
		if r.hasParam {
			return nil, m.presentErr
		}
	default:
		if r.params == nil && !m.optionalParams {
			return nil, m.decodeErr
		}
		if r.params != nil {
			var ok bool
			a, ok = decodeObject(r.params, m.fields, m.relaxed)
			if !ok {
				return nil, m.decodeErr
			}
		} else {
			a = args{}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return m.handle(a)
}

func toRPCError(err error) *rpcError {
	if e, ok := err.(*rpcError); ok {
		return e
	}
	return &rpcError{Code: codeInternalError, Message: err.Error()}
}

// parseRequest decodes the envelope as SPDK's parse_single_request does:
// an object with only jsonrpc ("2.0"), method (string), id (string, number
// or null) and params (object, array or null), no member twice.
func parseRequest(raw json.RawMessage) (request, bool) {
	var r request
	if raw[0] != '{' {
		return r, false
	}
	ms, err := members(raw)
	if err != nil {
		return r, false
	}
	seen := map[string]bool{}
	hasMethod := false
	for _, m := range ms {
		if seen[m.key] {
			return r, false
		}
		seen[m.key] = true
		switch m.key {
		case "jsonrpc":
			if string(m.val) != `"2.0"` {
				return r, false
			}
		case "method":
			if !isString(m.val) || json.Unmarshal(m.val, &r.method) != nil {
				return r, false
			}
			hasMethod = true
		case "id":
			switch c := m.val[0]; {
			case c == 'n':
				r.id = nil
			case c == '"' || c == '-' || (c >= '0' && c <= '9'):
				r.id = m.val
			default:
				return r, false
			}
		case "params":
			switch m.val[0] {
			case 'n':
			case '{', '[':
				r.params = m.val
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

// Responses are built by hand to keep SPDK's member order: jsonrpc, id,
// then result or error.
func compactResult(id json.RawMessage, res any) []byte {
	b, err := json.Marshal(res)
	if err != nil {
		return compactError(id, &rpcError{Code: codeInternalError, Message: "Internal error"})
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
