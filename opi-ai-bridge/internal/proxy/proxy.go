// Package proxy is the AI bridge's inference data path: an
// OpenAI-compatible HTTP endpoint that routes each request to the model
// server its pool's endpoint picker chooses and passes the answer back
// untouched and unbuffered, server-sent events included.
package proxy

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	aiv1 "github.com/opi-suite/opi/opi-api/ai/v1"

	"github.com/opi-suite/opi/opi-ai-bridge/inference"
	"github.com/opi-suite/opi/opi-ai-bridge/internal/openai"
)

// MaxBody is the largest request body the proxy reads (it must read the
// body to find the model and the prompt).
const MaxBody = 32 << 20

// maxTries is how many endpoints a request is offered to when connections
// are refused.
const maxTries = 3

// hopByHop are the headers that belong to one connection, not forwarded
// (RFC 9110, section 7.6.1).
var hopByHop = []string{"Connection", "Keep-Alive", "Proxy-Connection", "Te", "Trailer", "Transfer-Encoding", "Upgrade", "Proxy-Authorization", "Proxy-Authenticate"}

// Proxy routes OpenAI requests through the pools' pickers.
type Proxy struct {
	pools     *inference.Pools
	transport *http.Transport
	logger    *slog.Logger
}

// New returns the proxy over pools.
func New(pools *inference.Pools, logger *slog.Logger) *Proxy {
	if logger == nil {
		logger = slog.Default()
	}
	return &Proxy{
		pools:  pools,
		logger: logger,
		transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 2 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConnsPerHost: 256,
			IdleConnTimeout:     90 * time.Second,
			// Bytes pass through as the model server sent them.
			DisableCompression: true,
		},
	}
}

// Close drops idle connections to the model servers.
func (p *Proxy) Close() error {
	p.transport.CloseIdleConnections()
	return nil
}

// ServeHTTP implements http.Handler.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodPost && (r.URL.Path == openai.ChatCompletions || r.URL.Path == openai.Completions):
		p.route(w, r)
	case r.Method == http.MethodGet && r.URL.Path == openai.Models:
		p.models(w)
	default:
		openai.WriteError(w, http.StatusNotFound, "invalid_request_error", "not_found", "no such route: "+r.Method+" "+r.URL.Path)
	}
}

func (p *Proxy) models(w http.ResponseWriter) {
	data := []map[string]string{}
	for _, m := range p.pools.Models() {
		if pool, err := p.pools.ForModel(m); err == nil {
			if pr, err := p.pools.Protocol(pool); err == nil && pr == aiv1.InferenceProtocol_INFERENCE_PROTOCOL_OIP {
				continue // served over OIP, not here
			}
		}
		data = append(data, map[string]string{"id": m, "object": "model", "owned_by": "opi-ai-bridge"})
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"object": "list", "data": data})
}

func (p *Proxy) route(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	if err != nil {
		openai.WriteError(w, http.StatusBadRequest, "invalid_request_error", "bad_request", "reading the request: "+err.Error())
		return
	}
	if len(body) > MaxBody {
		openai.WriteError(w, http.StatusRequestEntityTooLarge, "invalid_request_error", "too_large", "the request body is larger than 32 MiB")
		return
	}
	req, err := openai.Parse(body)
	if err != nil {
		openai.WriteError(w, http.StatusBadRequest, "invalid_request_error", "bad_request", err.Error())
		return
	}
	pool, err := p.pools.ForModel(req.Model)
	if err != nil {
		openai.WriteError(w, http.StatusNotFound, "invalid_request_error", "model_not_found", err.Error())
		return
	}
	if pr, err := p.pools.Protocol(pool); err == nil && pr == aiv1.InferenceProtocol_INFERENCE_PROTOCOL_OIP {
		openai.WriteError(w, http.StatusBadRequest, "invalid_request_error", "wrong_protocol", "model "+req.Model+" is served by "+pool+" over the Open Inference Protocol (gRPC), not the OpenAI API")
		return
	}
	pk, err := p.pools.Pick(pool, req.Model, req.PromptText(), true)
	if err != nil {
		openai.WriteError(w, http.StatusServiceUnavailable, "server_error", "no_endpoint", err.Error())
		return
	}
	switch pk.HTTPStatus() {
	case http.StatusTooManyRequests:
		w.Header().Set("Retry-After", "1")
		openai.WriteError(w, http.StatusTooManyRequests, "rate_limit_error", "shed", "every model server of "+pool+" is saturated and this request's priority is low; retry later")
		return
	case http.StatusServiceUnavailable:
		openai.WriteError(w, http.StatusServiceUnavailable, "server_error", "no_endpoint", "no model server of "+pool+" is healthy")
		return
	}
	for i, c := range pk.Candidates {
		if i >= maxTries {
			break
		}
		if i > 0 {
			p.pools.Record(pk, c.Endpoint)
		}
		refused, err := p.forward(w, r, body, c.Endpoint)
		if err == nil {
			return
		}
		if !refused {
			p.logger.Warn("inference request failed", "pool", pool, "endpoint", c.Endpoint.Addr(), "error", err)
			return
		}
		// Nothing was sent: the next candidate can take it.
		p.pools.MarkDown(pk, c.Endpoint, err)
	}
	openai.WriteError(w, http.StatusBadGateway, "server_error", "upstream_unreachable", "no model server of "+pool+" accepted the connection")
}

// forward sends body to ep and copies the answer back as it arrives.
// refused says that the connection was refused, so nothing reached the
// endpoint and nothing was written to w. A failure after the answer began
// aborts the client's connection, so that a cut stream is seen as an
// error and never as a complete answer.
func (p *Proxy) forward(w http.ResponseWriter, r *http.Request, body []byte, ep *inference.Endpoint) (refused bool, err error) {
	firstByte, done := ep.Begin()
	failed := true
	defer func() { done(failed) }()

	out, err := http.NewRequestWithContext(r.Context(), r.Method, "http://"+ep.Addr()+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	out.Header = r.Header.Clone()
	for _, h := range hopByHop {
		out.Header.Del(h)
	}
	out.ContentLength = int64(len(body))
	resp, err := p.transport.RoundTrip(out)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" && r.Context().Err() == nil {
			return true, err
		}
		if r.Context().Err() == nil {
			openai.WriteError(w, http.StatusBadGateway, "server_error", "upstream_failed", "the model server "+ep.Addr()+" failed: "+err.Error())
		}
		return false, err
	}
	defer resp.Body.Close()
	for k, vs := range resp.Header {
		w.Header()[k] = vs
	}
	for _, h := range hopByHop {
		w.Header().Del(h)
	}
	w.WriteHeader(resp.StatusCode)
	fl, _ := w.(http.Flusher)
	buf := make([]byte, 32<<10)
	for {
		n, rerr := resp.Body.Read(buf)
		if n > 0 {
			firstByte()
			if _, werr := w.Write(buf[:n]); werr != nil {
				failed = false // the client left: not the endpoint's fault
				return false, werr
			}
			if fl != nil {
				fl.Flush()
			}
		}
		if rerr == io.EOF {
			failed = resp.StatusCode >= 500
			return false, nil
		}
		if rerr != nil {
			if r.Context().Err() != nil {
				failed = false // the client left
				return false, rerr
			}
			// The model server died mid-answer: cut the client off too.
			// (The deferred done counts the failure as the panic unwinds.)
			panic(http.ErrAbortHandler)
		}
	}
}
