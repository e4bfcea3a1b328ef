module github.com/opi-suite/opi/opi-provisioning

go 1.26.8
