package aip_test

import (
	"errors"
	"testing"

	commonv1 "github.com/opi-suite/opi/opi-api/common/v1"
	inventoryv1 "github.com/opi-suite/opi/opi-api/inventory/v1"
	"github.com/opi-suite/opi/opi-kit/aip"
	"github.com/opi-suite/opi/opi-kit/aip/aiptest"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

// storedNamespace is what the store holds before each update case.
func storedNamespace() proto.Message {
	m := aiptest.New(aiptest.NamespaceType(), map[string]any{
		"name":       "nvmeSubsystems/s1/nvmeNamespaces/ns1",
		"size_bytes": int64(1 << 30),
		"volume":     "vol1",
		"uuid":       "1b4e28ba-2fa1-11d2-883f-0016d3cca427",
		"labels":     map[string]string{"tier": "gold"},
	})
	aiptest.Set(m, "qos.max_iops", int64(1000))
	aiptest.Set(m, "qos.applied", true)
	aiptest.Set(m, "status", (&commonv1.ResourceStatus{State: commonv1.ResourceState_RESOURCE_STATE_READY}).ProtoReflect())
	return m
}

func TestApplyFieldMask(t *testing.T) {
	mask := func(paths ...string) *fieldmaskpb.FieldMask { return &fieldmaskpb.FieldMask{Paths: paths} }
	tests := []struct {
		name    string
		patch   map[string]any
		mask    *fieldmaskpb.FieldMask
		want    map[string]any // dotted field -> expected value after the update
		wantErr bool
	}{
		{
			name:  "a named field is copied and the others are kept",
			patch: map[string]any{"volume": "vol2", "qos.max_iops": int64(5)},
			mask:  mask("volume"),
			want:  map[string]any{"volume": "vol2", "qos.max_iops": int64(1000), "size_bytes": int64(1 << 30)},
		},
		{
			name:  "a named field unset in the patch is cleared",
			patch: map[string]any{},
			mask:  mask("volume"),
			want:  map[string]any{"volume": ""},
		},
		{
			name:  "a nested path updates one field of a sub-message",
			patch: map[string]any{"qos.max_bandwidth": int64(7)},
			mask:  mask("qos.max_bandwidth"),
			want:  map[string]any{"qos.max_bandwidth": int64(7), "qos.max_iops": int64(1000), "qos.applied": true},
		},
		{
			name:  "a map field is replaced as a whole",
			patch: map[string]any{"labels": map[string]string{"zone": "a"}},
			mask:  mask("labels"),
			want:  map[string]any{"labels.len": 1},
		},
		{
			name:  "an empty mask updates the populated fields only",
			patch: map[string]any{"volume": "vol3", "uuid": "client-made-up"},
			mask:  nil,
			want:  map[string]any{"volume": "vol3", "uuid": "1b4e28ba-2fa1-11d2-883f-0016d3cca427", "qos.max_iops": int64(1000)},
		},
		{
			name:  "star replaces every updatable field and keeps output-only ones",
			patch: map[string]any{"size_bytes": int64(1 << 30), "qos.max_bandwidth": int64(9), "uuid": "ignored", "name": "ignored"},
			mask:  mask("*"),
			want: map[string]any{
				"volume": "", "labels.len": 0, "qos.max_iops": int64(0), "qos.max_bandwidth": int64(9), "qos.applied": true,
				"uuid": "1b4e28ba-2fa1-11d2-883f-0016d3cca427", "name": "nvmeSubsystems/s1/nvmeNamespaces/ns1",
			},
		},
		{
			name:  "an immutable field may be sent unchanged",
			patch: map[string]any{"size_bytes": int64(1 << 30), "volume": "vol4"},
			mask:  mask("size_bytes", "volume"),
			want:  map[string]any{"volume": "vol4"},
		},
		{name: "changing an immutable field is an error", patch: map[string]any{"size_bytes": int64(5)}, mask: mask("size_bytes"), wantErr: true},
		{name: "changing an immutable field through star is an error", patch: map[string]any{"size_bytes": int64(5)}, mask: mask("*"), wantErr: true},
		{name: "changing an immutable field through an empty mask is an error", patch: map[string]any{"size_bytes": int64(5)}, wantErr: true},
		{name: "naming an output-only field is an error", patch: map[string]any{"uuid": "x"}, mask: mask("uuid"), wantErr: true},
		{name: "naming a nested output-only field is an error", patch: map[string]any{}, mask: mask("qos.applied"), wantErr: true},
		{name: "naming the identifier is an error", patch: map[string]any{"name": "x"}, mask: mask("name"), wantErr: true},
		{name: "an unknown path is an error", patch: map[string]any{}, mask: mask("colour"), wantErr: true},
		{name: "a path through a scalar is an error", patch: map[string]any{}, mask: mask("volume.x"), wantErr: true},
		{name: "star mixed with other paths is an error", patch: map[string]any{}, mask: mask("*", "volume"), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := storedNamespace()
			before := proto.Clone(dst)
			patch := aiptest.NamespaceType().New().Interface()
			for k, v := range tt.patch {
				aiptest.Set(patch, k, v)
			}
			err := aip.ApplyFieldMask(dst, patch, tt.mask)
			if tt.wantErr {
				if !errors.Is(err, aip.ErrInvalidArgument) {
					t.Fatalf("ApplyFieldMask error = %v, want InvalidArgument", err)
				}
				if !proto.Equal(dst, before) {
					t.Fatalf("a refused update changed the stored message")
				}
				return
			}
			if err != nil {
				t.Fatalf("ApplyFieldMask: %v", err)
			}
			for path, want := range tt.want {
				var got any
				if path == "labels.len" {
					got = dst.ProtoReflect().Get(dst.ProtoReflect().Descriptor().Fields().ByName("labels")).Map().Len()
				} else {
					got = aiptest.Get(dst, path)
				}
				if got != want {
					t.Errorf("%s = %v, want %v", path, got, want)
				}
			}
		})
	}
}

func TestApplyFieldMaskDoesNotAliasThePatch(t *testing.T) {
	dst := storedNamespace()
	patch := aiptest.New(aiptest.NamespaceType(), map[string]any{"labels": map[string]string{"a": "1"}})
	if err := aip.ApplyFieldMask(dst, patch, &fieldmaskpb.FieldMask{Paths: []string{"labels"}}); err != nil {
		t.Fatal(err)
	}
	aiptest.Set(patch, "labels", map[string]string{"b": "2"})
	if n := aiptest.Get(dst, "labels").(interface{ Len() int }).Len(); n != 1 {
		t.Fatalf("changing the patch afterwards changed the stored labels: %d entries", n)
	}
}

func TestSpecEqual(t *testing.T) {
	tests := []struct {
		name string
		a, b proto.Message
		want bool
	}{
		{
			name: "output-only fields and the name do not count",
			a:    &inventoryv1.Inventory{Name: "inventory", Hostname: "a"},
			b:    &inventoryv1.Inventory{Name: "other", Hostname: "b"},
			want: true,
		},
		{
			name: "a different user field counts",
			a:    aiptest.New(aiptest.NamespaceType(), map[string]any{"volume": "v1", "uuid": "x"}),
			b:    aiptest.New(aiptest.NamespaceType(), map[string]any{"volume": "v2", "uuid": "x"}),
			want: false,
		},
		{
			name: "a nested output-only field does not count",
			a:    func() proto.Message { m := storedNamespace(); aiptest.Set(m, "qos.applied", false); return m }(),
			b:    storedNamespace(),
			want: true,
		},
		{
			name: "messages of different types are never equal",
			a:    aiptest.New(aiptest.NamespaceType(), nil),
			b:    aiptest.New(aiptest.SubsystemType(), nil),
			want: false,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := aip.SpecEqual(tt.a, tt.b); got != tt.want {
				t.Fatalf("SpecEqual = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestClearOutputOnly(t *testing.T) {
	m := storedNamespace()
	aip.ClearOutputOnly(m)
	for path, want := range map[string]any{"uuid": "", "qos.applied": false, "volume": "vol1", "name": "nvmeSubsystems/s1/nvmeNamespaces/ns1"} {
		if got := aiptest.Get(m, path); got != want {
			t.Errorf("%s = %v, want %v", path, got, want)
		}
	}
}
