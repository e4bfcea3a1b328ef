package server

import (
	"context"
	"net"
	"net/http"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/test/bufconn"
)

// The REST gateway reaches the gRPC server through an in-memory listener
// rather than calling the service implementations directly, so that REST
// calls pass the same interceptors (authorization, validation, metrics,
// logging, redaction) as gRPC ones.

const inProcessBuffer = 1 << 20

// inProcessListener hands out connections wrapped in inProcessConn, the
// type serverCreds recognises as the gateway's.
type inProcessListener struct{ *bufconn.Listener }

func (l inProcessListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return inProcessConn{c}, nil
}

type inProcessConn struct{ net.Conn }

// dialInProcess returns a client connection to the server over lis.
func dialInProcess(lis inProcessListener) (*grpc.ClientConn, error) {
	return grpc.NewClient("passthrough:///opi-gateway",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		// The in-memory pipe never leaves the process; there is nothing to encrypt.
		grpc.WithTransportCredentials(insecure.NewCredentials()),
	)
}

// newGatewayMux builds the REST mux. Under mutual TLS it forwards the HTTP
// client's verified certificate identity to the gRPC side.
func newGatewayMux() *runtime.ServeMux {
	return runtime.NewServeMux(
		gatewayMarshaler(),
		runtime.WithIncomingHeaderMatcher(headerMatcher),
		runtime.WithMetadata(forwardIdentity),
	)
}

// headerMatcher is the gateway's default header mapping, except that no
// HTTP header may ever become an identity metadata key. grpc-gateway v2.33's
// default matcher forwards no Grpc-Metadata-* headers anyway; this keeps
// the guarantee if the mapping is widened, since otherwise a REST client
// could send "Grpc-Metadata-X-Opi-Gateway-Client-Ou: admin".
func headerMatcher(key string) (string, bool) {
	md, ok := runtime.DefaultHeaderMatcher(key)
	if ok && strings.HasPrefix(strings.ToLower(md), "x-opi-gateway-") {
		return "", false
	}
	return md, ok
}

func forwardIdentity(_ context.Context, r *http.Request) metadata.MD {
	if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 || len(r.TLS.VerifiedChains[0]) == 0 {
		return nil
	}
	subject := r.TLS.VerifiedChains[0][0].Subject
	// Always set both keys, even to "", because the gateway lets an
	// annotator's keys replace whatever the request headers put there.
	md := metadata.Pairs(identityCNKey, subject.CommonName, identityOUKey, "")
	if len(subject.OrganizationalUnit) > 0 {
		md.Set(identityOUKey, subject.OrganizationalUnit...)
	}
	return md
}
