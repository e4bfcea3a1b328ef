package xdp

// The generated loader and object are committed, so building needs no clang;
// run `go generate ./internal/xdp` after changing bpf/firewall.c. It needs
// clang and libbpf's headers (libbpf-dev) only: bpf/uapi.h carries the
// kernel definitions the program uses, so no -I for the host's multiarch
// include directory (asm/...) is needed on any architecture.
//go:generate go run github.com/cilium/ebpf/cmd/bpf2go -target bpfel -cc clang -cflags "-O2 -g -Wall -Werror" -type gen_settings -type counter -type lpm4_key -type lpm6_key -type class_key -type bitmap firewall bpf/firewall.c
