package oip

import (
	"testing"

	"github.com/opi-suite/opi/opi-ai-bridge/internal/oip/inferencepb"
)

type tensor = inferencepb.ModelInferRequest_InferInputTensor

func bytesInput(name string, elems ...string) *tensor {
	var b [][]byte
	for _, e := range elems {
		b = append(b, []byte(e))
	}
	return &tensor{Name: name, Datatype: BytesType, Shape: []int64{int64(len(elems))}, Contents: &inferencepb.InferTensorContents{BytesContents: b}}
}

func TestPrompt(t *testing.T) {
	ints := &tensor{Name: "ids", Datatype: "INT64", Shape: []int64{2}, Contents: &inferencepb.InferTensorContents{Int64Contents: []int64{1, 2}}}
	for _, tc := range []struct {
		name string
		req  *inferencepb.ModelInferRequest
		want string
	}{
		{"text_input", &inferencepb.ModelInferRequest{Inputs: []*tensor{ints, bytesInput("stop", "x"), bytesInput("text_input", "hello")}}, "hello"},
		{"the only BYTES input", &inferencepb.ModelInferRequest{Inputs: []*tensor{ints, bytesInput("q", "a", "b")}}, "a\nb"},
		{"two unnamed BYTES inputs: no prompt", &inferencepb.ModelInferRequest{Inputs: []*tensor{bytesInput("a", "1"), bytesInput("b", "2")}}, ""},
		{"numbers only", &inferencepb.ModelInferRequest{Inputs: []*tensor{ints}}, ""},
		{"raw contents", &inferencepb.ModelInferRequest{
			Inputs:           []*tensor{{Name: "ids", Datatype: "INT64", Shape: []int64{1}}, {Name: "prompt", Datatype: BytesType, Shape: []int64{2}}},
			RawInputContents: [][]byte{make([]byte, 8), RawBytes([]byte("system"), []byte("user"))},
		}, "system\nuser"},
		{"raw contents missing", &inferencepb.ModelInferRequest{
			Inputs: []*tensor{{Name: "ids", Datatype: "INT64"}, {Name: "prompt", Datatype: BytesType}}, RawInputContents: [][]byte{{1}},
		}, ""},
	} {
		if got := Prompt(tc.req); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestSplitRawBytesDropsAMalformedTail(t *testing.T) {
	raw := append(RawBytes([]byte("ab"), []byte("")), 9, 0, 0, 0, 'x')
	got := SplitRawBytes(raw)
	if len(got) != 2 || string(got[0]) != "ab" || len(got[1]) != 0 {
		t.Fatalf("%q", got)
	}
}
