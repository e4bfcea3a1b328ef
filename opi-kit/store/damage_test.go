package store_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opi-suite/opi/opi-kit/store"
)

// writeStore makes a store with enough records to span many pages and
// returns its path.
func writeStore(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "intent.db")
	s, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	err = s.Update(context.Background(), func(tx store.Tx) error {
		for i := range 2000 {
			if err := tx.Put("volumes", fmt.Sprintf("volumes/v%05d", i), []byte(strings.Repeat("x", 200))); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestOpenRefusesADamagedStoreNamingTheFile(t *testing.T) {
	tests := []struct {
		name   string
		damage func(t *testing.T, path string)
		says   string
	}{
		{"a zero-byte file is not started empty", func(t *testing.T, path string) {
			must(t, os.Truncate(path, 0))
		}, "empty (0 bytes)"},
		{"a file cut in half", func(t *testing.T, path string) {
			fi, _ := os.Stat(path)
			must(t, os.Truncate(path, fi.Size()/2))
		}, ""},
		{"a file cut inside its header", func(t *testing.T, path string) {
			must(t, os.Truncate(path, 100))
		}, ""},
		{"a page overwritten with garbage", func(t *testing.T, path string) {
			f, err := os.OpenFile(path, os.O_WRONLY, 0)
			must(t, err)
			defer f.Close()
			fi, _ := f.Stat()
			// Every page after the two meta pages and the root: leaves and
			// branches the check must walk.
			garbage := []byte(strings.Repeat("\xde\xad\xbe\xef", 1024))
			for off := int64(3 * 4096); off < fi.Size(); off += 4 * 4096 {
				_, err = f.WriteAt(garbage, off)
				must(t, err)
			}
		}, ""},
		{"a file that is not a store at all", func(t *testing.T, path string) {
			must(t, os.WriteFile(path, []byte(strings.Repeat("not a bbolt file\n", 1000)), 0o600))
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeStore(t)
			tt.damage(t, path)
			s, err := store.Open(path)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded on a damaged store")
			}
			if !errors.Is(err, store.ErrDamaged) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "restore") {
				t.Fatalf("Open: %v; want ErrDamaged naming %s and what to do", err, path)
			}
			if tt.says != "" && !strings.Contains(err.Error(), tt.says) {
				t.Errorf("Open: %v; want it to say %q", err, tt.says)
			}
			if fi, _ := os.Stat(path); tt.says != "" && fi.Size() != 0 {
				t.Errorf("Open wrote to the damaged file (%d bytes now)", fi.Size())
			}
		})
	}
	t.Run("a healthy store with data opens", func(t *testing.T) {
		s, err := store.Open(writeStore(t))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		v, err := store.Get(context.Background(), s, "volumes", "volumes/v01999")
		if err != nil || len(v) != 200 {
			t.Fatalf("Get = %d bytes, %v", len(v), err)
		}
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
