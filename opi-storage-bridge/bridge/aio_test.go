package bridge

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// AIO volumes used to open any file SPDK could: the bridge's own intent
// store (with its keys) included, served to any host through a namespace.
// The state directory is refused always, also through a symbolic link,
// and --aio-dirs restricts the rest.
func TestAioFilesAreRestricted(t *testing.T) {
	allowed, other := t.TempDir(), t.TempDir()
	f := newFixture(t, fixtureConfig{memoryStore: true, aioDirs: []string{allowed}})
	ctx := context.Background()
	file := func(dir, name string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, make([]byte, 1<<20), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	link := filepath.Join(allowed, "sneaky")
	if err := os.Symlink(file(f.dir, "disk.img"), link); err != nil {
		t.Fatal(err)
	}
	for i, c := range []struct {
		name, path string
		code       codes.Code
		hint       string
	}{
		{"a file in the state directory", filepath.Join(f.dir, "disk.img"), codes.InvalidArgument, "state directory"},
		{"the intent store itself", filepath.Join(f.dir, "intent.db"), codes.InvalidArgument, "state directory"},
		{"a link into the state directory", link, codes.InvalidArgument, "state directory"},
		{"a file outside --aio-dirs", file(other, "disk.img"), codes.InvalidArgument, "--aio-dirs"},
		{"a file in --aio-dirs", file(allowed, "disk.img"), codes.OK, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.vols.CreateAioVolume(ctx, &pb.CreateAioVolumeRequest{AioVolumeId: fmt.Sprintf("a%d", i),
				AioVolume: &pb.AioVolume{Filename: c.path}})
			if status.Code(err) != c.code || !strings.Contains(status.Convert(err).Message(), c.hint) {
				t.Errorf("got %v; want %v with %q", err, c.code, c.hint)
			}
		})
	}
	if b := f.bdevs(); len(b) != 1 {
		t.Errorf("SPDK's bdevs = %v; want the one AIO volume in --aio-dirs", b)
	}
}
