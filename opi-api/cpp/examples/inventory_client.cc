// inventory_client calls InventoryService.GetInventory on a running OPI
// server and checks that the answer describes a real machine. It doubles as
// the C++ binding's test: it exits non-zero on any failed check.
//
//   inventory_client 127.0.0.1:50051
//   OPI_ADDR=127.0.0.1:50051 inventory_client
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "opi/inventory/v1/inventory.grpc.pb.h"

namespace {

using opi::inventory::v1::GetInventoryRequest;
using opi::inventory::v1::Inventory;
using opi::inventory::v1::InventoryService;

constexpr auto kTimeout = std::chrono::seconds(10);

int failures = 0;

void Check(bool ok, const std::string& what) {
  std::cout << (ok ? "ok    " : "FAIL  ") << what << "\n";
  if (!ok) ++failures;
}

grpc::Status Get(InventoryService::Stub& stub, const std::string& name, Inventory* inv) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + kTimeout);
  GetInventoryRequest req;
  req.set_name(name);
  return stub.GetInventory(&ctx, req, inv);
}

}  // namespace

int main(int argc, char** argv) {
  std::string addr;
  if (argc > 1) {
    addr = argv[1];
  } else if (const char* env = std::getenv("OPI_ADDR"); env != nullptr) {
    addr = env;
  }
  if (addr.empty()) {
    std::cerr << "usage: " << argv[0] << " HOST:PORT (or set OPI_ADDR)\n";
    return 2;
  }

  auto channel = grpc::CreateChannel(addr, grpc::InsecureChannelCredentials());
  auto stub = InventoryService::NewStub(channel);

  Inventory inv;
  grpc::Status st = Get(*stub, "inventory", &inv);
  if (!st.ok()) {
    std::cerr << "GetInventory(inventory) on " << addr << ": code " << st.error_code() << ": "
              << st.error_message() << "\n";
    return 1;
  }
  std::cout << "hostname " << inv.hostname() << ", " << inv.cpu().total_threads() << " threads, "
            << inv.memory().usable_bytes() << " bytes usable, " << inv.pci_devices_size()
            << " PCI devices\n";
  Check(inv.name() == "inventory", "name is \"inventory\" (got \"" + inv.name() + "\")");
  Check(inv.cpu().total_threads() >= 1, "cpu.total_threads >= 1");
  Check(inv.memory().usable_bytes() > 0, "memory.usable_bytes > 0");

  Inventory other;
  st = Get(*stub, "inventories/other", &other);
  Check(st.error_code() == grpc::StatusCode::NOT_FOUND,
        "a wrong name is NOT_FOUND (got code " + std::to_string(st.error_code()) + ": " +
            st.error_message() + ")");
  st = Get(*stub, "", &other);
  Check(st.error_code() == grpc::StatusCode::INVALID_ARGUMENT,
        "an empty name is INVALID_ARGUMENT (got code " + std::to_string(st.error_code()) + ": " +
            st.error_message() + ")");

  if (failures > 0) {
    std::cerr << failures << " check(s) failed\n";
    return 1;
  }
  return 0;
}
