// Reshare participants and index rules (remove compacts, add appends, replace keeps the position).
#include "dkg/reshare.hpp"

#include <algorithm>
#include <set>

namespace phx::dkg {

Result<std::vector<Participant>, std::string> reshare_participants(const ReshareOperators& ops) {
  auto bad = [](std::string s) { return std::unexpected(std::move(s)); };
  auto position = [](const std::vector<crypto::k1::PublicKey>& v, const crypto::k1::PublicKey& k) -> std::optional<std::uint32_t> {
    for (std::uint32_t i = 0; i < v.size(); ++i) {
      if (v[i] == k) return i;
    }
    return std::nullopt;
  };
  std::set<ByteArray<33>> seen_old, seen_new;
  for (const auto& k : ops.old_operators) {
    if (!seen_old.insert(k.to_compressed()).second) return bad("an old operator appears twice");
  }
  for (const auto& k : ops.new_operators) {
    if (!seen_new.insert(k.to_compressed()).second) return bad("a new operator appears twice");
  }
  std::set<std::uint32_t> dealing(ops.dealing_old.begin(), ops.dealing_old.end());
  if (dealing.size() != ops.dealing_old.size()) return bad("a dealing operator appears twice");
  for (auto d : dealing) {
    if (d >= ops.old_operators.size()) return bad("a dealing position is not in the old lock");
  }
  std::vector<Participant> out;
  for (std::uint32_t j = 0; j < ops.new_operators.size(); ++j) {
    Participant q{ops.new_operators[j], false, 0, true, j + 1};
    if (auto old = position(ops.old_operators, ops.new_operators[j]); old && dealing.count(*old)) {
      q.dealer = true;
      q.dealer_x = *old + 1;
    }
    out.push_back(q);
  }
  for (auto d : ops.dealing_old) {
    if (position(ops.new_operators, ops.old_operators[d])) continue;
    out.push_back(Participant{ops.old_operators[d], true, d + 1, false, 0});
  }
  return out;
}

}  // namespace phx::dkg
