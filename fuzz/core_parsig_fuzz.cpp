// Fuzz target: the duty workflow's partial-signature handling (ParSigDB → SigAgg → AggSigDB) fed untrusted
// partials, as a peer could send them. Fixed cluster: 2 validators, 4 shares, threshold 3, deterministic
// keys. Input: records of 3 bytes [validator/share, message, signature mode] (+ 96 bytes of signature when
// mode % 4 == 3); at most 12 records. Properties (abort on violation): an emitted set has ≥ t partials over
// one signing root, all from distinct shares; an aggregate SigAgg returns verifies against the DV key; blamed
// shares are exactly shares whose partial was not a valid signature; AggSigDB never holds two aggregates.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <set>
#include <vector>

#include "core/aggsigdb.hpp"
#include "core/parsigdb.hpp"
#include "core/sigagg.hpp"

namespace {

using namespace phx;
using namespace phx::core;
namespace bls = phx::crypto::bls;
namespace threshold = phx::crypto::threshold;

constexpr std::uint32_t kN = 4;
constexpr std::uint32_t kT = 3;
constexpr std::size_t kValidators = 2;
constexpr std::size_t kMessages = 2;

struct World {
  eth::ChainConfig cfg = eth::mainnet_config();
  std::optional<KeyBook> book;
  std::array<PubKey, kValidators> pubkeys{};
  std::array<SignedMessage, kMessages> msgs{SignedMessage{RandaoMessage{Epoch{7}}},
                                            SignedMessage{RandaoMessage{Epoch{8}}}};
  std::vector<bls::Signature> sigs_;       // [(v * kMessages + m) * kN + s]
  std::vector<bls::PublicKey> pubshares_;  // [v * kN + s]
  /// Share s+1 of validator v over message m.
  const bls::Signature& sig(std::size_t v, std::size_t m, std::size_t s) const {
    return sigs_[(v * kMessages + m) * kN + s];
  }
  /// Public share s+1 of validator v.
  const bls::PublicKey& pubshare(std::size_t v, std::size_t s) const { return pubshares_[v * kN + s]; }

  static World make() {
    World w{};
    std::vector<LockValidator> lock;
    for (std::size_t v = 0; v < kValidators; ++v) {
      std::vector<bls::Fr> coeffs{bls::Fr::from_u64(1000 + v), bls::Fr::from_u64(17 + v),
                                  bls::Fr::from_u64(5)};
      auto poly = threshold::SecretPolynomial::from_coefficients(std::move(coeffs));
      const bls::SecretKey sk = bls::SecretKey::from_scalar(poly.evaluate(bls::Fr::zero()));
      LockValidator lv;
      w.pubkeys[v] = sk.public_key().to_bytes();
      lv.distributed_public_key.assign(w.pubkeys[v].begin(), w.pubkeys[v].end());
      for (std::uint32_t s = 1; s <= kN; ++s) {
        const bls::SecretKey share = bls::SecretKey::from_scalar(poly.evaluate(bls::Fr::from_u64(s)));
        w.pubshares_.push_back(share.public_key());
        const auto b = share.public_key().to_bytes();
        lv.public_shares.emplace_back(b.begin(), b.end());
      }
      for (std::size_t m = 0; m < kMessages; ++m) {
        for (std::uint32_t s = 1; s <= kN; ++s) {
          const bls::SecretKey share = bls::SecretKey::from_scalar(poly.evaluate(bls::Fr::from_u64(s)));
          w.sigs_.push_back(share.sign(signing_root(w.cfg, w.msgs[m])));
        }
      }
      lock.push_back(std::move(lv));
    }
    auto book = KeyBook::from_lock(lock, kT);
    if (!book) std::abort();
    w.book.emplace(std::move(*book));
    return w;
  }
};

const World& world() {
  static const World w = World::make();
  return w;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const World& w = world();
  ManualClock clock(TimePoint{} + std::chrono::seconds(w.cfg.genesis_time + 100 * w.cfg.seconds_per_slot));
  Deadliner deadliner(w.cfg, clock);
  ParSigDB parsigs(w.cfg, *w.book, deadliner);
  SigAgg agg(*w.book);
  AggSigDB aggs(deadliner);
  const Duty duty{Slot{100}, DutyType::kRandao};

  std::size_t off = 0;
  for (int rec = 0; rec < 12 && off + 3 <= size; ++rec) {
    const std::uint8_t who = data[off], what = data[off + 1], mode = data[off + 2];
    off += 3;
    const std::size_t v = (who >> 4) % kValidators;
    const std::uint32_t share = who & 0x0f;  // 0 and > kN are invalid on purpose
    const std::size_t m = what % kMessages;
    ParSignedData p{SignedData{w.msgs[m], bls::Signature::from_point(bls::G2{})}, ShareIdx{share}};
    if (what & 0x80) p.data.message = SignedMessage{SelectionProofMessage{Slot{what}}};  // wrong duty type
    const std::uint32_t s_idx = share >= 1 && share <= kN ? share - 1 : 0;
    switch (mode % 4) {
      case 0:
        p.data.signature = w.sig(v, m, s_idx);
        break;  // valid (if share valid)
      case 1:
        p.data.signature = w.sig(v, 1 - m, s_idx);
        break;  // signs the other message
      case 2:
        p.data.signature = w.sig((v + 1) % kValidators, m, s_idx);
        break;  // other validator's share
      default: {
        if (off + 96 > size) return 0;
        auto sig = bls::Signature::from_bytes(ByteSpan(data + off, 96));
        off += 96;
        if (!sig) continue;  // a node drops undecodable signatures before parsigdb
        p.data.signature = *sig;
      }
    }
    auto r = parsigs.store(duty, w.pubkeys[v], p);
    if (!r || !r->ready) continue;
    const ThresholdSet& set = *r->ready;
    if (set.partials.size() < kT) std::abort();
    std::set<std::uint32_t> seen;
    for (const auto& ps : set.partials)
      if (!seen.insert(ps.idx.value).second) std::abort();
    if (set.signing_root != signing_root(w.cfg, set.message)) std::abort();
    auto out = agg.aggregate(std::span(&set, 1));
    for (ShareIdx b : out[0].blamed) {
      const auto& ps =
          *std::find_if(set.partials.begin(), set.partials.end(), [&](const auto& x) { return x.idx == b; });
      if (bls::verify(w.pubshare(v, b.value - 1), set.signing_root, ps.partial_sig)) std::abort();
      parsigs.exclude(duty, w.pubkeys[v], b);
    }
    if (!out[0].aggregate) continue;
    if (!bls::verify(w.book->find(w.pubkeys[v])->key, set.signing_root, out[0].aggregate->signature))
      std::abort();
    parsigs.mark_aggregated(duty, w.pubkeys[v]);
    auto stored = aggs.store(duty, w.pubkeys[v], *out[0].aggregate);
    // mark_aggregated stops emission, so a second aggregate for the same pubkey cannot reach here.
    if (!stored || !*stored) std::abort();
  }
  return 0;
}
