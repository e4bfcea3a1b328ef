package agent

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opi-suite/opi/opi-provisioning/sztp"
)

// A relative device directory (as --dir dev gives) still runs scripts
// and commits configuration in it.
func TestFileDeviceWithARelativeDirectory(t *testing.T) {
	t.Chdir(t.TempDir())
	if err := os.Mkdir("dev", 0o700); err != nil {
		t.Fatal(err)
	}
	d := &FileDevice{Dir: "dev"}
	out, err := d.RunScript(context.Background(), "pre", []byte("echo \"$SZTP_SCRIPT\" > \"$SZTP_DIR/ran\"; pwd\n"))
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	abs, _ := filepath.Abs("dev")
	if b, _ := os.ReadFile(filepath.Join("dev", "ran")); string(b) != "pre\n" || strings.TrimSpace(string(out)) != abs {
		t.Fatalf("marker %q, ran in %q", b, out)
	}
	undo, err := d.CommitConfiguration(context.Background(), sztp.Replace, []byte("x\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := undo(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join("dev", "config")); !os.IsNotExist(err) {
		t.Fatalf("config after undo of a first commit: %v", err)
	}
}
