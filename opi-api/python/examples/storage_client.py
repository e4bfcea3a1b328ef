#!/usr/bin/env python3
"""Export a RAM-backed volume over NVMe through the OPI storage bridge.

    storage_client.py --addr 127.0.0.1:50051
    storage_client.py --addr 127.0.0.1:50051 --id demo --delete

Creates malloc volume ID, NVMe subsystem ID (open to any host) and, in it,
an NVMe namespace on the volume; lists the subsystem's namespaces with
their status. --delete then removes them again: the subsystem with force,
which takes its namespaces with it, then the volume. The channel is
plaintext, for a bridge run with --insecure-plaintext; inventory_client.py
shows the TLS channel.
"""

import argparse
import sys

import grpc

from opi.common.v1 import common_pb2
from opi.storage.v1 import frontend_nvme_pb2 as nvme
from opi.storage.v1 import frontend_nvme_pb2_grpc as nvme_grpc
from opi.storage.v1 import volumes_pb2 as vol
from opi.storage.v1 import volumes_pb2_grpc as vol_grpc


def state(resource):
    """READY, PENDING or ERROR, with the reason when there is one."""
    word = common_pb2.ResourceState.Name(resource.status.state).removeprefix("RESOURCE_STATE_")
    return f"{word}: {resource.status.message}" if resource.status.message else word


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--addr", default="127.0.0.1:50051", help="storage bridge address, host:port")
    parser.add_argument("--id", default="py1", help="id of the volume, the subsystem and the namespace")
    parser.add_argument("--mib", type=int, default=64, help="size of the volume in MiB")
    parser.add_argument("--delete", action="store_true", help="delete what was created before exiting")
    parser.add_argument("--timeout", type=float, default=10.0, help="deadline of each call, in seconds")
    args = parser.parse_args(argv)
    t = args.timeout

    with grpc.insecure_channel(args.addr) as channel:
        volumes = vol_grpc.VolumeServiceStub(channel)
        frontend = nvme_grpc.FrontendNvmeServiceStub(channel)
        try:
            # 512-byte blocks: the size is given in blocks.
            v = volumes.CreateMallocVolume(vol.CreateMallocVolumeRequest(
                malloc_volume_id=args.id,
                malloc_volume=vol.MallocVolume(block_size=512, block_count=args.mib * 2048)), timeout=t)
            print(f"{v.name}\t{v.block_count * v.block_size // 2**20} MiB\t{state(v)}")
            s = frontend.CreateNvmeSubsystem(nvme.CreateNvmeSubsystemRequest(
                nvme_subsystem_id=args.id,
                nvme_subsystem=nvme.NvmeSubsystem(nqn=f"nqn.2022-09.io.opiproject:{args.id}", allow_any_host=True)), timeout=t)
            print(f"{s.name}\t{s.nqn}\t{state(s)}")
            # A namespace is a child: it is created in its parent, and
            # volume is the full name of any kind of volume.
            frontend.CreateNvmeNamespace(nvme.CreateNvmeNamespaceRequest(
                parent=s.name, nvme_namespace_id=args.id,
                nvme_namespace=nvme.NvmeNamespace(volume=v.name)), timeout=t)
            page = frontend.ListNvmeNamespaces(nvme.ListNvmeNamespacesRequest(parent=s.name), timeout=t)
            for ns in page.nvme_namespaces:
                print(f"{ns.name}\t{ns.volume}\t{state(ns)}")
            if args.delete:
                # force: the subsystem's namespaces (and controllers) go with
                # it; without it, deleting a subsystem that has any fails.
                frontend.DeleteNvmeSubsystem(nvme.DeleteNvmeSubsystemRequest(name=s.name, force=True), timeout=t)
                volumes.DeleteMallocVolume(vol.DeleteMallocVolumeRequest(name=v.name), timeout=t)
                print(f"deleted {s.name} and {v.name}")
        except grpc.RpcError as err:
            print(f"{err.code().name}: {err.details()}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
