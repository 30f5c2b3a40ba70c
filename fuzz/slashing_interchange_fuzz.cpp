// Fuzz target: EIP-3076 interchange JSON importer into an in-memory slashing DB. A document that parses must
// write and re-parse to the same value; an import that succeeds must export a document that parses and
// re-imports with nothing new; no input may crash, throw or assert.
#include <cstdint>
#include <string_view>

#include "base/assert.hpp"
#include "slashing/store.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace phx::slashing;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto doc = parse_interchange(text);
  if (!doc) return 0;
  auto again = parse_interchange(write_interchange(*doc));
  PHX_ASSERT(again.has_value());
  PHX_ASSERT(again->genesis_validators_root == doc->genesis_validators_root);
  PHX_ASSERT(again->data.size() == doc->data.size());
  for (std::size_t i = 0; i < doc->data.size(); ++i) {
    PHX_ASSERT(again->data[i].pubkey == doc->data[i].pubkey);
    PHX_ASSERT(again->data[i].signed_blocks == doc->data[i].signed_blocks);
    PHX_ASSERT(again->data[i].signed_attestations == doc->data[i].signed_attestations);
  }
  // Import into a DB of the document's own chain (and check a foreign chain is refused).
  auto db = SlashingDb::open_in_memory(doc->genesis_validators_root);
  PHX_ASSERT(db.has_value());
  auto imported = db->import_interchange(*doc);
  if (!imported) return 0;
  auto exported = db->export_interchange();
  PHX_ASSERT(exported.has_value());
  auto reimport = db->import_interchange(*exported);
  PHX_ASSERT(reimport.has_value());
  PHX_ASSERT(reimport->blocks_inserted == 0 && reimport->attestations_inserted == 0);
  phx::Root other = doc->genesis_validators_root;
  other[0] ^= 1;
  auto foreign = SlashingDb::open_in_memory(other);
  PHX_ASSERT(foreign.has_value());
  auto refused = foreign->import_interchange(*doc);
  PHX_ASSERT(!refused.has_value() && refused.error().code == SlashingError::kWrongGenesis);
  return 0;
}
