module github.com/opi-suite/opi/opi-storage-bridge

go 1.26.8
