package server_test

import (
	"context"
	"testing"

	"github.com/opi-suite/opi/opi-kit/redact"
	"github.com/opi-suite/opi/opi-kit/redact/redacttest"
	"github.com/opi-suite/opi/opi-kit/server"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
)

// sentStream records what a handler sends, standing in for the transport.
type sentStream struct {
	grpc.ServerStream
	sent []any
}

func (s *sentStream) SendMsg(m any) error { s.sent = append(s.sent, m); return nil }

// TestRedactInterceptorsClearACopy calls the interceptors as grpc does, with
// a handler that returns (or streams) its stored message with secrets set.
func TestRedactInterceptorsClearACopy(t *testing.T) {
	tests := []struct {
		name string
		send func(t *testing.T, stored proto.Message) any // what reaches the caller
	}{
		{"a unary response", func(t *testing.T, stored proto.Message) any {
			resp, err := server.RedactUnaryServerInterceptor()(context.Background(), nil, &grpc.UnaryServerInfo{},
				func(context.Context, any) (any, error) { return stored, nil })
			if err != nil {
				t.Fatal(err)
			}
			return resp
		}},
		{"a streamed message", func(t *testing.T, stored proto.Message) any {
			ss := &sentStream{}
			err := server.RedactStreamServerInterceptor()(nil, ss, &grpc.StreamServerInfo{},
				func(_ any, s grpc.ServerStream) error { return s.SendMsg(stored) })
			if err != nil || len(ss.sent) != 1 {
				t.Fatalf("sent %d messages, error %v", len(ss.sent), err)
			}
			return ss.sent[0]
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stored := redacttest.Credentials(t)
			before := proto.Clone(stored)
			got, ok := tt.send(t, stored).(proto.Message)
			switch {
			case !ok:
				t.Fatalf("the caller got %T, not a message", got)
			case redact.HasSecret(got):
				t.Error("a secret field reached the caller")
			case !proto.Equal(stored, before):
				t.Error("the handler's own message was changed")
			}
		})
	}
}
