// Package authz decides, per gRPC method, whether a caller identified by
// its client certificate may call it.
//
// Two roles exist, read from the certificate Subject's OrganizationalUnit:
// "admin" may call every method, "reader" only read-only ones. A method is
// read-only when its name starts with Get, List, Watch or Stats, or when it
// belongs to the standard health or reflection services. Bridges that need
// finer rules wrap Authorize in their own Authorizer.
//
// Authorization needs a verified client identity, so the runtime applies it
// only when mutual TLS is configured.
package authz

import (
	"context"
	"crypto/x509"
	"slices"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Role is what an identity is allowed to do.
type Role string

const (
	// RoleNone is held by identities with no recognised OrganizationalUnit.
	RoleNone Role = ""
	// RoleReader may call read-only methods.
	RoleReader Role = "reader"
	// RoleAdmin may call every method.
	RoleAdmin Role = "admin"
)

// Identity is who a caller is, as its verified client certificate says.
type Identity struct {
	// CommonName is the certificate Subject's CN; it names the caller in
	// errors and logs.
	CommonName string
	// OrganizationalUnits are the Subject's OU values; they carry the role.
	OrganizationalUnits []string
}

// IdentityFromCertificate reads the identity of a verified certificate.
func IdentityFromCertificate(cert *x509.Certificate) Identity {
	return Identity{CommonName: cert.Subject.CommonName, OrganizationalUnits: cert.Subject.OrganizationalUnit}
}

// Role maps the identity to its strongest role: admin wins over reader.
func (id Identity) Role() Role {
	switch {
	case slices.Contains(id.OrganizationalUnits, string(RoleAdmin)):
		return RoleAdmin
	case slices.Contains(id.OrganizationalUnits, string(RoleReader)):
		return RoleReader
	}
	return RoleNone
}

// readOnlyPrefixes are the method-name verbs that change nothing (AIP-131,
// AIP-132 and the OPI Watch/Stats conventions).
var readOnlyPrefixes = []string{"Get", "List", "Watch", "Stats"}

// readOnlyServices are infrastructure services every reader may use.
var readOnlyServices = []string{"grpc.health.v1.", "grpc.reflection."}

// ReadOnly reports whether fullMethod ("/package.Service/Method") only reads.
func ReadOnly(fullMethod string) bool {
	full := strings.TrimPrefix(fullMethod, "/")
	for _, svc := range readOnlyServices {
		if strings.HasPrefix(full, svc) {
			return true
		}
	}
	method := full[strings.LastIndexByte(full, '/')+1:]
	for _, p := range readOnlyPrefixes {
		if strings.HasPrefix(method, p) {
			return true
		}
	}
	return false
}

// RequiredRole is the weakest role that may call fullMethod.
func RequiredRole(fullMethod string) Role {
	if ReadOnly(fullMethod) {
		return RoleReader
	}
	return RoleAdmin
}

// Authorizer returns nil when id may call fullMethod, and otherwise a
// status error (codes.PermissionDenied) saying why.
type Authorizer func(id Identity, fullMethod string) error

// Authorize is the default Authorizer: admin may call anything, reader only
// read-only methods, anyone else nothing.
func Authorize(id Identity, fullMethod string) error {
	need, have := RequiredRole(fullMethod), id.Role()
	if have == RoleAdmin || (have == RoleReader && need == RoleReader) {
		return nil
	}
	seen := "no role (certificate OU is neither admin nor reader)"
	if have != RoleNone {
		seen = "role " + string(have)
	}
	return status.Errorf(codes.PermissionDenied,
		"%s needs role %s (client certificate OU=%s); the client certificate CN=%q has %s",
		fullMethod, need, need, id.CommonName, seen)
}

// IdentityFunc finds the verified identity of the caller of ctx. It returns
// a status error (codes.Unauthenticated) when there is none.
type IdentityFunc func(ctx context.Context) (Identity, error)

// UnaryServerInterceptor authorizes each unary call with authorize, using
// the identity identify finds.
func UnaryServerInterceptor(identify IdentityFunc, authorize Authorizer) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if err := check(ctx, identify, authorize, info.FullMethod); err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
}

// StreamServerInterceptor authorizes each stream when it opens.
func StreamServerInterceptor(identify IdentityFunc, authorize Authorizer) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		if err := check(ss.Context(), identify, authorize, info.FullMethod); err != nil {
			return err
		}
		return handler(srv, ss)
	}
}

func check(ctx context.Context, identify IdentityFunc, authorize Authorizer, fullMethod string) error {
	id, err := identify(ctx)
	if err != nil {
		return err
	}
	return authorize(id, fullMethod)
}
