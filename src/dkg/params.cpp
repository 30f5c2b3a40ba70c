// Ceremony parameters: validation, hash, dealer weights, session id.
#include "dkg/params.hpp"

#include <algorithm>
#include <set>

#include "crypto/hash/sha256.hpp"
#include "crypto/threshold/threshold.hpp"

namespace phx::dkg {

using crypto::bls::Fr;

std::uint32_t Params::chunk_size(std::uint32_t c) const {
  const std::uint32_t begin = c * chunk_validators;
  return std::min(chunk_validators, validators - begin);
}

std::vector<std::uint32_t> Params::dealers() const {
  std::vector<std::uint32_t> out;
  for (std::uint32_t i = 0; i < n(); ++i) {
    if (participants[i].dealer) out.push_back(i);
  }
  return out;
}

std::vector<std::uint32_t> Params::receivers() const {
  std::vector<std::uint32_t> out;
  for (std::uint32_t i = 0; i < n(); ++i) {
    if (participants[i].receiver) out.push_back(i);
  }
  return out;
}

Result<void, std::string> validate(const Params& p) {
  auto bad = [](std::string s) { return std::unexpected(std::move(s)); };
  if (p.n() == 0 || p.n() > kMaxOperators) return bad("participants must number 1.." + std::to_string(kMaxOperators));
  std::set<ByteArray<33>> ids;
  for (const auto& q : p.participants) {
    if (!ids.insert(q.identity.to_compressed()).second) return bad("two participants share an identity key");
  }
  const auto dealers = p.dealers();
  const auto receivers = p.receivers();
  if (dealers.empty()) return bad("no dealer");
  if (p.threshold == 0 || p.threshold > receivers.size()) return bad("threshold must be 1..receivers");
  std::set<std::uint32_t> xs;
  for (auto r : receivers) {
    const auto x = p.participants[r].share_x;
    if (x == 0 || x > kMaxOperators || !xs.insert(x).second) return bad("share indices must be distinct, 1..64");
  }
  if (p.validators == 0 || p.validators > kMaxValidators) return bad("validators must be 1..65536");
  if (p.chunk_validators == 0 || p.chunk_validators > kMaxChunkValidators) return bad("chunk size must be 1..1000");
  if (p.roots_per_validator > kMaxRootsPerValidator) return bad("too many signing roots per validator");
  if (p.reshare) {
    const auto& r = *p.reshare;
    std::set<std::uint32_t> dxs;
    for (auto d : dealers) {
      const auto x = p.participants[d].dealer_x;
      if (x == 0 || x > kMaxOperators || !dxs.insert(x).second) return bad("old indices must be distinct, 1..64");
    }
    if (r.old_threshold == 0 || dealers.size() < r.old_threshold) return bad("fewer dealers than the old threshold");
    if (r.pubkeys.size() != p.validators || r.old_pubshares.size() != p.validators) {
      return bad("old lock data does not cover every validator");
    }
    for (const auto& row : r.old_pubshares) {
      for (auto d : dealers) {
        if (p.participants[d].dealer_x > row.size()) return bad("old public share missing for a dealer");
      }
    }
  } else {
    for (std::uint32_t i = 0; i < p.n(); ++i) {
      if (!p.participants[i].dealer || !p.participants[i].receiver) return bad("a DKG needs every participant to deal and receive");
    }
  }
  return {};
}

Root params_hash(const Params& p) {
  crypto::hash::Sha256 h;
  h.update(as_bytes("phalanx/dkg/v1/params"));
  h.update(p.definition_hash);
  std::uint8_t b[4];
  auto u32 = [&](std::uint32_t v) {
    put_be32(b, v);
    h.update(ByteSpan(b, 4));
  };
  u32(p.threshold);
  u32(p.validators);
  u32(p.chunk_validators);
  u32(p.roots_per_validator);
  u32(p.n());
  for (const auto& q : p.participants) {
    h.update(q.identity.to_compressed());
    u32(q.dealer ? 1 : 0);
    u32(q.dealer_x);
    u32(q.receiver ? 1 : 0);
    u32(q.share_x);
  }
  u32(p.reshare ? 1 : 0);
  if (p.reshare) {
    h.update(p.reshare->old_lock_hash);
    u32(p.reshare->old_threshold);
    for (std::size_t v = 0; v < p.reshare->pubkeys.size(); ++v) {
      h.update(p.reshare->pubkeys[v].to_bytes());
      u32(static_cast<std::uint32_t>(p.reshare->old_pubshares[v].size()));
      for (const auto& s : p.reshare->old_pubshares[v]) h.update(s.to_bytes());
    }
  }
  return h.finish();
}

std::vector<Fr> dealer_weights(const Params& p) {
  const auto dealers = p.dealers();
  if (!p.reshare) return std::vector<Fr>(dealers.size(), Fr::one());
  std::vector<ShareIdx> xs;
  for (auto d : dealers) xs.push_back(ShareIdx{p.participants[d].dealer_x});
  auto l = crypto::threshold::lagrange_at_zero(xs);
  if (!l) return {};  // validate() rules this out
  return std::move(*l);
}

Root session_id(const Params& p, std::span<const Hello> hellos) {
  crypto::hash::Sha256 h;
  h.update(as_bytes("phalanx/dkg/v1/session"));
  h.update(p.definition_hash);
  h.update(params_hash(p));
  for (std::size_t i = 0; i < hellos.size(); ++i) {
    std::uint8_t b[4];
    put_be32(b, static_cast<std::uint32_t>(i));
    h.update(ByteSpan(b, 4));
    h.update(ssz::hash_tree_root(hellos[i]));
  }
  return h.finish();
}

Root commitments_hash(std::span<const Root> commitment_roots) {
  crypto::hash::Sha256 h;
  h.update(as_bytes("phalanx/dkg/v1/commitments"));
  for (const auto& r : commitment_roots) h.update(r);
  return h.finish();
}

}  // namespace phx::dkg
