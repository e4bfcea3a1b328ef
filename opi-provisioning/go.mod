module github.com/opi-suite/opi/opi-provisioning

go 1.26.8

require (
	github.com/opi-suite/opi/opi-api v0.1.0
	github.com/opi-suite/opi/opi-kit v0.1.0
)

require (
	github.com/go-ole/go-ole v1.2.6 // indirect
	github.com/jaypipes/ghw v0.27.0 // indirect
	github.com/jaypipes/pcidb v1.1.1 // indirect
	github.com/yusufpapurcu/wmi v1.2.4 // indirect
	golang.org/x/sys v0.49.0 // indirect
	gopkg.in/yaml.v3 v3.0.1 // indirect
	howett.net/plist v1.0.2-0.20250314012144-ee69052608d9 // indirect
)

// In this repository the sibling modules are used; a consumer of a tagged
// release ignores these lines and gets the tagged versions.
replace (
	github.com/opi-suite/opi/opi-api => ../opi-api
	github.com/opi-suite/opi/opi-kit => ../opi-kit
)
