// Differential test: SlashingDb (SQL queries that fetch only the relevant records) against the pure rules
// applied to the full in-memory history, on random request sequences with small epochs so that double votes,
// surrounds, repeats and watermarks all occur often.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <vector>

#include "slashing/store.hpp"

namespace phx::slashing {
namespace {

struct Model {
  std::map<std::uint8_t, std::vector<BlockRecord>> blocks;
  std::map<std::uint8_t, std::vector<AttestationRecord>> atts;

  Result<Verdict> block(std::uint8_t v, Slot slot, const Root& r) {
    auto& h = blocks[v];
    auto out = check_block({h, min_slot(h)}, slot, r);
    if (out && *out == Verdict::kNew) h.push_back({slot, r});
    return out;
  }
  Result<Verdict> att(std::uint8_t v, Epoch s, Epoch t, const Root& r) {
    auto& h = atts[v];
    std::optional<Epoch> ms, mt;
    for (const auto& a : h) {
      if (!ms || a.source < *ms) ms = a.source;
      if (!mt || a.target < *mt) mt = a.target;
    }
    auto out = check_attestation({h, ms, mt}, s, t, r);
    if (out && *out == Verdict::kNew) h.push_back({s, t, r});
    return out;
  }
};

TEST(SlashingDbModel, AgreesWithPureRulesOnFullHistory) {
  std::mt19937_64 rng(20261124);
  std::size_t allowed = 0, refused = 0, repeats = 0;
  for (int round = 0; round < 20; ++round) {
    auto db = SlashingDb::open_in_memory(Root{});
    ASSERT_TRUE(db);
    Model model;
    for (int i = 0; i < 400; ++i) {
      auto v = static_cast<std::uint8_t>(rng() % 3);
      eth::BLSPubkey pk{};
      pk[47] = v;
      Root r{};
      r[0] = static_cast<std::uint8_t>(rng() % 3);  // few distinct roots: repeats are common
      Result<Verdict> got, want;
      if (rng() % 3 == 0) {
        Slot slot{rng() % 40};
        got = db->check_and_record_block(pk, slot, r);
        want = model.block(v, slot, r);
      } else {
        std::uint64_t s = rng() % 30, t = s + rng() % 6;
        if (rng() % 20 == 0) t = s > 0 ? s - 1 : 0;  // occasionally source > target
        got = db->check_and_record_attestation(pk, Epoch{s}, Epoch{t}, r);
        want = model.att(v, Epoch{s}, Epoch{t}, r);
      }
      ASSERT_EQ(got.has_value(), want.has_value()) << "round " << round << " step " << i;
      if (got) {
        EXPECT_EQ(*got, *want);
        ++allowed;
        repeats += *got == Verdict::kRepeat;
      } else {
        EXPECT_EQ(got.error(), want.error()) << "round " << round << " step " << i;
        ++refused;
      }
    }
  }
  // The generator must exercise both outcomes and re-signs.
  EXPECT_GT(allowed, 200u);
  EXPECT_GT(refused, 1000u);
  EXPECT_GT(repeats, 20u);
}

}  // namespace
}  // namespace phx::slashing
