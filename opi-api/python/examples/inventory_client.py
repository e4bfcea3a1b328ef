#!/usr/bin/env python3
"""Print the hardware inventory of the machine an OPI server runs on.

    inventory_client.py --addr 127.0.0.1:50051
    inventory_client.py --addr dpu.example:50051 --ca-cert ca.pem \
        --client-cert client.pem --client-key client-key.pem

Without --ca-cert the channel is plaintext; with it, TLS, and with
--client-cert/--client-key as well, mutual TLS.
"""

import argparse
import sys

import grpc

from opi.inventory.v1 import inventory_pb2, inventory_pb2_grpc


def _read(path):
    if path is None:
        return None
    with open(path, "rb") as f:
        return f.read()


def open_channel(args):
    """Returns a plaintext or TLS channel to args.addr, as the flags ask."""
    if args.ca_cert is None:
        if args.client_cert or args.client_key or args.server_name:
            raise SystemExit("--client-cert, --client-key and --server-name need --ca-cert")
        return grpc.insecure_channel(args.addr)
    if (args.client_cert is None) != (args.client_key is None):
        raise SystemExit("--client-cert and --client-key go together")
    creds = grpc.ssl_channel_credentials(
        root_certificates=_read(args.ca_cert),
        private_key=_read(args.client_key),
        certificate_chain=_read(args.client_cert),
    )
    options = []
    if args.server_name:
        # Check the server's certificate against this name instead of the
        # host part of --addr (useful when dialing an IP address).
        options.append(("grpc.ssl_target_name_override", args.server_name))
    return grpc.secure_channel(args.addr, creds, options=options)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--addr", default="127.0.0.1:50051", help="server address, host:port")
    parser.add_argument("--timeout", type=float, default=10.0, help="deadline of the call, in seconds")
    tls = parser.add_argument_group("TLS")
    tls.add_argument("--ca-cert", help="PEM file of the CA that signed the server's certificate; enables TLS")
    tls.add_argument("--client-cert", help="PEM client certificate, for mutual TLS")
    tls.add_argument("--client-key", help="PEM private key of --client-cert")
    tls.add_argument("--server-name", help="name to verify the server's certificate against")
    args = parser.parse_args(argv)

    with open_channel(args) as channel:
        stub = inventory_pb2_grpc.InventoryServiceStub(channel)
        try:
            inv = stub.GetInventory(inventory_pb2.GetInventoryRequest(name="inventory"), timeout=args.timeout)
        except grpc.RpcError as err:
            print(f"GetInventory: {err.code().name}: {err.details()}", file=sys.stderr)
            return 1

    print(f"hostname: {inv.hostname}")
    print(f"system:   {inv.system.vendor} {inv.system.product_name}".rstrip())
    print(f"cpu:      {inv.cpu.total_sockets} sockets, {inv.cpu.total_cores} cores, {inv.cpu.total_threads} threads")
    for p in inv.cpu.processors:
        print(f"          #{p.id} {p.vendor} {p.model}")
    print(f"memory:   {inv.memory.usable_bytes / 2**30:.1f} GiB usable")
    print(f"pci:      {len(inv.pci_devices)} devices")
    for d in inv.pci_devices:
        print(f"          {d.address} [{d.class_id}] {d.vendor_name or d.vendor_id} {d.device_name or d.device_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
