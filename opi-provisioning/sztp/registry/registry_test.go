package registry_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	provisioningv1 "github.com/opi-suite/opi/opi-api/provisioning/v1"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-kit/store"

	"github.com/opi-suite/opi/opi-provisioning/sztp"
	"github.com/opi-suite/opi/opi-provisioning/sztp/bootstrap"
	"github.com/opi-suite/opi/opi-provisioning/sztp/registry"
)

func device(serial string) *provisioningv1.SztpDevice {
	return &provisioningv1.SztpDevice{SerialNumber: serial, Assignment: &provisioningv1.SztpDevice_Redirect{Redirect: &provisioningv1.SztpRedirect{
		BootstrapServers: []*provisioningv1.SztpBootstrapServer{{Address: "10.0.0.1"}}}}}
}

// Concurrent creates of one serial number under different names: exactly
// one wins, the others are AlreadyExists, and the index agrees.
func TestConcurrentCreatesKeepSerialsUnique(t *testing.T) {
	ctx := context.Background()
	r, err := registry.New(ctx, store.NewMemory())
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	results := make(chan error, 16)
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := r.Create(ctx, fmt.Sprintf("d%d", i), device("SN-SAME"))
			results <- err
		}()
	}
	wg.Wait()
	close(results)
	ok := 0
	for err := range results {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, errdefs.ErrAlreadyExists):
			t.Errorf("unexpected %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d creates of one serial succeeded", ok)
	}
	list, _, err := r.List(ctx, 0, "")
	if err != nil || len(list) != 1 {
		t.Fatalf("%d devices stored, %v", len(list), err)
	}
	if d, err := r.Device(ctx, "SN-SAME"); err != nil || d.Conveyed.Redirect == nil {
		t.Fatalf("lookup: %+v %v", d, err)
	}
}

func TestProgressIsCappedAndDeletedWithTheDevice(t *testing.T) {
	ctx := context.Background()
	r, err := registry.New(ctx, store.NewMemory())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Create(ctx, "d1", device("SN-1")); err != nil {
		t.Fatal(err)
	}
	for i := range registry.MaxProgress + 5 {
		if err := r.RecordProgress(ctx, "SN-1", &sztp.ReportProgressInput{ProgressType: "informational", Message: fmt.Sprint(i)}, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	d, err := r.Get(ctx, "sztpDevices/d1")
	if err != nil || len(d.GetProgressReports()) != registry.MaxProgress || d.GetProgressReports()[registry.MaxProgress-1].GetMessage() != fmt.Sprint(registry.MaxProgress+4) {
		t.Fatalf("%d reports, %v", len(d.GetProgressReports()), err)
	}
	if err := r.Delete(ctx, "sztpDevices/d1", false); err != nil {
		t.Fatal(err)
	}
	if err := r.RecordProgress(ctx, "SN-1", &sztp.ReportProgressInput{ProgressType: "informational"}, time.Now()); !errors.Is(err, bootstrap.ErrUnknownDevice) {
		t.Fatalf("progress of a deleted device: %v", err)
	}
	if _, err := r.Create(ctx, "d1", device("SN-2")); err != nil {
		t.Fatal(err)
	}
	if d, _ := r.Get(ctx, "sztpDevices/d1"); len(d.GetProgressReports()) != 0 {
		t.Fatalf("a new device inherited %d reports", len(d.GetProgressReports()))
	}
}
