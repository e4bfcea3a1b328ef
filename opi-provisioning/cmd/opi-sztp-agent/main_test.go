package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestBadInvocationsExit2(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--serial", "SN-1", "--password-file", "/dev/null", "--dir", t.TempDir()}, "no source of bootstrapping data"},
		{[]string{"--serial", "SN-1", "--dir", t.TempDir(), "--bootstrap-server", "http://a.example"}, "scheme must be https"},
		{[]string{"--serial", "SN-1", "--dir", t.TempDir(), "--bootstrap-server", "https://a.example"}, "IDevID client certificate or a password"},
		{[]string{"--server-trust-anchors", "/nonexistent.pem", "--dir", t.TempDir()}, "nonexistent.pem"},
		{[]string{"--log-level", "loud"}, "--log-level"},
	} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), tc.args, &out, &errb); code != 2 || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, errb.String(), tc.want)
		}
	}
}
