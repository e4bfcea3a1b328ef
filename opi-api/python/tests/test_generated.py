"""Imports every generated module, so a proto whose imports were not
generated (google/api, a sibling package) fails here rather than in a
user's program. Needs no server."""

import importlib
import pathlib
import unittest

import opi

# opi is a namespace package: its __path__ lists each directory that holds a
# part of it; the first is the generated tree under test.
SRC = pathlib.Path(list(opi.__path__)[0]).parent


class GeneratedModulesTest(unittest.TestCase):
    def test_every_generated_module_imports(self):
        modules = sorted(
            ".".join(p.relative_to(SRC).with_suffix("").parts)
            for p in SRC.rglob("*_pb2*.py")
        )
        self.assertTrue(any(m.startswith("opi.inventory.") for m in modules), modules)
        for name in modules:
            with self.subTest(name):
                importlib.import_module(name)


if __name__ == "__main__":
    unittest.main()
