module github.com/opi-suite/opi/opi-network-bridge

go 1.26.8

require github.com/opi-suite/opi/opi-kit v0.1.0

// In this repository the sibling modules are used; a consumer of a tagged
// release ignores these lines and gets the tagged versions.
replace github.com/opi-suite/opi/opi-kit => ../opi-kit
