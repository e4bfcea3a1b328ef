module github.com/opi-suite/opi/opi-security-bridge

go 1.26.8
