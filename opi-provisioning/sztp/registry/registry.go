// Package registry is the SZTP device registry: the domain behind
// opi.provisioning.v1.SztpDeviceService and the device source of the
// bootstrap server. Devices are intent in the shared store (an
// opi-kit/resource collection); their serial numbers are unique, their
// passwords are kept only as hashes, and their progress reports are kept
// beside them (the latest 32).
package registry

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode"

	provisioningv1 "github.com/opi-suite/opi/opi-api/provisioning/v1"
	"github.com/opi-suite/opi/opi-kit/aip"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-kit/names"
	"github.com/opi-suite/opi/opi-kit/resource"
	"github.com/opi-suite/opi/opi-kit/store"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/opi-suite/opi/opi-provisioning/sztp"
	"github.com/opi-suite/opi/opi-provisioning/sztp/bootstrap"
	"github.com/opi-suite/opi/opi-provisioning/sztp/cms"
	"github.com/opi-suite/opi/opi-provisioning/sztp/voucher"
)

var deviceKind = names.MustForMessage(&provisioningv1.SztpDevice{})

// DevicePattern is the name pattern of devices, `sztpDevices/{sztp_device}`.
var DevicePattern = aip.FromNames(deviceKind.Pattern)

// Limits of the values the registry accepts.
const (
	MaxSerial       = 64
	MinPassword     = 12
	MaxPassword     = 256
	MaxVoucherValid = 366 * 24 * time.Hour
	MaxProgress     = 32
	MaxProgressText = 512
	MaxAssignment   = 1 << 20 // scripts and configuration together
	progressKind    = "sztpProgress"
)

type pb = provisioningv1.SztpDevice

// Registry holds the devices.
type Registry struct {
	st   store.Store
	coll *resource.Collection[*pb]

	// mu serialises mutations, so that the serial index and the
	// uniqueness check agree with the store.
	mu       sync.RWMutex
	bySerial map[string]string // serial number -> device name
}

// New opens the registry on st and indexes the stored devices.
func New(ctx context.Context, st store.Store) (*Registry, error) {
	coll, err := resource.New[*pb](st, deviceKind.Collection(), DevicePattern)
	if err != nil {
		return nil, err
	}
	r := &Registry{st: st, coll: coll, bySerial: map[string]string{}}
	err = coll.Walk(ctx, func(d *pb) error {
		if other, dup := r.bySerial[d.GetSerialNumber()]; dup {
			return errdefs.Internalf("devices %s and %s have the same serial number %q", other, d.GetName(), d.GetSerialNumber())
		}
		r.bySerial[d.GetSerialNumber()] = d.GetName()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// Create registers a device under id. A repeated identical Create returns
// the device (the password is compared with the stored hash).
func (r *Registry) Create(ctx context.Context, id string, d *pb) (*pb, error) {
	name, err := DevicePattern.Format(id)
	if err != nil {
		return nil, err
	}
	d = proto.Clone(d).(*pb)
	aip.ClearOutputOnly(d)
	r.mu.Lock()
	defer r.mu.Unlock()
	cur, err := r.coll.Get(ctx, name)
	if err != nil && !errors.Is(err, errdefs.ErrNotFound) {
		return nil, err
	}
	if err := r.prepare(d, cur); err != nil {
		return nil, err
	}
	if other, ok := r.bySerial[d.GetSerialNumber()]; ok && other != name {
		return nil, errdefs.AlreadyExistsf("serial number %q belongs to %s", d.GetSerialNumber(), other)
	}
	out, err := r.coll.Create(ctx, "", id, d)
	if err != nil {
		return nil, err
	}
	r.bySerial[out.GetSerialNumber()] = name
	return r.present(ctx, out)
}

// Get returns a device with its progress reports.
func (r *Registry) Get(ctx context.Context, name string) (*pb, error) {
	d, err := r.coll.Get(ctx, name)
	if err != nil {
		return nil, err
	}
	return r.present(ctx, d)
}

// List returns one page of devices.
func (r *Registry) List(ctx context.Context, size int32, token string) ([]*pb, string, error) {
	ds, next, err := r.coll.List(ctx, "", size, token)
	if err != nil {
		return nil, "", err
	}
	for i, d := range ds {
		if ds[i], err = r.present(ctx, d); err != nil {
			return nil, "", err
		}
	}
	return ds, next, nil
}

// Update changes a device per mask; with allowMissing it creates it.
func (r *Registry) Update(ctx context.Context, d *pb, mask *fieldmaskpb.FieldMask, allowMissing bool) (*pb, error) {
	name := d.GetName()
	if err := DevicePattern.Validate(name); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	cur, err := r.coll.Get(ctx, name)
	var next *pb
	switch {
	case err == nil:
		next = proto.Clone(cur).(*pb)
		if err := aip.ApplyFieldMask(next, d, mask); err != nil {
			return nil, err
		}
	case errors.Is(err, errdefs.ErrNotFound) && allowMissing:
		next = proto.Clone(d).(*pb)
		aip.ClearOutputOnly(next)
		cur = nil
	default:
		return nil, err
	}
	if err := r.prepare(next, cur); err != nil {
		return nil, err
	}
	if other, ok := r.bySerial[next.GetSerialNumber()]; ok && other != name {
		return nil, errdefs.AlreadyExistsf("serial number %q belongs to %s", next.GetSerialNumber(), other)
	}
	// next is complete; replace the stored device with it.
	out, err := r.coll.Update(ctx, next, &fieldmaskpb.FieldMask{Paths: []string{"*"}}, allowMissing)
	if err != nil {
		return nil, err
	}
	if cur != nil && cur.GetSerialNumber() != out.GetSerialNumber() {
		delete(r.bySerial, cur.GetSerialNumber())
	}
	r.bySerial[out.GetSerialNumber()] = name
	return r.present(ctx, out)
}

// Delete removes a device and its progress reports.
func (r *Registry) Delete(ctx context.Context, name string, allowMissing bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	cur, err := r.coll.Get(ctx, name)
	if err != nil && !errors.Is(err, errdefs.ErrNotFound) {
		return err
	}
	if err := r.coll.Delete(ctx, name, allowMissing); err != nil {
		return err
	}
	if cur != nil {
		delete(r.bySerial, cur.GetSerialNumber())
	}
	return store.Delete(ctx, r.st, progressKind, name)
}

// present returns d as a client sees it: with progress, without password.
func (r *Registry) present(ctx context.Context, d *pb) (*pb, error) {
	d = proto.Clone(d).(*pb)
	d.Password = ""
	b, err := store.Get(ctx, r.st, progressKind, d.GetName())
	switch {
	case errors.Is(err, store.ErrNotFound):
		return d, nil
	case err != nil:
		return nil, err
	}
	var p pb
	if err := proto.Unmarshal(b, &p); err != nil {
		return nil, errdefs.Internalf("progress of %s cannot be read: %v", d.GetName(), err)
	}
	d.ProgressReports = p.GetProgressReports()
	return d, nil
}

// prepare validates d and replaces a new password by its hash (keeping
// the stored hash when the password is the stored one, so that a retry is
// idempotent). cur is the stored device or nil.
func (r *Registry) prepare(d, cur *pb) error {
	if err := validate(d); err != nil {
		return err
	}
	if cur != nil && cur.GetSerialNumber() != d.GetSerialNumber() {
		return errdefs.InvalidArgumentf("serial_number is immutable")
	}
	switch pw := d.GetPassword(); {
	case pw == "":
	case cur != nil && cur.GetPassword() == pw:
		// The stored hash itself, echoed back by the mask's copy.
	case cur != nil && cur.GetPassword() != "" && bootstrap.VerifyPassword(cur.GetPassword(), pw):
		d.Password = cur.GetPassword()
	default:
		if len(pw) < MinPassword || len(pw) > MaxPassword {
			return errdefs.InvalidArgumentf("password must have %d to %d characters", MinPassword, MaxPassword)
		}
		h, err := bootstrap.HashPassword(pw)
		if err != nil {
			return errdefs.Internalf("hashing the password: %v", err)
		}
		d.Password = h
	}
	return nil
}

func validate(d *pb) error {
	s := d.GetSerialNumber()
	if s == "" || len(s) > MaxSerial || strings.ContainsRune(s, ':') || strings.IndexFunc(s, func(c rune) bool { return !unicode.IsPrint(c) || c == ' ' }) >= 0 {
		return errdefs.InvalidArgumentf("serial_number %q: 1 to %d printable characters without spaces or ':'", s, MaxSerial)
	}
	if n := len(d.GetIdevidSha256()); n != 0 && n != 32 {
		return errdefs.InvalidArgumentf("idevid_sha256 has %d bytes, want 32", n)
	}
	if v := d.GetVoucher().GetValidity(); v != nil {
		if err := v.CheckValid(); err != nil || v.AsDuration() < 0 || v.AsDuration() > MaxVoucherValid {
			return errdefs.InvalidArgumentf("voucher.validity must be 0 to %s", MaxVoucherValid)
		}
	}
	if proto.Size(d) > MaxAssignment+64<<10 {
		return errdefs.InvalidArgumentf("the device is %d bytes; scripts and configuration may have %d together", proto.Size(d), MaxAssignment)
	}
	if _, err := Conveyed(d); err != nil {
		return err
	}
	return nil
}

// Conveyed returns the conveyed information of d's assignment (nil when
// it has none), validated as RFC 8572's YANG module requires.
func Conveyed(d *pb) (*sztp.ConveyedInformation, error) {
	var c sztp.ConveyedInformation
	switch a := d.GetAssignment().(type) {
	case nil:
		return nil, nil
	case *provisioningv1.SztpDevice_Redirect:
		c.Redirect = &sztp.RedirectInformation{}
		for i, s := range a.Redirect.GetBootstrapServers() {
			if s.GetPort() > 65535 {
				return nil, errdefs.InvalidArgumentf("redirect.bootstrap_servers[%d].port %d is over 65535", i, s.GetPort())
			}
			bs := sztp.BootstrapServer{Address: s.GetAddress(), Port: uint16(s.GetPort())}
			if raw := s.GetTrustAnchorCertificates(); len(raw) > 0 {
				var certs []*x509.Certificate
				for j, der := range raw {
					cert, err := x509.ParseCertificate(der)
					if err != nil {
						return nil, errdefs.InvalidArgumentf("redirect.bootstrap_servers[%d].trust_anchor_certificates[%d]: %v", i, j, err)
					}
					certs = append(certs, cert)
				}
				ta, err := cms.Degenerate(certs...)
				if err != nil {
					return nil, errdefs.InvalidArgumentf("redirect.bootstrap_servers[%d]: %v", i, err)
				}
				bs.TrustAnchor = ta
			}
			c.Redirect.BootstrapServers = append(c.Redirect.BootstrapServers, bs)
		}
	case *provisioningv1.SztpDevice_Onboarding:
		o := a.Onboarding
		on := &sztp.OnboardingInformation{
			PreConfigurationScript:  o.GetPreConfigurationScript(),
			Configuration:           o.GetConfiguration(),
			PostConfigurationScript: o.GetPostConfigurationScript(),
		}
		switch o.GetConfigurationHandling() {
		case provisioningv1.SztpConfigurationHandling_SZTP_CONFIGURATION_HANDLING_MERGE:
			on.ConfigurationHandling = sztp.Merge
		case provisioningv1.SztpConfigurationHandling_SZTP_CONFIGURATION_HANDLING_REPLACE:
			on.ConfigurationHandling = sztp.Replace
		}
		if b := o.GetBootImage(); b != nil {
			on.BootImage = &sztp.BootImage{OSName: b.GetOsName(), OSVersion: b.GetOsVersion(), DownloadURI: b.GetDownloadUris()}
			if h := b.GetSha256(); len(h) > 0 {
				on.BootImage.ImageVerification = []sztp.ImageVerification{{HashAlgorithm: sztp.HashSHA256, HashValue: h}}
			} else if len(b.GetDownloadUris()) > 0 {
				return nil, errdefs.InvalidArgumentf("onboarding.boot_image.sha256 is required with download_uris: a device cannot verify the image otherwise")
			}
		}
		c.Onboarding = on
	}
	if err := c.Validate(); err != nil {
		return nil, errdefs.InvalidArgumentf("%s", strings.TrimPrefix(err.Error(), sztp.ErrInvalidConveyedInformation.Error()+": "))
	}
	return &c, nil
}

// Device returns the bootstrap server's view of the device with serial
// (bootstrap.Devices).
func (r *Registry) Device(ctx context.Context, serial string) (*bootstrap.Device, error) {
	r.mu.RLock()
	name, ok := r.bySerial[serial]
	r.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%w: %q", bootstrap.ErrUnknownDevice, serial)
	}
	d, err := r.coll.Get(ctx, name)
	if errors.Is(err, errdefs.ErrNotFound) {
		return nil, fmt.Errorf("%w: %q", bootstrap.ErrUnknownDevice, serial)
	}
	if err != nil {
		return nil, err
	}
	c, err := Conveyed(d)
	if err != nil {
		return nil, err
	}
	out := &bootstrap.Device{
		Serial: d.GetSerialNumber(), PasswordHash: d.GetPassword(), CertificateSHA256: d.GetIdevidSha256(),
		Conveyed: c, Voucher: bootstrap.VoucherPolicy{Validity: d.GetVoucher().GetValidity().AsDuration()},
	}
	switch d.GetVoucher().GetAssertion() {
	case provisioningv1.SztpVoucherAssertion_SZTP_VOUCHER_ASSERTION_LOGGED:
		out.Voucher.Assertion = voucher.Logged
	case provisioningv1.SztpVoucherAssertion_SZTP_VOUCHER_ASSERTION_PROXIMITY:
		out.Voucher.Assertion = voucher.Proximity
	default:
		out.Voucher.Assertion = voucher.Verified
	}
	switch d.GetReportingLevel() {
	case provisioningv1.SztpReportingLevel_SZTP_REPORTING_LEVEL_MINIMAL:
		out.ReportingLevel = "minimal"
	case provisioningv1.SztpReportingLevel_SZTP_REPORTING_LEVEL_VERBOSE:
		out.ReportingLevel = "verbose"
	}
	return out, nil
}

// RecordProgress keeps a progress report with the device
// (bootstrap.Devices).
func (r *Registry) RecordProgress(ctx context.Context, serial string, p *sztp.ReportProgressInput, at time.Time) error {
	// Held across the write: a Delete (which takes the write lock) then
	// cannot leave a report behind for a later device of the same name.
	r.mu.RLock()
	defer r.mu.RUnlock()
	name, ok := r.bySerial[serial]
	if !ok {
		return fmt.Errorf("%w: %q", bootstrap.ErrUnknownDevice, serial)
	}
	msg := p.Message
	if len(msg) > MaxProgressText {
		msg = msg[:MaxProgressText]
	}
	report := &provisioningv1.SztpProgressReport{ProgressType: string(p.ProgressType), Message: msg, ReportTime: timestamppb.New(at)}
	return r.st.Update(ctx, func(tx store.Tx) error {
		var prev pb
		b, err := tx.Get(progressKind, name)
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return err
		default:
			if err := proto.Unmarshal(b, &prev); err != nil {
				return errdefs.Internalf("progress of %s cannot be read: %v", name, err)
			}
		}
		reports := append(prev.GetProgressReports(), report)
		if n := len(reports); n > MaxProgress {
			reports = reports[n-MaxProgress:]
		}
		b, err = proto.Marshal(&pb{ProgressReports: reports})
		if err != nil {
			return err
		}
		return tx.Put(progressKind, name, b)
	})
}
