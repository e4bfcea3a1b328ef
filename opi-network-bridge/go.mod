module github.com/opi-suite/opi/opi-network-bridge

go 1.26.8
