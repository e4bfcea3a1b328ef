package standin

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/opi-suite/opi/opi-ai-bridge/internal/oip"
	"github.com/opi-suite/opi/opi-ai-bridge/internal/oip/inferencepb"
)

// OIP names of the stand-in's tensors: a prompt in, the made-up text out
// (Triton's vLLM backend's names).
const (
	OIPInput  = "text_input"
	OIPOutput = "text_output"
)

// oipServer is the stand-in's Open Inference Protocol: ModelInfer goes
// through the same queue, KV cache and prefix cache as the OpenAI API.
type oipServer struct {
	inferencepb.UnimplementedGRPCInferenceServiceServer
	s *Server
}

func (o *oipServer) ServerLive(context.Context, *inferencepb.ServerLiveRequest) (*inferencepb.ServerLiveResponse, error) {
	return &inferencepb.ServerLiveResponse{Live: true}, nil
}

func (o *oipServer) ServerReady(context.Context, *inferencepb.ServerReadyRequest) (*inferencepb.ServerReadyResponse, error) {
	return &inferencepb.ServerReadyResponse{Ready: true}, nil
}

func (o *oipServer) ServerMetadata(context.Context, *inferencepb.ServerMetadataRequest) (*inferencepb.ServerMetadataResponse, error) {
	return &inferencepb.ServerMetadataResponse{Name: "opi-model-standin", Version: "1", Extensions: []string{}}, nil
}

func (o *oipServer) ModelReady(_ context.Context, req *inferencepb.ModelReadyRequest) (*inferencepb.ModelReadyResponse, error) {
	if !o.s.serves(req.GetName()) {
		return nil, status.Errorf(codes.NotFound, "the model %q does not exist", req.GetName())
	}
	return &inferencepb.ModelReadyResponse{Ready: true}, nil
}

func (o *oipServer) ModelMetadata(_ context.Context, req *inferencepb.ModelMetadataRequest) (*inferencepb.ModelMetadataResponse, error) {
	if !o.s.serves(req.GetName()) {
		return nil, status.Errorf(codes.NotFound, "the model %q does not exist", req.GetName())
	}
	return &inferencepb.ModelMetadataResponse{
		Name: req.GetName(), Versions: []string{"1"}, Platform: "opi-model-standin",
		Inputs:  []*inferencepb.ModelMetadataResponse_TensorMetadata{{Name: OIPInput, Datatype: oip.BytesType, Shape: []int64{1}}},
		Outputs: []*inferencepb.ModelMetadataResponse_TensorMetadata{{Name: OIPOutput, Datatype: oip.BytesType, Shape: []int64{1}}},
	}, nil
}

// ModelInfer answers made-up text after the time the prompt's uncached
// blocks and the output tokens take; parameter max_tokens (int64) sets
// the answer's length.
func (o *oipServer) ModelInfer(ctx context.Context, req *inferencepb.ModelInferRequest) (*inferencepb.ModelInferResponse, error) {
	s := o.s
	if !s.serves(req.GetModelName()) {
		return nil, status.Errorf(codes.NotFound, "the model %q does not exist", req.GetModelName())
	}
	if !slices.ContainsFunc(req.GetInputs(), func(t *inferencepb.ModelInferRequest_InferInputTensor) bool {
		return t.GetName() == OIPInput && t.GetDatatype() == oip.BytesType
	}) {
		return nil, status.Errorf(codes.InvalidArgument, "the model expects a BYTES input %q", OIPInput)
	}
	prompt := oip.Prompt(req)
	s.mu.Lock()
	s.reqs++
	s.mu.Unlock()
	release, ok := s.admit(ctx, len(prompt)/BlockSize+1)
	if !ok {
		return nil, status.FromContextError(ctx.Err()).Err()
	}
	defer release()
	missed := s.prefill(prompt)
	if !sleep(ctx, s.cfg.BaseTTFT+s.cfg.PrefillPerBlock*time.Duration(missed)) {
		return nil, status.FromContextError(ctx.Err()).Err()
	}
	n := s.cfg.OutputTokens
	if p, ok := req.GetParameters()["max_tokens"]; ok && p.GetInt64Param() > 0 {
		n = int(min(p.GetInt64Param(), 4096))
	}
	var text strings.Builder
	for i := range n {
		if i > 0 && !sleep(ctx, s.cfg.TokenInterval) {
			return nil, status.FromContextError(ctx.Err()).Err()
		}
		fmt.Fprintf(&text, "tok%d ", i)
	}
	_ = grpc.SetHeader(ctx, metadata.Pairs("x-standin-name", s.cfg.Name))
	s.succeeded()
	return &inferencepb.ModelInferResponse{
		ModelName: req.GetModelName(), ModelVersion: "1", Id: req.GetId(),
		Outputs: []*inferencepb.ModelInferResponse_InferOutputTensor{{
			Name: OIPOutput, Datatype: oip.BytesType, Shape: []int64{1},
			Contents: &inferencepb.InferTensorContents{BytesContents: [][]byte{[]byte(text.String())}},
		}},
	}, nil
}
