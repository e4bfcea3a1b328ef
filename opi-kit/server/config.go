package server

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/opi-suite/opi/opi-kit/telemetry"
)

// Config holds the settings every bridge shares. Bridges fill it from the
// command line and environment with BindFlags and Load; tests build it
// directly.
type Config struct {
	// Listen is the gRPC address, for example ":50051" or "127.0.0.1:0".
	Listen string
	// HTTPListen is the address for /metrics, /healthz and the REST gateway;
	// empty disables HTTP.
	HTTPListen string
	// StateDir is where the bridge keeps its persistent state; New creates
	// it (mode 0700) when set.
	StateDir string
	// TLSCert and TLSKey are PEM files of the server certificate and key.
	// With both set, gRPC and HTTP are served over TLS 1.2 or later.
	TLSCert, TLSKey string
	// TLSCA is a PEM file of the CAs that sign client certificates. When set,
	// every client must present a certificate it signed (mutual TLS) and
	// per-method authorization is enforced.
	TLSCA string
	// OTLPEndpoint is the OpenTelemetry collector receiving traces and
	// metrics over OTLP gRPC: "host:port" (plaintext, a local collector) or
	// a URL ("https://host:4317"). Empty disables both.
	OTLPEndpoint string
	// LogLevel is debug, info, warn or error; empty means info.
	LogLevel string
	// InsecurePlaintext allows serving without TLS. It must be asked for
	// explicitly so that a missing certificate never silently means plaintext.
	InsecurePlaintext bool
}

// flagSpec ties one flag to its environment variable; the table is the one
// place both names, the default and the help text live.
type flagSpec struct {
	name, env, usage string
	str              func(c *Config) *string
	boolean          func(c *Config) *bool
	def              string
}

var flagSpecs = []flagSpec{
	{name: "listen", env: "OPI_LISTEN", def: ":50051", usage: "gRPC listen address", str: func(c *Config) *string { return &c.Listen }},
	{name: "http-listen", env: "OPI_HTTP_LISTEN", def: ":8082", usage: "HTTP listen address for /metrics, /healthz and the REST gateway; empty disables HTTP", str: func(c *Config) *string { return &c.HTTPListen }},
	{name: "state-dir", env: "OPI_STATE_DIR", usage: "directory for persistent state", str: func(c *Config) *string { return &c.StateDir }},
	{name: "tls-cert", env: "OPI_TLS_CERT", usage: "PEM server certificate; enables TLS together with --tls-key", str: func(c *Config) *string { return &c.TLSCert }},
	{name: "tls-key", env: "OPI_TLS_KEY", usage: "PEM private key of --tls-cert", str: func(c *Config) *string { return &c.TLSKey }},
	{name: "tls-ca", env: "OPI_TLS_CA", usage: "PEM CA bundle for client certificates; requires mutual TLS and enables per-method authorization", str: func(c *Config) *string { return &c.TLSCA }},
	{name: "otlp-endpoint", env: "OPI_OTLP_ENDPOINT", usage: "OTLP gRPC collector for traces and metrics, host:port (plaintext) or http(s)://host:port; empty: OTEL_EXPORTER_OTLP_ENDPOINT, and when that is unset too, no export", str: func(c *Config) *string { return &c.OTLPEndpoint }},
	{name: "log-level", env: "OPI_LOG_LEVEL", def: "info", usage: "log level: debug, info, warn or error", str: func(c *Config) *string { return &c.LogLevel }},
	{name: "insecure-plaintext", env: "OPI_INSECURE_PLAINTEXT", usage: "serve without TLS (required when no certificate is given)", boolean: func(c *Config) *bool { return &c.InsecurePlaintext }},
}

// BindFlags registers the shared flags on fs, with their defaults, and sets
// c to those defaults. Register a bridge's own flags on the same FlagSet.
func (c *Config) BindFlags(fs *flag.FlagSet) {
	for _, s := range flagSpecs {
		usage := fmt.Sprintf("%s (env %s)", s.usage, s.env)
		if s.boolean != nil {
			fs.BoolVar(s.boolean(c), s.name, false, usage)
			continue
		}
		fs.StringVar(s.str(c), s.name, s.def, usage)
	}
}

// Load parses args with fs, then takes each shared setting not given on the
// command line from its OPI_* environment variable, then validates c. A
// flag beats the environment, which beats the default.
func (c *Config) Load(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	bindings := make(map[string]string, len(flagSpecs))
	for _, s := range flagSpecs {
		bindings[s.name] = s.env
	}
	envMu.Lock()
	for name, env := range envBindings[fs] {
		bindings[name] = env
	}
	envMu.Unlock()
	for name, env := range bindings {
		v, ok := os.LookupEnv(env)
		if !ok || given[name] {
			continue
		}
		// fs.Set parses the value as the flag would, so a bad boolean in the
		// environment is reported like a bad flag.
		if err := fs.Set(name, v); err != nil {
			return fmt.Errorf("environment variable %s=%q: %w", env, v, err)
		}
	}
	if c.OTLPEndpoint == "" {
		// The variable every OpenTelemetry SDK reads, for deployments that
		// set it once for all their programs.
		c.OTLPEndpoint = os.Getenv(telemetry.EndpointEnv)
	}
	return c.Validate()
}

var (
	envMu       sync.Mutex
	envBindings = map[*flag.FlagSet]map[string]string{}
)

// EnvVar ties a bridge's own flag, already registered on fs, to the
// environment variable env: Load then treats it as it treats the shared
// flags (the command line beats the environment, which beats the default,
// and a value the flag cannot parse is an error naming the variable), and
// the flag's help names the variable. This is the one way a bridge gives a
// flag of its own an OPI_* variable.
func EnvVar(fs *flag.FlagSet, name, env string) {
	f := fs.Lookup(name)
	if f == nil {
		panic("server.EnvVar: no flag --" + name + " on the FlagSet; register it first")
	}
	f.Usage = fmt.Sprintf("%s (env %s)", f.Usage, env)
	envMu.Lock()
	defer envMu.Unlock()
	if envBindings[fs] == nil {
		envBindings[fs] = map[string]string{}
	}
	envBindings[fs][name] = env
}

// Validate reports every setting that cannot work, each with the flag (and
// environment variable) to change.
func (c *Config) Validate() error {
	var errs []error
	if c.Listen == "" {
		errs = append(errs, errors.New("--listen (OPI_LISTEN) is empty: give the gRPC address, for example :50051"))
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		errs = append(errs, err)
	}
	switch {
	case (c.TLSCert == "") != (c.TLSKey == ""):
		errs = append(errs, errors.New("--tls-cert (OPI_TLS_CERT) and --tls-key (OPI_TLS_KEY) go together: give both or neither"))
	case c.TLSCert == "" && c.TLSCA != "":
		errs = append(errs, errors.New("--tls-ca (OPI_TLS_CA) needs a server certificate: give --tls-cert and --tls-key too"))
	case c.TLSCert == "" && !c.InsecurePlaintext:
		errs = append(errs, errors.New("no TLS certificate: give --tls-cert and --tls-key (OPI_TLS_CERT, OPI_TLS_KEY), or pass --insecure-plaintext (OPI_INSECURE_PLAINTEXT=true) to serve without TLS on a trusted network"))
	case c.TLSCert != "" && c.InsecurePlaintext:
		errs = append(errs, errors.New("--insecure-plaintext conflicts with --tls-cert: drop one of them"))
	}
	return errors.Join(errs...)
}

// mutualTLS reports whether clients must present certificates, which is
// what turns authorization on.
func (c *Config) mutualTLS() bool { return c.TLSCA != "" }

// usage prints the help text of a bridge's FlagSet.
func usage(fs *flag.FlagSet, name, description string) func() {
	return func() {
		w := fs.Output()
		fmt.Fprintf(w, "%s: %s\n\nUsage: %s [flags]\n\nEvery shared flag can also be set by the environment variable shown; a flag beats the environment.\n\nFlags:\n", name, strings.TrimSuffix(description, "\n"), name)
		fs.PrintDefaults()
	}
}
