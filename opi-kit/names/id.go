package names

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
		return invalidf("id is empty")
	case len(id) > MaxIDLength:
		return invalidf("id %s is %d characters long; at most %d are allowed", Quote(id), len(id), MaxIDLength)
	case !idPattern.MatchString(id):
		return invalidf("id %s is not valid: use lower-case letters, digits and hyphens, start with a letter and do not end with a hyphen", Quote(id))
	}
	return nil
}
