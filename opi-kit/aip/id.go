// Package aip implements the Google API Improvement Proposals that every OPI
// service follows: resource names and ids (AIP-122, on package names),
// pagination (AIP-158), field-mask updates (AIP-134) and idempotent creation
// (AIP-133).
package aip

import (
	"crypto/rand"
	"fmt"

	"github.com/opi-suite/opi/opi-kit/names"
)

// MaxIDLength is the longest resource id AIP-122 allows.
const MaxIDLength = names.MaxIDLength

// ValidateID reports whether id is a valid user-settable resource id: 1 to 63
// characters of lower-case letters, digits and hyphens, starting with a letter
// and not ending with a hyphen (RFC 1034 labels, as AIP-122 requires). It is
// names.ValidateID with the error in the InvalidArgument class.
func ValidateID(id string) error { return classify(names.ValidateID(id)) }

// NewID returns a random (version 4) UUID as a resource id, for a facade
// of an API whose creates take an empty id to mean "the server picks one"
// (upstream OPI's). It always starts with a letter, because a resource id
// must: six of sixteen draws do, so a few draws are enough.
func NewID() (string, error) {
	var b [16]byte
	for {
		if _, err := rand.Read(b[:]); err != nil {
			return "", fmt.Errorf("generating an id: %w", err)
		}
		b[6] = b[6]&0x0f | 0x40 // version 4
		b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
		if b[0]>>4 >= 0xa {
			return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]), nil
		}
	}
}
