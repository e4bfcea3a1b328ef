package resource_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/opi-suite/opi/opi-kit/aip/aiptest"
	"github.com/opi-suite/opi/opi-kit/resource"
	"github.com/opi-suite/opi/opi-kit/store"
)

func TestNewRefusesARecordItCannotRead(t *testing.T) {
	ctx := context.Background()
	s := store.NewMemory()
	f := newFixture(t, s, newFakeBackend())
	must(f.subsystems.Create(ctx, "", "s1", subsystem("nqn.2016-06.io.spdk:s1")))
	if err := store.Put(ctx, s, "nvmeSubsystems", "nvmeSubsystems/s2", []byte("\xff\xff\xff not protobuf")); err != nil {
		t.Fatal(err)
	}
	_, err := resource.New[msg](s, "nvmeSubsystems", subsystemPattern, resource.WithMessageType(aiptest.SubsystemType()))
	if !errors.Is(err, store.ErrDamaged) || !strings.Contains(err.Error(), "nvmeSubsystems/s2") {
		t.Fatalf("New = %v; want ErrDamaged naming the record, so the bridge exits instead of retrying forever", err)
	}
}

func TestReferrersReadsTheReferenceIndex(t *testing.T) {
	ctx := context.Background()
	s := store.NewMemory()
	subs, err := resource.New[msg](s, "nvmeSubsystems", subsystemPattern, resource.WithMessageType(aiptest.SubsystemType()))
	if err != nil {
		t.Fatal(err)
	}
	nss, err := resource.New[msg](s, "nvmeNamespaces", namespacePattern, resource.WithMessageType(aiptest.NamespaceType()),
		resource.WithParentKind("nvmeSubsystems"),
		resource.WithReferences(func(m msg) []resource.Ref {
			return []resource.Ref{{Kind: "nvmeSubsystems", Name: "nvmeSubsystems/" + m.ProtoReflect().Get(m.Descriptor().Fields().ByName("volume")).String()}}
		}))
	if err != nil {
		t.Fatal(err)
	}
	must(subs.Create(ctx, "", "s1", subsystem("nqn:s1")))
	must(subs.Create(ctx, "", "vol", subsystem("nqn:vol")))
	must(nss.Create(ctx, s1, "a", namespace(1, "vol")))
	must(nss.Create(ctx, s1, "b", namespace(1, "vol")))
	got, err := resource.Referrers(ctx, s, "nvmeSubsystems/vol")
	if err != nil || strings.Join(got, ",") != s1+"/nvmeNamespaces/a,"+s1+"/nvmeNamespaces/b" {
		t.Fatalf("Referrers = %v, %v; want both namespaces", got, err)
	}
	if got, _ := resource.Referrers(ctx, s, "nvmeSubsystems/v"); len(got) != 0 {
		t.Fatalf("Referrers of a name that prefixes another = %v, want none", got)
	}
}
