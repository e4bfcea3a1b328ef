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
