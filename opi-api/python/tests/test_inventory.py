"""Calls a running InventoryService through the generated Python stubs.

Needs a server: OPI_ADDR=host:port (plaintext). opi-provisioning's bindings
test starts the real Go service and runs this file against it:

    OPI_ADDR=127.0.0.1:50051 PYTHONPATH=src /usr/bin/python3 -m unittest discover -s tests -v
"""

import os
import unittest

import grpc

from opi.inventory.v1 import inventory_pb2, inventory_pb2_grpc

TIMEOUT_S = 10


class InventoryTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        addr = os.environ.get("OPI_ADDR")
        if not addr:
            raise RuntimeError("OPI_ADDR is not set: point it at a running OPI server (host:port)")
        cls.channel = grpc.insecure_channel(addr)
        cls.stub = inventory_pb2_grpc.InventoryServiceStub(cls.channel)

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()

    def test_get_inventory_describes_this_machine(self):
        inv = self.stub.GetInventory(inventory_pb2.GetInventoryRequest(name="inventory"), timeout=TIMEOUT_S)
        self.assertEqual(inv.name, "inventory")
        self.assertGreaterEqual(inv.cpu.total_threads, 1)
        self.assertGreater(inv.memory.usable_bytes, 0)

    def test_get_inventory_with_a_bad_name_fails_with_the_right_code(self):
        cases = [
            ("a name other than inventory is not found", "inventories/other", grpc.StatusCode.NOT_FOUND),
            ("an empty name is invalid", "", grpc.StatusCode.INVALID_ARGUMENT),
        ]
        for desc, name, want in cases:
            with self.subTest(desc):
                with self.assertRaises(grpc.RpcError) as caught:
                    self.stub.GetInventory(inventory_pb2.GetInventoryRequest(name=name), timeout=TIMEOUT_S)
                self.assertEqual(caught.exception.code(), want, caught.exception.details())


if __name__ == "__main__":
    unittest.main()
