package ipsec

import (
	"context"
	"fmt"
	"slices"

	securityv1 "github.com/opi-suite/opi/opi-api/security/v1"
	"github.com/opi-suite/opi/opi-kit/aip"
	"github.com/opi-suite/opi/opi-kit/errdefs"
)

// Page token fingerprints: a token is bound to the listing it came from
// and to its connection filter (AIP-158), so a token of ListIkeSas is
// refused by ListChildSas and a filter changed between pages is refused.
const (
	ikeSAListing   = "ipsec.ikeSas"
	childSAListing = "ipsec.childSas"
)

// saKey is where a listing resumes: an IKE SA's unique id and, for child
// SAs, the child's. Charon hands out unique ids in increasing order and
// never reuses them, so resuming after a key neither repeats an SA nor
// skips one that was up when the first page was read.
type saKey struct{ ike, child uint32 }

func (k saKey) String() string { return fmt.Sprintf("%d/%d", k.ike, k.child) }

func (k saKey) less(o saKey) bool { return k.ike < o.ike || k.ike == o.ike && k.child < o.child }

func parseSAKey(s string) (saKey, error) {
	var k saKey
	if s == "" {
		return k, nil
	}
	if _, err := fmt.Sscanf(s, "%d/%d", &k.ike, &k.child); err != nil || k.String() != s {
		return k, errdefs.InvalidArgumentf("page_token is not valid: pass the next_page_token of a previous response unchanged")
	}
	return k, nil
}

// ListIkeSaPage returns one page of the live IKE SAs of connection name
// (all when empty), by unique id, and the token of the next page ("" on
// the last). The daemon has no paged listing, so each page reads every SA
// of the filter; what a page saves is the size of the reply (one message
// per SA with its children and counters).
func (m *Manager) ListIkeSaPage(ctx context.Context, name string, pageSize int32, pageToken string) ([]*securityv1.IkeSa, string, error) {
	sas, size, after, err := m.pageInput(ctx, name, pageSize, pageToken, ikeSAListing)
	if err != nil {
		return nil, "", err
	}
	var page []*securityv1.IkeSa
	for _, sa := range sas {
		if !after.less(saKey{sa.GetUniqueId(), 0}) {
			continue
		}
		if len(page) == size {
			last := saKey{page[size-1].GetUniqueId(), 0}
			return page, aip.EncodePageToken(last.String(), ikeSAListing, name), nil
		}
		page = append(page, sa)
	}
	return page, "", nil
}

// ListChildSaPage returns one page of the live child SAs of connection
// name (all when empty), by IKE SA and then child SA unique id, and the
// token of the next page ("" on the last).
func (m *Manager) ListChildSaPage(ctx context.Context, name string, pageSize int32, pageToken string) ([]*securityv1.ChildSa, string, error) {
	sas, size, after, err := m.pageInput(ctx, name, pageSize, pageToken, childSAListing)
	if err != nil {
		return nil, "", err
	}
	var page []*securityv1.ChildSa
	for _, sa := range sas {
		for _, ch := range sa.GetChildSas() {
			if !after.less(saKey{sa.GetUniqueId(), ch.GetUniqueId()}) {
				continue
			}
			if len(page) == size {
				last := saKey{page[size-1].GetIkeSaUniqueId(), page[size-1].GetUniqueId()}
				return page, aip.EncodePageToken(last.String(), childSAListing, name), nil
			}
			page = append(page, ch)
		}
	}
	return page, "", nil
}

// pageInput checks a paged SA request and returns the live SAs in key
// order (children sorted too), the page size and the key to resume after.
func (m *Manager) pageInput(ctx context.Context, name string, pageSize int32, pageToken, listing string) ([]*securityv1.IkeSa, int, saKey, error) {
	size, err := aip.PageSize(pageSize)
	if err != nil {
		return nil, 0, saKey{}, err
	}
	raw, err := aip.DecodePageToken(pageToken, listing, name)
	if err != nil {
		return nil, 0, saKey{}, err
	}
	after, err := parseSAKey(raw)
	if err != nil {
		return nil, 0, saKey{}, err
	}
	sas, err := m.ListIkeSas(ctx, name)
	if err != nil {
		return nil, 0, saKey{}, err
	}
	// The order is the domain's promise (the API documents it), not left
	// to whichever backend answered.
	slices.SortFunc(sas, func(a, b *securityv1.IkeSa) int { return cmpU32(a.GetUniqueId(), b.GetUniqueId()) })
	for _, sa := range sas {
		slices.SortFunc(sa.ChildSas, func(a, b *securityv1.ChildSa) int { return cmpU32(a.GetUniqueId(), b.GetUniqueId()) })
	}
	return sas, size, after, nil
}

func cmpU32(a, b uint32) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
