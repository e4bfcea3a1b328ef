module github.com/opi-suite/opi/opi-cli

go 1.26.8
