package server_test

import (
	"bytes"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/opi-suite/opi/opi-kit/server"
)

// TestConfigLoad cannot run in parallel: it sets environment variables.
func TestConfigLoad(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		// check inspects the loaded config when no error is expected.
		check func(c server.Config) bool
		// errMention lists what the error must say; empty means success.
		errMention []string
	}{
		{name: "defaults apply when neither a flag nor the environment says otherwise", args: []string{"--insecure-plaintext"},
			check: func(c server.Config) bool {
				return c.Listen == ":50051" && c.HTTPListen == ":8082" && c.LogLevel == "info" && c.InsecurePlaintext
			}},
		{name: "an environment variable beats the default", args: []string{"--insecure-plaintext"}, env: map[string]string{"OPI_LISTEN": ":6000", "OPI_STATE_DIR": "/var/lib/opi"},
			check: func(c server.Config) bool { return c.Listen == ":6000" && c.StateDir == "/var/lib/opi" }},
		{name: "a flag beats the environment", args: []string{"--insecure-plaintext", "--listen=:7000", "--log-level=debug"}, env: map[string]string{"OPI_LISTEN": ":6000", "OPI_LOG_LEVEL": "error"},
			check: func(c server.Config) bool { return c.Listen == ":7000" && c.LogLevel == "debug" }},
		{name: "OPI_INSECURE_PLAINTEXT=true allows plaintext", env: map[string]string{"OPI_INSECURE_PLAINTEXT": "true"},
			check: func(c server.Config) bool { return c.InsecurePlaintext }},
		{name: "an empty OPI_HTTP_LISTEN disables HTTP", args: []string{"--insecure-plaintext"}, env: map[string]string{"OPI_HTTP_LISTEN": ""},
			check: func(c server.Config) bool { return c.HTTPListen == "" }},
		{name: "TLS files come from the environment", env: map[string]string{"OPI_TLS_CERT": "c.pem", "OPI_TLS_KEY": "k.pem", "OPI_TLS_CA": "ca.pem", "OPI_OTLP_ENDPOINT": "localhost:4317"},
			check: func(c server.Config) bool {
				return c.TLSCert == "c.pem" && c.TLSKey == "k.pem" && c.TLSCA == "ca.pem" && c.OTLPEndpoint == "localhost:4317"
			}},
		{name: "no certificate without --insecure-plaintext fails and says both ways out",
			errMention: []string{"no TLS certificate", "--tls-cert", "--insecure-plaintext", "OPI_INSECURE_PLAINTEXT"}},
		{name: "a certificate without its key fails", args: []string{"--tls-cert=c.pem"}, errMention: []string{"--tls-key", "give both or neither"}},
		{name: "a client CA without a server certificate fails", args: []string{"--tls-ca=ca.pem", "--insecure-plaintext"}, errMention: []string{"--tls-ca", "needs a server certificate"}},
		{name: "plaintext and a certificate together conflict", args: []string{"--tls-cert=c.pem", "--tls-key=k.pem", "--insecure-plaintext"}, errMention: []string{"conflicts"}},
		{name: "an unknown log level fails and lists the levels", args: []string{"--insecure-plaintext", "--log-level=loud"}, errMention: []string{"--log-level", "debug, info, warn or error"}},
		{name: "a bad boolean in the environment names the variable", env: map[string]string{"OPI_INSECURE_PLAINTEXT": "maybe"}, errMention: []string{"OPI_INSECURE_PLAINTEXT"}},
		{name: "an empty listen address fails", args: []string{"--insecure-plaintext", "--listen="}, errMention: []string{"--listen"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, name := range []string{"OPI_LISTEN", "OPI_HTTP_LISTEN", "OPI_STATE_DIR", "OPI_TLS_CERT", "OPI_TLS_KEY", "OPI_TLS_CA", "OPI_OTLP_ENDPOINT", "OPI_LOG_LEVEL", "OPI_INSECURE_PLAINTEXT"} {
				if v, ok := tt.env[name]; ok {
					t.Setenv(name, v)
				} else {
					unsetenv(t, name)
				}
			}
			fs := flag.NewFlagSet("opi-test", flag.ContinueOnError)
			var cfg server.Config
			cfg.BindFlags(fs)
			err := cfg.Load(fs, tt.args)
			if len(tt.errMention) == 0 {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				if !tt.check(cfg) {
					t.Errorf("loaded %+v", cfg)
				}
				return
			}
			if err == nil {
				t.Fatalf("Load succeeded with %+v, want an error", cfg)
			}
			for _, m := range tt.errMention {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not mention %q", err, m)
				}
			}
		})
	}
}

func TestHelpDocumentsEveryFlagWithItsEnvironmentVariable(t *testing.T) {
	fs := flag.NewFlagSet("opi-test", flag.ContinueOnError)
	var out bytes.Buffer
	fs.SetOutput(&out)
	var cfg server.Config
	cfg.BindFlags(fs)
	fs.PrintDefaults()
	for flagName, env := range map[string]string{
		"listen": "OPI_LISTEN", "http-listen": "OPI_HTTP_LISTEN", "state-dir": "OPI_STATE_DIR",
		"tls-cert": "OPI_TLS_CERT", "tls-key": "OPI_TLS_KEY", "tls-ca": "OPI_TLS_CA",
		"otlp-endpoint": "OPI_OTLP_ENDPOINT", "log-level": "OPI_LOG_LEVEL", "insecure-plaintext": "OPI_INSECURE_PLAINTEXT",
	} {
		if !strings.Contains(out.String(), "-"+flagName) || !strings.Contains(out.String(), "(env "+env+")") {
			t.Errorf("help lacks -%s with (env %s):\n%s", flagName, env, out.String())
		}
	}
}

func TestNewNamesTheFlagOfAMissingCertificate(t *testing.T) {
	_, err := server.New(server.Config{Listen: "127.0.0.1:0", TLSCert: "/nonexistent/cert.pem", TLSKey: "/nonexistent/key.pem"})
	if err == nil || !strings.Contains(err.Error(), "--tls-cert /nonexistent/cert.pem") {
		t.Fatalf("New: %v, want an error naming --tls-cert and its file", err)
	}
}

// unsetenv removes name for the rest of the test and restores it after;
// t.Setenv can only set.
func unsetenv(t *testing.T, name string) {
	t.Helper()
	t.Setenv(name, "") // registers the restore, and forbids t.Parallel
	os.Unsetenv(name)
}

func TestABridgeFlagTiedToAnEnvironmentVariableFollowsTheSharedRules(t *testing.T) {
	for _, tc := range []struct {
		name, env string
		args      []string
		want      string
		wantErr   string
	}{
		{name: "the default stands when neither is given", want: "/var/tmp/spdk.sock"},
		{name: "the environment beats the default", env: "/run/spdk.sock", want: "/run/spdk.sock"},
		{name: "the command line beats the environment", env: "/run/spdk.sock", args: []string{"--spdk-socket", "/tmp/x.sock"}, want: "/tmp/x.sock"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.env != "" {
				t.Setenv("OPI_TEST_SPDK_SOCKET", tc.env)
			}
			fs := flag.NewFlagSet("opi-test", flag.ContinueOnError)
			var cfg server.Config
			cfg.BindFlags(fs)
			sock := fs.String("spdk-socket", "/var/tmp/spdk.sock", "SPDK socket")
			server.EnvVar(fs, "spdk-socket", "OPI_TEST_SPDK_SOCKET")
			if err := cfg.Load(fs, append([]string{"--insecure-plaintext"}, tc.args...)); err != nil {
				t.Fatal(err)
			}
			if *sock != tc.want {
				t.Errorf("--spdk-socket = %q, want %q", *sock, tc.want)
			}
			if u := fs.Lookup("spdk-socket").Usage; !strings.Contains(u, "(env OPI_TEST_SPDK_SOCKET)") {
				t.Errorf("help %q does not name the variable", u)
			}
		})
	}
	t.Run("a value the flag cannot parse is an error naming the variable", func(t *testing.T) {
		t.Setenv("OPI_TEST_FIREWALL", "maybe")
		fs := flag.NewFlagSet("opi-test", flag.ContinueOnError)
		var cfg server.Config
		cfg.BindFlags(fs)
		fs.Bool("firewall", true, "serve the firewall")
		server.EnvVar(fs, "firewall", "OPI_TEST_FIREWALL")
		err := cfg.Load(fs, []string{"--insecure-plaintext"})
		if err == nil || !strings.Contains(err.Error(), "OPI_TEST_FIREWALL") {
			t.Fatalf("Load = %v, want an error naming OPI_TEST_FIREWALL", err)
		}
	})
}
