// The round-1 view check: a proposal's attestation checkpoints against this node's own.
#include "core/view_check.hpp"

#include "base/bytes.hpp"

namespace phx::core {

namespace {
std::string describe(const eth::phase0::Checkpoint& c) {
  return "epoch " + std::to_string(c.epoch.value) + " root " + to_hex(c.root).substr(0, 10);
}
}  // namespace

std::optional<std::string> attestation_view_differs(const UnsignedDataSet& proposed, const UnsignedDataSet& own) {
  for (const auto& [pk, u] : proposed) {
    const auto* p = std::get_if<AttesterData>(&u);
    if (!p) continue;
    auto it = own.find(pk);
    if (it == own.end()) continue;
    const auto* o = std::get_if<AttesterData>(&it->second);
    if (!o) continue;
    if (p->data.source != o->data.source)
      return "source " + describe(p->data.source) + " (own beacon node: " + describe(o->data.source) + ")";
    if (p->data.target != o->data.target)
      return "target " + describe(p->data.target) + " (own beacon node: " + describe(o->data.target) + ")";
  }
  return std::nullopt;
}

}  // namespace phx::core
