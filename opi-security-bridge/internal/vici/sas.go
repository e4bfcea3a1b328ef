package vici

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"time"

	govici "github.com/strongswan/govici/vici"

	"github.com/opi-suite/opi/opi-security-bridge/ipsec"
)

// ListSAs lists the IKE SAs of connection ike (all when empty), ordered by
// unique id.
func (c *Client) ListSAs(ctx context.Context, ike string) ([]ipsec.IkeSA, error) {
	var in *govici.Message
	if ike != "" {
		in = msg("ike", ike)
	}
	msgs, err := c.stream(ctx, "list-sas", "list-sa", in)
	if err != nil {
		return nil, err
	}
	var out []ipsec.IkeSA
	for _, m := range msgs {
		for _, name := range m.Keys() {
			if sub, ok := m.Get(name).(*govici.Message); ok {
				out = append(out, parseIkeSA(name, sub))
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].UniqueID < out[j].UniqueID })
	return out, nil
}

func parseIkeSA(name string, m *govici.Message) ipsec.IkeSA {
	sa := ipsec.IkeSA{
		Conn:        name,
		UniqueID:    u32(m, "uniqueid"),
		State:       str(m, "state"),
		LocalHost:   str(m, "local-host"),
		RemoteHost:  str(m, "remote-host"),
		LocalID:     str(m, "local-id"),
		RemoteID:    str(m, "remote-id"),
		Initiator:   str(m, "initiator") == "yes",
		Established: seconds(m, "established"),
		Proposal:    proposal(m, "encr-alg", "encr-keysize", "integ-alg", "prf-alg", "dh-group"),
		LocalVIPs:   list(m, "local-vips"),
		RemoteVIPs:  list(m, "remote-vips"),
	}
	sa.Version, _ = strconv.Atoi(str(m, "version"))
	if children, ok := m.Get("child-sas").(*govici.Message); ok {
		for _, k := range children.Keys() {
			if cm, ok := children.Get(k).(*govici.Message); ok {
				sa.Children = append(sa.Children, parseChildSA(k, cm))
			}
		}
	}
	sort.Slice(sa.Children, func(i, j int) bool { return sa.Children[i].UniqueID < sa.Children[j].UniqueID })
	return sa
}

func parseChildSA(key string, m *govici.Message) ipsec.ChildSA {
	name := str(m, "name")
	if name == "" {
		name = key
	}
	return ipsec.ChildSA{
		Name:       name,
		UniqueID:   u32(m, "uniqueid"),
		State:      str(m, "state"),
		Mode:       str(m, "mode"),
		Proposal:   proposal(m, "encr-alg", "encr-keysize", "integ-alg", "dh-group"),
		SPIIn:      str(m, "spi-in"),
		SPIOut:     str(m, "spi-out"),
		BytesIn:    u64(m, "bytes-in"),
		PacketsIn:  u64(m, "packets-in"),
		BytesOut:   u64(m, "bytes-out"),
		PacketsOut: u64(m, "packets-out"),
		LocalTS:    list(m, "local-ts"),
		RemoteTS:   list(m, "remote-ts"),
		Installed:  seconds(m, "install-time"),
	}
}

// proposal renders the negotiated algorithms the way charon logs them,
// such as "AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048".
func proposal(m *govici.Message, encr, keysize string, rest ...string) string {
	var parts []string
	if e := str(m, encr); e != "" {
		if k := str(m, keysize); k != "" {
			e += "_" + k
		}
		parts = append(parts, e)
	}
	for _, k := range rest {
		if v := str(m, k); v != "" {
			parts = append(parts, v)
		}
	}
	return strings.Join(parts, "/")
}

// Version returns charon's version.
func (c *Client) Version(ctx context.Context) (ipsec.Version, error) {
	out, err := c.call(ctx, "version", nil)
	if err != nil {
		return ipsec.Version{}, err
	}
	return ipsec.Version{
		Daemon: str(out, "daemon"), Version: str(out, "version"), Sysname: str(out, "sysname"),
		Release: str(out, "release"), Machine: str(out, "machine"),
	}, nil
}

// Stats returns charon's counters.
func (c *Client) Stats(ctx context.Context) (ipsec.Stats, error) {
	out, err := c.call(ctx, "stats", nil)
	if err != nil {
		return ipsec.Stats{}, err
	}
	st := ipsec.Stats{Scheduled: u32(out, "scheduled"), Plugins: list(out, "plugins")}
	if up, ok := out.Get("uptime").(*govici.Message); ok {
		st.Since = str(up, "since")
		st.Running = seconds(up, "running")
	}
	if w, ok := out.Get("workers").(*govici.Message); ok {
		st.WorkersTotal, st.WorkersIdle = u32(w, "total"), u32(w, "idle")
	}
	if ike, ok := out.Get("ikesas").(*govici.Message); ok {
		st.IkeSAsTotal, st.IkeSAsHalf = u32(ike, "total"), u32(ike, "half-open")
	}
	return st, nil
}

func str(m *govici.Message, key string) string {
	if m == nil {
		return ""
	}
	s, _ := m.Get(key).(string)
	return s
}

func list(m *govici.Message, key string) []string {
	l, _ := m.Get(key).([]string)
	return l
}

func u32(m *govici.Message, key string) uint32 {
	n, _ := strconv.ParseUint(str(m, key), 10, 32)
	return uint32(n)
}

func u64(m *govici.Message, key string) uint64 {
	n, _ := strconv.ParseUint(str(m, key), 10, 64)
	return n
}

// seconds reads a count of seconds; charon writes "running" as
// "10 seconds", "3 minutes" and so on, so only the leading number of
// seconds-valued fields is taken, with the unit when there is one.
func seconds(m *govici.Message, key string) time.Duration {
	f := strings.Fields(str(m, key))
	if len(f) == 0 {
		return 0
	}
	n, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil {
		return 0
	}
	unit := time.Second
	if len(f) > 1 {
		switch {
		case strings.HasPrefix(f[1], "minute"):
			unit = time.Minute
		case strings.HasPrefix(f[1], "hour"):
			unit = time.Hour
		case strings.HasPrefix(f[1], "day"):
			unit = 24 * time.Hour
		}
	}
	return time.Duration(n) * unit
}

func containsFold(s, sub string) bool { return strings.Contains(strings.ToLower(s), sub) }
