module github.com/opi-suite/opi/opi-network-bridge

go 1.26.8

require (
	github.com/opi-suite/opi/opi-api v0.1.0
	github.com/opi-suite/opi/opi-kit v0.1.0
	google.golang.org/protobuf v1.36.12
)

require (
	github.com/grpc-ecosystem/grpc-gateway/v2 v2.33.0 // indirect
	go.etcd.io/bbolt v1.5.0 // indirect
	golang.org/x/net v0.61.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
	golang.org/x/text v0.43.0 // indirect
	google.golang.org/genproto/googleapis/api v0.0.0-20261110000943-09e21b237f2c // indirect
	google.golang.org/genproto/googleapis/rpc v0.0.0-20261104224025-d1e00e9f33ab // indirect
	google.golang.org/grpc v1.85.0 // indirect
)

replace (
	github.com/opi-suite/opi/opi-api => ../opi-api
	github.com/opi-suite/opi/opi-kit => ../opi-kit
)
