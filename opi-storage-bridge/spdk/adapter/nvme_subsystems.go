package adapter

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
	"github.com/opi-suite/opi/opi-storage-bridge/storage"
)

// nvmfSubsystem is one entry of nvmf_get_subsystems, the fields the bridge
// reads.
type nvmfSubsystem struct {
	NQN             string               `json:"nqn"`
	SerialNumber    string               `json:"serial_number"`
	AllowAnyHost    bool                 `json:"allow_any_host"`
	Hosts           []nvmfHost           `json:"hosts"`
	ListenAddresses []spdk.ListenAddress `json:"listen_addresses"`
	Namespaces      []nvmfNamespace      `json:"namespaces"`
}

type nvmfHost struct {
	NQN string `json:"nqn"`
	PSK string `json:"psk,omitempty"`
}

type nvmfNamespace struct {
	NSID     uint32 `json:"nsid"`
	BdevName string `json:"bdev_name"`
	Name     string `json:"name"` // older SPDKs report the bdev here
}

func (n nvmfNamespace) bdev() string {
	if n.BdevName != "" {
		return n.BdevName
	}
	return n.Name
}

// getSubsystem returns SPDK's view of the subsystem nqn; ok is false when
// SPDK does not have it.
func getSubsystem(ctx context.Context, c spdk.Caller, nqn string) (sub nvmfSubsystem, ok bool, err error) {
	var out []nvmfSubsystem
	err = c.Call(ctx, "nvmf_get_subsystems", map[string]any{"nqn": nqn}, &out)
	switch {
	case spdk.IsNotFound(err) || spdk.IsCode(err, spdk.CodeInvalidParams):
		return sub, false, nil
	case err != nil:
		return sub, false, err
	}
	for _, s := range out {
		if s.NQN == nqn {
			return s, true, nil
		}
	}
	return sub, false, nil
}

// listSubsystems returns every subsystem SPDK has, by NQN: one call, for a
// replay pass to compare against the intent.
func listSubsystems(ctx context.Context, c spdk.Caller) (map[string]nvmfSubsystem, error) {
	var out []nvmfSubsystem
	if err := c.Call(ctx, "nvmf_get_subsystems", nil, &out); err != nil {
		return nil, spdk.Classify(err)
	}
	m := make(map[string]nvmfSubsystem, len(out))
	for _, s := range out {
		m[s.NQN] = s
	}
	return m, nil
}

// NvmeSubsystems realises NVMe subsystems in SPDK: an NVMe-oF subsystem
// identified by its NQN, its allowed hosts and their TLS PSKs, which live in
// 0600 files under the key directory and are registered in SPDK's keyring.
type NvmeSubsystems struct {
	spdk   spdk.Caller
	keyDir string
}

// NewNvmeSubsystems returns the subsystems on c; PSK files go to keyDir (created
// with mode 0700 when first needed).
func NewNvmeSubsystems(c spdk.Caller, keyDir string) *NvmeSubsystems {
	return &NvmeSubsystems{spdk: c, keyDir: keyDir}
}

// Create makes the subsystem and its hosts exist. An existing subsystem
// with the same NQN is completed rather than refused, so a replay after a
// crash or an SPDK restart converges. On error nothing it made stays.
func (b *NvmeSubsystems) Create(ctx context.Context, m *pb.NvmeSubsystem) error {
	return spdk.Classify(b.create(ctx, m))
}

func (b *NvmeSubsystems) create(ctx context.Context, m *pb.NvmeSubsystem) error {
	cur, ok, err := getSubsystem(ctx, b.spdk, m.GetNqn())
	if err != nil {
		return err
	}
	if ok && m.GetSerialNumber() != "" && cur.SerialNumber != "" && cur.SerialNumber != m.GetSerialNumber() {
		// Not one the bridge made: leave it alone.
		return errdefs.AlreadyExistsf("SPDK already has a subsystem %s that the bridge did not make (serial number %q); choose another NQN", m.GetNqn(), cur.SerialNumber)
	}
	created := false
	if !ok {
		params := map[string]any{
			"nqn":            m.GetNqn(),
			"allow_any_host": m.GetAllowAnyHost(),
			"ana_reporting":  m.GetAnaReporting(),
		}
		if m.GetSerialNumber() != "" {
			params["serial_number"] = m.GetSerialNumber()
		}
		if m.GetModelNumber() != "" {
			params["model_number"] = m.GetModelNumber()
		}
		if m.GetMaxNamespaces() != 0 {
			params["max_namespaces"] = m.GetMaxNamespaces()
		}
		if err := b.spdk.Call(ctx, "nvmf_create_subsystem", params, nil); err != nil {
			return err
		}
		created = true
		cur = nvmfSubsystem{NQN: m.GetNqn(), AllowAnyHost: m.GetAllowAnyHost()}
	}
	if err := b.converge(ctx, m, cur, nil); err != nil {
		if created {
			err = errors.Join(err, b.Delete(context.WithoutCancel(ctx), m))
		}
		return err
	}
	return nil
}

// Update applies the mutable fields: allow_any_host and the host list
// (hosts added, removed, or given a new PSK).
func (b *NvmeSubsystems) Update(ctx context.Context, old, m *pb.NvmeSubsystem) error {
	cur, ok, err := getSubsystem(ctx, b.spdk, m.GetNqn())
	if err != nil {
		return spdk.Classify(err)
	}
	if !ok {
		return b.Create(ctx, m)
	}
	return spdk.Classify(b.converge(ctx, m, cur, old))
}

// converge makes SPDK's host list and allow_any_host match m. old, when
// given, is the previous intent: its keys that m no longer uses are removed.
func (b *NvmeSubsystems) converge(ctx context.Context, m *pb.NvmeSubsystem, cur nvmfSubsystem, old *pb.NvmeSubsystem) error {
	id, _ := storage.NvmeSubsystemPattern.ID(m.GetName())
	want := map[string]string{} // host NQN -> key name ("" without PSK)
	for _, h := range m.GetHosts() {
		want[h.GetHostNqn()] = ""
		if h.GetPsk() != "" {
			want[h.GetHostNqn()] = KeyName(id, h.GetHostNqn(), h.GetPsk())
		}
	}
	have := map[string]string{}
	for _, h := range cur.Hosts {
		have[h.NQN] = h.PSK
	}
	// Hosts to drop, or to re-add because their key changed. A host SPDK
	// reports without a key name (an older SPDK does not show it) is
	// treated as matching when the previous intent had the same key.
	for host, key := range have {
		wantKey, keep := want[host]
		if keep && (key == wantKey || (key == "" && oldKey(old, id, host) == wantKey)) {
			delete(want, host)
			continue
		}
		if err := b.spdk.Call(ctx, "nvmf_subsystem_remove_host", map[string]any{"nqn": m.GetNqn(), "host": host}, nil); err != nil {
			return err
		}
	}
	for _, h := range m.GetHosts() {
		key, add := want[h.GetHostNqn()]
		if !add {
			continue
		}
		params := map[string]any{"nqn": m.GetNqn(), "host": h.GetHostNqn()}
		if key != "" {
			if err := b.addKey(ctx, key, h.GetPsk()); err != nil {
				return err
			}
			params["psk"] = key
		}
		if err := b.spdk.Call(ctx, "nvmf_subsystem_add_host", params, nil); err != nil {
			return err
		}
	}
	if cur.AllowAnyHost != m.GetAllowAnyHost() {
		if err := b.spdk.Call(ctx, "nvmf_subsystem_allow_any_host",
			map[string]any{"nqn": m.GetNqn(), "allow_any_host": m.GetAllowAnyHost()}, nil); err != nil {
			return err
		}
	}
	// Keys of the previous intent that nothing uses any more.
	inUse := keysOf(m, id)
	for key := range keysOf(old, id) {
		if !inUse[key] {
			b.removeKey(ctx, key)
		}
	}
	return nil
}

// Delete removes the subsystem (its namespaces and listeners go with it in
// SPDK) and its keys. A subsystem SPDK does not have is success.
func (b *NvmeSubsystems) Delete(ctx context.Context, m *pb.NvmeSubsystem) error {
	err := b.spdk.Call(ctx, "nvmf_delete_subsystem", map[string]any{"nqn": m.GetNqn()}, nil)
	if err != nil {
		if _, ok, gerr := getSubsystem(ctx, b.spdk, m.GetNqn()); gerr != nil || ok {
			return spdk.Classify(err)
		}
	}
	id, _ := storage.NvmeSubsystemPattern.ID(m.GetName())
	for key := range keysOf(m, id) {
		b.removeKey(ctx, key)
	}
	return nil
}

// KeyName is the keyring name of a host's PSK on a subsystem: derived from
// the subsystem id, the host NQN and the key itself, so that a changed PSK
// gets a new name and registering the same one twice is a no-op. It holds
// no key material: the PSK enters only a truncated SHA-256.
func KeyName(subsystemID, hostNQN, psk string) string {
	sum := sha256.Sum256([]byte(hostNQN + "\x00" + psk))
	return keyPrefix + subsystemID + "-" + hex.EncodeToString(sum[:8])
}

func keysOf(m *pb.NvmeSubsystem, id string) map[string]bool {
	keys := map[string]bool{}
	for _, h := range m.GetHosts() {
		if h.GetPsk() != "" {
			keys[KeyName(id, h.GetHostNqn(), h.GetPsk())] = true
		}
	}
	return keys
}

func oldKey(old *pb.NvmeSubsystem, id, host string) string {
	for _, h := range old.GetHosts() {
		if h.GetHostNqn() == host && h.GetPsk() != "" {
			return KeyName(id, host, h.GetPsk())
		}
	}
	return ""
}

// addKey writes the PSK to a 0600 file and registers it; a key already
// registered under the name holds the same PSK (the name is derived from it).
func (b *NvmeSubsystems) addKey(ctx context.Context, name, psk string) error {
	path, err := writeKeyFile(b.keyDir, name, psk)
	if err != nil {
		return err
	}
	err = b.spdk.Call(ctx, "keyring_file_add_key", map[string]any{"name": name, "path": path}, nil)
	if spdk.IsAlreadyExists(err) {
		return nil
	}
	return err
}

// removeKey unregisters a key and removes its file. Failures are ignored:
// a key SPDK no longer has (it restarted) is the expected case, and a
// leftover key is harmless and removed with the subsystem's next delete.
func (b *NvmeSubsystems) removeKey(ctx context.Context, name string) {
	_ = b.spdk.Call(ctx, "keyring_file_remove_key", map[string]any{"name": name}, nil)
	_ = os.Remove(filepath.Join(b.keyDir, name))
}

// writeKeyFile writes a PSK to the file named name in dir (created 0700 if
// missing) and returns the file's absolute path, which SPDK's keyring_file
// module requires.
func writeKeyFile(dir, name, psk string) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("key directory: %w", err)
	}
	path, err := filepath.Abs(filepath.Join(dir, name))
	if err != nil {
		return "", err
	}
	return path, writeSecret(path, psk)
}

// writeSecret writes data to path with mode 0600 through a temporary file,
// so SPDK never reads a half-written key.
func writeSecret(path, data string) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("writing key file: %w", err)
	}
	_, werr := f.WriteString(data)
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("writing key file: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("writing key file: %w", err)
	}
	return nil
}
