package server

import (
	"context"

	"github.com/opi-suite/opi/opi-kit/redact"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
)

// RedactUnaryServerInterceptor makes sure no response leaves the server with
// a secret field set, even when a handler forgets to clear it. The handler's
// own message is never changed (it may be the bridge's stored intent); a
// cleared copy is sent instead. It lives here rather than in redact so that
// redact stays free of gRPC for clients such as the CLI.
func RedactUnaryServerInterceptor() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		resp, err := handler(ctx, req)
		if m, ok := resp.(proto.Message); ok && err == nil {
			return redact.Redacted(m), nil
		}
		return resp, err
	}
}

// RedactStreamServerInterceptor does the same for every message a handler
// sends on a stream.
func RedactStreamServerInterceptor() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		return handler(srv, &redactedStream{ServerStream: ss})
	}
}

type redactedStream struct{ grpc.ServerStream }

func (s *redactedStream) SendMsg(m any) error {
	if pm, ok := m.(proto.Message); ok {
		m = redact.Redacted(pm)
	}
	return s.ServerStream.SendMsg(m)
}
