// Package aip implements the Google API Improvement Proposals that every OPI
// service follows: resource names and ids (AIP-122), pagination (AIP-158),
// field-mask updates (AIP-134) and idempotent creation (AIP-133).
package aip

import "regexp"

// MaxIDLength is the longest resource id AIP-122 allows.
const MaxIDLength = 63

var idPattern = regexp.MustCompile(`^[a-z]([a-z0-9-]*[a-z0-9])?$`)

// ValidateID reports whether id is a valid user-settable resource id: 1 to 63
// characters of lower-case letters, digits and hyphens, starting with a letter
// and not ending with a hyphen (RFC 1034 labels, as AIP-122 requires).
func ValidateID(id string) error {
	switch {
	case id == "":
		return InvalidArgumentf("id is empty")
	case len(id) > MaxIDLength:
		return InvalidArgumentf("id %q is %d characters long; at most %d are allowed", id, len(id), MaxIDLength)
	case !idPattern.MatchString(id):
		return InvalidArgumentf("id %q is not valid: use lower-case letters, digits and hyphens, start with a letter and do not end with a hyphen", id)
	}
	return nil
}
