package resource_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	commonv1 "github.com/opi-suite/opi/opi-api/common/v1"
	"github.com/opi-suite/opi/opi-kit/aip/aiptest"
	"github.com/opi-suite/opi/opi-kit/store"
	"google.golang.org/protobuf/proto"
)

// BenchmarkListPage lists one page of 100 namespaces from the middle of a
// subsystem holding total namespaces, through the collection and bbolt.
// The page must cost the same at both sizes: List seeks, never scans.
func BenchmarkListPage(b *testing.B) {
	ctx := context.Background()
	for _, total := range []int{1000, 100000} {
		b.Run(fmt.Sprintf("total=%d", total), func(b *testing.B) {
			s := must(store.Open(filepath.Join(b.TempDir(), "intent.db")))
			defer s.Close()
			f := newFixture(b, s, newFakeBackend())
			must(f.subsystems.Create(ctx, "", "s1", subsystem("nqn")))
			fill(b, s, total)
			_, tok := must2(f.namespaces.List(ctx, s1, int32(total/2), ""))
			for b.Loop() {
				page, _ := must2(f.namespaces.List(ctx, s1, 100, tok))
				if len(page) != 100 {
					b.Fatalf("page of %d", len(page))
				}
			}
		})
	}
}

// fill writes the fixture straight into the store in batches of 10,000 per
// transaction (one fsync each), so 100,000 namespaces take seconds; going
// through Create would cost three fsyncs per namespace.
func fill(b *testing.B, s store.Store, total int) {
	ctx := context.Background()
	m := namespace(1<<30, "vol")
	aiptest.Set(m, "qos.max_iops", int64(10000))
	aiptest.Set(m, "labels", map[string]string{"tier": "gold"})
	for start := 0; start < total; start += 10000 {
		err := s.Update(ctx, func(tx store.Tx) error {
			for i := start; i < min(start+10000, total); i++ {
				name := fmt.Sprintf("%s/nvmeNamespaces/ns%06d", s1, i)
				aiptest.Set(m, "name", name)
				aiptest.Set(m, "uuid", fmt.Sprintf("uuid-%06d", i))
				v, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
				if err != nil {
					return err
				}
				if err := tx.Put("nvmeNamespaces", name, v); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkConfirmStatus is what a reconcile pass pays per resource to
// confirm an unchanged status on bbolt, beside an empty read-write
// transaction (what confirming cost when it always opened one).
func BenchmarkConfirmStatus(b *testing.B) {
	ctx := context.Background()
	s := must(store.Open(filepath.Join(b.TempDir(), "intent.db")))
	defer s.Close()
	f := newFixture(b, s, newFakeBackend())
	must(f.subsystems.Create(ctx, "", "s1", subsystem("nqn")))
	b.Run("set-status-unchanged", func(b *testing.B) {
		for b.Loop() {
			if err := f.subsystems.SetStatus(ctx, s1, commonv1.ResourceState_RESOURCE_STATE_READY, ""); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("empty-read-write-tx", func(b *testing.B) {
		for b.Loop() {
			if err := s.Update(ctx, func(store.Tx) error { return nil }); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkCreateClients creates namespaces through a collection with a
// backend (intent, backend call, commit: two store transactions each) on
// bbolt, from 1, 8 and 32 concurrent clients, with group commit and with
// one commit per transaction, side by side. creates/s is the figure.
//
//	go test -run '^$' -bench CreateClients -benchtime 2000x ./resource/
func BenchmarkCreateClients(b *testing.B) {
	ctx := context.Background()
	for _, clients := range []int{1, 8, 32} {
		for _, mode := range []struct {
			name string
			opts []store.Option
		}{
			{"group-commit", nil},
			{"one-commit-each", []store.Option{store.WithoutGroupCommit()}},
		} {
			b.Run(fmt.Sprintf("clients=%d/%s", clients, mode.name), func(b *testing.B) {
				s := must(store.Open(filepath.Join(b.TempDir(), "intent.db"), mode.opts...))
				defer s.Close()
				f := newFixture(b, s, newFakeBackend())
				must(f.subsystems.Create(ctx, "", "s1", subsystem("nqn")))
				next := make(chan int)
				errs := make(chan error, clients)
				b.ResetTimer()
				for range clients {
					go func() {
						for i := range next {
							if _, err := f.namespaces.Create(ctx, s1, fmt.Sprintf("ns%d", i), namespace(1<<20, "vol")); err != nil {
								errs <- err
								return
							}
						}
						errs <- nil
					}()
				}
				for i := 0; i < b.N; i++ {
					next <- i
				}
				close(next)
				for range clients {
					if err := <-errs; err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "creates/s")
			})
		}
	}
}
