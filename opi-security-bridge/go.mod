module github.com/opi-suite/opi/opi-security-bridge

go 1.26.8

require (
	github.com/opi-suite/opi/opi-api v0.1.0
	github.com/opi-suite/opi/opi-kit v0.1.0
)

require (
	github.com/cilium/ebpf v0.22.0 // indirect
	github.com/strongswan/govici v0.8.0 // indirect
	github.com/vishvananda/netlink v1.3.1 // indirect
	github.com/vishvananda/netns v0.0.5 // indirect
	golang.org/x/net v0.61.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
	golang.org/x/text v0.43.0 // indirect
	google.golang.org/genproto/googleapis/rpc v0.0.0-20261104224025-d1e00e9f33ab // indirect
	google.golang.org/grpc v1.85.0 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)

// In this repository the sibling modules are used; a consumer of a tagged
// release ignores these lines and gets the tagged versions.
replace (
	github.com/opi-suite/opi/opi-api => ../opi-api
	github.com/opi-suite/opi/opi-kit => ../opi-kit
)
