// Command protoc-gen-opidoc is a protoc (and buf) plugin that writes a
// Markdown API reference: one page per proto package, named after it (e.g.
// opi.inventory.v1.md), and an index README.md. Run it with strategy: all so
// that every package is in one request and the index lists them all.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/opi-suite/opi/opi-tools/internal/apidoc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/pluginpb"
)

func main() {
	if err := run(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "protoc-gen-opidoc:", err)
		os.Exit(1)
	}
}

func run(in io.Reader, out io.Writer) error {
	data, err := io.ReadAll(in)
	if err != nil {
		return err
	}
	req := &pluginpb.CodeGeneratorRequest{}
	if err := proto.Unmarshal(data, req); err != nil {
		return fmt.Errorf("reading the request: %w", err)
	}
	resp, err := apidoc.Run(req)
	if err != nil {
		return err
	}
	data, err = proto.Marshal(resp)
	if err != nil {
		return err
	}
	_, err = out.Write(data)
	return err
}
