package ipsec

import (
	"context"
	"time"
)

// Backend is what the IPsec domain needs from the IKE daemon. The bridge's
// own implementation drives strongSwan's charon over VICI (internal/vici);
// a vendor implements it to drive another daemon and keeps the rest of the
// bridge (validation, naming, stored intent, replay, events).
//
// Every method except Initiate is idempotent. Errors carry opi-kit/errdefs
// classes, because the domain passes them on unchanged:
//   - the daemon cannot be reached: errdefs.ErrUnavailable (the replay pass
//     stops and the service reports NOT_SERVING);
//   - the daemon refused a configuration it was asked to load (LoadConn,
//     LoadShared, LoadCert, LoadKey): errdefs.ErrInvalidArgument, with the
//     daemon's own text;
//   - the daemon refused anything else (initiate, rekey, terminate):
//     errdefs.ErrFailedPrecondition.
//
// Unloading or terminating something the daemon does not have is success.
type Backend interface {
	// LoadConn loads or replaces the connection conn.Name. A refused
	// connection leaves the daemon holding what it held before.
	LoadConn(ctx context.Context, conn Conn) error
	// UnloadConn unloads a connection.
	UnloadConn(ctx context.Context, name string) error
	// LoadShared loads or replaces a pre-shared key.
	LoadShared(ctx context.Context, key SharedKey) error
	// UnloadShared unloads the pre-shared key of that id.
	UnloadShared(ctx context.Context, id string) error
	// LoadCert loads a PEM X.509 certificate; ca marks a CA certificate.
	LoadCert(ctx context.Context, pem []byte, ca bool) error
	// LoadKey loads a PEM private key and returns the daemon's id for it.
	LoadKey(ctx context.Context, pem []byte) (keyID string, err error)
	// UnloadKey unloads a private key by the id LoadKey returned.
	UnloadKey(ctx context.Context, keyID string) error
	// Keys lists the ids of the private keys the daemon holds.
	Keys(ctx context.Context) ([]string, error)
	// LoadPool loads a virtual IP address pool, or replaces the attributes
	// of one with the same name and addresses (its leases are kept).
	LoadPool(ctx context.Context, pool Pool) error
	// UnloadPool unloads the address pool of that name.
	UnloadPool(ctx context.Context, name string) error
	// Pools lists the names of the address pools the daemon holds.
	Pools(ctx context.Context) ([]string, error)
	// Initiate brings up child (or, empty, every child) of connection ike
	// and waits up to timeout for it.
	Initiate(ctx context.Context, ike, child string, timeout time.Duration) error
	// Terminate closes the IKE SAs of connection ike (or only its child
	// SAs named child), waiting up to timeout, and says how many it closed.
	Terminate(ctx context.Context, ike, child string, force bool, timeout time.Duration) (int, error)
	// Rekey starts rekeying the IKE SAs of ike (or its child SAs named
	// child) and says how many matched.
	Rekey(ctx context.Context, ike, child string, reauth bool) (int, error)
	// ListSAs lists the live IKE SAs of connection ike (all when empty).
	ListSAs(ctx context.Context, ike string) ([]IkeSA, error)
	// ListConns lists the names of every connection the daemon holds,
	// whoever loaded it.
	ListConns(ctx context.Context) ([]string, error)
	// Version identifies the daemon.
	Version(ctx context.Context) (Version, error)
	// Stats returns the daemon's counters; Stats.Since must change when
	// the daemon restarts.
	Stats(ctx context.Context) (Stats, error)
	// Watch calls fn with every SA event until ctx ends, reconnecting
	// whenever the daemon goes away, and with a Connected event each time
	// it (re)connected. fn must not block for long.
	Watch(ctx context.Context, fn func(Event))
}

// Auth is one authentication round of a connection (local or remote).
type Auth struct {
	Method  string   // "psk" or "pubkey"
	ID      string   // IKE identity; empty for the default
	Certs   [][]byte // PEM certificates: the local certificate, or a remote one to pin
	CACerts [][]byte // PEM CA certificates the remote must chain to
}

// Child is one CHILD_SA configuration.
type Child struct {
	Name         string
	LocalTS      []string
	RemoteTS     []string
	ESPProposals []string
	Mode         string // "tunnel" or "transport"; empty for the default
	StartAction  string // "none", "trap" or "start"; empty for none
	DPDAction    string // "clear", "trap" or "restart"; the domain always sets it
	RekeySeconds int64  // 0 for the default
}

// Conn is one IKE connection as the daemon loads it. Name is the
// connection's resource id.
type Conn struct {
	Name        string
	Version     int // 0 (any), 1 or 2
	LocalAddrs  []string
	RemoteAddrs []string
	LocalPort   int
	RemotePort  int
	Proposals   []string // strongSwan proposal syntax
	Local       Auth
	Remote      Auth
	Children    []Child
	DPDSeconds  int64 // 0 disables dead peer detection
	Encap       bool  // force UDP encapsulation of ESP
	// KeepTrying: establishing the IKE SA (initiated, or restarted by a
	// child's DPD action) is retried until it succeeds, not given up
	// after one attempt (strongSwan: keyingtries = 0).
	KeepTrying   bool
	RekeySeconds int64
	VIPs         []string // virtual IPs to request from the peer; 0.0.0.0 or :: for any
	Pools        []string // daemon names of the pools to assign peers' virtual IPs from
}

// Pool is an address pool virtual IPs are assigned from. Name is the
// pool's resource id.
type Pool struct {
	Name  string
	Addrs string   // a CIDR subnet or a range "a-b"
	DNS   []string // DNS server addresses handed out with the addresses
}

// SharedKey is an IKE pre-shared key.
type SharedKey struct {
	ID     string // unique id; loading the same id again replaces the key
	Data   []byte
	Owners []string // IKE identities the key is for; empty for any
}

// IkeSA is a live IKE SA.
type IkeSA struct {
	Conn        string // the connection's name in the daemon
	UniqueID    uint32
	State       string // "ESTABLISHED", "CONNECTING", ... (IkeSaState without its prefix)
	Version     int
	LocalHost   string
	RemoteHost  string
	LocalID     string
	RemoteID    string
	Initiator   bool
	Proposal    string
	Established time.Duration
	Children    []ChildSA
	LocalVIPs   []string // virtual IPs the peer assigned to this side
	RemoteVIPs  []string // virtual IPs this side assigned to the peer
}

// ChildSA is a live CHILD_SA with its counters.
type ChildSA struct {
	Name       string
	UniqueID   uint32
	State      string // "INSTALLED", "ROUTED", ... (ChildSaState without its prefix)
	Mode       string // "TUNNEL" or "TRANSPORT"
	Proposal   string
	SPIIn      string
	SPIOut     string
	BytesIn    uint64
	PacketsIn  uint64
	BytesOut   uint64
	PacketsOut uint64
	LocalTS    []string
	RemoteTS   []string
	Installed  time.Duration
}

// Version identifies the daemon.
type Version struct {
	Daemon, Version, Sysname, Release, Machine string
}

// Stats are the daemon's counters. Since is the daemon's own rendering of
// its start time (charon: "Nov 27 16:40:40 2026", local time); the replay
// pass loads everything again when it changes.
type Stats struct {
	Since                   string
	Running                 time.Duration
	WorkersTotal            uint32
	WorkersIdle             uint32
	Scheduled               uint32
	IkeSAsTotal, IkeSAsHalf uint32
	Plugins                 []string
}

// EventKind says what an Event reports.
type EventKind int

// The kinds of Event.
const (
	// Connected: the backend (re)connected to the daemon. Reconnect is set
	// when an earlier connection was lost, so the daemon may have
	// restarted.
	Connected EventKind = iota + 1
	IkeUp
	IkeDown
	ChildUp
	ChildDown
	IkeRekeyed
	ChildRekeyed
)

// Event is one SA event from the daemon, or the backend's own Connected.
type Event struct {
	Kind EventKind
	// SA is the IKE SA concerned (for rekeying, the new one). For child
	// events its Children hold only the child SA concerned.
	SA        IkeSA
	Time      time.Time
	Reconnect bool
}
