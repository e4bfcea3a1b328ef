// Package aip implements the Google API Improvement Proposals that every OPI
// service follows: resource names and ids (AIP-122, on package names),
// pagination (AIP-158), field-mask updates (AIP-134) and idempotent creation
// (AIP-133).
package aip

import "github.com/opi-suite/opi/opi-kit/names"

// MaxIDLength is the longest resource id AIP-122 allows.
const MaxIDLength = names.MaxIDLength

// ValidateID reports whether id is a valid user-settable resource id: 1 to 63
// characters of lower-case letters, digits and hyphens, starting with a letter
// and not ending with a hyphen (RFC 1034 labels, as AIP-122 requires). It is
// names.ValidateID with the error in the InvalidArgument class.
func ValidateID(id string) error { return classify(names.ValidateID(id)) }
