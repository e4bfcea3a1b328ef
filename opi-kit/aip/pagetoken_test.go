package aip_test

import (
	"errors"
	"testing"

	"github.com/opi-suite/opi/opi-kit/aip"
)

func TestPageToken(t *testing.T) {
	token := aip.EncodePageToken("nvmeSubsystems/s1/nvmeNamespaces/ns7", "nvmeNamespaces", "nvmeSubsystems/s1", "")
	tests := []struct {
		name        string
		token       string
		fingerprint []string
		want        string
		wantErr     bool
	}{
		{name: "an empty token starts at the beginning", token: "", fingerprint: []string{"x"}, want: ""},
		{name: "a token resumes after its key with the same parameters", token: token, fingerprint: []string{"nvmeNamespaces", "nvmeSubsystems/s1", ""}, want: "nvmeSubsystems/s1/nvmeNamespaces/ns7"},
		{name: "a token for another parent is rejected", token: token, fingerprint: []string{"nvmeNamespaces", "nvmeSubsystems/s2", ""}, wantErr: true},
		{name: "a token for another filter is rejected", token: token, fingerprint: []string{"nvmeNamespaces", "nvmeSubsystems/s1", "size>1"}, wantErr: true},
		{name: "shifting bytes between parameters is rejected", token: token, fingerprint: []string{"nvmeNamespacesn", "vmeSubsystems/s1", ""}, wantErr: true},
		{name: "a token that is not base64url is rejected", token: "!!!", wantErr: true},
		{name: "a truncated token is rejected", token: token[:6], fingerprint: []string{"nvmeNamespaces", "nvmeSubsystems/s1", ""}, wantErr: true},
		{name: "an edited token is rejected", token: token[:len(token)-2] + "AA", fingerprint: []string{"nvmeNamespaces", "nvmeSubsystems/s1", ""}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := aip.DecodePageToken(tt.token, tt.fingerprint...)
			if tt.wantErr {
				if !errors.Is(err, aip.ErrInvalidArgument) {
					t.Fatalf("DecodePageToken error = %v, want InvalidArgument", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("DecodePageToken = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestPageSize(t *testing.T) {
	tests := []struct {
		name      string
		requested int32
		want      int
		wantErr   bool
	}{
		{name: "zero means the default", requested: 0, want: aip.DefaultPageSize},
		{name: "a small size is kept", requested: 7, want: 7},
		{name: "a huge size is capped", requested: 1 << 30, want: aip.MaxPageSize},
		{name: "a negative size is an error", requested: -1, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := aip.PageSize(tt.requested)
			if tt.wantErr != (err != nil) || got != tt.want {
				t.Fatalf("PageSize(%d) = %d, %v; want %d", tt.requested, got, err, tt.want)
			}
		})
	}
}
