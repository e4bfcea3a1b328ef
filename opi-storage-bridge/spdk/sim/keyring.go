package sim

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/opi-suite/opi/opi-storage-bridge/spdk/contract"
)

// keyringKey is a key of SPDK's keyring_file module: a name for a file
// that holds a PSK or DH-HMAC-CHAP secret.
type keyringKey struct {
	name string
	path string
}

func (st *state) findKeyringKey(name string) *keyringKey {
	for _, k := range st.keyring {
		if k.name == name {
			return k
		}
	}
	return nil
}

// refcnt counts the key's users the way keyring_get_keys reports refcnt:
// one for the keyring itself, one per host or controller using it.
func (st *state) keyRefs(name string) int {
	n := 1
	for _, ss := range st.subsystems {
		for _, h := range ss.hosts {
			if h.psk == name || h.dhchapKey == name || h.dhchapCtrlrKey == name {
				n++
			}
		}
	}
	for _, c := range st.ctrlrs {
		for _, p := range c.paths {
			if p.psk == name {
				n++
			}
		}
	}
	return n
}

type keyringKeyInfo struct {
	Name    string `json:"name"`
	Module  string `json:"module"`
	Removed bool   `json:"removed"`
	Probed  bool   `json:"probed"`
	Refcnt  int    `json:"refcnt"`
	Path    string `json:"path"`
}

// checkKeyFile applies keyring_file's checks: an absolute path to a file
// owned by this process's user with no group or other permission bits.
func checkKeyFile(path string) error {
	if !filepath.IsAbs(path) {
		return errnoErr(ePERM)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return errnoErr(errnoOf(err))
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return errnoErr(ePERM)
	}
	if sys, ok := fi.Sys().(*syscall.Stat_t); ok && int(sys.Uid) != os.Getuid() {
		return errnoErr(ePERM)
	}
	return nil
}

func (s *Sim) registerKeyring() {
	st := s.st
	s.register(&method{
		name: "keyring_file_add_key",
		handle: func(a contract.Params) (any, error) {
			name := a.String("name")
			if strings.Contains(name, ":") {
				return nil, errnoErr(eINVAL)
			}
			if err := checkKeyFile(a.String("path")); err != nil {
				return nil, err
			}
			if st.findKeyringKey(name) != nil {
				return nil, errnoErr(eEXIST)
			}
			st.keyring = append(st.keyring, &keyringKey{name: name, path: a.String("path")})
			return true, nil
		},
	})
	s.register(&method{
		name: "keyring_file_remove_key",
		handle: func(a contract.Params) (any, error) {
			for i, k := range st.keyring {
				if k.name == a.String("name") {
					st.keyring = append(st.keyring[:i], st.keyring[i+1:]...)
					return true, nil
				}
			}
			return nil, errnoErr(syscall.ENOKEY)
		},
	})
	s.register(&method{
		name: "keyring_get_keys",
		handle: func(contract.Params) (any, error) {
			out := []keyringKeyInfo{}
			for _, k := range st.keyring {
				out = append(out, keyringKeyInfo{Name: k.name, Module: "keyring_file", Refcnt: st.keyRefs(k.name), Path: k.path})
			}
			return out, nil
		},
	})
}
