module github.com/opi-suite/opi/opi-ai-bridge

go 1.26.8
