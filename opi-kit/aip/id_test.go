package aip_test

import (
	"regexp"
	"testing"

	"github.com/opi-suite/opi/opi-kit/aip"
)

func TestNewIDIsAVersion4UUIDThatIsAValidID(t *testing.T) {
	uuid := regexp.MustCompile(`^[a-f][0-9a-f]{7}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for range 200 {
		id, err := aip.NewID()
		if err != nil {
			t.Fatal(err)
		}
		if !uuid.MatchString(id) {
			t.Fatalf("NewID() = %q, not a version 4 UUID starting with a letter", id)
		}
		if err := aip.ValidateID(id); err != nil {
			t.Fatalf("NewID() = %q, which ValidateID refuses: %v", id, err)
		}
		if seen[id] {
			t.Fatalf("NewID() gave %q twice", id)
		}
		seen[id] = true
	}
}
