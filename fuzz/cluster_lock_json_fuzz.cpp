// Fuzz target: cluster definition and lock JSON readers, every schema version (v1.0–v1.11). A definition or lock
// that parses must write and re-parse to the same hash inputs (the writer is the reader's inverse), and hashing
// and verifying it must not crash.
#include <cstdint>
#include <string_view>

#include "base/assert.hpp"
#include "cluster/definition.hpp"
#include "cluster/lock_verify.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto d = phx::cluster::parse_definition(text)) {
    auto h1 = phx::cluster::compute_definition_hash(*d);
    auto again = phx::cluster::parse_definition(phx::cluster::write_definition(*d));
    PHX_ASSERT(again.has_value());
    auto h2 = phx::cluster::compute_definition_hash(*again);
    PHX_ASSERT(h1.has_value() == h2.has_value());
    if (h1) PHX_ASSERT(*h1 == *h2);
    (void)phx::cluster::verify_definition(*d);
  }
  if (auto l = phx::cluster::parse_lock(text)) {
    auto h1 = phx::cluster::compute_lock_hash(*l);
    auto again = phx::cluster::parse_lock(phx::cluster::write_lock(*l));
    PHX_ASSERT(again.has_value());
    auto h2 = phx::cluster::compute_lock_hash(*again);
    PHX_ASSERT(h1.has_value() == h2.has_value());
    if (h1) PHX_ASSERT(*h1 == *h2);
    (void)phx::cluster::check_lock(*l);
  }
  return 0;
}
