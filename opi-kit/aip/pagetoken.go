package aip

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
)

// Page sizes (AIP-158). A client that sends 0 gets DefaultPageSize; larger
// requests are quietly capped at MaxPageSize so one call stays cheap.
const (
	DefaultPageSize = 50
	MaxPageSize     = 1000
)

// PageSize turns a request's page_size into the number of items to return.
func PageSize(requested int32) (int, error) {
	switch {
	case requested < 0:
		return 0, InvalidArgumentf("page_size must not be negative, got %d", requested)
	case requested == 0:
		return DefaultPageSize, nil
	case requested > MaxPageSize:
		return MaxPageSize, nil
	}
	return int(requested), nil
}

// tokenVersion lets the token layout change later without old tokens being
// misread: a token of another version is rejected like a foreign one.
const tokenVersion = 1

// checksumLen bytes of SHA-256 are plenty to tell parameter sets apart; the
// token is not a secret, only a cursor, so it needs no MAC.
const checksumLen = 8

// EncodePageToken mints the next_page_token that resumes a listing after
// lastKey (the name of the last item returned). fingerprint is every list
// parameter except page_size and page_token (parent, filter, order_by,
// show_deleted, ...), in a fixed order; AIP-158 lets page_size change between
// pages, nothing else. The token holds only the key and a checksum, so it
// survives restarts, and resuming after a key neither repeats nor skips
// items that existed before the first page.
func EncodePageToken(lastKey string, fingerprint ...string) string {
	sum := tokenChecksum(lastKey, fingerprint)
	buf := make([]byte, 0, 1+checksumLen+len(lastKey))
	buf = append(buf, tokenVersion)
	buf = append(buf, sum...)
	buf = append(buf, lastKey...)
	return base64.RawURLEncoding.EncodeToString(buf)
}

// DecodePageToken returns the key a token resumes after. An empty token is
// the first page (""). A token that was minted for other parameters, or that
// is not one of ours, is InvalidArgument: the client changed the request
// between pages, and must start over.
func DecodePageToken(token string, fingerprint ...string) (string, error) {
	if token == "" {
		return "", nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) < 1+checksumLen || raw[0] != tokenVersion {
		return "", InvalidArgumentf("page_token is not valid: pass the next_page_token of a previous response unchanged")
	}
	key := string(raw[1+checksumLen:])
	if !bytes.Equal(raw[1:1+checksumLen], tokenChecksum(key, fingerprint)) {
		return "", InvalidArgumentf("page_token does not match this request: the other list parameters must not change between pages; start again without a page_token")
	}
	return key, nil
}

// tokenChecksum length-prefixes every part so that ("ab","c") and ("a","bc")
// never collide.
func tokenChecksum(key string, fingerprint []string) []byte {
	h := sha256.New()
	var n [binary.MaxVarintLen64]byte
	for _, part := range append([]string{key}, fingerprint...) {
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(part)))])
		h.Write([]byte(part))
	}
	return h.Sum(nil)[:checksumLen]
}
