// Package openai holds the little of the OpenAI-compatible HTTP API that
// both the inference proxy and the stand-in model server read from a
// request: the model and the prompt, and the error body.
package openai

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// Paths of the API that carry inference requests.
const (
	ChatCompletions = "/v1/chat/completions"
	Completions     = "/v1/completions"
	Models          = "/v1/models"
)

// Request is what is read of a completion or chat completion request.
type Request struct {
	Model     string    `json:"model"`
	Messages  []Message `json:"messages,omitempty"`
	Prompt    any       `json:"prompt,omitempty"` // a string or a list of strings
	Stream    bool      `json:"stream,omitempty"`
	MaxTokens int       `json:"max_tokens,omitempty"`
}

// Message is one chat message.
type Message struct {
	Role    string `json:"role"`
	Content any    `json:"content"` // a string or a list of parts
}

// Parse reads a request body.
func Parse(body []byte) (*Request, error) {
	var r Request
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("the body is not an OpenAI request: %w", err)
	}
	if r.Model == "" {
		return nil, fmt.Errorf("the request names no model")
	}
	return &r, nil
}

// PromptText returns the text the model reads first: the completion's
// prompt, or the chat messages as "role: content" lines. Requests that
// share a system prompt share the beginning of this text, which is what
// prefix caches and the prefix scorer key on.
func (r *Request) PromptText() string {
	var b strings.Builder
	switch p := r.Prompt.(type) {
	case string:
		b.WriteString(p)
	case []any:
		for _, s := range p {
			if s, ok := s.(string); ok {
				b.WriteString(s)
			}
		}
	}
	for _, m := range r.Messages {
		b.WriteString(m.Role)
		b.WriteString(": ")
		switch c := m.Content.(type) {
		case string:
			b.WriteString(c)
		case []any:
			for _, part := range c {
				if p, ok := part.(map[string]any); ok {
					if t, ok := p["text"].(string); ok {
						b.WriteString(t)
					}
				}
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// WriteError answers status with an OpenAI error body.
func WriteError(w http.ResponseWriter, status int, typ, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"message": msg, "type": typ, "code": code}})
}
