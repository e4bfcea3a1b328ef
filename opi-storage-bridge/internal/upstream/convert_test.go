package upstream

import (
	"math"
	"slices"
	"strings"
	"testing"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

func TestNamesInUpstreamsFormsBecomeNativeNames(t *testing.T) {
	for _, c := range []struct{ coll, in, want string }{
		{"mallocVolumes", "m1", "mallocVolumes/m1"},
		{"mallocVolumes", "mallocVolumes/m1", "mallocVolumes/m1"},
		{"mallocVolumes", "volumes/m1", "mallocVolumes/m1"},
		{"qosVolumes", "volumes/q", "qosVolumes/q"},
		// "volumes/" is upstream's SPDK bridge's form for volumes, virtio
		// devices and LUNs only.
		{"virtioBlks", "volumes/b", "virtioBlks/b"},
		{"virtioScsiTargets", "volumes/c", "virtioScsiTargets/c"},
		{"virtioScsiLuns", "volumes/l", "virtioScsiLuns/l"},
		{"nvmeSubsystems", "volumes/s", "volumes/s"},
		{"nvmeSubsystems", "s1", "nvmeSubsystems/s1"},
		{"nvmeSubsystems", "", ""},
	} {
		if got := name(c.coll, c.in); got != c.want {
			t.Errorf("name(%q, %q) = %q, want %q", c.coll, c.in, got, c.want)
		}
	}
}

func TestMaskNamesOnlyTheMappedNativeFields(t *testing.T) {
	paths := map[string][]string{"spec.hostnqn": {"hosts", "allow_any_host"}, "spec.psk": {"hosts"}, "spec.nqn": {"nqn"}}
	for _, c := range []struct {
		name    string
		in      *fieldmaskpb.FieldMask
		want    []string
		invalid bool
	}{
		{"no mask stays none", nil, nil, false},
		{"one path", &fieldmaskpb.FieldMask{Paths: []string{"spec.nqn"}}, []string{"nqn"}, false},
		{"paths sharing a native field name it once", &fieldmaskpb.FieldMask{Paths: []string{"spec.hostnqn", "spec.psk"}}, []string{"hosts", "allow_any_host"}, false},
		{"* names every mapped field, not native *", &fieldmaskpb.FieldMask{Paths: []string{"*"}}, []string{"allow_any_host", "hosts", "nqn"}, false},
		{"spec is every mapped field", &fieldmaskpb.FieldMask{Paths: []string{"spec"}}, []string{"allow_any_host", "hosts", "nqn"}, false},
		{"an unknown path is refused", &fieldmaskpb.FieldMask{Paths: []string{"spec.serial"}}, nil, true},
	} {
		got, err := mask(c.in, paths)
		if (err != nil) != c.invalid {
			t.Errorf("%s: error %v", c.name, err)
			continue
		}
		var p []string
		if got != nil {
			p = slices.Sorted(slices.Values(got.GetPaths()))
		}
		want := slices.Sorted(slices.Values(c.want))
		if !c.invalid && (c.in == nil) != (got == nil) || !slices.Equal(p, want) {
			t.Errorf("%s: mask(%v) = %v, want %v", c.name, c.in, got, c.want)
		}
	}
}

func TestStatsAbove32BitsAreTheLargestInt32(t *testing.T) {
	got := stats(&pb.VolumeStats{ReadBytes: 1 << 40, ReadOps: 7, WriteLatencyTicks: math.MaxInt32 + 1})
	if got.GetReadBytesCount() != math.MaxInt32 || got.GetReadOpsCount() != 7 || got.GetWriteLatencyTicks() != math.MaxInt32 {
		t.Errorf("stats = %v", got)
	}
	if stats(nil) == nil {
		t.Error("stats(nil) is nil; upstream's clients read its fields")
	}
}

func TestEveryUpstreamSecretFieldExists(t *testing.T) {
	// A field renamed upstream would silently stop being redacted.
	for _, f := range SecretFields {
		if !fieldExists(f) {
			t.Errorf("%s is not a field of the vendored protos", f)
		}
	}
}

func fieldExists(full string) bool {
	i := strings.LastIndexByte(full, '.')
	mt, err := protoregistry.GlobalTypes.FindMessageByName(protoreflect.FullName(full[:i]))
	if err != nil {
		return false
	}
	return mt.Descriptor().Fields().ByName(protoreflect.Name(full[i+1:])) != nil
}
