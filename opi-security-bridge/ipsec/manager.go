// Package ipsec is the IPsec bridge's domain: the stored intent (IKE
// connections, pre-shared keys, certificates, private keys, address pools)
// in opi-kit
// resource collections, their validation and references, the Backend
// calls that make the IKE daemon hold it (the bridge's own Backend is
// strongSwan's charon over VICI), the pieces of the replay pass that
// loads everything again when the daemon restarts empty, and the fan-out
// of the daemon's SA events to watchers.
//
// Daemon names: a connection is loaded under its resource id (what
// `swanctl --list-conns` shows); the pre-shared key of a connection is
// loaded as shared key "opi-<connection id>" for exactly that connection's
// identities; an address pool is loaded under its resource id. Connections
// whose names are not in the store were loaded by someone else and are
// never touched.
package ipsec

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	securityv1 "github.com/opi-suite/opi/opi-api/security/v1"
	"github.com/opi-suite/opi/opi-kit/aip"
	"github.com/opi-suite/opi/opi-kit/names"
	"github.com/opi-suite/opi/opi-kit/resource"
	"github.com/opi-suite/opi/opi-kit/store"
)

// The resource kinds, as the API declares them (google.api.resource).
var (
	connKind = names.MustForMessage(&securityv1.IkeConnection{})
	pskKind  = names.MustForMessage(&securityv1.PreSharedKey{})
	certKind = names.MustForMessage(&securityv1.Certificate{})
	keyKind  = names.MustForMessage(&securityv1.PrivateKey{})
	poolKind = names.MustForMessage(&securityv1.AddressPool{})
)

// Collection kinds in the store (the kinds' collection ids).
var (
	KindConnections  = connKind.Collection()
	KindPreShared    = pskKind.Collection()
	KindCertificates = certKind.Collection()
	KindPrivateKeys  = keyKind.Collection()
	KindPools        = poolKind.Collection()
)

// kindDesired holds the desired up/down records of connections.
const kindDesired = "ikeConnections.desired"

// Name patterns of the resources, from the API.
var (
	ConnPattern = aip.FromNames(connKind.Pattern)
	PSKPattern  = aip.FromNames(pskKind.Pattern)
	CertPattern = aip.FromNames(certKind.Pattern)
	KeyPattern  = aip.FromNames(keyKind.Pattern)
	PoolPattern = aip.FromNames(poolKind.Pattern)
)

// Manager is the IPsec domain: it owns the collections and the backend.
type Manager struct {
	st      store.Store
	backend Backend
	log     *slog.Logger

	// The stored intent, one collection per resource kind. The API layer
	// reads them directly; mutations go through the Manager's methods.
	Conns *resource.Collection[*securityv1.IkeConnection]
	PSKs  *resource.Collection[*securityv1.PreSharedKey]
	Certs *resource.Collection[*securityv1.Certificate]
	Keys  *resource.Collection[*securityv1.PrivateKey]
	Pools *resource.Collection[*securityv1.AddressPool]

	hub hub

	mu          sync.Mutex                // guards the fields below
	lastSince   string                    // charon's start time at the last complete reload
	forceReload bool                      // set when the event session lost charon
	kick        func()                    // asks the reconcile loop for a pass
	failed      map[string]*initFailure   // failed initiations, by connection name
	down        map[string]*revival       // connections whose IKE SA went down (see Revive)
	busy        map[string]int            // connections an Initiate call is bringing up
	now         func() time.Time          // the clock of the initiation backoff
	counts      map[string]*SAEventCounts // rekeys and failed initiations, by connection name
}

// New builds the domain on st and backend. Run a pass built with Replay
// from a reconcile loop, give SetKick that loop's Kick, and pass the
// backend's Watch events to HandleEvent.
func New(st store.Store, backend Backend, logger *slog.Logger) (*Manager, error) {
	if logger == nil {
		logger = slog.Default()
	}
	m := &Manager{st: st, backend: backend, log: logger, kick: func() {}, failed: map[string]*initFailure{}, down: map[string]*revival{}, busy: map[string]int{}, now: time.Now}
	var err error
	if m.PSKs, err = resource.New[*securityv1.PreSharedKey](st, KindPreShared, PSKPattern,
		resource.WithBackend[*securityv1.PreSharedKey](pskBackend{m})); err != nil {
		return nil, err
	}
	if m.Certs, err = resource.New[*securityv1.Certificate](st, KindCertificates, CertPattern,
		resource.WithBackend[*securityv1.Certificate](certBackend{m})); err != nil {
		return nil, err
	}
	if m.Keys, err = resource.New[*securityv1.PrivateKey](st, KindPrivateKeys, KeyPattern,
		resource.WithBackend[*securityv1.PrivateKey](keyBackend{m})); err != nil {
		return nil, err
	}
	if m.Pools, err = resource.New[*securityv1.AddressPool](st, KindPools, PoolPattern,
		resource.WithBackend[*securityv1.AddressPool](poolBackend{m})); err != nil {
		return nil, err
	}
	if m.Conns, err = resource.New[*securityv1.IkeConnection](st, KindConnections, ConnPattern,
		resource.WithReferences(connRefs),
		resource.WithBackend[*securityv1.IkeConnection](connBackend{m})); err != nil {
		return nil, err
	}
	return m, nil
}

// SetKick gives the Manager the reconcile loop's Kick, called when charon
// (re)connects.
func (m *Manager) SetKick(kick func()) {
	m.mu.Lock()
	m.kick = kick
	m.mu.Unlock()
}

// Probe reports whether charon answers; the service is NOT_SERVING while it
// does not.
func (m *Manager) Probe(ctx context.Context) error {
	_, err := m.backend.Version(ctx)
	return err
}

// connRefs lists the credentials and address pools a connection uses, so
// that they cannot be deleted while it exists and it cannot be created
// without them.
func connRefs(c *securityv1.IkeConnection) []resource.Ref {
	var refs []resource.Ref
	for _, a := range []*securityv1.Authentication{c.GetLocalAuth(), c.GetRemoteAuth()} {
		if a.GetPreSharedKey() != "" {
			refs = append(refs, resource.Ref{Kind: KindPreShared, Name: a.GetPreSharedKey()})
		}
		for _, cert := range []string{a.GetCertificate(), a.GetCaCertificate()} {
			if cert != "" {
				refs = append(refs, resource.Ref{Kind: KindCertificates, Name: cert})
			}
		}
		if a.GetPrivateKey() != "" {
			refs = append(refs, resource.Ref{Kind: KindPrivateKeys, Name: a.GetPrivateKey()})
		}
	}
	for _, p := range c.GetPools() {
		refs = append(refs, resource.Ref{Kind: KindPools, Name: p})
	}
	return uniqueRefs(refs)
}

func uniqueRefs(refs []resource.Ref) []resource.Ref {
	seen := map[resource.Ref]bool{}
	out := refs[:0]
	for _, r := range refs {
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	return out
}

// loading names what the backend was loading when it failed; the error
// keeps the class the backend gave it (a refusal is InvalidArgument with
// the daemon's text, an unreachable daemon Unavailable).
func loading(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("loading %s: %w", what, err)
}
