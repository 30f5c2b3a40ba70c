// The DKG ceremony's rounds R0 Hello, R1 Deal and R2 Verdict: session set-up, dealing, the per-chunk public
// and private checks, complaints and their adjudication, and the distributed keys and public shares.
#include <algorithm>

#include "base/assert.hpp"
#include "crypto/threshold/threshold.hpp"
#include "dkg/ceremony.hpp"
#include "dkg/ceremony_sign_state.hpp"
#include "dkg/evidence.hpp"
#include "dkg/internal.hpp"
#include "dkg/share_box.hpp"

namespace phx::dkg {

using crypto::bls::Fr;
using crypto::bls::G1;
using internal::who;

void Ceremony::fail_deal(FailureCode code, std::vector<std::uint32_t> ops, const DealFault& fault, std::string cause,
                         std::vector<Bytes> evidence, Outbox& out) {
  Failure f;
  f.code = code;
  f.check = fault.check;
  if (fault.check != DealCheck::kNone) f.validator = fault.validator;
  f.cause = std::move(cause);
  f.next_action = next_action(code);
  const std::uint32_t culprit = ops.empty() ? 0 : ops.front();
  f.operators = std::move(ops);
  const bool provable = !evidence.empty();
  if (provable) f.evidence = make_evidence(code, culprit, fault.validator, fault.check, evidence);
  fail(std::move(f), out, provable);
}

// ---------------------------------------------------------------------------------------------------------
// R0

void Ceremony::on_hello(const Decoded& d, ByteSpan bytes, Outbox& out) {
  const std::uint32_t s = d.envelope.sender;
  const Hello& h = std::get<Hello>(d.payload);
  const Bytes raw(bytes.begin(), bytes.end());
  auto definition = [&](const std::string& what) {
    fail_deal(FailureCode::kDefinition, {s}, DealFault{}, who(s) + " " + what, {raw}, out);
  };
  if (d.envelope.session != p_.definition_hash || h.definition_hash != p_.definition_hash) {
    definition("has definition hash " + to_hex(h.definition_hash) + ", we have " + to_hex(p_.definition_hash));
    return;
  }
  if (const Stored* prev = find(Kind::kHello, s)) {
    if (prev->root == d.payload_root) {
      out.rejected = Reject::kDuplicate;
      return;
    }
    const Hello& ph = std::get<Hello>(prev->decoded->payload);
    const bool restart = ph.nonce != h.nonce;
    const FailureCode code = restart ? FailureCode::kPeerRestartedWithoutJournal : FailureCode::kEquivocation;
    std::string cause = restart ? who(s) + " rejoined with a new session nonce: it restarted without its journal"
                                : who(s) + " signed two different R0 messages";
    if (s == local_.self) cause = "this node's earlier run of this ceremony sent another R0: it lost its journal";
    fail_deal(code, {s}, DealFault{}, cause, {prev->bytes, raw}, out);
    return;
  }
  if (s == local_.self) return;  // our own R0 is stored at start; anything else was handled above
  if (h.params_hash != params_hash_) {
    definition("has other ceremony parameters (participants, roles, threshold, validators or chunking)");
    return;
  }
  if (h.features != 0) {
    definition("asks for protocol features this node does not have");
    return;
  }
  const Root old_lock = p_.reshare ? p_.reshare->old_lock_hash : Root{};
  if (h.old_lock_hash != old_lock) {
    definition("reshares another old lock (" + to_hex(h.old_lock_hash) + ")");
    return;
  }
  if (h.preflight != 0) {
    const std::string detail(h.preflight_detail.begin(), h.preflight_detail.end());
    fail_deal(FailureCode::kPreflight, {s}, DealFault{}, who(s) + " cannot start: " + detail, {raw}, out);
    return;
  }
  if (p_.participants[s].dealer != (h.commitments_hash != Root{})) {
    definition("announces another role (dealer or not) than the parameters give it");
    return;
  }
  if (!decode_point(h.ephemeral_key)) {
    fail_deal(FailureCode::kBadDeal, {s}, DealFault{DealCheck::kPoint, 0}, who(s) + "'s ephemeral key is not a valid point",
              {}, out);
    return;
  }
  hellos_[s] = h;
  accept(d, raw, out);
}

void Ceremony::begin_session(Outbox& out) {
  std::vector<Hello> hs;
  for (const auto& h : hellos_) hs.push_back(*h);
  session_ = session_id(p_, hs);
  eph_keys_.clear();
  for (const auto& h : hs) eph_keys_.push_back(*decode_point(h.ephemeral_key));
  const auto& me = p_.participants[local_.self];
  if (me.dealer) {
    keys_to_receivers_.clear();
    for (auto r : receivers_) keys_to_receivers_.push_back(share_key(eph_secret_, eph_keys_[r], *session_, local_.self, r));
  }
  keys_from_dealers_.clear();
  keys_from_dealers_.resize(dealers_.size());
  if (me.receiver) {
    for (std::uint32_t dp = 0; dp < dealers_.size(); ++dp) {
      keys_from_dealers_[dp] = share_key(eph_secret_, eph_keys_[dealers_[dp]], *session_, dealers_[dp], local_.self);
    }
    share_sum_ = SecretScalars(p_.validators);
  }
  agg_.assign(std::size_t{p_.validators} * p_.threshold, G1::identity());
  set_phase(Phase::kDeal, now_, out);
  if (me.dealer) send_deal(out);
  if (failed_) return;
  // Messages that arrived before the session id was known: verify and store them now.
  auto pending = std::move(pending_);
  pending_.clear();
  for (auto& [key, bytes] : pending) {
    auto d = decode_envelope(bytes);
    if (!d || d->envelope.session != *session_ || !verify_sig(*d)) continue;
    accept(std::move(*d), std::move(bytes), out);
    if (failed_) return;
  }
  out.rejected.reset();
}

// ---------------------------------------------------------------------------------------------------------
// R1

void Ceremony::accumulate(std::uint32_t dealer_pos, std::uint32_t v, const Fr* share, std::span<const G1> commitments) {
  const std::size_t t = p_.threshold;
  if (p_.reshare) {
    const Fr& w = weights_[dealer_pos];
    if (share != nullptr) share_sum_[v] = share_sum_[v] + w * *share;
    for (std::size_t k = 0; k < t; ++k) {
      agg_[v * t + k] = agg_[v * t + k].add_vartime(commitments[k].mul_vartime(w));
    }
  } else {
    if (share != nullptr) share_sum_[v] = share_sum_[v] + *share;
    for (std::size_t k = 0; k < t; ++k) agg_[v * t + k] = agg_[v * t + k].add_vartime(commitments[k]);
  }
}

void Ceremony::send_deal(Outbox& out) {
  const auto& me = p_.participants[local_.self];
  const std::uint32_t dp = dealer_pos_[local_.self];
  const std::size_t t = p_.threshold;
  const DealerSecrets secrets{seed_.get(), p_.definition_hash, nonce_, p_.reshare ? &old_shares_ : nullptr};
  DealManifest m;
  std::vector<DealChunk> chunks;
  for (std::uint32_t c = 0; c < p_.chunks(); ++c) {
    BuiltChunk b = build_chunk(p_, secrets, commitments_, *session_, local_.self, c, keys_to_receivers_,
                               me.receiver ? std::optional<std::uint32_t>(me.share_x) : std::nullopt);
    const std::uint32_t first = c * p_.chunk_validators;
    for (std::uint32_t i = 0; i < p_.chunk_size(c); ++i) {
      const std::uint32_t v = first + i;
      accumulate(dp, v, me.receiver ? &b.own_shares[i] : nullptr,
                 std::span<const G1>(commitments_.points).subspan(std::size_t{v} * t, t));
    }
    m.chunk_roots.push_back(ssz::hash_tree_root(b.chunk));
    m.commitment_roots.push_back(commitments_.chunk_roots[c]);
    chunk_done_[dp][c] = true;
    ++chunks_done_;
    chunks.push_back(std::move(b.chunk));
  }
  manifest_ok_[dp] = true;
  emit(Payload{std::move(m)}, out);
  for (auto& c : chunks) {
    if (failed_) return;
    emit(Payload{std::move(c)}, out);
  }
  // Only the roots are needed from here on; the store keeps the encoded chunks.
  for (std::uint32_t c = 0; c < p_.chunks(); ++c) {
    auto it = store_.find(Key{static_cast<std::uint8_t>(Kind::kDealChunk), local_.self, c});
    if (it != store_.end()) it->second.decoded.reset();
  }
}

void Ceremony::process_deals(Outbox& out) {
  if (!session_) return;
  for (std::uint32_t dp = 0; dp < dealers_.size() && !failed_; ++dp) {
    const std::uint32_t d = dealers_[dp];
    if (d == local_.self) continue;
    const Stored* ms = find(Kind::kDealManifest, d);
    if (ms == nullptr) continue;
    if (!manifest_ok_[dp]) {
      const auto& m = std::get<DealManifest>(ms->decoded->payload);
      if (auto f = check_manifest(p_, *hellos_[d], m)) {
        auto ev = hello_envelopes();
        ev.push_back(ms->bytes);
        fail_deal(FailureCode::kBadDeal, {d}, *f, who(d) + "'s R1 manifest fails the " + to_string(f->check) + " check",
                  ev, out);
        return;
      }
      manifest_ok_[dp] = true;
    }
    for (std::uint32_t c = 0; c < p_.chunks(); ++c) {
      if (!chunk_done_[dp][c] && find(Kind::kDealChunk, d, c) != nullptr) {
        if (!process_chunk(d, c, out)) return;
      }
    }
  }
  if (phase_ == Phase::kDeal && chunks_done_ == dealers_.size() * p_.chunks()) {
    if (p_.participants[local_.self].receiver) {
      Verdict v;
      for (auto d : dealers_) v.deal_roots.push_back(find(Kind::kDealManifest, d)->root);
      set_phase(Phase::kVerdict, now_, out);
      emit(Payload{std::move(v)}, out);
    } else {
      set_phase(Phase::kVerdict, now_, out);
    }
  }
}

bool Ceremony::process_chunk(std::uint32_t d, std::uint32_t c, Outbox& out) {
  const std::uint32_t dp = dealer_pos_[d];
  Stored& s = store_.at(Key{static_cast<std::uint8_t>(Kind::kDealChunk), d, c});
  const Stored* ms = find(Kind::kDealManifest, d);
  const auto& m = std::get<DealManifest>(ms->decoded->payload);
  if (m.chunk_roots[c] != s.root) {
    auto ev = hello_envelopes();
    ev.push_back(ms->bytes);
    ev.push_back(s.bytes);
    fail_deal(FailureCode::kEquivocation, {d}, DealFault{},
              who(d) + " signed an R1 chunk (" + std::to_string(c) + ") that its manifest does not list", ev, out);
    return false;
  }
  const auto& ch = std::get<DealChunk>(s.decoded->payload);
  std::uint8_t label[12] = {'d', 'e', 'a', 'l'};
  put_be32(label + 4, d);
  put_be32(label + 8, c);
  BatchRng rng(seed_->view(), ByteSpan(label, sizeof label));
  auto checked = check_chunk_public(p_, *session_, d, m, ch, rng);
  if (!checked) {
    auto ev = hello_envelopes();
    ev.push_back(ms->bytes);
    ev.push_back(s.bytes);
    fail_deal(FailureCode::kBadDeal, {d}, checked.error(),
              who(d) + "'s deal for validator " + std::to_string(checked.error().validator) + " fails the " +
                  to_string(checked.error().check) + " check",
              ev, out);
    return false;
  }
  const std::size_t t = p_.threshold;
  const std::uint32_t first = c * p_.chunk_validators;
  const std::uint32_t size = p_.chunk_size(c);
  if (p_.participants[local_.self].receiver) {
    auto shares = open_chunk(p_, *session_, d, local_.self, ch, *checked, *keys_from_dealers_[dp], rng);
    if (!shares) {
      complain(d, shares.error(), out);
      return false;
    }
    for (std::uint32_t i = 0; i < size; ++i) {
      accumulate(dp, first + i, &(*shares)[i], std::span<const G1>(checked->commitments).subspan(i * t, t));
    }
  } else {
    for (std::uint32_t i = 0; i < size; ++i) {
      accumulate(dp, first + i, nullptr, std::span<const G1>(checked->commitments).subspan(i * t, t));
    }
  }
  chunk_done_[dp][c] = true;
  ++chunks_done_;
  s.decoded.reset();
  if (!replaying_) {
    const std::uint32_t others = static_cast<std::uint32_t>(dealers_.size()) -
                                 (p_.participants[local_.self].dealer ? 1u : 0u);
    std::uint32_t done = 0;
    for (std::uint32_t q = 0; q < dealers_.size(); ++q) {
      if (dealers_[q] == local_.self) continue;
      for (std::uint32_t k = 0; k < p_.chunks(); ++k) done += chunk_done_[q][k] ? p_.chunk_size(k) : 0;
    }
    out.progress.push_back(Progress{Round::kDeal, done, others * p_.validators});
  }
  return true;
}

void Ceremony::complain(std::uint32_t d, const DealFault& fault, Outbox& out) {
  Verdict v;
  for (auto q : dealers_) {
    const Stored* ms = find(Kind::kDealManifest, q);
    v.deal_roots.push_back(ms != nullptr ? ms->root : Root{});
  }
  v.complaints.push_back(Complaint{d, fault.validator, static_cast<std::uint8_t>(fault.check)});
  // Revealing the ephemeral secret lets anyone decrypt every share sent to this node and decide the complaint;
  // the ceremony aborts, so those shares are never used.
  ByteArray<32> e = eph_secret_.to_bytes_be();
  v.revealed_key.assign(e.begin(), e.end());
  secure_zero(e.data(), e.size());
  emit(Payload{std::move(v)}, out);
  auto ev = hello_envelopes();
  ev.push_back(find(Kind::kDealManifest, d)->bytes);
  ev.push_back(find(Kind::kDealChunk, d, fault.validator / p_.chunk_validators)->bytes);
  ev.push_back(find(Kind::kVerdict, local_.self)->bytes);
  fail_deal(FailureCode::kBadDeal, {d, local_.self}, fault,
            who(d) + "'s share of validator " + std::to_string(fault.validator) + " for this node fails the " +
                to_string(fault.check) + " check",
            ev, out);
}

// ---------------------------------------------------------------------------------------------------------
// R2

void Ceremony::handle_complaint(std::uint32_t r, const Stored& s, Outbox& out) {
  const auto& v = std::get<Verdict>(s.decoded->payload);
  if (v.complaints.empty() || v.revealed_key.size() != 32) {
    fail_deal(FailureCode::kFalseComplaint, {r}, DealFault{}, who(r) + " sent a malformed complaint", {}, out);
    return;
  }
  const Complaint& cp = v.complaints.front();
  if (cp.dealer >= p_.n() || !p_.participants[cp.dealer].dealer || cp.validator >= p_.validators) {
    fail_deal(FailureCode::kFalseComplaint, {r}, DealFault{}, who(r) + " complained about a non-dealer", {}, out);
    return;
  }
  const std::uint32_t c = cp.validator / p_.chunk_validators;
  const Stored* ms = find(Kind::kDealManifest, cp.dealer);
  const Stored* cs = find(Kind::kDealChunk, cp.dealer, c);
  if (ms == nullptr || cs == nullptr) return;  // asked from the complainer by request_missing()
  auto cd = decode_envelope(cs->bytes);
  PHX_ASSERT(cd.has_value());  // stored bytes decoded before
  std::vector<Hello> hs;
  for (const auto& h : hellos_) hs.push_back(*h);
  const Adjudication a = adjudicate(p_, hs, *session_, cp.dealer, r, std::get<DealManifest>(ms->decoded->payload),
                                    std::get<DealChunk>(cd->payload), v.revealed_key);
  auto hs_ev = hello_envelopes();
  hs_ev.push_back(ms->bytes);
  hs_ev.push_back(cs->bytes);
  hs_ev.push_back(s.bytes);
  if (a.outcome == Adjudication::Outcome::kDealerGuilty) {
    fail_deal(FailureCode::kBadDeal, {cp.dealer, r}, a.fault,
              who(cp.dealer) + "'s share of validator " + std::to_string(a.fault.validator) + " for " + who(r) +
                  " fails the " + to_string(a.fault.check) + " check",
              hs_ev, out);
  } else if (a.outcome == Adjudication::Outcome::kFalseComplaint) {
    fail_deal(FailureCode::kFalseComplaint, {r, cp.dealer}, DealFault{},
              who(r) + " complained about " + who(cp.dealer) + ", but " + a.why, hs_ev, out);
  } else {
    fail_deal(FailureCode::kFalseComplaint, {r}, DealFault{}, who(r) + "'s complaint is invalid: " + a.why, {}, out);
  }
}

void Ceremony::check_verdicts(Outbox& out) {
  if (!session_) return;
  for (std::uint32_t rp = 0; rp < receivers_.size(); ++rp) {
    if (verdict_checked_[rp]) continue;
    const std::uint32_t r = receivers_[rp];
    const Stored* s = find(Kind::kVerdict, r);
    if (s == nullptr) continue;
    const auto& v = std::get<Verdict>(s->decoded->payload);
    if (!v.complaints.empty() || !v.revealed_key.empty()) {
      handle_complaint(r, *s, out);
      if (failed_) return;
      continue;
    }
    if (phase_ == Phase::kDeal) continue;  // compare roots once our own R1 is complete
    bool same = v.deal_roots.size() == dealers_.size();
    for (std::uint32_t dp = 0; same && dp < dealers_.size(); ++dp) {
      same = v.deal_roots[dp] == find(Kind::kDealManifest, dealers_[dp])->root;
    }
    if (!same) {
      if (std::find(mismatch_from_.begin(), mismatch_from_.end(), r) == mismatch_from_.end()) {
        mismatch_from_.push_back(r);
      }
      continue;
    }
    verdict_checked_[rp] = true;
  }
  if (phase_ != Phase::kVerdict) return;
  for (bool b : verdict_checked_) {
    if (!b) return;
  }
  if (!finish_keys(out)) return;
  if (p_.roots_per_validator > 0) {
    send_sign(out);
  } else {
    sign_->combined.clear();
    send_lock(out);
  }
}

bool Ceremony::finish_keys(Outbox& out) {
  const std::size_t t = p_.threshold;
  pubkeys_.clear();
  pubshares_.assign(p_.validators, {});
  auto key_fault = [&](std::uint32_t v, const std::string& what) {
    fail_deal(FailureCode::kBadDeal, {}, DealFault{DealCheck::kKey, v}, "validator " + std::to_string(v) + ": " + what,
              {}, out);
    return false;
  };
  for (std::uint32_t v = 0; v < p_.validators; ++v) {
    const std::span<const G1> poly = std::span<const G1>(agg_).subspan(std::size_t{v} * t, t);
    if (poly[0].is_identity()) return key_fault(v, "the distributed key is the identity");
    if (p_.reshare && !(poly[0] == p_.reshare->pubkeys[v].point())) {
      return key_fault(v, "the reshared key differs from the old distributed key");
    }
    pubkeys_.push_back(crypto::bls::PublicKey::from_point(poly[0]));
    for (auto r : receivers_) {
      const G1 ps = eval_in_exponent(poly, p_.participants[r].share_x);
      if (ps.is_identity()) return key_fault(v, "a public share is the identity");
      pubshares_[v].push_back(crypto::bls::PublicKey::from_point(ps));
    }
  }
  sign_ = std::make_unique<SignState>();
  if (p_.participants[local_.self].receiver) {
    sign_->keys.reserve(p_.validators);
    for (std::uint32_t v = 0; v < p_.validators; ++v) {
      Fr s = share_sum_[v];
      if (declassify(s.is_zero())) return key_fault(v, "this node's share is zero");
      sign_->keys.push_back(crypto::bls::SecretKey::from_scalar(std::move(s)));
    }
    share_sum_ = SecretScalars();
  }
  agg_.clear();
  agg_.shrink_to_fit();
  return true;
}

}  // namespace phx::dkg
