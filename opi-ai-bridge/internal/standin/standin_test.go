package standin

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/opi-suite/opi/opi-ai-bridge/internal/oip/inferencepb"
)

// Both protocols on one port, and the answered requests counted in
// vllm:request_success_total (what the end-to-end suite reads).
func TestBothProtocolsOnOnePortAndTheSuccessCounter(t *testing.T) {
	s := New(Config{Name: "a"})
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer s.Kill()
	for _, body := range []string{
		`{"model":"model","messages":[{"role":"user","content":"hi"}]}`,
		`{"model":"model","stream":true,"messages":[{"role":"user","content":"hi"}]}`,
	} {
		resp, err := http.Post("http://"+s.Addr()+"/v1/chat/completions", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Standin-Name") != "a" {
			t.Fatalf("HTTP %d: %s", resp.StatusCode, b)
		}
	}
	conn, err := grpc.NewClient("passthrough:///"+s.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	out, err := inferencepb.NewGRPCInferenceServiceClient(conn).ModelInfer(context.Background(), &inferencepb.ModelInferRequest{
		ModelName: "model", Id: "x",
		Inputs: []*inferencepb.ModelInferRequest_InferInputTensor{{Name: OIPInput, Datatype: "BYTES", Shape: []int64{1},
			Contents: &inferencepb.InferTensorContents{BytesContents: [][]byte{[]byte("hi")}}}},
	})
	if err != nil || out.GetId() != "x" || len(out.GetOutputs()) != 1 || out.GetOutputs()[0].GetName() != OIPOutput ||
		!strings.HasPrefix(string(out.GetOutputs()[0].GetContents().GetBytesContents()[0]), "tok0 ") {
		t.Fatalf("ModelInfer: %v %v", out, err)
	}
	if st := s.Stats(); st.Succeeded != 3 || st.Requests != 3 {
		t.Fatalf("stats %+v, want 3 requests answered", st)
	}
	resp, err := http.Get("http://" + s.Addr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `vllm:request_success_total{finished_reason="length",model_name="model"} 3`) {
		t.Fatalf("metrics:\n%s", b)
	}
}
