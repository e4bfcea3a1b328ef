// Package oip is the AI bridge's data path for KServe's Open Inference
// Protocol (v2) over gRPC: a GRPCInferenceService that routes each
// ModelInfer to the model server its pool's endpoint picker chooses and
// passes the answer back as the server gave it, and the little of the
// protocol the proxy and the stand-in model server both read (the prompt).
package oip

import (
	"encoding/binary"
	"strings"

	"github.com/opi-suite/opi/opi-ai-bridge/internal/oip/inferencepb"
)

// BytesType is the OIP data type of a tensor of byte strings.
const BytesType = "BYTES"

// PromptInputs are the names of the BYTES input tensors read as a
// request's prompt: "text_input" (Triton's vLLM and TensorRT-LLM backends,
// KServe's Hugging Face runtime), "prompt" and "text".
var PromptInputs = []string{"text_input", "prompt", "text"}

// Prompt returns the prompt of req, for prefix affinity: the elements of
// its BYTES input named in PromptInputs (or of its only BYTES input),
// joined by newlines, read from the tensor's contents or from
// raw_input_contents. A request without such an input (an image, a
// tensor of numbers) has no prompt: "".
func Prompt(req *inferencepb.ModelInferRequest) string {
	idx, only, nBytes := -1, -1, 0
	for i, in := range req.GetInputs() {
		if in.GetDatatype() != BytesType {
			continue
		}
		nBytes++
		only = i
		for _, n := range PromptInputs {
			if in.GetName() == n && idx < 0 {
				idx = i
			}
		}
	}
	if idx < 0 && nBytes == 1 {
		idx = only
	}
	if idx < 0 {
		return ""
	}
	var elems [][]byte
	if raw := req.GetRawInputContents(); len(raw) > 0 {
		if idx >= len(raw) {
			return ""
		}
		elems = SplitRawBytes(raw[idx])
	} else {
		elems = req.GetInputs()[idx].GetContents().GetBytesContents()
	}
	var b strings.Builder
	for i, e := range elems {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.Write(e)
	}
	return b.String()
}

// SplitRawBytes decodes a BYTES tensor in raw form: each element is its
// length as 4 bytes, little endian, then its bytes. A malformed tail is
// dropped.
func SplitRawBytes(raw []byte) [][]byte {
	var out [][]byte
	for len(raw) >= 4 {
		n := binary.LittleEndian.Uint32(raw)
		raw = raw[4:]
		if uint64(n) > uint64(len(raw)) {
			break
		}
		out = append(out, raw[:n])
		raw = raw[n:]
	}
	return out
}

// RawBytes encodes elems as a BYTES tensor in raw form.
func RawBytes(elems ...[]byte) []byte {
	var out []byte
	for _, e := range elems {
		out = binary.LittleEndian.AppendUint32(out, uint32(len(e)))
		out = append(out, e...)
	}
	return out
}
