// Package agenttest is a minimal bootstrap server built from the sztp
// library, for tests of the agent: mutual TLS, the device's serial taken
// from its client certificate, get-bootstrapping-data answered by a
// function of the test, report-progress recorded and answered 204.
package agenttest

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/opi-suite/opi/opi-provisioning/sztp"
	"github.com/opi-suite/opi/opi-provisioning/sztp/sztptest"
)

// Answer returns the output for one request, or nil for "no data".
type Answer func(in *sztp.GetBootstrappingDataInput) *sztp.GetBootstrappingDataOutput

// Server is the test bootstrap server.
type Server struct {
	srv    *httptest.Server
	serial string

	mu      sync.Mutex
	answer  Answer
	gets    []*sztp.GetBootstrappingDataInput
	reports []sztp.ReportProgressInput
	basic   []string
}

// New starts a server on loopback with the TLS identity id, accepting
// client certificates issued by clientCA for the device serial.
func New(t testing.TB, id *sztptest.Identity, clientCA *x509.Certificate, serial string, answer Answer) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return Serve(t, ln, id, clientCA, serial, answer)
}

// Serve is New on a listener the test opened (in a network namespace,
// say).
func Serve(t testing.TB, ln net.Listener, id *sztptest.Identity, clientCA *x509.Certificate, serial string, answer Answer) *Server {
	t.Helper()
	s := &Server{serial: serial, answer: answer}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+sztp.GetBootstrappingDataPath, s.getBootstrappingData)
	mux.HandleFunc("POST "+sztp.ReportProgressPath, s.reportProgress)
	s.srv = &httptest.Server{Listener: ln, Config: &http.Server{Handler: mux}}
	pool := x509.NewCertPool()
	pool.AddCert(clientCA)
	s.srv.TLS = &tls.Config{Certificates: []tls.Certificate{id.TLSCertificate()}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}
	s.srv.StartTLS()
	t.Cleanup(s.srv.Close)
	return s
}

// SetAnswer replaces the answer function.
func (s *Server) SetAnswer(a Answer) {
	s.mu.Lock()
	s.answer = a
	s.mu.Unlock()
}

// Addr is the server's listening address.
func (s *Server) Addr() *net.TCPAddr { return s.srv.Listener.Addr().(*net.TCPAddr) }

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Gets returns the get-bootstrapping-data inputs received.
func (s *Server) Gets() []*sztp.GetBootstrappingDataInput {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*sztp.GetBootstrappingDataInput(nil), s.gets...)
}

// Reports returns the progress types received, in order.
func (s *Server) Reports() []sztp.ProgressType {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]sztp.ProgressType, len(s.reports))
	for i, r := range s.reports {
		out[i] = r.ProgressType
	}
	return out
}

// BasicUsers returns the HTTP basic user names sent with requests.
func (s *Server) BasicUsers() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.basic...)
}

func (s *Server) getBootstrappingData(w http.ResponseWriter, r *http.Request) {
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 || r.TLS.PeerCertificates[0].Subject.SerialNumber != s.serial {
		writeError(w, http.StatusUnauthorized, "protocol", sztp.TagAccessDenied, "unknown device")
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	in, err := sztp.ParseGetBootstrappingDataInput(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "protocol", sztp.TagMalformedMessage, err.Error())
		return
	}
	s.mu.Lock()
	s.gets = append(s.gets, in)
	if u, _, ok := r.BasicAuth(); ok {
		s.basic = append(s.basic, u)
	}
	answer := s.answer
	s.mu.Unlock()
	var out *sztp.GetBootstrappingDataOutput
	if answer != nil {
		out = answer(in)
	}
	if out == nil {
		writeError(w, http.StatusNotFound, "application", sztp.TagDataMissing, "no bootstrapping data")
		return
	}
	b, err := out.Marshal()
	if err != nil {
		writeError(w, http.StatusInternalServerError, "application", sztp.TagOperationFailed, err.Error())
		return
	}
	w.Header().Set("Content-Type", sztp.MediaType)
	_, _ = w.Write(b)
}

func (s *Server) reportProgress(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	in, err := sztp.ParseReportProgressInput(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "protocol", sztp.TagMalformedMessage, err.Error())
		return
	}
	s.mu.Lock()
	s.reports = append(s.reports, *in)
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func writeError(w http.ResponseWriter, status int, typ, tag, msg string) {
	w.Header().Set("Content-Type", sztp.MediaType)
	w.WriteHeader(status)
	_, _ = w.Write(sztp.MarshalErrors(sztp.RESTCONFError{ErrorType: typ, ErrorTag: tag, ErrorMessage: msg}))
}
