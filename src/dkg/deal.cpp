// R1 deals: building chunks, public and private checks, complaint adjudication.
#include "dkg/deal.hpp"

#include "crypto/hash/random.hpp"
#include "crypto/hash/sha256.hpp"
#include "dkg/pok.hpp"
#include "dkg/share_box.hpp"

namespace phx::dkg {

using crypto::bls::Fr;
using crypto::bls::G1;

Result<G1, DealCheck> decode_point(const G1Bytes& b) {
  auto p = G1::from_compressed(b);  // flags, field range, curve equation, subgroup
  if (!p || p->is_identity()) return std::unexpected(DealCheck::kPoint);
  return *p;
}

Root chunk_commitment_root(std::span<const G1Bytes> compressed) {
  crypto::hash::Sha256 h;
  h.update(as_bytes("phalanx/dkg/v1/chunk-commitments"));
  for (const auto& c : compressed) h.update(c);
  return h.finish();
}

namespace {

Fr constant_term(const DealerSecrets& s, std::uint32_t v) {
  if (s.old_shares != nullptr) return (*s.old_shares)[v];
  return derive_coefficient(*s.seed, s.definition_hash, s.nonce, v, 0);
}

crypto::threshold::SecretPolynomial polynomial(const Params& p, const DealerSecrets& s, std::uint32_t v) {
  if (s.old_shares != nullptr) {
    return derive_polynomial(*s.seed, s.definition_hash, s.nonce, v, p.threshold, &(*s.old_shares)[v]);
  }
  return derive_polynomial(*s.seed, s.definition_hash, s.nonce, v, p.threshold);
}

std::uint32_t receiver_position(const Params& p, std::uint32_t receiver) {
  std::uint32_t pos = 0;
  for (std::uint32_t i = 0; i < receiver; ++i) pos += p.participants[i].receiver ? 1 : 0;
  return pos;
}

}  // namespace

DealerCommitments commit_all(const Params& p, const DealerSecrets& s) {
  DealerCommitments out;
  const std::size_t t = p.threshold;
  out.points.reserve(std::size_t{p.validators} * t);
  out.compressed.reserve(std::size_t{p.validators} * t);
  for (std::uint32_t v = 0; v < p.validators; ++v) {
    const auto poly = polynomial(p, s, v);
    for (G1 c : poly.commitments()) {
      declassify(&c, sizeof c);  // commitments are published; their encoding is variable time
      out.points.push_back(c);
      out.compressed.push_back(c.to_compressed());
    }
  }
  for (std::uint32_t c = 0; c < p.chunks(); ++c) {
    const std::size_t begin = std::size_t{c} * p.chunk_validators * t;
    out.chunk_roots.push_back(
        chunk_commitment_root(std::span<const G1Bytes>(out.compressed).subspan(begin, std::size_t{p.chunk_size(c)} * t)));
  }
  out.hash = commitments_hash(out.chunk_roots);
  return out;
}

BuiltChunk build_chunk(const Params& p, const DealerSecrets& s, const DealerCommitments& c, const Root& session,
                       std::uint32_t dealer, std::uint32_t chunk, std::span<const SecretArray<32>> keys,
                       std::optional<std::uint32_t> own_x) {
  const auto receivers = p.receivers();
  const std::uint32_t m = p.chunk_size(chunk);
  const std::uint32_t first = chunk * p.chunk_validators;
  const std::size_t t = p.threshold;
  BuiltChunk out;
  out.chunk.chunk = chunk;
  std::vector<SecretScalars> per_receiver;
  per_receiver.reserve(receivers.size());
  for (std::size_t r = 0; r < receivers.size(); ++r) per_receiver.emplace_back(m);
  if (own_x) out.own_shares = SecretScalars(m);
  for (std::uint32_t i = 0; i < m; ++i) {
    const std::uint32_t v = first + i;
    const auto poly = polynomial(p, s, v);
    ValidatorDeal vd;
    for (std::size_t k = 0; k < t; ++k) vd.commitments.push_back(c.compressed[std::size_t{v} * t + k]);
    Fr a0 = constant_term(s, v);
    const Pok pok = prove_pok(*s.seed, a0, c.points[std::size_t{v} * t], PokContext{session, dealer, v});
    secure_zero(&a0, sizeof a0);
    vd.pok_r = pok.r.to_compressed();
    vd.pok_z = pok.z.to_bytes_be();
    out.chunk.validators.push_back(std::move(vd));
    for (std::size_t r = 0; r < receivers.size(); ++r) {
      per_receiver[r][i] = poly.evaluate(Fr::from_u64(p.participants[receivers[r]].share_x));
    }
    if (own_x) out.own_shares[i] = poly.evaluate(Fr::from_u64(*own_x));
  }
  for (std::size_t r = 0; r < receivers.size(); ++r) {
    std::vector<Fr> tmp(m);
    for (std::uint32_t i = 0; i < m; ++i) tmp[i] = per_receiver[r][i];
    out.chunk.ciphertexts.push_back(Ciphertext(seal_shares(keys[r], session, dealer, receivers[r], chunk, tmp)));
    secure_zero(tmp.data(), tmp.size() * sizeof(Fr));
  }
  return out;
}

std::optional<DealFault> check_manifest(const Params& p, const Hello& dealer_hello, const DealManifest& m) {
  if (m.chunk_roots.size() != p.chunks() || m.commitment_roots.size() != p.chunks()) {
    return DealFault{DealCheck::kCount, 0};
  }
  if (commitments_hash(m.commitment_roots) != dealer_hello.commitments_hash) {
    return DealFault{DealCheck::kCommitments, 0};
  }
  return std::nullopt;
}

Result<CheckedChunk, DealFault> check_chunk_public(const Params& p, const Root& session, std::uint32_t dealer,
                                                   const DealManifest& m, const DealChunk& c, BatchRng& rng) {
  auto fault = [](DealCheck k, std::uint32_t v) { return std::unexpected(DealFault{k, v}); };
  if (c.chunk >= p.chunks() || c.chunk >= m.commitment_roots.size()) return fault(DealCheck::kCount, 0);
  const std::uint32_t first = c.chunk * p.chunk_validators;
  const std::uint32_t size = p.chunk_size(c.chunk);
  const std::size_t t = p.threshold;
  if (c.validators.size() != size || c.ciphertexts.size() != p.receivers().size()) {
    return fault(DealCheck::kCount, first);
  }
  for (std::uint32_t i = 0; i < size; ++i) {
    if (c.validators[i].commitments.size() != t) return fault(DealCheck::kCount, first + i);
  }
  CheckedChunk out;
  out.commitments.reserve(std::size_t{size} * t);
  std::vector<PokItem> poks(size);
  const auto& dp = p.participants[dealer];
  for (std::uint32_t i = 0; i < size; ++i) {
    const auto& vd = c.validators[i];
    for (std::size_t k = 0; k < t; ++k) {
      auto pt = decode_point(vd.commitments[k]);
      if (!pt) return fault(DealCheck::kPoint, first + i);
      out.commitments.push_back(*pt);
    }
    auto r = decode_point(vd.pok_r);
    if (!r) return fault(DealCheck::kPoint, first + i);
    auto z = Fr::from_bytes_be(vd.pok_z);
    if (!z) return fault(DealCheck::kScalar, first + i);
    poks[i] = PokItem{out.commitments[i * t], *r, *z,
                      pok_challenge(PokContext{session, dealer, first + i}, vd.commitments[0], vd.pok_r)};
  }
  std::vector<G1Bytes> flat;
  flat.reserve(std::size_t{size} * t);
  for (const auto& vd : c.validators) flat.insert(flat.end(), vd.commitments.begin(), vd.commitments.end());
  if (chunk_commitment_root(flat) != m.commitment_roots[c.chunk]) return fault(DealCheck::kCommitments, first);
  if (p.reshare) {
    for (std::uint32_t i = 0; i < size; ++i) {
      const auto& old = p.reshare->old_pubshares[first + i][dp.dealer_x - 1];
      if (!(old.point() == out.commitments[i * t])) return fault(DealCheck::kOldShare, first + i);
    }
  }
  if (!batch_verify_pok(poks, rng)) {
    const auto bad = find_bad_pok(poks, rng);
    return fault(DealCheck::kPok, first + static_cast<std::uint32_t>(bad.empty() ? 0 : bad.front()));
  }
  return out;
}

Result<SecretScalars, DealFault> open_chunk(const Params& p, const Root& session, std::uint32_t dealer,
                                            std::uint32_t receiver, const DealChunk& c, const CheckedChunk& checked,
                                            const SecretArray<32>& key, BatchRng& rng) {
  const std::uint32_t first = c.chunk * p.chunk_validators;
  const std::uint32_t size = p.chunk_size(c.chunk);
  const std::size_t t = p.threshold;
  const std::uint32_t pos = receiver_position(p, receiver);
  Opened o = open_shares(key, session, dealer, receiver, c.chunk, c.ciphertexts[pos], size);
  if (o.error == OpenError::kBadScalar) {
    return std::unexpected(DealFault{DealCheck::kScalar, first + static_cast<std::uint32_t>(o.bad_index)});
  }
  if (o.error != OpenError::kOk) return std::unexpected(DealFault{DealCheck::kDecrypt, first});
  std::vector<FeldmanItem> items(size);
  for (std::uint32_t i = 0; i < size; ++i) {
    items[i].commitments = std::span<const G1>(checked.commitments).subspan(i * t, t);
    items[i].share = o.shares[i];
  }
  const std::uint32_t x = p.participants[receiver].share_x;
  bool ok = batch_feldman_check(items, x, rng);
  std::uint32_t bad_v = first;
  if (!ok) {
    const auto bad = find_bad_feldman(items, x, rng);
    bad_v = first + static_cast<std::uint32_t>(bad.empty() ? 0 : bad.front());
  }
  for (auto& it : items) secure_zero(&it.share, sizeof it.share);
  if (!ok) return std::unexpected(DealFault{DealCheck::kFeldman, bad_v});
  return std::move(o.shares);
}

Adjudication adjudicate(const Params& p, std::span<const Hello> hellos, const Root& session, std::uint32_t dealer,
                        std::uint32_t complainer, const DealManifest& m, const DealChunk& c, ByteSpan revealed_key) {
  Adjudication a;
  if (dealer >= p.n() || complainer >= p.n() || !p.participants[dealer].dealer ||
      !p.participants[complainer].receiver || hellos.size() != p.n()) {
    a.why = "complaint names a non-dealer or a non-receiver";
    return a;
  }
  // Unpredictable coefficients: a third party must not let the dealer pre-compute cancelling shares.
  std::uint8_t fresh[32];
  crypto::hash::random_bytes(MutByteSpan(fresh, sizeof fresh));
  BatchRng rng(ByteSpan(fresh, sizeof fresh), as_bytes("adjudicate"));
  auto checked = check_chunk_public(p, session, dealer, m, c, rng);
  if (!checked) {
    a.outcome = Adjudication::Outcome::kDealerGuilty;
    a.fault = checked.error();
    return a;
  }
  auto e = Fr::from_bytes_be(revealed_key);  // kBadLength unless 32 bytes
  auto ej = decode_point(hellos[complainer].ephemeral_key);
  if (!e || e->is_zero() || !ej || !(G1::generator().mul_vartime(*e) == *ej)) {
    a.outcome = Adjudication::Outcome::kFalseComplaint;
    a.why = "the revealed key does not match the complainer's ephemeral key";
    return a;
  }
  auto ei = decode_point(hellos[dealer].ephemeral_key);
  if (!ei) {
    a.why = "dealer's ephemeral key is invalid";
    return a;
  }
  const SecretArray<32> key = share_key(*e, *ei, session, dealer, complainer);
  auto opened = open_chunk(p, session, dealer, complainer, c, *checked, key, rng);
  if (!opened) {
    a.outcome = Adjudication::Outcome::kDealerGuilty;
    a.fault = opened.error();
    return a;
  }
  a.outcome = Adjudication::Outcome::kFalseComplaint;
  a.why = "every revealed share matches the commitments";
  return a;
}

}  // namespace phx::dkg
