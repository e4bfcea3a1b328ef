package redact

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
)

// UnaryServerInterceptor makes sure no response leaves the server with a
// secret field set, even when a handler forgets to clear it. The handler's
// own message is never changed (it may be the bridge's stored intent); a
// cleared copy is sent instead.
func UnaryServerInterceptor() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		resp, err := handler(ctx, req)
		if m, ok := resp.(proto.Message); ok && err == nil {
			return Redacted(m), nil
		}
		return resp, err
	}
}

// StreamServerInterceptor does the same for every message a handler sends
// on a stream.
func StreamServerInterceptor() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		return handler(srv, &stream{ServerStream: ss})
	}
}

type stream struct{ grpc.ServerStream }

func (s *stream) SendMsg(m any) error {
	if pm, ok := m.(proto.Message); ok {
		m = Redacted(pm)
	}
	return s.ServerStream.SendMsg(m)
}
