package server

import (
	"fmt"
	"net/http"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/opi-suite/opi/opi-kit/authz"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
)

// Limits of the HTTP port. A REST body becomes one gRPC request, so it may
// be no larger than the gRPC server accepts (grpc-go's default receive
// limit): reading more would only buffer what the gRPC side then refuses.
const (
	// MaxRESTBody is the largest REST request body the gateway reads.
	MaxRESTBody = 4 << 20
	// httpReadTimeout bounds reading one whole request, body included, so
	// a body that trickles in cannot hold a connection (and its buffer).
	httpReadTimeout = 30 * time.Second
	// httpIdleTimeout closes keep-alive connections nobody uses.
	httpIdleTimeout = 2 * time.Minute
)

// healthMethod is what /healthz and /metrics are authorized as: the same
// rule as gRPC health, so that one identity gets one answer on both ports.
const healthMethod = "/grpc.health.v1.Health/Check"

// guardHTTP applies, under mutual TLS, the authorizer's answer for the
// weakest method (health) to every HTTP request before anything is read:
// a client certificate that may call nothing gets 403 without the server
// reading its body, and /healthz and /metrics follow the gRPC health rule.
// The gateway's calls are then authorized per method by the gRPC chain.
func guardHTTP(authorize authz.Authorizer, next http.Handler) http.Handler {
	if authorize == nil {
		return next // no mutual TLS: no verified identity to authorize
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 || len(r.TLS.VerifiedChains[0]) == 0 {
			httpError(w, http.StatusUnauthorized, codes.Unauthenticated, "no verified client certificate: connect with a certificate signed by the server's --tls-ca")
			return
		}
		id := authz.IdentityFromCertificate(r.TLS.VerifiedChains[0][0])
		if err := authorize(id, healthMethod); err != nil {
			httpError(w, http.StatusForbidden, codes.PermissionDenied, fmt.Sprintf("%s may call nothing on this server: %v", id.CommonName, err))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// limitBody refuses a declared body over MaxRESTBody at once (413) and cuts
// off a body that grows past it while the gateway reads it.
func limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > MaxRESTBody {
			httpError(w, http.StatusRequestEntityTooLarge, codes.ResourceExhausted,
				fmt.Sprintf("request body of %d bytes is over the limit of %d bytes", r.ContentLength, MaxRESTBody))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, MaxRESTBody)
		next.ServeHTTP(w, r)
	})
}

// httpError writes a JSON error in the gateway's shape (google.rpc.Status).
func httpError(w http.ResponseWriter, httpCode int, code codes.Code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Connection", "close") // the body, if any, is left unread
	w.WriteHeader(httpCode)
	b, _ := protojson.Marshal(status.New(code, msg).Proto())
	_, _ = w.Write(b)
}

// gatewayMarshaler is grpc-gateway's default JSON marshaler except that an
// unknown field in a request body is an error (400), as it is for gRPC
// clients using protojson: a typo such as "source_cidr" must not silently
// turn into a rule without the field.
func gatewayMarshaler() runtime.ServeMuxOption {
	return runtime.WithMarshalerOption(runtime.MIMEWildcard, &runtime.HTTPBodyMarshaler{
		Marshaler: &runtime.JSONPb{
			MarshalOptions:   protojson.MarshalOptions{EmitUnpopulated: true},
			UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: false},
		},
	})
}
