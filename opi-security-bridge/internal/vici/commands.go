package vici

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/opi-suite/opi/opi-security-bridge/ipsec"

	govici "github.com/strongswan/govici/vici"
)

// The Client is the bridge's IPsec backend.
var _ ipsec.Backend = (*Client)(nil)

func authMessage(a ipsec.Auth) (*govici.Message, error) {
	m := govici.NewMessage()
	set := func(k string, v any) {
		if err := m.Set(k, v); err != nil {
			panic(err) // only strings and string lists are set: cannot fail
		}
	}
	set("auth", a.Method)
	if a.ID != "" {
		set("id", a.ID)
	}
	if len(a.Certs) > 0 {
		set("certs", pemList(a.Certs))
	}
	if len(a.CACerts) > 0 {
		set("cacerts", pemList(a.CACerts))
	}
	return m, nil
}

func pemList(b [][]byte) []string {
	out := make([]string, len(b))
	for i, p := range b {
		out[i] = string(p)
	}
	return out
}

func connMessage(c ipsec.Conn) (*govici.Message, error) {
	m := govici.NewMessage()
	var err error
	set := func(k string, v any) {
		if err == nil {
			err = m.Set(k, v)
		}
	}
	set("version", strconv.Itoa(c.Version))
	if len(c.LocalAddrs) > 0 {
		set("local_addrs", c.LocalAddrs)
	}
	if len(c.RemoteAddrs) > 0 {
		set("remote_addrs", c.RemoteAddrs)
	}
	if c.LocalPort != 0 {
		set("local_port", strconv.Itoa(c.LocalPort))
	}
	if c.RemotePort != 0 {
		set("remote_port", strconv.Itoa(c.RemotePort))
	}
	if len(c.Proposals) > 0 {
		set("proposals", c.Proposals)
	}
	if c.DPDSeconds > 0 {
		set("dpd_delay", fmt.Sprintf("%ds", c.DPDSeconds))
	}
	if c.RekeySeconds > 0 {
		set("rekey_time", fmt.Sprintf("%ds", c.RekeySeconds))
	}
	if c.Encap {
		set("encap", "yes")
	}
	if c.KeepTrying {
		set("keyingtries", "0")
	}
	if len(c.VIPs) > 0 {
		set("vips", c.VIPs)
	}
	if len(c.Pools) > 0 {
		set("pools", c.Pools)
	}
	local, _ := authMessage(c.Local)
	remote, _ := authMessage(c.Remote)
	set("local", local)
	set("remote", remote)
	children := govici.NewMessage()
	for _, ch := range c.Children {
		cm := govici.NewMessage()
		cset := func(k string, v any) {
			if err == nil {
				err = cm.Set(k, v)
			}
		}
		if len(ch.LocalTS) > 0 {
			cset("local_ts", ch.LocalTS)
		}
		if len(ch.RemoteTS) > 0 {
			cset("remote_ts", ch.RemoteTS)
		}
		if len(ch.ESPProposals) > 0 {
			cset("esp_proposals", ch.ESPProposals)
		}
		if ch.Mode != "" {
			cset("mode", ch.Mode)
		}
		if ch.StartAction != "" {
			cset("start_action", ch.StartAction)
		}
		if ch.DPDAction != "" {
			cset("dpd_action", ch.DPDAction)
		}
		if ch.RekeySeconds > 0 {
			cset("rekey_time", fmt.Sprintf("%ds", ch.RekeySeconds))
		}
		if err == nil {
			err = children.Set(ch.Name, cm)
		}
	}
	set("children", children)
	if err != nil {
		return nil, err
	}
	out := govici.NewMessage()
	if err := out.Set(c.Name, m); err != nil {
		return nil, err
	}
	return out, nil
}

func msg(kv ...any) *govici.Message {
	m := govici.NewMessage()
	for i := 0; i+1 < len(kv); i += 2 {
		if err := m.Set(kv[i].(string), kv[i+1]); err != nil {
			panic(err) // callers pass strings and string lists only
		}
	}
	return m
}

// LoadConn loads (or replaces) a connection. A connection charon refuses
// is discarded by charon, which is left as it was.
func (c *Client) LoadConn(ctx context.Context, conn ipsec.Conn) error {
	m, err := connMessage(conn)
	if err != nil {
		return fmt.Errorf("vici: encoding connection %s: %w", conn.Name, err)
	}
	_, err = c.call(ctx, "load-conn", m)
	return err
}

// UnloadConn unloads a connection; a connection charon does not have is
// success.
func (c *Client) UnloadConn(ctx context.Context, name string) error {
	_, err := c.call(ctx, "unload-conn", msg("name", name))
	if missing(err) {
		return nil
	}
	return err
}

// LoadShared loads (or replaces) an IKE pre-shared key.
func (c *Client) LoadShared(ctx context.Context, key ipsec.SharedKey) error {
	m := msg("id", key.ID, "type", "IKE", "data", string(key.Data))
	if len(key.Owners) > 0 {
		if err := m.Set("owners", key.Owners); err != nil {
			return err
		}
	}
	_, err := c.call(ctx, "load-shared", m)
	return err
}

// UnloadShared unloads a pre-shared key by id; a missing key is success.
func (c *Client) UnloadShared(ctx context.Context, id string) error {
	_, err := c.call(ctx, "unload-shared", msg("id", id))
	if missing(err) {
		return nil
	}
	return err
}

// LoadCert loads an X.509 certificate (a CA certificate when ca is set).
// Loading the same certificate again is harmless.
func (c *Client) LoadCert(ctx context.Context, pem []byte, ca bool) error {
	flag := "none"
	if ca {
		flag = "ca"
	}
	_, err := c.call(ctx, "load-cert", msg("type", "x509", "flag", flag, "data", string(pem)))
	return err
}

// LoadKey loads a private key and returns charon's identifier of it (the
// hex SHA-1 of its public key).
func (c *Client) LoadKey(ctx context.Context, pem []byte) (string, error) {
	out, err := c.call(ctx, "load-key", msg("type", "any", "data", string(pem)))
	if err != nil {
		return "", err
	}
	id, _ := out.Get("id").(string)
	return id, nil
}

// UnloadKey unloads a private key by its identifier; a missing key is
// success.
func (c *Client) UnloadKey(ctx context.Context, keyID string) error {
	_, err := c.call(ctx, "unload-key", msg("id", keyID))
	if missing(err) {
		return nil
	}
	return err
}

// Keys returns the identifiers of the private keys loaded over VICI.
func (c *Client) Keys(ctx context.Context) ([]string, error) {
	out, err := c.call(ctx, "get-keys", nil)
	if err != nil {
		return nil, err
	}
	keys, _ := out.Get("keys").([]string)
	return keys, nil
}

// LoadPool loads (or updates) a virtual IP address pool. Charon keeps the
// leases of a pool reloaded with the same addresses.
func (c *Client) LoadPool(ctx context.Context, pool ipsec.Pool) error {
	m := msg("addrs", pool.Addrs)
	if len(pool.DNS) > 0 {
		if err := m.Set("dns", pool.DNS); err != nil {
			return err
		}
	}
	_, err := c.call(ctx, "load-pool", msg(pool.Name, m))
	return err
}

// UnloadPool unloads an address pool by name; a missing pool is success.
func (c *Client) UnloadPool(ctx context.Context, name string) error {
	_, err := c.call(ctx, "unload-pool", msg("name", name))
	if missing(err) {
		return nil
	}
	return err
}

// Pools returns the names of the address pools loaded over VICI.
func (c *Client) Pools(ctx context.Context) ([]string, error) {
	out, err := c.call(ctx, "get-pools", nil)
	if err != nil {
		return nil, err
	}
	return out.Keys(), nil
}

// Initiate initiates a child SA (or, with child empty, every child of the
// connection ike) and waits up to timeout for the result (0: no limit).
func (c *Client) Initiate(ctx context.Context, ike, child string, timeout time.Duration) error {
	ms := strconv.FormatInt(timeout.Milliseconds(), 10)
	m := msg("ike", ike, "timeout", ms)
	if child != "" {
		m = msg("ike", ike, "child", child, "timeout", ms)
	}
	_, err := c.callOnce(ctx, "initiate", m)
	return err
}

// Terminate terminates the IKE SAs of connection ike (or only its child
// SAs named child) and returns how many were terminated. Nothing to
// terminate is success with 0.
func (c *Client) Terminate(ctx context.Context, ike, child string, force bool, timeout time.Duration) (int, error) {
	timeoutMS := timeout.Milliseconds()
	if child == "" {
		return c.terminate(ctx, force, timeoutMS, "ike", ike)
	}
	// By unique id: a child name alone would also match children of the
	// same name in other connections.
	ids, err := c.childIDs(ctx, ike, child)
	total := 0
	for _, id := range ids {
		n, terr := c.terminate(ctx, force, timeoutMS, "child-id", id)
		if terr != nil {
			return total, terr
		}
		total += n
	}
	return total, err
}

func (c *Client) terminate(ctx context.Context, force bool, timeoutMS int64, key, value string) (int, error) {
	m := msg(key, value, "timeout", strconv.FormatInt(timeoutMS, 10))
	if force {
		_ = m.Set("force", "yes")
	}
	out, err := c.callOnce(ctx, "terminate", m)
	if missing(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n, _ := strconv.Atoi(str(out, "terminated"))
	return n, nil
}

func (c *Client) childIDs(ctx context.Context, ike, child string) ([]string, error) {
	sas, err := c.ListSAs(ctx, ike)
	var ids []string
	for _, sa := range sas {
		for _, ch := range sa.Children {
			if ch.Name == child {
				ids = append(ids, strconv.FormatUint(uint64(ch.UniqueID), 10))
			}
		}
	}
	return ids, err
}

// Rekey starts rekeying the IKE SAs of connection ike (or its child SAs
// named child) and returns how many matched.
func (c *Client) Rekey(ctx context.Context, ike, child string, reauth bool) (int, error) {
	rekey := func(key, value string) (int, error) {
		m := msg(key, value)
		if reauth {
			_ = m.Set("reauth", "yes")
		}
		out, err := c.callOnce(ctx, "rekey", m)
		if err != nil {
			return 0, err
		}
		n, _ := strconv.Atoi(str(out, "matches"))
		return n, nil
	}
	if child == "" {
		return rekey("ike", ike)
	}
	ids, err := c.childIDs(ctx, ike, child)
	total := 0
	for _, id := range ids {
		n, rerr := rekey("child-id", id)
		if rerr != nil {
			return total, rerr
		}
		total += n
	}
	return total, err
}

// ListConns returns the names of every connection charon has loaded over
// VICI, whoever loaded it.
func (c *Client) ListConns(ctx context.Context) ([]string, error) {
	msgs, err := c.stream(ctx, "list-conns", "list-conn", nil)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, m := range msgs {
		names = append(names, m.Keys()...)
	}
	return names, nil
}

// missing reports whether err is charon's answer for "nothing of that
// name", which unloading and terminating treat as success.
func missing(err error) bool {
	var ce *CommandError
	return errors.As(err, &ce) && isMissing(ce.Msg)
}

// isMissing recognizes charon's texts for "nothing of that name".
func isMissing(msg string) bool {
	for _, s := range []string{"not found", "no matching", "unknown"} {
		if containsFold(msg, s) {
			return true
		}
	}
	return false
}
