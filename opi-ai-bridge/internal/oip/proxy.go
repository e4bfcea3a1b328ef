package oip

import (
	"context"
	"errors"
	"log/slog"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	aiv1 "github.com/opi-suite/opi/opi-api/ai/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/opi-suite/opi/opi-ai-bridge/inference"
	"github.com/opi-suite/opi/opi-ai-bridge/internal/oip/inferencepb"
)

// maxTries is how many endpoints a request is offered to when connections
// are refused.
const maxTries = 3

// MaxMessage is the largest request the proxy takes and the largest
// answer it passes back (tensors can be large; the same 32 MiB as the
// OpenAI proxy's body).
const MaxMessage = 32 << 20

// ServerName is what ServerMetadata answers.
const ServerName = "opi-ai-bridge"

// Proxy serves inference.GRPCInferenceService for the pools whose model
// servers speak OIP: ModelInfer, ModelReady and ModelMetadata go to the
// endpoint the pool's picker chooses; ServerLive, ServerReady and
// ServerMetadata are the proxy's own.
type Proxy struct {
	inferencepb.UnimplementedGRPCInferenceServiceServer

	pools  *inference.Pools
	logger *slog.Logger

	mu    sync.Mutex
	conns map[string]*grpc.ClientConn
}

// New returns the OIP proxy over pools.
func New(pools *inference.Pools, logger *slog.Logger) *Proxy {
	if logger == nil {
		logger = slog.Default()
	}
	return &Proxy{pools: pools, logger: logger, conns: map[string]*grpc.ClientConn{}}
}

// ServerOptions are the options of a gRPC server for the proxy: messages
// up to MaxMessage, and a panic in a call answered INTERNAL and logged
// rather than ending the bridge.
func ServerOptions(logger *slog.Logger) []grpc.ServerOption {
	if logger == nil {
		logger = slog.Default()
	}
	recoverer := func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (resp any, err error) {
		defer func() {
			if r := recover(); r != nil {
				logger.Error("OIP call panicked", "method", info.FullMethod, "panic", r, "stack", string(debug.Stack()))
				resp, err = nil, status.Error(codes.Internal, "internal error")
			}
		}()
		return h(ctx, req)
	}
	return []grpc.ServerOption{grpc.MaxRecvMsgSize(MaxMessage), grpc.MaxSendMsgSize(MaxMessage), grpc.ChainUnaryInterceptor(recoverer)}
}

// Close closes the connections to the model servers.
func (p *Proxy) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var err error
	for a, c := range p.conns {
		err = errors.Join(err, c.Close())
		delete(p.conns, a)
	}
	return err
}

// conn returns the (shared, lazily connecting) connection to addr.
func (p *Proxy) conn(addr string) (*grpc.ClientConn, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.conns[addr]; ok {
		return c, nil
	}
	// A model server that comes back is picked again after its next good
	// scrape: reconnect within about a second, not after grpc's default
	// backoff of up to two minutes.
	bo := backoff.DefaultConfig
	bo.MaxDelay = time.Second
	c, err := grpc.NewClient("passthrough:///"+addr,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithConnectParams(grpc.ConnectParams{Backoff: bo, MinConnectTimeout: 2 * time.Second}),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(MaxMessage), grpc.MaxCallSendMsgSize(MaxMessage)))
	if err != nil {
		return nil, err
	}
	p.conns[addr] = c
	return c, nil
}

// ServerLive implements GRPCInferenceService: the proxy answers, so it is
// live.
func (p *Proxy) ServerLive(context.Context, *inferencepb.ServerLiveRequest) (*inferencepb.ServerLiveResponse, error) {
	return &inferencepb.ServerLiveResponse{Live: true}, nil
}

// ServerReady implements GRPCInferenceService: ready when an OIP pool has
// a healthy model server.
func (p *Proxy) ServerReady(context.Context, *inferencepb.ServerReadyRequest) (*inferencepb.ServerReadyResponse, error) {
	for _, name := range p.pools.Serving(aiv1.InferenceProtocol_INFERENCE_PROTOCOL_OIP) {
		st, err := p.pools.Stats(name)
		if err != nil {
			continue
		}
		for _, e := range st.GetEndpoints() {
			if e.GetHealthy() {
				return &inferencepb.ServerReadyResponse{Ready: true}, nil
			}
		}
	}
	return &inferencepb.ServerReadyResponse{Ready: false}, nil
}

// ServerMetadata implements GRPCInferenceService.
func (p *Proxy) ServerMetadata(context.Context, *inferencepb.ServerMetadataRequest) (*inferencepb.ServerMetadataResponse, error) {
	return &inferencepb.ServerMetadataResponse{Name: ServerName, Extensions: []string{}}, nil
}

// ModelReady implements GRPCInferenceService: the answer of a model
// server of the model's pool; not ready when none is healthy.
func (p *Proxy) ModelReady(ctx context.Context, req *inferencepb.ModelReadyRequest) (*inferencepb.ModelReadyResponse, error) {
	pk, err := p.pick(req.GetName(), "", false)
	if err != nil {
		return nil, err
	}
	if pk.Decision != aiv1.PickDecision_PICK_DECISION_PICKED {
		return &inferencepb.ModelReadyResponse{Ready: false}, nil
	}
	var out *inferencepb.ModelReadyResponse
	err = p.forward(ctx, pk, func(ctx context.Context, c inferencepb.GRPCInferenceServiceClient, opts ...grpc.CallOption) error {
		var err error
		out, err = c.ModelReady(ctx, req, opts...)
		return err
	})
	return out, err
}

// ModelMetadata implements GRPCInferenceService: the answer of a model
// server of the model's pool.
func (p *Proxy) ModelMetadata(ctx context.Context, req *inferencepb.ModelMetadataRequest) (*inferencepb.ModelMetadataResponse, error) {
	pk, err := p.pick(req.GetName(), "", false)
	if err != nil {
		return nil, err
	}
	if err := decision(pk); err != nil {
		return nil, err
	}
	var out *inferencepb.ModelMetadataResponse
	err = p.forward(ctx, pk, func(ctx context.Context, c inferencepb.GRPCInferenceServiceClient, opts ...grpc.CallOption) error {
		var err error
		out, err = c.ModelMetadata(ctx, req, opts...)
		return err
	})
	return out, err
}

// ModelInfer implements GRPCInferenceService: routed by the picker of the
// model's pool (prefix affinity from the request's prompt, when it has
// one), shed with RESOURCE_EXHAUSTED, UNAVAILABLE when no model server is
// healthy; the answer, headers and trailers of the model server are
// passed back unchanged.
func (p *Proxy) ModelInfer(ctx context.Context, req *inferencepb.ModelInferRequest) (*inferencepb.ModelInferResponse, error) {
	pk, err := p.pick(req.GetModelName(), Prompt(req), true)
	if err != nil {
		return nil, err
	}
	if err := decision(pk); err != nil {
		return nil, err
	}
	var out *inferencepb.ModelInferResponse
	err = p.forward(ctx, pk, func(ctx context.Context, c inferencepb.GRPCInferenceServiceClient, opts ...grpc.CallOption) error {
		var err error
		out, err = c.ModelInfer(ctx, req, opts...)
		return err
	})
	return out, err
}

// pick finds the OIP pool of model and asks its picker.
func (p *Proxy) pick(model, prompt string, record bool) (*inference.Pick, error) {
	if model == "" {
		return nil, status.Error(codes.InvalidArgument, "the request names no model")
	}
	pool, err := p.pools.ForModel(model)
	if err != nil {
		return nil, status.Errorf(codes.NotFound, "no inference pool serves model %q", model)
	}
	if pr, err := p.pools.Protocol(pool); err != nil || pr != aiv1.InferenceProtocol_INFERENCE_PROTOCOL_OIP {
		return nil, status.Errorf(codes.FailedPrecondition, "model %q is served by %s over the OpenAI-compatible HTTP API, not OIP", model, pool)
	}
	pk, err := p.pools.Pick(pool, model, prompt, record)
	if err != nil {
		return nil, status.Errorf(codes.Unavailable, "%s: %v", pool, err)
	}
	return pk, nil
}

// decision maps a pick that is not PICKED to its gRPC status.
func decision(pk *inference.Pick) error {
	switch pk.Decision {
	case aiv1.PickDecision_PICK_DECISION_SHED:
		return status.Errorf(codes.ResourceExhausted, "every model server of %s is saturated and this request's priority is low; retry later", pk.Pool)
	case aiv1.PickDecision_PICK_DECISION_NO_ENDPOINT:
		return status.Errorf(codes.Unavailable, "no model server of %s is healthy", pk.Pool)
	}
	return nil
}

// call is one RPC to a model server.
type call func(ctx context.Context, c inferencepb.GRPCInferenceServiceClient, opts ...grpc.CallOption) error

// forward makes the call on the pick's first candidate, and on the next
// ones (up to maxTries) while connections are refused, so that nothing
// reached the model server. The caller's metadata goes with it; the model
// server's headers and trailers come back. A failure after the request
// was sent is the caller's, as UNAVAILABLE naming the model server (or
// the model server's own status, unchanged).
func (p *Proxy) forward(ctx context.Context, pk *inference.Pick, fn call) error {
	out := outgoing(ctx)
	for i, cand := range pk.Candidates {
		if i >= maxTries {
			break
		}
		ep := cand.Endpoint
		if i > 0 {
			p.pools.Record(pk, ep)
		}
		c, err := p.conn(ep.Addr())
		if err != nil {
			return status.Errorf(codes.Internal, "connecting to %s: %v", ep.Addr(), err)
		}
		var header, trailer metadata.MD
		firstByte, done := ep.Begin()
		err = fn(out, inferencepb.NewGRPCInferenceServiceClient(c), grpc.Header(&header), grpc.Trailer(&trailer))
		if header != nil {
			firstByte() // the model server answered (a unary call: all of it)
		}
		if len(header) > 0 {
			_ = grpc.SetHeader(ctx, header)
		}
		if len(trailer) > 0 {
			_ = grpc.SetTrailer(ctx, trailer)
		}
		if err == nil {
			done(false)
			return nil
		}
		st := status.Convert(err)
		switch {
		case ctx.Err() != nil:
			done(false) // the caller left: not the endpoint's fault
			return status.FromContextError(ctx.Err()).Err()
		case refused(st):
			done(true)
			p.pools.MarkDown(pk, ep, err)
			continue
		case st.Code() == codes.Unavailable || st.Code() == codes.Internal || st.Code() == codes.Unknown:
			done(true)
			p.logger.Warn("OIP request failed", "pool", pk.Pool, "endpoint", ep.Addr(), "error", err)
			return status.Errorf(st.Code(), "the model server %s failed: %s", ep.Addr(), st.Message())
		default:
			// The model server's own answer (a bad tensor, an unknown
			// version): passed back as it is.
			done(false)
			return err
		}
	}
	return status.Errorf(codes.Unavailable, "no model server of %s accepted the connection", pk.Pool)
}

// refused says that the call failed while connecting, so that the request
// never reached the model server.
func refused(st *status.Status) bool {
	return st.Code() == codes.Unavailable && strings.Contains(st.Message(), "while dialing")
}

// outgoing carries the caller's metadata, less what belongs to the
// caller's own connection, to the model server.
func outgoing(ctx context.Context) context.Context {
	md, ok := metadata.FromIncomingContext(ctx)
	if !ok {
		return ctx
	}
	md = md.Copy()
	for k := range md {
		if strings.HasPrefix(k, ":") || strings.HasPrefix(k, "grpc-") || k == "content-type" || k == "user-agent" || k == "te" {
			delete(md, k)
		}
	}
	return metadata.NewOutgoingContext(ctx, md)
}
