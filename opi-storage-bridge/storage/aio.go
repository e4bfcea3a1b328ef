package storage

import (
	"path/filepath"
	"strings"

	"github.com/opi-suite/opi/opi-kit/errdefs"
)

// Option configures the domain beyond its store and backends.
type Option func(*options)

type options struct {
	aioDirs    []string
	privateDir string
	// replayParallel is 0 for the default (replayParallel).
	replayParallel int
}

// WithAioDirectories restricts the files AIO volumes may open to those
// under dirs (absolute, cleaned). Without it any file may be opened: SPDK
// opens it with its own rights, so a client who can create AIO volumes
// could otherwise read any of the host's disks or files through a
// namespace.
func WithAioDirectories(dirs ...string) Option {
	return func(o *options) {
		for _, d := range dirs {
			o.aioDirs = append(o.aioDirs, filepath.Clean(d))
		}
	}
}

// WithPrivateDirectory names a directory no AIO volume may open anything
// in, whatever WithAioDirectories allows: the bridge's state directory,
// which holds the intent store and its keys.
func WithPrivateDirectory(dir string) Option {
	return func(o *options) { o.privateDir = filepath.Clean(dir) }
}

// under reports whether path is dir or inside it.
func under(path, dir string) bool {
	return path == dir || strings.HasPrefix(path, strings.TrimSuffix(dir, "/")+"/")
}

// checkAioFile applies the AIO directory rules to filename (already a
// clean absolute path) and, where the bridge can resolve them, to the
// symbolic links in it, so that a link cannot lead around the rules.
func (s *Storage) checkAioFile(filename string) error {
	paths := []string{filename}
	if real, err := filepath.EvalSymlinks(filename); err == nil && real != filename {
		paths = append(paths, real)
	}
	for _, p := range paths {
		if s.opts.privateDir != "" && under(p, s.opts.privateDir) {
			return errdefs.InvalidArgumentf("filename %s is in the bridge's state directory %s, which holds its intent and keys: an AIO volume cannot open it", filename, s.opts.privateDir)
		}
		if len(s.opts.aioDirs) == 0 {
			continue
		}
		allowed := false
		for _, d := range s.opts.aioDirs {
			allowed = allowed || under(p, d)
		}
		if !allowed {
			return errdefs.InvalidArgumentf("filename %s is outside the directories AIO volumes may open (%s; the bridge's --aio-dirs)", filename, strings.Join(s.opts.aioDirs, ", "))
		}
	}
	return nil
}
