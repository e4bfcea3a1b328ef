package agent

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/opi-suite/opi/opi-provisioning/sztp"
	"github.com/opi-suite/opi/opi-provisioning/sztp/discovery"
)

// session is an HTTPS connection to one bootstrap server, with the trust
// the server earned: trusted when its certificate chains to a trust
// anchor the device holds for bootstrap servers (preconfigured, or
// learned from trusted redirect information); untrusted ("provisional",
// RFC 8572 section 5.5) otherwise.
//
// The device never turns certificate verification off. Where the RFC
// lets a device accept an unknown server certificate blindly, this agent
// instead verifies it against ProvisionalRoots (for instance the public
// web PKI) and refuses a server that chains to neither set.
type session struct {
	server  discovery.Server
	trusted bool
	client  *http.Client
	agent   *Agent
}

// open connects to s and calls get-bootstrapping-data. learned, when not
// nil, is the trust anchor trusted redirect information gave for s: the
// server must then chain to it, as section 5.5 requires.
func (a *Agent) open(ctx context.Context, s discovery.Server, learned []*x509.Certificate, nonce []byte) (*session, *sztp.GetBootstrappingDataOutput, error) {
	anchors := a.cfg.ServerTrustAnchors
	if learned != nil {
		anchors = learned
	}
	sess := &session{server: s, trusted: true, client: a.httpClient(anchors), agent: a}
	out, err := sess.getBootstrappingData(ctx, nonce)
	var verr *tls.CertificateVerificationError
	if err != nil && errors.As(err, &verr) {
		if learned != nil {
			return nil, nil, fmt.Errorf("%w: %s does not chain to the trust anchor its redirect gave: %v", ErrServerUntrusted, s, verr.Err)
		}
		if len(a.cfg.ProvisionalRoots) == 0 {
			return nil, nil, fmt.Errorf("%w: %s chains to no bootstrap-server trust anchor (and no provisional roots are configured): %v", ErrServerUntrusted, s, verr.Err)
		}
		sess = &session{server: s, trusted: false, client: a.httpClient(a.cfg.ProvisionalRoots), agent: a}
		out, err = sess.getBootstrappingData(ctx, nonce)
		if errors.As(err, &verr) {
			return nil, nil, fmt.Errorf("%w: %s chains neither to a bootstrap-server trust anchor nor to a provisional root: %v", ErrServerUntrusted, s, verr.Err)
		}
	}
	if err != nil {
		return nil, nil, err
	}
	return sess, out, nil
}

func (a *Agent) httpClient(roots []*x509.Certificate) *http.Client {
	pool := x509.NewCertPool()
	for _, c := range roots {
		pool.AddCert(c)
	}
	tr := &http.Transport{
		TLSClientConfig: &tls.Config{
			MinVersion:   tls.VersionTLS12,
			RootCAs:      pool,
			Certificates: a.clientCerts(),
			Time:         a.now, // the device's clock, as for vouchers
		},
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: a.requestTimeout(),
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{
		Transport: tr,
		Timeout:   a.requestTimeout(),
		// A bootstrap server answers; it does not send the device on.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func (a *Agent) clientCerts() []tls.Certificate {
	if len(a.cfg.IDevID.Certificate) == 0 {
		return nil
	}
	return []tls.Certificate{a.cfg.IDevID}
}

// getBootstrappingData calls the RPC. To an untrusted server the device
// discloses only signed-data-preferred and the nonce (RFC 8572 section
// 9.6) and never its HTTP password.
func (s *session) getBootstrappingData(ctx context.Context, nonce []byte) (*sztp.GetBootstrappingDataOutput, error) {
	cfg := s.agent.cfg
	in := &sztp.GetBootstrappingDataInput{SignedDataPreferred: cfg.SignedDataPreferred || !s.trusted, Nonce: nonce}
	if s.trusted {
		in.HWModel, in.OSName, in.OSVersion = cfg.HWModel, cfg.OSName, cfg.OSVersion
	}
	body, err := in.Marshal()
	if err != nil {
		return nil, err
	}
	status, resp, err := s.post(ctx, sztp.GetBootstrappingDataPath, body)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("get-bootstrapping-data at %s: %w", s.server, sztp.ParseErrors(status, resp))
	}
	out, err := sztp.ParseGetBootstrappingDataOutput(resp)
	if err != nil {
		return nil, fmt.Errorf("get-bootstrapping-data at %s: %w", s.server, err)
	}
	return out, nil
}

// report sends one progress report; only a trusted server gets one
// (RFC 8572 section 5.6), and anything but 204 is an error.
func (s *session) report(ctx context.Context, t sztp.ProgressType, msg string) error {
	if !s.trusted {
		return fmt.Errorf("%w: %s is not a trusted bootstrap server", ErrProgress, s.server)
	}
	body, err := (&sztp.ReportProgressInput{ProgressType: t, Message: msg}).Marshal()
	if err != nil {
		return err
	}
	status, resp, err := s.post(ctx, sztp.ReportProgressPath, body)
	if err != nil {
		return fmt.Errorf("%w: %s to %s: %v", ErrProgress, t, s.server, err)
	}
	if status != http.StatusNoContent {
		return fmt.Errorf("%w: %s to %s: HTTP %d, want 204: %v", ErrProgress, t, s.server, status, sztp.ParseErrors(status, resp))
	}
	return nil
}

func (s *session) post(ctx context.Context, path string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.server.URL()+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", sztp.MediaType)
	req.Header.Set("Accept", sztp.MediaType)
	if s.trusted && s.agent.cfg.Password != "" {
		req.SetBasicAuth(s.agent.cfg.Serial, s.agent.cfg.Password)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	limit := s.agent.cfg.MaxResponse
	if limit <= 0 {
		limit = 16 << 20
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return 0, nil, err
	}
	if int64(len(b)) > limit {
		return 0, nil, fmt.Errorf("answer from %s exceeds %d bytes", s.server, limit)
	}
	return resp.StatusCode, b, nil
}
