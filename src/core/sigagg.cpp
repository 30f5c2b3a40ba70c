#include "core/sigagg.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <thread>

namespace phx::core {

namespace bls = crypto::bls;
namespace threshold = crypto::threshold;

struct SigAgg::Candidate {
  std::size_t pos;            // index into the input sets
  const ThresholdSet* set;    // the input
  const ValidatorKeys* keys;  // the validator
  bls::Signature agg;         // optimistic aggregate
};

SigAgg::SigAgg(const KeyBook& keys, threshold::LagrangeCache& cache, unsigned threads)
    : keys_(keys), cache_(cache), threads_(std::max(1u, threads)) {}

namespace {

CoreError map_threshold_error(const std::error_code& ec) {
  if (ec == threshold::ThresholdError::kNotEnoughShares) return CoreError::kNotEnoughPartials;
  if (ec == threshold::ThresholdError::kZeroIndex) return CoreError::kUnknownShare;
  return CoreError::kBadSignature;  // duplicate index or inconsistent extra partials
}

}  // namespace

bool SigAgg::batch_ok(std::span<const Candidate* const> cands) {
  ++stats_.batch_checks;
  if (cands.size() == 1) {
    const Candidate* c = cands.front();
    return bls::verify(c->keys->key, c->set->signing_root, c->agg);
  }
  // Validators of one duty mostly sign the same root (one AttestationData per committee), so group by root:
  // a same-message group needs one hash to G2 and a 2-pair pairing (random linear combination, IETF BLS
  // draft §2.8 style); several groups go into one multi-pairing batch.
  std::map<Root, std::pair<std::vector<bls::PublicKey>, std::vector<bls::Signature>>> groups;
  for (const Candidate* c : cands) {
    auto& g = groups[c->set->signing_root];
    g.first.push_back(c->keys->key);
    g.second.push_back(c->agg);
  }
  if (groups.size() == 1) {
    const auto& [root, g] = *groups.begin();
    return threshold::verify_partials_same_message(g.first, root, g.second);
  }
  std::vector<bls::SignatureSet> sets;
  sets.reserve(cands.size());
  for (const Candidate* c : cands) {
    sets.push_back(bls::SignatureSet{
        c->keys->key, Bytes(c->set->signing_root.begin(), c->set->signing_root.end()), c->agg});
  }
  return threads_ > 1 ? bls::batch_verify(sets, threads_) : bls::batch_verify(sets);
}

void SigAgg::bisect(std::span<const Candidate* const> cands, std::vector<const Candidate*>& failed) {
  // Precondition: the batch over `cands` failed.
  if (cands.size() == 1) {
    failed.push_back(cands.front());
    return;
  }
  const std::size_t half = cands.size() / 2;
  const auto left = cands.first(half);
  const auto right = cands.subspan(half);
  const bool left_ok = batch_ok(left);
  if (!left_ok) bisect(left, failed);
  // When the left half passed, the right half must hold the failure: skip its check.
  if (left_ok || !batch_ok(right)) bisect(right, failed);
}

void SigAgg::repair(const ThresholdSet& set, AggregateOutcome& out) {
  ++stats_.fallback_sets;
  const ValidatorKeys* v = keys_.find(set.pubkey);
  std::vector<bls::PublicKey> pubshares;
  std::vector<bls::Signature> sigs;
  pubshares.reserve(set.partials.size());
  sigs.reserve(set.partials.size());
  for (const auto& p : set.partials) {
    pubshares.push_back(v->pubshares[p.idx.value - 1]);
    sigs.push_back(p.partial_sig);
  }
  const std::vector<std::size_t> bad = threshold::find_invalid_partials(pubshares, set.signing_root, sigs);
  std::vector<threshold::PartialSignature> good;
  for (std::size_t i = 0; i < set.partials.size(); ++i) {
    if (std::binary_search(bad.begin(), bad.end(), i)) {
      out.blamed.push_back(set.partials[i].idx);
    } else {
      good.push_back(set.partials[i]);
    }
  }
  std::sort(out.blamed.begin(), out.blamed.end());
  if (good.size() < keys_.threshold()) {
    out.aggregate = fail(CoreError::kNotEnoughPartials);
    return;
  }
  good.erase(good.begin() + keys_.threshold(), good.end());
  auto agg = threshold::recombine_signatures(good, keys_.threshold(), cache_);
  if (!agg) {
    out.aggregate = fail(map_threshold_error(agg.error()));
    return;
  }
  // Every remaining partial verified individually (by the batch), so this only guards against bugs and the
  // 2^-63 soundness error of the randomised check.
  if (!bls::verify(v->key, set.signing_root, *agg)) {
    out.aggregate = fail(CoreError::kBadSignature);
    return;
  }
  out.aggregate = SignedData{set.message, *agg};
}

std::vector<AggregateOutcome> SigAgg::aggregate(std::span<const ThresholdSet> sets,
                                                const std::set<ShareIdx>& suspects) {
  if (suspects.empty()) return aggregate(sets);
  std::vector<ThresholdSet> kept(sets.begin(), sets.end());
  std::vector<std::vector<ShareIdx>> dropped(sets.size());
  struct Ref {
    std::size_t set;
    std::size_t partial;
    bls::PublicKey pubshare;
  };
  std::map<Root, std::vector<Ref>> by_root;
  for (std::size_t i = 0; i < sets.size(); ++i) {
    const ValidatorKeys* v = keys_.find(sets[i].pubkey);
    if (v == nullptr) continue;  // reported by aggregate()
    for (std::size_t j = 0; j < sets[i].partials.size(); ++j) {
      const ShareIdx idx = sets[i].partials[j].idx;
      if (!suspects.contains(idx) || idx.value < 1 || idx.value > v->pubshares.size()) continue;
      by_root[sets[i].signing_root].push_back(Ref{i, j, v->pubshares[idx.value - 1]});
    }
  }
  std::vector<std::vector<bool>> bad(sets.size());
  for (std::size_t i = 0; i < sets.size(); ++i) bad[i].assign(sets[i].partials.size(), false);
  for (const auto& [root, refs] : by_root) {
    std::vector<bls::PublicKey> pks;
    std::vector<bls::Signature> sigs;
    for (const Ref& r : refs) {
      pks.push_back(r.pubshare);
      sigs.push_back(sets[r.set].partials[r.partial].partial_sig);
    }
    stats_.suspect_checks += refs.size();
    if (threshold::verify_partials_same_message(pks, root, sigs)) continue;
    // A suspect is usually wrong in every partial it sent: check each (a bisection would take ~2k checks).
    for (std::size_t k = 0; k < refs.size(); ++k) {
      if (bls::verify(pks[k], root, sigs[k])) continue;
      bad[refs[k].set][refs[k].partial] = true;
      ++stats_.suspect_dropped;
    }
  }
  for (std::size_t i = 0; i < sets.size(); ++i) {
    auto& parts = kept[i].partials;
    std::vector<threshold::PartialSignature> good;
    good.reserve(parts.size());
    for (std::size_t j = 0; j < parts.size(); ++j) {
      if (bad[i][j]) {
        dropped[i].push_back(parts[j].idx);
      } else {
        good.push_back(parts[j]);
      }
    }
    parts = std::move(good);
  }
  auto out = aggregate(kept);
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (dropped[i].empty()) continue;
    auto& b = out[i].blamed;
    b.insert(b.end(), dropped[i].begin(), dropped[i].end());
    std::sort(b.begin(), b.end());
    b.erase(std::unique(b.begin(), b.end()), b.end());
  }
  return out;
}

std::vector<AggregateOutcome> SigAgg::aggregate(std::span<const ThresholdSet> sets) {
  std::vector<AggregateOutcome> out;
  out.reserve(sets.size());
  const std::uint32_t t = keys_.threshold();
  // Pass 1 (cheap): check the sets and pick those to recombine.
  std::vector<std::pair<std::size_t, const ValidatorKeys*>> todo;
  for (std::size_t i = 0; i < sets.size(); ++i) {
    const ThresholdSet& s = sets[i];
    out.push_back(AggregateOutcome{s.duty, s.pubkey, fail(CoreError::kNotEnoughPartials), {}});
    const ValidatorKeys* v = keys_.find(s.pubkey);
    if (v == nullptr) {
      out.back().aggregate = fail(CoreError::kUnknownPubkey);
      continue;
    }
    bool shares_ok = true;
    for (const auto& p : s.partials)
      shares_ok = shares_ok && p.idx.value >= 1 && p.idx.value <= v->pubshares.size();
    if (!shares_ok) {
      out.back().aggregate = fail(CoreError::kUnknownShare);
      continue;
    }
    if (s.partials.size() < t) continue;  // kNotEnoughPartials
    todo.emplace_back(i, v);
  }
  // Pass 2 (the cost: one t-term G2 MSM per validator), split over threads_ threads. Optimistic: the first t
  // partials only (extra ones would make recombine check their consistency, a verification in disguise that
  // fails on any bad extra partial).
  std::vector<std::optional<Result<bls::Signature>>> aggs(todo.size());
  auto work = [&](std::size_t begin, std::size_t end) {
    for (std::size_t k = begin; k < end; ++k)
      aggs[k] = threshold::recombine_signatures(std::span(sets[todo[k].first].partials).first(t), t, cache_);
  };
  const std::size_t nthreads = std::min<std::size_t>(threads_, std::max<std::size_t>(1, todo.size() / 16));
  if (nthreads <= 1) {
    work(0, todo.size());
  } else {
    std::vector<std::thread> pool;
    const std::size_t chunk = (todo.size() + nthreads - 1) / nthreads;
    for (std::size_t w = 1; w < nthreads; ++w)
      pool.emplace_back(work, std::min(todo.size(), w * chunk), std::min(todo.size(), (w + 1) * chunk));
    work(0, std::min(todo.size(), chunk));
    for (auto& th : pool) th.join();
  }
  std::vector<Candidate> cands;
  cands.reserve(todo.size());
  for (std::size_t k = 0; k < todo.size(); ++k) {
    const auto [i, v] = todo[k];
    if (!*aggs[k]) {
      out[i].aggregate = fail(map_threshold_error(aggs[k]->error()));
      continue;
    }
    cands.push_back(Candidate{i, &sets[i], v, **aggs[k]});
  }
  if (cands.empty()) return out;

  // One check per signing root (from electra on, every committee of a slot signs the same AttestationData,
  // so an attester duty is one group; before, one group per committee). A failing group is bisected alone.
  std::map<Root, std::vector<const Candidate*>> groups;
  for (const Candidate& c : cands) groups[c.set->signing_root].push_back(&c);
  std::vector<const Candidate*> failed;
  for (const auto& [root, group] : groups)
    if (!batch_ok(group)) bisect(group, failed);
  std::size_t f = 0;
  std::sort(failed.begin(), failed.end(),
            [](const Candidate* a, const Candidate* b) { return a->pos < b->pos; });
  for (const Candidate& c : cands) {
    if (f < failed.size() && failed[f] == &c) {
      ++f;
      repair(*c.set, out[c.pos]);
    } else {
      out[c.pos].aggregate = SignedData{c.set->message, c.agg};
    }
  }
  return out;
}

}  // namespace phx::core
