module github.com/opi-suite/opi/opi-kit

go 1.26.8

require github.com/opi-suite/opi/opi-api v0.1.0

// In this repository the sibling module is used; a consumer of a tagged
// release ignores this line and gets the tagged opi-api.
replace github.com/opi-suite/opi/opi-api => ../opi-api
