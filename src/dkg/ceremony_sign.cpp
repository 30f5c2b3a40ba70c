// The DKG ceremony's rounds R3 Sign, R4 Lock and R5 Done: partial signatures, batched recombination and
// verification (per-item checks only to name a culprit), the lock hash, the result and the transcript.
#include <algorithm>

#include "base/assert.hpp"
#include "crypto/bls/pairing.hpp"
#include "crypto/threshold/threshold.hpp"
#include "dkg/ceremony.hpp"
#include "dkg/ceremony_sign_state.hpp"
#include "dkg/evidence.hpp"
#include "dkg/internal.hpp"
#include "dkg/transcript.hpp"

namespace phx::dkg {

using crypto::bls::Fr;
using crypto::bls::G1;
using crypto::bls::G2;
using crypto::bls::Signature;
using internal::who;

namespace {

// Σ_i ρ_i·(pk_i, Σ_a ρ_{i,a} H_{i,a}) vs Σ ρ σ: true iff e(pk_v, Q_v) products equal e(G, S).
bool pairing_batch(const std::vector<G1>& pks, const std::vector<G2>& qs, const G2& s) {
  std::vector<G1> ps = pks;
  std::vector<G2> q = qs;
  ps.push_back(G1::generator().neg());
  q.push_back(s);
  return crypto::bls::pairing_check(ps, q);
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------
// R3

void Ceremony::send_sign(Outbox& out) {
  const std::uint32_t a_count = p_.roots_per_validator;
  const bool receiver = p_.participants[local_.self].receiver;
  auto& st = *sign_;
  st.hashed.resize(std::size_t{p_.validators} * a_count);
  if (receiver) st.own.reserve(st.hashed.size());
  for (std::uint32_t v = 0; v < p_.validators; ++v) {
    const auto roots = plan_.signing_roots(v, pubkeys_[v]);
    PHX_ASSERT(roots.size() == a_count);
    for (std::uint32_t a = 0; a < a_count; ++a) {
      const G2 h = crypto::bls::hash_to_g2(roots[a]);
      st.hashed[std::size_t{v} * a_count + a] = h;
      if (receiver) st.own.push_back(st.keys[v].sign_hashed(h));
    }
  }
  set_phase(Phase::kSign, now_, out);
  if (!receiver) return;
  for (std::uint32_t c = 0; c < p_.chunks(); ++c) {
    SignChunk sc;
    sc.chunk = c;
    const std::size_t first = std::size_t{c} * p_.chunk_validators * a_count;
    for (std::size_t i = 0; i < std::size_t{p_.chunk_size(c)} * a_count; ++i) sc.partials.push_back(st.own[first + i].to_bytes());
    emit(Payload{std::move(sc)}, out);
    if (failed_) return;
  }
}

void Ceremony::process_sign(Outbox& out) {
  for (auto r : receivers_) {
    for (std::uint32_t c = 0; c < p_.chunks(); ++c) {
      if (find(Kind::kSign, r, c) == nullptr) return;
    }
  }
  auto& st = *sign_;
  const std::uint32_t a_count = p_.roots_per_validator;
  const std::size_t items = std::size_t{p_.validators} * a_count;
  const std::uint32_t t = p_.threshold;
  // The first t receivers' partials are recombined; any t valid partials give the same (unique) signature.
  std::vector<ShareIdx> xs;
  for (std::uint32_t j = 0; j < t; ++j) xs.push_back(ShareIdx{p_.participants[receivers_[j]].share_x});
  auto lambda = crypto::threshold::lagrange_at_zero(xs);
  PHX_ASSERT(lambda.has_value());  // validate(): distinct non-zero indices
  std::vector<std::vector<G2>> parts(t);
  for (std::uint32_t j = 0; j < t; ++j) {
    const std::uint32_t r = receivers_[j];
    parts[j].reserve(items);
    if (r == local_.self) {
      for (const auto& s : st.own) parts[j].push_back(s.point());
      continue;
    }
    for (std::uint32_t c = 0; c < p_.chunks(); ++c) {
      const Stored* s = find(Kind::kSign, r, c);
      const auto& sc = std::get<SignChunk>(s->decoded->payload);
      const std::uint32_t first = c * p_.chunk_validators;
      auto bad = [&](std::uint32_t v, const std::string& what) {
        auto ev = hello_envelopes();
        ev.push_back(s->bytes);
        Failure f;
        f.code = FailureCode::kBadPartial;
        f.operators = {r};
        f.validator = v;
        f.cause = who(r) + "'s R3 partial signatures for validator " + std::to_string(v) + ": " + what;
        f.evidence = make_evidence(f.code, r, v, DealCheck::kNone, ev);
        fail(std::move(f), out, false);
      };
      if (sc.partials.size() != std::size_t{p_.chunk_size(c)} * a_count) {
        bad(first, "wrong count");
        return;
      }
      for (std::size_t i = 0; i < sc.partials.size(); ++i) {
        auto sig = Signature::from_bytes(sc.partials[i]);
        if (!sig) {
          bad(first + static_cast<std::uint32_t>(i / a_count), "not a valid G2 point");
          return;
        }
        parts[j].push_back(sig->point());
      }
    }
  }
  st.combined.clear();
  st.combined.reserve(items);
  // For the usual signer set {1..t} the Lagrange coefficients are small integers ±C(t, j): a short
  // multiplication per partial then replaces a full-width MSM.
  std::vector<std::uint64_t> small(t);
  std::vector<bool> negative(t);
  bool all_small = true;
  for (std::uint32_t j = 0; j < t; ++j) {
    const auto pos = (*lambda)[j].to_limbs();
    const auto neg = (*lambda)[j].neg().to_limbs();
    if (pos[1] == 0 && pos[2] == 0 && pos[3] == 0) {
      small[j] = pos[0];
    } else if (neg[1] == 0 && neg[2] == 0 && neg[3] == 0) {
      small[j] = neg[0];
      negative[j] = true;
    } else {
      all_small = false;
    }
  }
  std::vector<G2> pts(t);
  for (std::size_t i = 0; i < items; ++i) {
    if (all_small) {
      G2 acc = G2::identity();
      for (std::uint32_t j = 0; j < t; ++j) {
        const G2 term = parts[j][i].mul_u64_vartime(small[j]);
        acc = acc.add_vartime(negative[j] ? term.neg() : term);
      }
      st.combined.push_back(Signature::from_point(acc));
    } else {
      for (std::uint32_t j = 0; j < t; ++j) pts[j] = parts[j][i];
      st.combined.push_back(Signature::from_point(G2::msm_vartime(pts, *lambda)));
    }
  }
  // One multi-pairing: Π_v e(PK_v, Σ_a ρ_{v,a} H_{v,a}) == e(G, Σ ρ_{v,a} σ_{v,a}).
  BatchRng rng(seed_->view(), as_bytes("sign"));
  auto check = [&](std::uint32_t b, std::uint32_t e, auto pk_of, auto sig_of) {
    std::vector<G1> pks;
    std::vector<G2> qs, sigs, hs(a_count);
    std::vector<Fr> rhos, rs(a_count);
    for (std::uint32_t v = b; v < e; ++v) {
      for (std::uint32_t a = 0; a < a_count; ++a) {
        rs[a] = rng.next();
        hs[a] = st.hashed[std::size_t{v} * a_count + a];
        sigs.push_back(sig_of(std::size_t{v} * a_count + a));
        rhos.push_back(rs[a]);
      }
      pks.push_back(pk_of(v));
      qs.push_back(G2::msm_vartime(hs, rs));
    }
    return pairing_batch(pks, qs, G2::msm_vartime(sigs, rhos));
  };
  const auto pk = [&](std::uint32_t v) { return pubkeys_[v].point(); };
  if (check(0, p_.validators, pk, [&](std::size_t i) { return st.combined[i].point(); })) {
    send_lock(out);
    return;
  }
  // Name the culprit: check each recombined signer's partials against its public shares, bisecting validators.
  for (std::uint32_t j = 0; j < t; ++j) {
    const auto pj = [&](std::uint32_t v) { return pubshares_[v][j].point(); };
    const auto sj = [&](std::size_t i) { return parts[j][i]; };
    if (check(0, p_.validators, pj, sj)) continue;
    const auto bad = bisect_bad(
        p_.validators,
        [&](std::size_t b, std::size_t e) {
          return check(static_cast<std::uint32_t>(b), static_cast<std::uint32_t>(e), pj, sj);
        },
        [&](std::size_t v) { return check(static_cast<std::uint32_t>(v), static_cast<std::uint32_t>(v + 1), pj, sj); },
        1);
    if (!bad.empty()) {
      const std::uint32_t r = receivers_[j];
      const std::uint32_t v = static_cast<std::uint32_t>(bad.front());
      auto ev = hello_envelopes();
      if (const Stored* s = find(Kind::kSign, r, v / p_.chunk_validators)) ev.push_back(s->bytes);
      Failure f;
      f.code = FailureCode::kBadPartial;
      f.operators = {r};
      f.validator = v;
      f.cause = who(r) + "'s R3 partial signature for validator " + std::to_string(v) + " is invalid";
      f.evidence = make_evidence(f.code, r, v, DealCheck::kNone, ev);
      fail(std::move(f), out, false);
      return;
    }
  }
  fail_code(FailureCode::kBadPartial, {}, "R3: the recombined signatures do not verify", out);
}

// ---------------------------------------------------------------------------------------------------------
// R4

void Ceremony::send_lock(Outbox& out) {
  auto& st = *sign_;
  const std::uint32_t a_count = p_.roots_per_validator;
  st.validators.clear();
  st.validators.reserve(p_.validators);
  for (std::uint32_t v = 0; v < p_.validators; ++v) {
    ValidatorPublic vp{pubkeys_[v], pubshares_[v], {}};
    for (std::uint32_t a = 0; a < a_count; ++a) vp.signatures.push_back(st.combined[std::size_t{v} * a_count + a]);
    st.validators.push_back(std::move(vp));
  }
  lock_hash_ = plan_.lock_hash(st.validators);
  st.lock_h = crypto::bls::hash_to_g2(lock_hash_);
  const bool receiver = p_.participants[local_.self].receiver;
  set_phase(Phase::kLock, now_, out);
  if (!receiver) return;
  st.lock_own.clear();
  for (std::uint32_t v = 0; v < p_.validators; ++v) st.lock_own.push_back(st.keys[v].sign_hashed(st.lock_h));
  st.node_sig = signer_.sign_recoverable(lock_hash_);
  for (std::uint32_t c = 0; c < p_.chunks(); ++c) {
    LockChunk lc;
    lc.chunk = c;
    lc.lock_hash = lock_hash_;
    lc.node_signature = st.node_sig;
    const std::uint32_t first = c * p_.chunk_validators;
    for (std::uint32_t i = 0; i < p_.chunk_size(c); ++i) lc.partials.push_back(st.lock_own[first + i].to_bytes());
    emit(Payload{std::move(lc)}, out);
    if (failed_) return;
  }
}

void Ceremony::process_lock(Outbox& out) {
  for (auto r : receivers_) {
    for (std::uint32_t c = 0; c < p_.chunks(); ++c) {
      if (find(Kind::kLock, r, c) == nullptr) return;
    }
  }
  auto& st = *sign_;
  const std::size_t nr = receivers_.size();
  std::vector<std::vector<G2>> parts(nr);
  std::vector<ByteArray<65>> node_sigs(nr);
  G2 agg = G2::identity();
  for (std::uint32_t rp = 0; rp < nr; ++rp) {
    const std::uint32_t r = receivers_[rp];
    parts[rp].reserve(p_.validators);
    for (std::uint32_t c = 0; c < p_.chunks(); ++c) {
      const Stored* s = find(Kind::kLock, r, c);
      const auto& lc = std::get<LockChunk>(s->decoded->payload);
      const std::uint32_t first = c * p_.chunk_validators;
      auto bad = [&](FailureCode code, std::uint32_t v, const std::string& what) {
        auto ev = hello_envelopes();
        ev.push_back(s->bytes);
        if (const Stored* mine = find(Kind::kLock, local_.self, c)) ev.push_back(mine->bytes);
        Failure f;
        f.code = code;
        f.operators = {r};
        if (code == FailureCode::kBadPartial) f.validator = v;
        f.cause = who(r) + " " + what;
        f.evidence = make_evidence(code, r, v, DealCheck::kNone, ev);
        fail(std::move(f), out, false);
      };
      if (lc.lock_hash != lock_hash_) {
        bad(FailureCode::kLockMismatch, first,
            "computed lock hash " + to_hex(lc.lock_hash) + ", this node " + to_hex(lock_hash_));
        return;
      }
      if (c == 0) {
        node_sigs[rp] = lc.node_signature;
        if (!verifier_.verify_recoverable(r, lock_hash_, lc.node_signature)) {
          bad(FailureCode::kBadPartial, first, "signed the lock hash with another key (node signature)");
          return;
        }
      } else if (lc.node_signature != node_sigs[rp]) {
        bad(FailureCode::kBadPartial, first, "sent two different node signatures");
        return;
      }
      if (lc.partials.size() != p_.chunk_size(c)) {
        bad(FailureCode::kBadPartial, first, "sent a wrong number of R4 partial signatures");
        return;
      }
      for (std::size_t i = 0; i < lc.partials.size(); ++i) {
        G2 pt;
        if (r == local_.self) {
          pt = st.lock_own[first + i].point();
        } else {
          auto sig = Signature::from_bytes(lc.partials[i]);
          if (!sig) {
            bad(FailureCode::kBadPartial, first + static_cast<std::uint32_t>(i),
                "sent an R4 partial signature that is not a valid G2 point");
            return;
          }
          pt = sig->point();
        }
        parts[rp].push_back(pt);
        agg = agg.add_vartime(pt);
      }
    }
  }
  // FastAggregateVerify of all n·V partials: e(Σ P_{v,j}, H(lock)) == e(G, Σ σ_{v,j}).
  G1 pk_sum = G1::identity();
  for (std::uint32_t v = 0; v < p_.validators; ++v) {
    for (const auto& ps : pubshares_[v]) pk_sum = pk_sum.add_vartime(ps.point());
  }
  if (!pairing_batch({pk_sum}, {st.lock_h}, agg)) {
    BatchRng rng(seed_->view(), as_bytes("lock"));
    for (std::uint32_t rp = 0; rp < nr; ++rp) {
      auto check = [&](std::size_t b, std::size_t e) {
        std::vector<G1> pks;
        std::vector<Fr> rho;
        std::vector<G2> sigs;
        for (std::size_t v = b; v < e; ++v) {
          rho.push_back(rng.next());
          pks.push_back(pubshares_[v][rp].point());
          sigs.push_back(parts[rp][v]);
        }
        return pairing_batch({G1::msm_vartime(pks, rho)}, {st.lock_h}, G2::msm_vartime(sigs, rho));
      };
      if (check(0, p_.validators)) continue;
      const auto bad = bisect_bad(p_.validators, check, [&](std::size_t v) { return check(v, v + 1); }, 1);
      const std::uint32_t r = receivers_[rp];
      const std::uint32_t v = bad.empty() ? 0 : static_cast<std::uint32_t>(bad.front());
      auto ev = hello_envelopes();
      if (const Stored* s = find(Kind::kLock, r, v / p_.chunk_validators)) ev.push_back(s->bytes);
      Failure f;
      f.code = FailureCode::kBadPartial;
      f.operators = {r};
      f.validator = v;
      f.cause = who(r) + "'s R4 partial signature (lock hash) for validator " + std::to_string(v) + " is invalid";
      f.evidence = make_evidence(f.code, r, v, DealCheck::kNone, ev);
      fail(std::move(f), out, false);
      return;
    }
    fail_code(FailureCode::kBadPartial, {}, "R4: the aggregate lock signature does not verify", out);
    return;
  }
  auto res = std::make_unique<CeremonyResult>();
  res->session_id = *session_;
  res->validators = st.validators;
  if (p_.participants[local_.self].receiver) {
    res->share_x = p_.participants[local_.self].share_x;
    res->secret_shares = std::move(st.keys);
  }
  res->lock_hash = lock_hash_;
  res->signature_aggregate = agg.to_compressed();
  res->node_signatures = std::move(node_sigs);
  res->transcript = build_transcript(false);
  set_phase(Phase::kWrite, now_, out);
  out.result = std::move(res);
}

// ---------------------------------------------------------------------------------------------------------
// R5

void Ceremony::process_done(Outbox& out) {
  for (auto r : receivers_) {
    if (find(Kind::kDone, r) == nullptr) return;
  }
  const Done* ref = nullptr;
  Done mine;
  if (p_.participants[local_.self].receiver) {
    mine.lock_hash = lock_hash_;
    mine.artifacts.assign(artifacts_.begin(), artifacts_.end());
    ref = &mine;
  } else {
    ref = &std::get<Done>(find(Kind::kDone, receivers_.front())->decoded->payload);
  }
  for (auto r : receivers_) {
    const Stored* s = find(Kind::kDone, r);
    const auto& d = std::get<Done>(s->decoded->payload);
    if (d.lock_hash != ref->lock_hash || d.artifacts != ref->artifacts) {
      auto ev = hello_envelopes();
      ev.push_back(s->bytes);
      Failure f;
      f.code = FailureCode::kLockMismatch;
      f.operators = {r};
      f.cause = who(r) + " wrote artifacts whose hashes differ from this node's";
      f.evidence = make_evidence(f.code, r, 0, DealCheck::kNone, ev);
      fail(std::move(f), out, false);
      return;
    }
  }
  finished_ = true;
  phase_ = Phase::kFinished;
  deadline_ = 0;
  out.finished = true;
  out.timer_ns.reset();
}

// ---------------------------------------------------------------------------------------------------------
// Transcript

Bytes Ceremony::build_transcript(bool with_done) const {
  Transcript t;
  t.protocol.assign(kProtocolId.begin(), kProtocolId.end());
  t.definition_hash = p_.definition_hash;
  if (session_) t.session_id = *session_;
  auto add = [&](const Stored* s) {
    if (s != nullptr) t.envelopes.push_back(EnvelopeBytes(s->bytes));
  };
  for (std::uint32_t i = 0; i < p_.n(); ++i) add(find(Kind::kHello, i));
  for (auto d : dealers_) {
    add(find(Kind::kDealManifest, d));
    for (std::uint32_t c = 0; c < p_.chunks(); ++c) {
      const Stored* s = find(Kind::kDealChunk, d, c);
      if (s == nullptr) continue;
      auto dec = decode_envelope(s->bytes);
      if (dec) t.envelopes.push_back(EnvelopeBytes(redact_envelope(*dec)));
    }
  }
  for (auto r : receivers_) add(find(Kind::kVerdict, r));
  for (auto r : receivers_) {
    for (std::uint32_t c = 0; c < p_.chunks(); ++c) add(find(Kind::kLock, r, c));
  }
  if (with_done) {
    for (auto r : receivers_) add(find(Kind::kDone, r));
  }
  return ssz::serialize(t);
}

}  // namespace phx::dkg
