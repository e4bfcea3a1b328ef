package release

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/semver"
)

// Bump is the least version increment a release needs.
type Bump int

// The bumps, from none to major; a larger one satisfies a smaller one.
const (
	// BumpNone: nothing to release.
	BumpNone Bump = iota
	// BumpPatch: a fix, or a dependency's new version.
	BumpPatch
	// BumpMinor: an addition (v1 and later), or a breaking change below v1.
	BumpMinor
	// BumpMajor: a breaking change from v1 on.
	BumpMajor
)

var bumpNames = []string{"none", "patch", "minor", "major"}

// String returns the bump's name: none, patch, minor or major.
func (b Bump) String() string {
	if int(b) < len(bumpNames) {
		return bumpNames[b]
	}
	return "Bump(" + strconv.Itoa(int(b)) + ")"
}

// MarshalText writes the bump's name, for --json.
func (b Bump) MarshalText() ([]byte, error) { return []byte(b.String()), nil }

// requiredBump maps what changed to a bump under semantic versioning, where
// below v1 a breaking change only needs a minor bump and an addition a patch.
func requiredBump(last string, changed, breaking, additions bool) Bump {
	stable := semver.Major(last) != "v0"
	switch {
	case breaking && stable:
		return BumpMajor
	case breaking, additions && stable:
		return BumpMinor
	case changed:
		return BumpPatch
	}
	return BumpNone
}

// next returns the least version after v that the bump allows. A patch bump
// of a pre-release is the release itself (v1.0.0-rc.1 -> v1.0.0).
func next(v string, b Bump) (string, error) {
	base, _, _ := strings.Cut(strings.TrimPrefix(semver.Canonical(v), "v"), "-")
	parts := strings.Split(base, ".")
	if len(parts) != 3 {
		return "", fmt.Errorf("version %q is not vMAJOR.MINOR.PATCH", v)
	}
	var n [3]int
	for i, p := range parts {
		x, err := strconv.Atoi(p)
		if err != nil {
			return "", fmt.Errorf("version %q: %w", v, err)
		}
		n[i] = x
	}
	pre := semver.Prerelease(v) != ""
	switch b {
	case BumpNone:
		return v, nil
	case BumpPatch:
		if !pre {
			n[2]++
		}
	case BumpMinor:
		if !pre || n[2] != 0 {
			n[1]++
		}
		n[2] = 0
	case BumpMajor:
		if !pre || n[1] != 0 || n[2] != 0 {
			n[0]++
		}
		n[1], n[2] = 0, 0
	}
	return fmt.Sprintf("v%d.%d.%d", n[0], n[1], n[2]), nil
}
