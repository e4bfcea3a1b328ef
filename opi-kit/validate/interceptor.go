package validate

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
)

// An Option configures the interceptors.
type Option func(*options)

type options struct{ skip func(fullMethod string) bool }

// Except leaves unchecked the methods for which skip returns true: the
// facade of another project's API whose own clients break its
// annotations (upstream OPI's godpu sends GetInventory with no name,
// which upstream's proto marks REQUIRED); such a service checks what it
// needs itself.
func Except(skip func(fullMethod string) bool) Option { return func(o *options) { o.skip = skip } }

func build(opts []Option) options {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if o.skip == nil {
		o.skip = func(string) bool { return false }
	}
	return o
}

// UnaryServerInterceptor rejects requests that break their descriptor's
// rules before the handler sees them.
func UnaryServerInterceptor(opts ...Option) grpc.UnaryServerInterceptor {
	o := build(opts)
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if m, ok := req.(proto.Message); ok && !o.skip(info.FullMethod) {
			if err := Request(m); err != nil {
				return nil, err
			}
		}
		return handler(ctx, req)
	}
}

// StreamServerInterceptor checks every message a client streams in; the
// handler's RecvMsg returns the violation as its error.
func StreamServerInterceptor(opts ...Option) grpc.StreamServerInterceptor {
	o := build(opts)
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		if o.skip(info.FullMethod) {
			return handler(srv, ss)
		}
		return handler(srv, &stream{ServerStream: ss})
	}
}

type stream struct{ grpc.ServerStream }

func (s *stream) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	if pm, ok := m.(proto.Message); ok {
		return Request(pm)
	}
	return nil
}
