package resource_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"

	"github.com/opi-suite/opi/opi-kit/aip"
	"github.com/opi-suite/opi/opi-kit/aip/aiptest"
	"github.com/opi-suite/opi/opi-kit/resource"
	"github.com/opi-suite/opi/opi-kit/store"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/dynamicpb"
)

type msg = *dynamicpb.Message

var (
	subsystemPattern = aip.MustCompile(aiptest.SubsystemPattern)
	namespacePattern = aip.MustCompile(aiptest.NamespacePattern)
)

// fakeBackend stands in for SPDK: it holds what was created, can be told
// to fail, and can simulate a crash in the middle of a call.
type fakeBackend struct {
	mu      sync.Mutex
	objects map[string]proto.Message
	calls   map[string]int
	fail    error // returned by the next mutating call
	crash   bool  // the next call ends the calling goroutine after doing its work
}

func newFakeBackend() *fakeBackend {
	return &fakeBackend{objects: map[string]proto.Message{}, calls: map[string]int{}}
}

func (b *fakeBackend) do(op string, m msg, apply func(name string)) error {
	b.mu.Lock()
	b.calls[op]++
	err, crash := b.fail, b.crash
	b.fail, b.crash = nil, false
	if err == nil {
		apply(m.ProtoReflect().Get(m.Descriptor().Fields().ByName("name")).String())
	}
	b.mu.Unlock()
	if crash {
		crashNow()
	}
	return err
}

func (b *fakeBackend) Create(_ context.Context, m msg) error {
	return b.do("create", m, func(name string) {
		if m.Descriptor().Fields().ByName("uuid") != nil {
			aiptest.Set(m, "uuid", "uuid-of-"+name) // the backend assigns an output-only field
		}
		b.objects[name] = proto.Clone(m)
	})
}

func (b *fakeBackend) Update(_ context.Context, _, m msg) error {
	return b.do("update", m, func(name string) { b.objects[name] = proto.Clone(m) })
}

func (b *fakeBackend) Delete(_ context.Context, m msg) error {
	return b.do("delete", m, func(name string) { delete(b.objects, name) })
}

func (b *fakeBackend) has(name string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, ok := b.objects[name]
	return ok
}

func (b *fakeBackend) count(op string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.calls[op]
}

// fixture is a storage-bridge-like domain layer: subsystems and their
// namespaces, both backed by the fake backend.
type fixture struct {
	store      store.Store
	backend    *fakeBackend
	subsystems *resource.Collection[msg]
	namespaces *resource.Collection[msg]
}

func newFixture(t testing.TB, s store.Store, b *fakeBackend) *fixture {
	t.Helper()
	subs, err := resource.New[msg](s, "nvmeSubsystems", subsystemPattern,
		resource.WithMessageType(aiptest.SubsystemType()), resource.WithBackend[msg](b))
	if err != nil {
		t.Fatal(err)
	}
	nss, err := resource.New[msg](s, "nvmeNamespaces", namespacePattern,
		resource.WithMessageType(aiptest.NamespaceType()), resource.WithBackend[msg](b),
		resource.WithParentKind("nvmeSubsystems"))
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{store: s, backend: b, subsystems: subs, namespaces: nss}
}

// stores runs a test against both store implementations.
var stores = []struct {
	name string
	open func(t testing.TB) store.Store
}{
	{"memory", func(testing.TB) store.Store { return store.NewMemory() }},
	{"bbolt", func(t testing.TB) store.Store {
		s, err := store.Open(filepath.Join(t.TempDir(), "intent.db"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}},
}

func subsystem(nqn string) msg {
	return aiptest.New(aiptest.SubsystemType(), map[string]any{"nqn": nqn})
}

func namespace(size int64, volume string) msg {
	return aiptest.New(aiptest.NamespaceType(), map[string]any{"size_bytes": size, "volume": volume})
}

func wantClass(t *testing.T, err, class error) {
	t.Helper()
	if !errors.Is(err, class) {
		t.Fatalf("error = %v, want %v", err, class)
	}
}

// must keeps the cases short; a panic fails the test with the error and
// the line it came from.
func must[V any](v V, err error) V {
	if err != nil {
		panic(err)
	}
	return v
}
