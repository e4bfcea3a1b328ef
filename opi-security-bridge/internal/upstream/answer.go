package upstream

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	securityv1 "github.com/opi-suite/opi/opi-api/security/v1"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	upstreampb "github.com/opi-suite/opi/opi-upstream/security/v1"
	"google.golang.org/protobuf/types/known/durationpb"
)

// upstreamName is upstream's (charon's) name of a native connection name:
// the id of `ikeConnections/{id}`, or the name itself for connections the
// bridge did not load.
func upstreamName(name string) string { return strings.TrimPrefix(name, "ikeConnections/") }

// yes is vici's true; vici omits false.
func yes(b bool) string {
	if b {
		return "yes"
	}
	return ""
}

// seconds is d in whole seconds, 0 when unset.
func seconds(d *durationpb.Duration) uint32 {
	return uint32(d.AsDuration() / time.Second)
}

// versions are list-conns' names of the IKE versions.
var versions = map[securityv1.IkeVersion]string{
	securityv1.IkeVersion_IKE_VERSION_IKEV1: "IKEv1",
	securityv1.IkeVersion_IKE_VERSION_IKEV2: "IKEv2",
}

// toConn answers a native connection as list-conns does.
func toConn(c *securityv1.IkeConnection) *upstreampb.ListConnResp {
	out := &upstreampb.ListConnResp{
		Name:        upstreamName(c.GetName()),
		LocalAddrs:  toAddrs(c.GetLocalAddrs()),
		RemoteAddrs: toAddrs(c.GetRemoteAddrs()),
		Version:     versions[c.GetVersion()],
		RekeyTime:   seconds(c.GetRekeyTime()),
		DpdDelay:    seconds(c.GetDpdDelay()),
		LocalAuth:   []*upstreampb.ListConnAuth{toAuth(c.GetLocalAuth())},
		RemoteAuth:  []*upstreampb.ListConnAuth{toAuth(c.GetRemoteAuth())},
	}
	for _, ch := range c.GetChildren() {
		mode := strings.TrimPrefix(ch.GetMode().String(), "IPSEC_MODE_")
		if ch.GetMode() == securityv1.IpsecMode_IPSEC_MODE_UNSPECIFIED {
			mode = "TUNNEL"
		}
		child := &upstreampb.ListChild{
			Name: ch.GetName(), Mode: mode, RekeyTime: seconds(ch.GetRekeyTime()),
			LocalTs: toSelectors(ch.GetLocalTs()), RemoteTs: toSelectors(ch.GetRemoteTs()),
		}
		if a := ch.GetDpdAction(); a != securityv1.DpdAction_DPD_ACTION_UNSPECIFIED {
			child.DpdAction = strings.ToLower(strings.TrimPrefix(a.String(), "DPD_ACTION_"))
		}
		out.Children = append(out.Children, child)
	}
	return out
}

func toAddrs(in []string) []*upstreampb.Addrs {
	var out []*upstreampb.Addrs
	for _, a := range in {
		out = append(out, &upstreampb.Addrs{Addr: a})
	}
	return out
}

// toSelectors answers native selectors ("cidr[proto/port]") split into
// upstream's fields.
func toSelectors(in []string) *upstreampb.TrafficSelectors {
	out := &upstreampb.TrafficSelectors{}
	for _, s := range in {
		ts := &upstreampb.TrafficSelectors_TrafficSelector{Cidr: s}
		if i := strings.IndexByte(s, '['); i >= 0 && strings.HasSuffix(s, "]") {
			ts.Cidr = s[:i]
			ts.Proto, ts.Port, _ = strings.Cut(s[i+1:len(s)-1], "/")
		}
		out.Ts = append(out.Ts, ts)
	}
	return out
}

// toAuth answers one side's authentication as list-conns does: its class
// and identity. The key is the native PreSharedKey resource, not answered.
func toAuth(a *securityv1.Authentication) *upstreampb.ListConnAuth {
	class := "pre-shared key"
	if a.GetMethod() == securityv1.AuthMethod_AUTH_METHOD_PUBKEY {
		class = "public key"
	}
	return &upstreampb.ListConnAuth{Class: class, Id: a.GetId()}
}

// toIkeSa answers a native IKE SA as list-sas does. The negotiated
// proposal is one native string; it is answered whole in encr_alg.
func toIkeSa(sa *securityv1.IkeSa) *upstreampb.ListIkeSa {
	out := &upstreampb.ListIkeSa{
		Name: upstreamName(sa.GetIkeConnection()), Uniqueid: strconv.FormatUint(uint64(sa.GetUniqueId()), 10),
		Version:   strings.TrimPrefix(sa.GetVersion().String(), "IKE_VERSION_IKEV"),
		Ikestate:  upstreampb.IkeSaState(sa.GetState()),
		LocalHost: sa.GetLocalHost(), LocalId: sa.GetLocalId(),
		RemoteHost: sa.GetRemoteHost(), RemoteId: sa.GetRemoteId(),
		Initiator: yes(sa.GetInitiator()), EncrAlg: sa.GetProposal(),
		Established: strconv.FormatUint(uint64(seconds(sa.GetEstablished())), 10),
		LocalVips:   sa.GetLocalVips(), RemoteVips: sa.GetRemoteVips(),
	}
	for _, ch := range sa.GetChildSas() {
		out.Childsas = append(out.Childsas, &upstreampb.ListChildSa{
			Name: ch.GetName(), Protocol: "ESP", SpiIn: ch.GetSpiIn(), SpiOut: ch.GetSpiOut(), EncrAlg: ch.GetProposal(),
		})
	}
	return out
}

// toCert answers a native certificate as list-certs does: an X.509
// certificate (CA flag when it is one) with its PEM as data.
func toCert(c *securityv1.Certificate) *upstreampb.ListCert {
	out := &upstreampb.ListCert{
		Type: upstreampb.CertificateType_CERTIFICATE_TYPE_X509_UNSPECIFIED, Data: c.GetPem(), Subject: c.GetSubject(),
	}
	if c.GetIsCa() {
		out.Flag = upstreampb.X509CertificateFlag_X509_CERTIFICATE_FLAG_CA
	}
	if t := c.GetNotAfter(); t != nil {
		out.Notafter = t.AsTime().UTC().Format("Jan 02 15:04:05 2006")
	}
	return out
}

// statsText is upstream's one status string, in the lines upstream's
// bridge writes, for the counters the native domain reads.
func statsText(s *securityv1.IpsecStats) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Running time: %s\n", s.GetUptime().AsDuration())
	if t := s.GetStartTime(); t != nil {
		fmt.Fprintf(&b, "Absolute startup time: %s\n", t.AsTime().Local().Format("Jan _2 15:04:05 2006"))
	}
	fmt.Fprintf(&b, "Total # of worker threads: %d\n", s.GetWorkersTotal())
	fmt.Fprintf(&b, "Worker threads currently idle: %d\n", s.GetWorkersIdle())
	fmt.Fprintf(&b, "# of jobs scheduled for timed execution: %d\n", s.GetScheduledJobs())
	fmt.Fprintf(&b, "Total number of IKE_SAs active: %d\n", s.GetIkeSasTotal())
	fmt.Fprintf(&b, "Number of IKE_SAs in half-open state: %d\n", s.GetIkeSasHalfOpen())
	fmt.Fprintf(&b, "Plugins: %s\n", strings.Join(s.GetPlugins(), " "))
	return b.String()
}

// certFilter reads list-certs' filters: type "any", "X509" or empty lists
// the native certificates (all X.509); the other vici types (X509_AC,
// X509_CRL, OCSP_RESPONSE, PUBKEY) match none. flag "CA" keeps CA
// certificates, "NONE" the others; "ANY" or empty keeps both.
func certFilter(r *upstreampb.IPsecListCertsRequest) (func(*securityv1.Certificate) bool, error) {
	none := func(*securityv1.Certificate) bool { return false }
	switch strings.ToUpper(r.GetType()) {
	case "", "ANY", "X509":
	case "X509_AC", "X509_CRL", "OCSP_RESPONSE", "PUBKEY":
		return none, nil
	default:
		return nil, errdefs.InvalidArgumentf("type: %q is not a certificate type (any, X509, X509_AC, X509_CRL, OCSP_RESPONSE, PUBKEY)", r.GetType())
	}
	var flag func(*securityv1.Certificate) bool
	switch strings.ToUpper(r.GetFlag()) {
	case "", "ANY":
		flag = func(*securityv1.Certificate) bool { return true }
	case "CA":
		flag = (*securityv1.Certificate).GetIsCa
	case "NONE":
		flag = func(c *securityv1.Certificate) bool { return !c.GetIsCa() }
	case "AA", "OCSP":
		return none, nil
	default:
		return nil, errdefs.InvalidArgumentf("flag: %q is not an X.509 flag (any, none, CA, AA, OCSP)", r.GetFlag())
	}
	return func(c *securityv1.Certificate) bool {
		return flag(c) && (r.GetSubject() == "" || c.GetSubject() == r.GetSubject())
	}, nil
}
