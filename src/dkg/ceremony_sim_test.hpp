#pragma once
// Test support: a deterministic in-memory network of DKG ceremonies (fake clock, seeded drops, duplicates,
// delays and reordering, crashes with or without journal, outbox rewriting for Byzantine participants), the
// ArtifactPlan test double, and checks of the outcomes.
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "crypto/hash/sha256.hpp"
#include "crypto/threshold/threshold.hpp"
#include "dkg/ceremony.hpp"
#include "dkg/evidence.hpp"
#include "dkg/share_box.hpp"
#include "dkg/transcript.hpp"

namespace phx::dkg::test {

/// Test double of the cluster format: signing roots and lock hash are plain SHA-256 over the public outputs.
class HashingPlanForTests final : public ArtifactPlan {
 public:
  explicit HashingPlanForTests(std::uint32_t roots) : roots_(roots) {}
  std::uint32_t roots_per_validator() const override { return roots_; }
  std::vector<Root> signing_roots(std::uint32_t v, const crypto::bls::PublicKey& pubkey) const override {
    std::vector<Root> out;
    for (std::uint32_t a = 0; a < roots_; ++a) {
      crypto::hash::Sha256 h;
      h.update(as_bytes("test-root"));
      std::uint8_t b[8];
      put_be32(b, v);
      put_be32(b + 4, a);
      h.update(ByteSpan(b, 8));
      h.update(pubkey.to_bytes());
      out.push_back(h.finish());
    }
    return out;
  }
  Root lock_hash(std::span<const ValidatorPublic> validators) const override {
    crypto::hash::Sha256 h;
    h.update(as_bytes("test-lock"));
    for (const auto& v : validators) {
      h.update(v.pubkey.to_bytes());
      for (const auto& s : v.pubshares) h.update(s.to_bytes());
      for (const auto& s : v.signatures) h.update(s.to_bytes());
    }
    return h.finish();
  }

 private:
  std::uint32_t roots_;
};

/// Deterministic identity key of participant i.
inline crypto::k1::SecretKey identity_key(std::uint32_t i, std::uint8_t salt = 0) {
  ByteArray<32> b{};
  b[31] = static_cast<std::uint8_t>(i + 1);
  b[30] = salt;
  b[0] = 0x11;
  return *crypto::k1::SecretKey::from_bytes(b);
}

/// The identity key (of identity_key(0..255)) whose public key is `pk`.
inline crypto::k1::SecretKey key_of_identity(const crypto::k1::PublicKey& pk) {
  for (std::uint32_t i = 0; i < 256; ++i) {
    if (identity_key(i).public_key() == pk) return identity_key(i);
  }
  ADD_FAILURE() << "unknown identity";
  return identity_key(0);
}

/// Deterministic seed of participant i in run `run`.
inline Seed seed_for(std::uint32_t i, std::uint32_t run) {
  ByteArray<32> b{};
  put_be32(b.data(), i);
  put_be32(b.data() + 4, run);
  b[31] = 0x5a;
  return Seed(std::span<const std::uint8_t, 32>(b));
}

/// Parameters of a fresh DKG with n participants (share_x = index + 1).
inline Params dkg_params(std::uint32_t n, std::uint32_t t, std::uint32_t validators, std::uint32_t chunk,
                         std::uint32_t roots) {
  Params p;
  p.definition_hash.fill(0xde);
  p.threshold = t;
  p.validators = validators;
  p.chunk_validators = chunk;
  p.roots_per_validator = roots;
  for (std::uint32_t i = 0; i < n; ++i) {
    Participant q{identity_key(i).public_key(), true, i + 1, true, i + 1};
    p.participants.push_back(q);
  }
  return p;
}

/// Network behaviour.
struct NetConfig {
  double drop = 0;                    ///< probability a delivery is lost
  double duplicate = 0;               ///< probability a delivery is doubled
  std::uint64_t min_delay_ns = 1'000'000;
  std::uint64_t max_delay_ns = 1'000'000;  ///< > min: random delays reorder messages
  std::uint64_t seed = 1;
};

inline constexpr std::uint64_t kSecond = 1'000'000'000ULL;

/// The simulated cluster.
class Sim {
 public:
  /// Rewrites one node's outgoing messages before they enter the network (Byzantine behaviour). Entries with
  /// `to` set are point-to-point; broadcasts may be split into per-recipient variants.
  using Rewrite = std::function<void(std::uint32_t node, std::vector<Outgoing>& msgs)>;

  struct Node {
    std::unique_ptr<K1NodeSigner> signer;
    std::unique_ptr<Ceremony> ceremony;
    std::vector<JournalRecord> journal;
    std::optional<std::uint64_t> timer;
    std::optional<Failure> failure;
    std::unique_ptr<CeremonyResult> result;
    bool finished = false;
    bool crashed = false;
    std::uint32_t run = 0;                  // seed generation: a restart without journal takes a new one
    SecretScalars old_shares;               // resharing dealers
  };

  Sim(Params p, std::uint32_t roots, NetConfig net = {}, SecretScalars* old_shares = nullptr)
      : p_(std::move(p)), plan_(roots), net_(net), rng_(net.seed) {
    std::vector<crypto::k1::PublicKey> ids;
    for (const auto& q : p_.participants) ids.push_back(q.identity);
    verifier_ = std::make_unique<K1NodeVerifier>(ids);
    nodes_.resize(p_.n());
    for (std::uint32_t i = 0; i < p_.n(); ++i) {
      nodes_[i].signer = std::make_unique<K1NodeSigner>(key_of_identity(p_.participants[i].identity));
      if (old_shares != nullptr) nodes_[i].old_shares = std::move(old_shares[i]);
    }
  }

  Params& params() { return p_; }
  const Params& params() const { return p_; }
  Node& node(std::uint32_t i) { return nodes_[i]; }
  std::uint64_t now() const { return now_; }
  void set_rewrite(Rewrite r) { rewrite_ = std::move(r); }
  /// Called after every input a node handled (to trigger crashes at round boundaries).
  void set_observer(std::function<void(std::uint32_t)> f) { observer_ = std::move(f); }
  LocalConfig& local(std::uint32_t i) {
    if (locals_.size() != p_.n()) {
      locals_.resize(p_.n());
      for (std::uint32_t k = 0; k < p_.n(); ++k) {
        locals_[k].self = k;
        locals_[k].connect_timeout_ns = 600 * kSecond;
        locals_[k].round_timeout_ns = 120 * kSecond;
        locals_[k].retransmit_interval_ns = 2 * kSecond;
      }
    }
    return locals_[i];
  }

  void start_all() {
    for (std::uint32_t i = 0; i < p_.n(); ++i) start(i);
  }

  void start(std::uint32_t i) {
    auto& nd = nodes_[i];
    nd.ceremony = make(i);
    nd.crashed = false;
    deliver(i, nd.ceremony->start(seed_for(i, nd.run), now_));
  }

  /// Drops the node's state (messages to it are lost while crashed).
  void crash(std::uint32_t i) {
    nodes_[i].ceremony.reset();
    nodes_[i].crashed = true;
    nodes_[i].timer.reset();
  }

  /// Restarts a crashed node from its journal, or (without) as a fresh run with a new seed.
  void restart(std::uint32_t i, bool with_journal) {
    auto& nd = nodes_[i];
    nd.ceremony = make(i);
    nd.crashed = false;
    nd.result.reset();
    if (with_journal) {
      deliver(i, nd.ceremony->resume(nd.journal, now_));
    } else {
      nd.journal.clear();
      ++nd.run;
      deliver(i, nd.ceremony->start(seed_for(i, nd.run), now_));
    }
  }

  /// Runs until every live node finished or failed, or the clock passes `limit_ns`.
  void run(std::uint64_t limit_ns = 3600 * kSecond) {
    while (now_ <= limit_ns) {
      if (all_done()) return;
      std::uint64_t next_timer = UINT64_MAX;
      std::uint32_t timer_node = 0;
      for (std::uint32_t i = 0; i < p_.n(); ++i) {
        if (nodes_[i].ceremony && nodes_[i].timer && *nodes_[i].timer < next_timer) {
          next_timer = *nodes_[i].timer;
          timer_node = i;
        }
      }
      const std::uint64_t next_msg = queue_.empty() ? UINT64_MAX : queue_.top().at;
      if (next_msg == UINT64_MAX && next_timer == UINT64_MAX) {
        if (pending_restarts_.empty()) return;
      }
      if (!pending_restarts_.empty() && pending_restarts_.begin()->first <= std::min(next_msg, next_timer)) {
        auto [at, what] = *pending_restarts_.begin();
        pending_restarts_.erase(pending_restarts_.begin());
        now_ = std::max(now_, at);
        restart(what.first, what.second);
        continue;
      }
      if (next_msg <= next_timer) {
        InFlight m = queue_.top();
        queue_.pop();
        now_ = std::max(now_, m.at);
        auto& nd = nodes_[m.to];
        if (!nd.ceremony) continue;
        deliver(m.to, nd.ceremony->on_message(m.from, m.bytes, now_));
      } else {
        now_ = std::max(now_, next_timer);
        nodes_[timer_node].timer.reset();
        deliver(timer_node, nodes_[timer_node].ceremony->on_timeout(now_));
      }
    }
  }

  /// Schedules a restart of node i at time `at`.
  void restart_at(std::uint64_t at, std::uint32_t i, bool with_journal) {
    pending_restarts_.emplace(at, std::make_pair(i, with_journal));
  }

  bool all_done() const {
    for (const auto& nd : nodes_) {
      if (nd.crashed) return false;
      if (!nd.finished && !nd.failure) return false;
    }
    return pending_restarts_.empty();
  }

  /// The secret key of participant i (to re-sign rewritten messages).
  crypto::k1::SecretKey key(std::uint32_t i) const { return identity_key(i); }
  const NodeVerifier& verifier() const { return *verifier_; }
  const ArtifactPlan& plan() const { return plan_; }
  /// Deliveries the network lost / doubled so far.
  std::uint64_t dropped() const { return dropped_; }
  std::uint64_t duplicated() const { return duplicated_; }

 private:
  struct InFlight {
    std::uint64_t at;
    std::uint64_t seq;
    std::uint32_t from, to;
    Bytes bytes;
    bool operator<(const InFlight& o) const { return at != o.at ? at > o.at : seq > o.seq; }
  };

  std::unique_ptr<Ceremony> make(std::uint32_t i) {
    SecretScalars olds(nodes_[i].old_shares.size());
    for (std::size_t k = 0; k < olds.size(); ++k) olds[k] = nodes_[i].old_shares[k];
    return std::make_unique<Ceremony>(p_, local(i), *nodes_[i].signer, *verifier_, plan_, std::move(olds));
  }

  void send(std::uint32_t from, std::uint32_t to, const Bytes& b) {
    std::uniform_real_distribution<double> u(0, 1);
    if (u(rng_) < net_.drop) {
      ++dropped_;
      return;
    }
    const int copies = u(rng_) < net_.duplicate ? 2 : 1;
    duplicated_ += copies - 1;
    for (int c = 0; c < copies; ++c) {
      std::uint64_t d = net_.min_delay_ns;
      if (net_.max_delay_ns > net_.min_delay_ns) d += rng_() % (net_.max_delay_ns - net_.min_delay_ns);
      queue_.push(InFlight{now_ + d, seq_++, from, to, b});
    }
  }

  void deliver(std::uint32_t i, Outbox out) {
    auto& nd = nodes_[i];
    // The runner's contract: persist the journal records first, then send.
    for (auto& r : out.journal) nd.journal.push_back(JournalRecord{r.type, SecretBytes(r.data.view())});
    if (rewrite_) rewrite_(i, out.messages);
    for (const auto& m : out.messages) {
      if (m.to) {
        if (*m.to != i) send(i, *m.to, m.bytes);
      } else {
        for (std::uint32_t k = 0; k < p_.n(); ++k) {
          if (k != i) send(i, k, m.bytes);
        }
      }
    }
    if (out.timer_ns) nd.timer = out.timer_ns;
    if (out.failure && !nd.failure) nd.failure = std::move(out.failure);
    if (out.finished) nd.finished = true;
    if (out.failure || out.finished) nd.timer.reset();
    if (out.result) {
      nd.result = std::move(out.result);
      // The runner writes the artifacts and reports the hashes of the shared ones.
      const std::vector<Root> arts{crypto::hash::sha256(nd.result->lock_hash),
                                   crypto::hash::sha256(nd.result->signature_aggregate)};
      deliver(i, nd.ceremony->on_artifacts_written(arts, now_));
    }
    if (observer_) observer_(i);
  }

  Params p_;
  HashingPlanForTests plan_;
  NetConfig net_;
  std::mt19937_64 rng_;
  std::unique_ptr<K1NodeVerifier> verifier_;
  std::vector<Node> nodes_;
  std::vector<LocalConfig> locals_;
  std::priority_queue<InFlight> queue_;
  std::multimap<std::uint64_t, std::pair<std::uint32_t, bool>> pending_restarts_;
  std::uint64_t now_ = 0;
  std::uint64_t seq_ = 0;
  std::uint64_t dropped_ = 0, duplicated_ = 0;
  Rewrite rewrite_;
  std::function<void(std::uint32_t)> observer_;
};

/// Crashes `victim` the first time it is in `round` after an input: after sending that outbox, or (before_send)
/// after persisting its journal records but before any of its messages left; it restarts 20 s later, from its
/// journal or (without) as a fresh run. Returns a flag set once the crash happened.
inline std::shared_ptr<bool> crash_at(Sim& sim, std::uint32_t victim, Round round, bool before_send, bool with_journal) {
  auto fired = std::make_shared<bool>(false);
  auto pending = std::make_shared<bool>(false);
  if (before_send) {
    sim.set_rewrite([&sim, victim, round, fired, pending](std::uint32_t node, std::vector<Outgoing>& msgs) {
      auto& c = sim.node(node).ceremony;
      if (node != victim || *fired || !c || c->round() != round || msgs.empty()) return;
      msgs.clear();
      *pending = true;
    });
  }
  sim.set_observer([&sim, victim, round, before_send, with_journal, fired, pending](std::uint32_t node) {
    auto& c = sim.node(node).ceremony;
    if (node != victim || *fired || !c) return;
    if (before_send ? !*pending : c->round() != round) return;
    *fired = true;
    sim.crash(victim);
    sim.restart_at(sim.now() + 20 * kSecond, victim, with_journal);
  });
  return fired;
}

/// Every node finished with identical public outputs; any t secret shares recombine to each distributed key,
/// t−1 do not; the combined signatures verify; the transcript verifies offline and agrees.
inline void expect_success(Sim& sim) {
  const auto& p = sim.params();
  const std::uint32_t n = p.n();
  const auto receivers = p.receivers();
  for (std::uint32_t i = 0; i < n; ++i) {
    auto& nd = sim.node(i);
    ASSERT_FALSE(nd.failure.has_value()) << "node " << i << ": " << code_name(nd.failure->code) << " "
                                         << nd.failure->cause;
    ASSERT_TRUE(nd.finished) << "node " << i << " did not finish";
    ASSERT_TRUE(nd.result != nullptr) << "node " << i;
  }
  const auto& r0 = *sim.node(0).result;
  ASSERT_EQ(r0.validators.size(), p.validators);
  for (std::uint32_t i = 1; i < n; ++i) {
    const auto& ri = *sim.node(i).result;
    EXPECT_EQ(ri.lock_hash, r0.lock_hash) << i;
    EXPECT_EQ(ri.signature_aggregate, r0.signature_aggregate) << i;
    EXPECT_EQ(ri.node_signatures, r0.node_signatures) << i;
    EXPECT_EQ(ri.session_id, r0.session_id) << i;
    EXPECT_EQ(ri.transcript, r0.transcript) << i;
    for (std::uint32_t v = 0; v < p.validators; ++v) {
      EXPECT_TRUE(ri.validators[v].pubkey == r0.validators[v].pubkey);
      EXPECT_TRUE(ri.validators[v].pubshares == r0.validators[v].pubshares);
      EXPECT_TRUE(ri.validators[v].signatures == r0.validators[v].signatures);
    }
  }
  // Signatures and secret shares.
  for (std::uint32_t v = 0; v < p.validators; ++v) {
    const auto& vp = r0.validators[v];
    const auto roots = sim.plan().signing_roots(v, vp.pubkey);
    ASSERT_EQ(vp.signatures.size(), roots.size());
    for (std::size_t a = 0; a < roots.size(); ++a) EXPECT_TRUE(crypto::bls::verify(vp.pubkey, roots[a], vp.signatures[a]));
    std::vector<crypto::threshold::KeyShare> shares;
    for (std::uint32_t rp = 0; rp < receivers.size(); ++rp) {
      const auto& ri = *sim.node(receivers[rp]).result;
      ASSERT_EQ(ri.secret_shares.size(), p.validators);
      EXPECT_TRUE(ri.secret_shares[v].public_key() == vp.pubshares[rp]);
      shares.push_back(crypto::threshold::KeyShare{
          ShareIdx{*ri.share_x}, *crypto::bls::SecretKey::from_bytes(ri.secret_shares[v].to_bytes().view())});
    }
    // Any t recombine (first t, last t), t − 1 do not.
    const std::uint32_t t = p.threshold;
    auto rec = crypto::threshold::recover_secret(std::span(shares).first(t), t);
    ASSERT_TRUE(rec.has_value());
    EXPECT_TRUE(rec->public_key() == vp.pubkey);
    auto rec2 = crypto::threshold::recover_secret(std::span(shares).last(t), t);
    ASSERT_TRUE(rec2.has_value());
    EXPECT_TRUE(rec2->public_key() == vp.pubkey);
    if (t >= 2) {
      auto fewer = crypto::threshold::recover_secret(std::span(shares).first(t - 1), t - 1);
      if (fewer) {
        EXPECT_FALSE(fewer->public_key() == vp.pubkey);
      }
    }
  }
  // The transcript verifies offline and pins the same outputs.
  const Bytes tr = sim.node(0).ceremony->transcript();
  auto out = verify_transcript(p, tr);
  ASSERT_TRUE(out.has_value()) << out.error();
  EXPECT_TRUE(out->has_done);
  EXPECT_EQ(out->lock_hash, r0.lock_hash);
  EXPECT_EQ(out->signature_aggregate, r0.signature_aggregate);
  EXPECT_EQ(out->node_signatures, r0.node_signatures);
  for (std::uint32_t v = 0; v < p.validators; ++v) {
    EXPECT_TRUE(out->pubkeys[v] == r0.validators[v].pubkey);
    EXPECT_TRUE(out->pubshares[v] == r0.validators[v].pubshares);
  }
}

/// Every node in `nodes` failed with `code`, naming `culprit` first; provable evidence re-checks offline.
inline void expect_failure(Sim& sim, const std::vector<std::uint32_t>& nodes, FailureCode code,
                           std::optional<std::uint32_t> culprit, DealCheck check = DealCheck::kNone) {
  for (auto i : nodes) {
    auto& nd = sim.node(i);
    ASSERT_TRUE(nd.failure.has_value()) << "node " << i << " did not fail (finished=" << nd.finished << ")";
    EXPECT_EQ(nd.failure->code, code) << "node " << i << ": " << code_name(nd.failure->code) << " "
                                      << nd.failure->cause;
    EXPECT_FALSE(nd.failure->cause.empty());
    EXPECT_FALSE(nd.failure->next_action.empty());
    if (culprit) {
      ASSERT_FALSE(nd.failure->operators.empty()) << "node " << i;
      EXPECT_EQ(nd.failure->operators.front(), *culprit) << "node " << i << ": " << nd.failure->cause;
    }
    if (check != DealCheck::kNone) {
      EXPECT_EQ(nd.failure->check, check) << "node " << i << ": " << nd.failure->cause;
    }
    // A failure in R5 comes after the result: the runner then discards the staged artifacts.
    if (nd.failure->round != Round::kDone) {
      EXPECT_EQ(nd.result, nullptr) << "node " << i;
    }
    if (!nd.failure->evidence.empty() && code != FailureCode::kBadPartial && code != FailureCode::kLockMismatch) {
      auto f = verify_evidence(sim.params(), sim.verifier(), nd.failure->evidence);
      ASSERT_TRUE(f.has_value()) << "node " << i << ": evidence: " << f.error();
      EXPECT_EQ(f->code, code);
      if (culprit) {
        EXPECT_EQ(f->operators.front(), *culprit);
      }
    }
  }
}

/// Re-signs a decoded envelope (after its payload changed) with participant `who`'s key.
inline Bytes resign(Decoded d, std::uint32_t who) {
  d.envelope.payload = ssz::ByteList<kMaxPayloadBytes>(encode_payload(d.payload));
  const Root root = payload_root(d.payload);
  d.envelope.signature = identity_key(who).sign(
      signing_digest(d.envelope.session, static_cast<Kind>(d.envelope.kind), d.envelope.sender, root));
  return encode_envelope(d.envelope);
}

/// A Byzantine dealer's R1: applies `mutate` (given the session id) to chunk 0 (validator 0 onwards) and rewrites the manifest's
/// chunk root so that the manifest and the chunk stay consistent (no equivocation). `only_to` restricts the
/// rewritten copy to some recipients (the others get the original: equivocation).
inline Sim::Rewrite corrupt_chunk(std::uint32_t dealer, std::function<void(DealChunk&, const Root& session)> mutate,
                                  std::optional<std::set<std::uint32_t>> only_to = std::nullopt,
                                  std::uint32_t n = 0) {
  return [=](std::uint32_t node, std::vector<Outgoing>& msgs) {
    if (node != dealer) return;
    std::optional<Root> new_root;
    std::vector<Outgoing> out;
    // First pass: the chunk.
    for (auto& m : msgs) {
      auto d = decode_envelope(m.bytes);
      if (d && d->envelope.kind == static_cast<std::uint8_t>(Kind::kDealChunk) &&
          std::get<DealChunk>(d->payload).chunk == 0) {
        mutate(std::get<DealChunk>(d->payload), d->envelope.session);
        new_root = payload_root(d->payload);
        const Bytes changed = resign(*d, dealer);
        if (only_to) {
          for (std::uint32_t k = 0; k < n; ++k) {
            if (k != dealer) out.push_back(Outgoing{k, only_to->count(k) ? changed : m.bytes});
          }
          m.bytes.clear();
        } else {
          m.bytes = changed;
        }
      }
    }
    if (!new_root) return;
    for (auto& m : msgs) {
      if (m.bytes.empty()) continue;
      auto d = decode_envelope(m.bytes);
      if (d && d->envelope.kind == static_cast<std::uint8_t>(Kind::kDealManifest)) {
        std::get<DealManifest>(d->payload).chunk_roots[0] = *new_root;
        const Bytes changed = resign(*d, dealer);
        if (only_to) {
          for (std::uint32_t k = 0; k < n; ++k) {
            if (k != dealer) out.push_back(Outgoing{k, only_to->count(k) ? changed : m.bytes});
          }
          m.bytes.clear();
        } else {
          m.bytes = changed;
        }
      }
    }
    std::vector<Outgoing> kept;
    for (auto& m : msgs) {
      if (!m.bytes.empty()) kept.push_back(std::move(m));
    }
    // Keep the order manifest → chunks for the rewritten per-recipient copies.
    std::stable_sort(out.begin(), out.end(), [](const Outgoing& a, const Outgoing& b) {
      return decode_envelope(a.bytes)->envelope.kind < decode_envelope(b.bytes)->envelope.kind;
    });
    kept.insert(kept.begin(), out.begin(), out.end());
    msgs = std::move(kept);
  };
}

}  // namespace phx::dkg::test
