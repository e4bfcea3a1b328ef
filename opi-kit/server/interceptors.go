package server

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"runtime/debug"

	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/logging"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/recovery"
	"github.com/opi-suite/opi/opi-kit/authz"
	"github.com/opi-suite/opi/opi-kit/errdefs/errgrpc"
	"github.com/opi-suite/opi/opi-kit/redact"
	"github.com/opi-suite/opi/opi-kit/validate"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// interceptors returns the server's unary and stream chains, outermost
// first:
//
//  1. metrics and 2. logging observe every call, including the ones a later
//     step rejects and the ones that panic;
//  3. recovery turns a panic in anything below it (authorization,
//     validation, redaction or the handler) into codes.Internal, so it is
//     still counted and logged above, and the server keeps serving;
//  4. authorization (mutual TLS only) runs before validation, so a caller
//     without the right learns nothing about what a valid request is;
//  5. validation rejects requests that break their descriptor's rules;
//  6. redaction clears secret fields from responses;
//  7. errgrpc turns the handler's domain error (an errdefs class) into
//     its gRPC status: the one place that happens, for every bridge.
func interceptors(metrics *grpcprom.ServerMetrics, logger *slog.Logger, authorize authz.Authorizer, vopts ...validate.Option) ([]grpc.UnaryServerInterceptor, []grpc.StreamServerInterceptor) {
	logOpts := []logging.Option{
		logging.WithLevels(codeToLevel),
		logging.WithLogOnEvents(logging.FinishCall),
	}
	if logger.Enabled(context.Background(), slog.LevelDebug) {
		// Payloads only at debug: they are large, and redacted in the logger.
		logOpts = []logging.Option{
			logging.WithLevels(codeToLevel),
			logging.WithLogOnEvents(logging.FinishCall, logging.PayloadReceived, logging.PayloadSent),
		}
	}
	callLogger := interceptorLogger(logger)
	recoverOpt := recovery.WithRecoveryHandlerContext(panicHandler(logger))

	unary := []grpc.UnaryServerInterceptor{
		metrics.UnaryServerInterceptor(),
		logging.UnaryServerInterceptor(callLogger, logOpts...),
		recovery.UnaryServerInterceptor(recoverOpt),
	}
	stream := []grpc.StreamServerInterceptor{
		metrics.StreamServerInterceptor(),
		logging.StreamServerInterceptor(callLogger, logOpts...),
		recovery.StreamServerInterceptor(recoverOpt),
	}
	if authorize != nil {
		unary = append(unary, authz.UnaryServerInterceptor(callerIdentity, authorize))
		stream = append(stream, authz.StreamServerInterceptor(callerIdentity, authorize))
	}
	unary = append(unary, validate.UnaryServerInterceptor(vopts...), RedactUnaryServerInterceptor(), errgrpc.UnaryServerInterceptor())
	stream = append(stream, validate.StreamServerInterceptor(vopts...), RedactStreamServerInterceptor(), errgrpc.StreamServerInterceptor())
	return unary, stream
}

// codeToLevel logs successful calls at debug (they are the bulk, and
// metrics count them), caller mistakes at info, transient server trouble at
// warn and server faults at error.
func codeToLevel(c codes.Code) logging.Level {
	switch c {
	case codes.OK:
		return logging.LevelDebug
	case codes.Canceled, codes.InvalidArgument, codes.NotFound, codes.AlreadyExists,
		codes.PermissionDenied, codes.Unauthenticated, codes.FailedPrecondition,
		codes.OutOfRange, codes.ResourceExhausted, codes.Aborted:
		return logging.LevelInfo
	case codes.DeadlineExceeded, codes.Unavailable:
		return logging.LevelWarn
	}
	return logging.LevelError
}

// interceptorLogger adapts slog to the middleware, rendering payloads as
// protojson with secret fields cleared from a copy, never from the message
// the handler or the caller holds.
func interceptorLogger(l *slog.Logger) logging.Logger {
	return logging.LoggerFunc(func(ctx context.Context, lvl logging.Level, msg string, fields ...any) {
		level := slog.Level(lvl)
		if !l.Enabled(ctx, level) {
			return
		}
		out, copied := fields, false
		for i := 1; i < len(fields); i += 2 {
			var v any
			switch f := fields[i].(type) {
			case proto.Message:
				v = payload(f)
			case string:
				if len(f) <= maxLoggedString {
					continue
				}
				v = errgrpc.Truncate(f, maxLoggedString)
			case error:
				if len(f.Error()) <= maxLoggedString {
					continue
				}
				v = errgrpc.Truncate(f.Error(), maxLoggedString)
			default:
				continue
			}
			if !copied { // the middleware may reuse its slice
				out, copied = append([]any(nil), fields...), true
			}
			out[i] = v
		}
		l.Log(ctx, level, msg, out...)
	})
}

// What one call may add to the log: a field's text is cut at
// maxLoggedString bytes and a payload at maxLoggedPayload, so that a
// client sending megabytes cannot make the server log megabytes.
const (
	maxLoggedString  = 2048
	maxLoggedPayload = 8192
)

func payload(m proto.Message) any {
	b, err := protojson.Marshal(redact.Redacted(m))
	if err != nil {
		return fmt.Sprintf("<unprintable %T: %v>", m, err)
	}
	if len(b) > maxLoggedPayload {
		return errgrpc.Truncate(string(b), maxLoggedPayload)
	}
	return json.RawMessage(b)
}

// panicHandler logs the panic with its stack and gives the caller only a
// generic message: the panic value may hold internal details.
func panicHandler(logger *slog.Logger) recovery.RecoveryHandlerFuncContext {
	return func(ctx context.Context, p any) error {
		method, _ := grpc.Method(ctx)
		logger.ErrorContext(ctx, "handler panicked", "grpc.method", method, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		return status.Error(codes.Internal, "internal error; the server logged the details")
	}
}
