package aip

import (
	"strings"

	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

// ApplyFieldMask applies an AIP-134 update: the fields named by mask are
// copied from patch onto dst (a field unset in patch is cleared in dst).
//
//   - A nil or empty mask means every field populated in patch.
//   - "*" (alone) replaces every updatable field, at every depth.
//   - Paths are field names joined by "." into singular message fields.
//   - OUTPUT_ONLY and IDENTIFIER fields are skipped by "*" and by an empty
//     mask; naming one explicitly is InvalidArgument.
//   - Changing an IMMUTABLE field is InvalidArgument; sending its current
//     value is allowed, so a client may echo the whole resource back.
//
// dst is changed only when the whole update is valid.
func ApplyFieldMask(dst, patch proto.Message, mask *fieldmaskpb.FieldMask) error {
	d, p := dst.ProtoReflect(), patch.ProtoReflect()
	if d.Descriptor() != p.Descriptor() {
		return InvalidArgumentf("cannot apply a %s onto a %s", p.Descriptor().FullName(), d.Descriptor().FullName())
	}
	work := proto.Clone(dst).ProtoReflect()
	// Reading from a private copy of patch means dst never shares lists,
	// maps or messages with the caller's request.
	src := proto.Clone(patch).ProtoReflect()

	paths := mask.GetPaths()
	switch {
	case len(paths) == 0:
		var err error
		src.Range(func(fd protoreflect.FieldDescriptor, _ protoreflect.Value) bool {
			if !behaviors(fd).notUpdatable() {
				err = applyPath(work, src, []protoreflect.FieldDescriptor{fd}, string(fd.Name()))
			}
			return err == nil
		})
		if err != nil {
			return err
		}
	case len(paths) == 1 && paths[0] == "*":
		if err := replaceAll(work, src, ""); err != nil {
			return err
		}
	default:
		fields := make([][]protoreflect.FieldDescriptor, len(paths))
		for i, path := range paths {
			fds, err := resolvePath(d.Descriptor(), path)
			if err != nil {
				return err
			}
			fields[i] = fds
		}
		for i, fds := range fields {
			if err := applyPath(work, src, fds, paths[i]); err != nil {
				return err
			}
		}
	}
	proto.Reset(dst)
	proto.Merge(dst, work.Interface())
	return nil
}

// resolvePath turns "a.b.c" into descriptors, refusing unknown fields,
// "*" mixed with other paths, paths through lists or maps, and fields the
// client does not own.
func resolvePath(md protoreflect.MessageDescriptor, path string) ([]protoreflect.FieldDescriptor, error) {
	if path == "*" {
		return nil, InvalidArgumentf("update_mask: \"*\" must be the only path")
	}
	names := strings.Split(path, ".")
	fds := make([]protoreflect.FieldDescriptor, 0, len(names))
	for i, name := range names {
		if md == nil {
			return nil, InvalidArgumentf("update_mask: %q: %q is not a message field", path, names[i-1])
		}
		fd := md.Fields().ByName(protoreflect.Name(name))
		if fd == nil {
			return nil, InvalidArgumentf("update_mask: %q: %s has no field %q", path, md.FullName(), name)
		}
		if behaviors(fd).notUpdatable() {
			return nil, InvalidArgumentf("update_mask: %q: field %q is output only and cannot be updated", path, name)
		}
		fds = append(fds, fd)
		md = nil
		if !fd.IsList() && !fd.IsMap() {
			md = fd.Message()
		}
	}
	return fds, nil
}

// applyPath copies the field at fds from src to dst, creating intermediate
// messages in dst only when there is something to write.
func applyPath(dst, src protoreflect.Message, fds []protoreflect.FieldDescriptor, path string) error {
	immutable := false
	for _, fd := range fds {
		immutable = immutable || behaviors(fd).has(annotations.FieldBehavior_IMMUTABLE)
	}
	last := fds[len(fds)-1]
	dp, sp := dst, src
	for _, fd := range fds[:len(fds)-1] {
		// Get on an unset field gives a read-only empty message, so reading
		// here never creates anything in dst; mutableAt does, when needed.
		sp = sp.Get(fd).Message()
		dp = dp.Get(fd).Message()
	}
	if immutable && !fieldEqual(dp, sp, last) {
		return InvalidArgumentf("update_mask: %q: field is immutable and cannot be changed", path)
	}
	if !sp.IsValid() || !sp.Has(last) {
		if dp.IsValid() && dp.Has(last) {
			mutableAt(dst, fds).Clear(last)
		}
		return nil
	}
	mutableAt(dst, fds).Set(last, sp.Get(last))
	return nil
}

// mutableAt returns the message that holds the last field of fds, creating
// the intermediate messages.
func mutableAt(m protoreflect.Message, fds []protoreflect.FieldDescriptor) protoreflect.Message {
	for _, fd := range fds[:len(fds)-1] {
		m = m.Mutable(fd).Message()
	}
	return m
}

// replaceAll implements "*": every updatable field of dst takes src's
// value. Singular messages are replaced field by field so that output-only
// fields nested in them keep the server's values.
func replaceAll(dst, src protoreflect.Message, prefix string) error {
	fields := dst.Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		b := behaviors(fd)
		path := prefix + string(fd.Name())
		switch {
		case b.notUpdatable():
			continue
		case b.has(annotations.FieldBehavior_IMMUTABLE):
			if !fieldEqual(dst, src, fd) {
				return InvalidArgumentf("update_mask \"*\": field %q is immutable and cannot be changed", path)
			}
		case src.Has(fd) && fd.Message() != nil && !fd.IsList() && !fd.IsMap():
			if err := replaceAll(dst.Mutable(fd).Message(), src.Get(fd).Message(), path+"."); err != nil {
				return err
			}
		case src.Has(fd):
			dst.Set(fd, src.Get(fd))
		default:
			dst.Clear(fd)
		}
	}
	return nil
}
