package api_test

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"

	securityv1 "github.com/opi-suite/opi/opi-api/security/v1"
	"google.golang.org/grpc/codes"

	"github.com/opi-suite/opi/opi-security-bridge/bridge"
	"github.com/opi-suite/opi/opi-security-bridge/ipsec"
)

// manySAs is the fake daemon with a fixed set of live SAs, handed out in
// a shuffled order, as a vendor's backend might.
type manySAs struct {
	*fakeIKE
	mu  sync.Mutex
	sas []ipsec.IkeSA
}

func (m *manySAs) ListSAs(_ context.Context, ike string) ([]ipsec.IkeSA, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []ipsec.IkeSA
	for _, i := range rand.Perm(len(m.sas)) {
		if sa := m.sas[i]; ike == "" || sa.Conn == ike {
			out = append(out, sa)
		}
	}
	return out, nil
}

func (m *manySAs) add(sa ipsec.IkeSA) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sas = append(m.sas, sa)
}

// ikeSA is IKE SA id of connection conn with two children, ids 2*id and
// 2*id+1 listed in reverse.
func ikeSA(conn string, id uint32) ipsec.IkeSA {
	return ipsec.IkeSA{Conn: conn, UniqueID: id, State: "ESTABLISHED", Version: 2, Children: []ipsec.ChildSA{
		{Name: "net", UniqueID: 2*id + 1, State: "INSTALLED"}, {Name: "net", UniqueID: 2 * id, State: "INSTALLED"},
	}}
}

// TestSAListingsArePaged is issue 9's 501 SAs that came back in one reply:
// both SA listings now come in pages (50 by default, at most 1000), in
// unique-id order whatever order the backend answers in, and following
// next_page_token returns every SA exactly once.
func TestSAListingsArePaged(t *testing.T) {
	fake := &manySAs{fakeIKE: newFakeIKE()}
	for id := uint32(1); id <= 501; id++ {
		conn := "site"
		if id%2 == 0 {
			conn = "other"
		}
		fake.sas = append(fake.sas, ikeSA(conn, id))
	}
	api := securityv1.NewIpsecServiceClient(serve(t, bridge.Config{IPsec: true}, bridge.WithIPsecBackend(fake)))
	ctx := context.Background()

	t.Run("IKE SAs come 50 to a page by default, each once, in order", func(t *testing.T) {
		var ids []uint32
		pages, token := 0, ""
		for {
			resp, err := api.ListIkeSas(ctx, &securityv1.ListIkeSasRequest{PageToken: token})
			if err != nil {
				t.Fatalf("page %d: %v", pages, err)
			}
			if n := len(resp.GetIkeSas()); n > 50 || n == 0 {
				t.Fatalf("page %d has %d SAs; want 1 to 50", pages, n)
			}
			for _, sa := range resp.GetIkeSas() {
				ids = append(ids, sa.GetUniqueId())
			}
			pages++
			if token = resp.GetNextPageToken(); token == "" {
				break
			}
		}
		if pages != 11 || len(ids) != 501 {
			t.Fatalf("%d pages with %d SAs; want 11 pages with 501", pages, len(ids))
		}
		for i, id := range ids {
			if id != uint32(i+1) {
				t.Fatalf("SA %d has unique id %d; want %d (ordered, none twice, none skipped)", i, id, i+1)
			}
		}
	})

	t.Run("a page size above 1000 is capped and the last page carries no token", func(t *testing.T) {
		resp, err := api.ListIkeSas(ctx, &securityv1.ListIkeSasRequest{PageSize: 5000})
		if err != nil || len(resp.GetIkeSas()) != 501 || resp.GetNextPageToken() != "" {
			t.Fatalf("ListIkeSas(page_size 5000) = %d SAs, token %q, %v; want all 501 and no token", len(resp.GetIkeSas()), resp.GetNextPageToken(), err)
		}
		children, err := api.ListChildSas(ctx, &securityv1.ListChildSasRequest{PageSize: 5000})
		if err != nil || len(children.GetChildSas()) != 1000 || children.GetNextPageToken() == "" {
			t.Fatalf("ListChildSas(page_size 5000) = %d child SAs, token %q, %v; want 1000 and a token", len(children.GetChildSas()), children.GetNextPageToken(), err)
		}
	})

	t.Run("child SAs of one connection come in IKE SA then child order", func(t *testing.T) {
		var got []uint32
		token := ""
		for {
			resp, err := api.ListChildSas(ctx, &securityv1.ListChildSasRequest{IkeConnection: "ikeConnections/site", PageSize: 7, PageToken: token})
			if err != nil {
				t.Fatal(err)
			}
			for _, ch := range resp.GetChildSas() {
				if ch.GetIkeSaUniqueId()%2 != 1 || ch.GetUniqueId()/2 != ch.GetIkeSaUniqueId() {
					t.Fatalf("child %d of IKE SA %d: not of connection site", ch.GetUniqueId(), ch.GetIkeSaUniqueId())
				}
				got = append(got, ch.GetUniqueId())
			}
			if token = resp.GetNextPageToken(); token == "" {
				break
			}
		}
		if len(got) != 502 {
			t.Fatalf("%d child SAs of site; want 502 (251 IKE SAs with two each)", len(got))
		}
		for i := 1; i < len(got); i++ {
			if got[i] <= got[i-1] {
				t.Fatalf("child %d after %d: out of order or repeated", got[i], got[i-1])
			}
		}
	})

	t.Run("an SA that comes up between pages is on a later page", func(t *testing.T) {
		first, err := api.ListIkeSas(ctx, &securityv1.ListIkeSasRequest{PageSize: 500})
		if err != nil {
			t.Fatal(err)
		}
		fake.add(ikeSA("site", 600))
		rest, err := api.ListIkeSas(ctx, &securityv1.ListIkeSasRequest{PageSize: 500, PageToken: first.GetNextPageToken()})
		if err != nil || len(rest.GetIkeSas()) != 2 || rest.GetIkeSas()[0].GetUniqueId() != 501 || rest.GetIkeSas()[1].GetUniqueId() != 600 {
			t.Fatalf("second page = %v, %v; want SAs 501 and 600", rest.GetIkeSas(), err)
		}
	})

	ike, err := api.ListIkeSas(ctx, &securityv1.ListIkeSasRequest{IkeConnection: "ikeConnections/site", PageSize: 1})
	if err != nil || ike.GetNextPageToken() == "" {
		t.Fatalf("ListIkeSas(site, page_size 1) = %v, %v; want a next page", ike, err)
	}
	for _, tc := range []struct {
		name string
		call func() error
	}{
		{"a negative page size is refused", func() error {
			_, err := api.ListIkeSas(ctx, &securityv1.ListIkeSasRequest{PageSize: -1})
			return err
		}},
		{"a token used with another connection filter is refused", func() error {
			_, err := api.ListIkeSas(ctx, &securityv1.ListIkeSasRequest{IkeConnection: "ikeConnections/other", PageToken: ike.GetNextPageToken()})
			return err
		}},
		{"an IKE SA token is refused by the child SA listing", func() error {
			_, err := api.ListChildSas(ctx, &securityv1.ListChildSasRequest{IkeConnection: "ikeConnections/site", PageToken: ike.GetNextPageToken()})
			return err
		}},
		{"a token that is not one of ours is refused", func() error {
			_, err := api.ListChildSas(ctx, &securityv1.ListChildSasRequest{PageToken: "bm90LWEtdG9rZW4"})
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) { wantCode(t, tc.call(), codes.InvalidArgument, "page_") })
	}
}
