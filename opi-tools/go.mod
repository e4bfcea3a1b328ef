module github.com/opi-suite/opi/opi-tools

go 1.26.8
