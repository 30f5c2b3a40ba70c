#include "consensus/qbft/instance.hpp"

#include <algorithm>

#include "base/assert.hpp"
#include "consensus/qbft/leader.hpp"
#include "crypto/hash/sha256.hpp"

namespace phx::consensus::qbft {

namespace {

constexpr std::size_t kBodyFixedBytes = 3 + 12 + 32 + 64;
/// Most DECIDED answers sent to one peer (bounds what a peer can make us send).
constexpr std::uint32_t kMaxDecidedRepliesPerPeer = 32;

std::size_t body_bytes(const SignedBody& b) {
  return kBodyFixedBytes + b.instance.size();
}

std::size_t message_bytes(const Message& m) {
  std::size_t s = body_bytes(m.body) + 3;
  if (m.value) s += 4 + m.value->size();
  for (const auto& j : m.justification) s += body_bytes(j);
  return s;
}

std::size_t bodies_bytes(const std::vector<SignedBody>& v) {
  std::size_t s = 0;
  for (const auto& b : v) s += body_bytes(b);
  return s;
}

}  // namespace

Instance::Instance(Config config, const Signer& signer, const Verifier& verifier)
    : cfg_(std::move(config)), signer_(signer), verifier_(verifier) {
  PHX_ASSERT(cfg_.valid());
  leader_offset_ = leader_offset(cfg_.instance_id, cfg_.n);
  answered_round_.assign(cfg_.n, kNoRound);
  decided_replies_.assign(cfg_.n, 0);
  decided_received_.assign(cfg_.n, 0);
}

std::size_t Instance::memory_bound(const Config& c) {
  const std::size_t n = c.n;
  const std::size_t b = kBodyFixedBytes + c.instance_id.size();
  const std::size_t v = 4 + c.max_value_bytes;
  const std::size_t per_round = (b + 3 + v + 2 * n * b)     // pre-prepare with justification
                                + 2 * n * b                 // prepares and commits
                                + n * (b + 3 + v + n * b);  // round changes with prepared justification
  const std::size_t rounds = std::size_t{c.future_rounds} + 2;
  return rounds * per_round + 2 * (n * b + v) + v;  // + prepared state, + decided commits and value, + round-1 vote
}

Instance::RoundState& Instance::state(Round r) {
  auto it = rounds_.find(r);
  if (it != rounds_.end()) return it->second;
  RoundState& rs = rounds_[r];
  rs.prepares.resize(cfg_.n);
  rs.commits.resize(cfg_.n);
  rs.round_changes.resize(cfg_.n);
  return rs;
}

Instance::RoundState* Instance::find_state(Round r) {
  auto it = rounds_.find(r);
  return it == rounds_.end() ? nullptr : &it->second;
}

SignedBody Instance::make_body(MsgType type, Round r, Round pr, const Root& hash) const {
  SignedBody b;
  b.type = type;
  b.instance = cfg_.instance_id;
  b.sender = cfg_.self;
  b.round = r;
  b.prepared_round = pr;
  b.value_hash = hash;
  return b;
}

const Bytes* Instance::find_value(const Root& hash) const {
  if (input_ && input_->hash == hash) return &input_->data;
  if (prepared_value_ && prepared_value_->hash == hash) return &prepared_value_->data;
  if (round1_vote_ && round1_vote_->hash == hash) return &round1_vote_->data;
  for (const auto& [r, rs] : rounds_) {
    if (rs.pre_prepare && rs.pre_prepare->body.value_hash == hash) return &*rs.pre_prepare->value;
    for (const auto& rc : rs.round_changes)
      if (rc && rc->value && rc->body.value_hash == hash) return &*rc->value;
  }
  return nullptr;
}

// ---------------------------------------------------------------------------------------------------------------
// Inputs

Outbox Instance::on_start(std::optional<Value> value, std::uint64_t elapsed_ns) {
  Outbox out;
  if (started_) {
    out.rejected = Reject::kAlreadyStarted;
    return out;
  }
  started_ = true;
  if (value) input_ = std::move(value);
  if (decision_) return out;
  const Round r = cfg_.timer.round_at(elapsed_ns);
  if (r > round_) {
    move_to_round(r, /*announce=*/true, out);
  } else {
    out.timer = TimerRequest{round_, cfg_.timer.deadline_ns(round_)};
  }
  evaluate(out);
  return out;
}

Outbox Instance::on_value_available(Value value) {
  Outbox out;
  if (input_) {
    out.rejected = Reject::kNoValueExpected;
    return out;
  }
  input_ = std::move(value);
  evaluate(out);
  return out;
}

Outbox Instance::on_timeout(Round r) {
  Outbox out;
  if (!started_ || decision_ || r != round_ || round_ >= kMaxRound) {
    out.rejected = Reject::kStaleTimer;
    return out;
  }
  move_to_round(round_ + 1, /*announce=*/true, out);
  evaluate(out);
  return out;
}

Outbox Instance::on_message(ByteSpan bytes) {
  Outbox out;
  auto decoded = decode(bytes);
  if (!decoded) {
    out.rejected = Reject::kMalformed;
    return out;
  }
  Message& m = *decoded;
  const SignedBody& b = m.body;
  Reject why = Reject::kOk;
  if (b.instance != cfg_.instance_id) {
    why = Reject::kWrongInstance;
  } else if (b.sender.value >= cfg_.n) {
    why = Reject::kUnknownSender;
  } else if (b.sender == cfg_.self) {
    why = Reject::kFromSelf;
  } else if (m.value && m.value->size() > cfg_.max_value_bytes) {
    why = Reject::kValueTooLarge;
  } else if (m.value && crypto::hash::sha256(*m.value) != b.value_hash) {
    why = Reject::kBadValueHash;
  }
  if (why != Reject::kOk) {
    out.rejected = why;
    return out;
  }
  if (decision_) {
    // Help a peer that is still changing rounds: answer its round change with the commit quorum.
    const std::uint32_t s = b.sender.value;
    if (b.type == MsgType::kRoundChange && b.round > answered_round_[s] &&
        decided_replies_[s] < kMaxDecidedRepliesPerPeer) {
      if (!verified(b)) {
        out.rejected = Reject::kBadSignature;
        return out;
      }
      answered_round_[s] = b.round;
      ++decided_replies_[s];
      Message d;
      d.body = make_body(MsgType::kDecided, decision_->round, kNoRound, decision_->value.hash);
      d.value = decision_->value.data;
      d.justification = decided_commits_;
      emit(std::move(d), b.sender, out);
      return out;
    }
    out.rejected = Reject::kAlreadyDecided;
    return out;
  }
  if (b.type != MsgType::kDecided) {
    why = check_window(b);
    if (why != Reject::kOk) {
      out.rejected = why;
      return out;
    }
  }
  handle(std::move(m), out);
  return out;
}

Reject Instance::check_window(const SignedBody& b) const {
  if (round_ >= 2 && b.round < round_ - 1) return Reject::kOldRound;
  if (b.round > round_ + cfg_.future_rounds) return Reject::kFutureRound;
  return Reject::kOk;
}

void Instance::handle(Message m, Outbox& out) {
  const SignedBody& b = m.body;
  const std::uint32_t s = b.sender.value;

  // Slot checks before signature checks: an exact duplicate of a stored (verified) message costs no verify.
  auto reject = [&](Reject r) { out.rejected = r; };
  switch (b.type) {
    case MsgType::kPrePrepare: {
      if (leader_from_offset(leader_offset_, b.round, cfg_.n) != b.sender) return reject(Reject::kNotLeader);
      RoundState& rs = state(b.round);
      if (rs.pre_prepare) {
        if (*rs.pre_prepare == m) return reject(Reject::kDuplicate);
        return reject(verified(b) ? Reject::kEquivocation : Reject::kBadSignature);
      }
      if (!verified(b)) return reject(Reject::kBadSignature);
      if (!justify_pre_prepare(m)) return reject(Reject::kBadJustification);
      if (cfg_.is_valid) {
        Value v;
        v.hash = b.value_hash;
        v.data = *m.value;
        if (!cfg_.is_valid(v)) return reject(Reject::kInvalidValue);
      }
      // Round 1 only: a proposal that differs from this node's own view is kept (its value may be decided by
      // the others) but not prepared; the leader needs the others' votes, or the round changes.
      const bool refused = b.round == 1 && cfg_.round1_check && !cfg_.round1_check(Value{b.value_hash, *m.value});
      const std::size_t sz = message_bytes(m);
      rs.bytes += sz;
      stored_bytes_ += sz;
      rs.pre_prepare = std::move(m);
      if (refused) {
        rs.sent_prepare = true;
        out.rejected = Reject::kLocalViewDiffers;
      }
      break;
    }
    case MsgType::kPrepare:
    case MsgType::kCommit: {
      RoundState& rs = state(b.round);
      auto& slot = b.type == MsgType::kPrepare ? rs.prepares[s] : rs.commits[s];
      if (slot) {
        if (*slot == b) return reject(Reject::kDuplicate);
        return reject(verified(b) ? Reject::kEquivocation : Reject::kBadSignature);
      }
      if (!verified(b)) return reject(Reject::kBadSignature);
      const std::size_t sz = body_bytes(b);
      rs.bytes += sz;
      stored_bytes_ += sz;
      slot = std::move(m.body);
      break;
    }
    case MsgType::kRoundChange: {
      RoundState& rs = state(b.round);
      auto& slot = rs.round_changes[s];
      if (slot) {
        if (*slot == m) return reject(Reject::kDuplicate);
        return reject(verified(b) ? Reject::kEquivocation : Reject::kBadSignature);
      }
      if (!verified(b)) return reject(Reject::kBadSignature);
      if (!justify_round_change(m)) return reject(Reject::kBadJustification);
      const std::size_t sz = message_bytes(m);
      rs.bytes += sz;
      stored_bytes_ += sz;
      slot = std::move(m);
      break;
    }
    case MsgType::kDecided: {
      if (!verified(b)) return reject(Reject::kBadSignature);
      // Honest peers send DECIDED only in answer to our ROUND-CHANGEs (at most one per round), and every one
      // of theirs is valid, so a budget of round + 1 signed DECIDEDs per sender bounds the justification
      // checks a Byzantine peer can make us do (it cannot spend another sender's budget without its key).
      if (decided_received_[s] > round_) return reject(Reject::kPeerLimit);
      ++decided_received_[s];
      // A commit quorum of the round, or (fast path) PREPAREs of round 1 from all n nodes.
      std::vector<SignedBody> certificate;
      bool fast = false;
      if (!justify_quorum(m.justification, MsgType::kCommit, b.round, b.value_hash, &certificate)) {
        certificate.clear();
        fast = cfg_.fast_path && b.round == 1 && justify_fast(m.justification, b.value_hash, &certificate);
        if (!fast) return reject(Reject::kBadJustification);
      }
      Value v;
      v.hash = b.value_hash;
      v.data = std::move(*m.value);
      decide(b.round, std::move(v), std::move(certificate), out, fast);
      return;
    }
  }
  evaluate(out);
}

// ---------------------------------------------------------------------------------------------------------------
// Signature checks with a small cache: the bodies inside justifications (round changes, prepares, commits)
// are usually messages this node has already verified, so a fixed-size ring of verified (sender, digest,
// signature) saves most ECDSA verifications during round changes. Only successful checks are cached.

bool Instance::verified(const SignedBody& b) const {
  VerifiedSig key{b.sender.value, signing_digest(b), b.signature};
  for (const auto& v : verified_cache_)
    if (v == key) return true;
  if (!verifier_.verify(b.sender, key.digest, b.signature)) return false;
  const std::size_t cap = kVerifiedCachePerNode * cfg_.n;
  if (verified_cache_.size() < cap) {
    verified_cache_.push_back(key);
  } else {
    verified_cache_[verified_next_] = key;
    verified_next_ = (verified_next_ + 1) % cap;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------------------------
// Justifications (Moniz Alg. 4)

bool Instance::justify_quorum(const std::vector<SignedBody>& just, MsgType type, Round round,
                              const Root& hash, std::vector<SignedBody>* selected) const {
  std::vector<bool> seen(cfg_.n, false);
  std::uint32_t count = 0;
  for (const auto& j : just) {
    if (j.type != type) continue;
    if (j.instance != cfg_.instance_id || j.round != round || j.value_hash != hash) return false;
    if (j.sender.value >= cfg_.n || seen[j.sender.value]) return false;
    seen[j.sender.value] = true;
    if (!verified(j)) return false;
    ++count;
    if (selected) selected->push_back(j);
  }
  return count >= cfg_.quorum();
}

bool Instance::justify_round_change(const Message& m) const {
  if (m.body.prepared_round == kNoRound) return true;  // decode() ensured no value and no justification
  return justify_quorum(m.justification, MsgType::kPrepare, m.body.prepared_round, m.body.value_hash,
                        nullptr);
}

bool Instance::justify_fast(const std::vector<SignedBody>& just, const Root& hash,
                            std::vector<SignedBody>* selected) const {
  // PREPARE(1, hash) from every one of the n nodes (entries of other kinds are ignored).
  std::vector<bool> seen(cfg_.n, false);
  std::uint32_t count = 0;
  for (const auto& j : just) {
    if (j.type != MsgType::kPrepare) continue;
    if (j.instance != cfg_.instance_id || j.round != 1 || j.value_hash != hash) return false;
    if (j.sender.value >= cfg_.n || seen[j.sender.value]) return false;
    seen[j.sender.value] = true;
    if (!verified(j)) return false;
    ++count;
    if (selected) selected->push_back(j);
  }
  return count == cfg_.n;
}

std::optional<Root> Instance::forced_vote(const std::vector<const SignedBody*>& round_changes) const {
  // Fast path: among round changes without a prepared certificate, a non-zero value_hash is the sender's
  // round-1 vote. A value with f+1 votes may have been decided fast (every honest node voted for it), so it
  // must be proposed; the one with most votes (ties: smallest hash) when several have f+1.
  if (!cfg_.fast_path) return std::nullopt;
  std::map<Root, std::uint32_t> votes;
  for (const SignedBody* rc : round_changes)
    if (rc->prepared_round == kNoRound && rc->value_hash != Root{}) ++votes[rc->value_hash];
  std::optional<Root> best;
  std::uint32_t best_count = 0;
  for (const auto& [h, c] : votes)
    if (c >= cfg_.f() + 1 && c > best_count) {
      best = h;
      best_count = c;
    }
  return best;
}

bool Instance::justify_pre_prepare(const Message& m) const {
  const SignedBody& b = m.body;
  if (b.round == 1) return true;  // decode() ensured no justification
  // A quorum of valid ROUND-CHANGE(round) from distinct senders ...
  std::vector<bool> seen(cfg_.n, false);
  std::uint32_t count = 0;
  Round highest = kNoRound;
  bool highest_matches = false;
  for (const auto& j : m.justification) {
    if (j.type != MsgType::kRoundChange) continue;
    if (j.instance != cfg_.instance_id || j.round != b.round) return false;
    if (j.sender.value >= cfg_.n || seen[j.sender.value]) return false;
    seen[j.sender.value] = true;
    if (!verified(j)) return false;
    ++count;
    if (j.prepared_round > highest) {
      highest = j.prepared_round;
      highest_matches = j.value_hash == b.value_hash;
    } else if (j.prepared_round == highest && highest != kNoRound && j.value_hash == b.value_hash) {
      highest_matches = true;
    }
  }
  if (count < cfg_.quorum()) return false;
  bool has_prepares = false;
  for (const auto& j : m.justification) has_prepares = has_prepares || j.type == MsgType::kPrepare;
  if (highest == kNoRound) {
    // J1: nobody prepared; any value may be proposed, unless (fast path) f+1 round changes report one
    // round-1 vote: then the proposal must be a value with f+1 votes.
    if (has_prepares) return false;
    std::vector<const SignedBody*> rcs;
    for (const auto& j : m.justification)
      if (j.type == MsgType::kRoundChange) rcs.push_back(&j);
    if (!forced_vote(rcs)) return true;
    std::uint32_t votes = 0;
    for (const SignedBody* rc : rcs) votes += rc->value_hash == b.value_hash ? 1 : 0;
    return votes >= cfg_.f() + 1;
  }
  // ... J2: the value is the highest prepared one, proven by a quorum of PREPARE(highest, value).
  return highest_matches &&
         justify_quorum(m.justification, MsgType::kPrepare, highest, b.value_hash, nullptr);
}

// ---------------------------------------------------------------------------------------------------------------
// Upon rules (Moniz Alg. 2 and 3), re-evaluated after every input until none fires.

void Instance::evaluate(Outbox& out) {
  // Each rule sets a per-round flag or raises the round, so the loop terminates; the bound is a backstop.
  for (int guard = 0; guard < 4 * static_cast<int>(kMaxRound); ++guard) {
    if (decision_) return;
    if (try_decide(out)) return;
    if (try_fast_decide(out)) return;
    if (!started_) return;
    if (try_round_change_rule(out)) continue;
    if (try_accept_pre_prepare(out)) continue;
    if (try_commit(out)) continue;
    if (try_propose(out)) continue;
    return;
  }
}

bool Instance::try_decide(Outbox& out) {
  const std::uint32_t q = cfg_.quorum();
  for (auto& [r, rs] : rounds_) {
    for (std::uint32_t i = 0; i < cfg_.n; ++i) {
      if (!rs.commits[i]) continue;
      const Root& h = rs.commits[i]->value_hash;
      std::vector<SignedBody> quorum;
      for (std::uint32_t k = 0; k < cfg_.n; ++k)
        if (rs.commits[k] && rs.commits[k]->value_hash == h) quorum.push_back(*rs.commits[k]);
      if (quorum.size() < q) continue;
      const Bytes* data = find_value(h);
      if (!data) continue;  // the value arrives with a PRE-PREPARE, ROUND-CHANGE or DECIDED
      Value v;
      v.hash = h;
      v.data = *data;
      decide(r, std::move(v), std::move(quorum), out);
      return true;
    }
  }
  return false;
}

bool Instance::try_fast_decide(Outbox& out) {
  if (!cfg_.fast_path) return false;
  RoundState* rs = find_state(1);
  if (!rs) return false;
  for (std::uint32_t i = 0; i < cfg_.n; ++i)
    if (!rs->prepares[i] || rs->prepares[i]->value_hash != rs->prepares[0]->value_hash) return false;
  const Root h = rs->prepares[0]->value_hash;
  const Bytes* data = find_value(h);
  if (!data) return false;  // the value comes with the PRE-PREPARE
  // Send our COMMIT first if we have not (a quorum of prepares is there), so that nodes that missed a PREPARE
  // still decide on the slow path without waiting for a round change.
  if (round_ == 1 && started_) (void)try_commit(out);
  std::vector<SignedBody> prepares;
  for (std::uint32_t i = 0; i < cfg_.n; ++i) prepares.push_back(*rs->prepares[i]);
  Value v;
  v.hash = h;
  v.data = *data;
  decide(1, std::move(v), std::move(prepares), out, /*fast=*/true);
  return true;
}

bool Instance::try_round_change_rule(Outbox& out) {
  // Upon f+1 valid ROUND-CHANGE from distinct senders with rounds above ours, move to the smallest of them
  // (taking, per sender, its highest round, which maximizes that smallest round).
  std::vector<Round> highest(cfg_.n, kNoRound);
  for (auto it = rounds_.upper_bound(round_); it != rounds_.end(); ++it)
    for (std::uint32_t s = 0; s < cfg_.n; ++s)
      if (it->second.round_changes[s]) highest[s] = it->first;
  std::vector<Round> above;
  for (Round r : highest)
    if (r > round_) above.push_back(r);
  const std::uint32_t need = cfg_.f() + 1;
  if (above.size() < need) return false;
  std::sort(above.begin(), above.end(), std::greater<>());
  move_to_round(above[need - 1], /*announce=*/true, out);
  return true;
}

bool Instance::try_accept_pre_prepare(Outbox& out) {
  for (auto it = rounds_.lower_bound(round_); it != rounds_.end(); ++it) {
    RoundState& rs = it->second;
    if (!rs.pre_prepare || rs.sent_prepare) continue;
    const Round r = it->first;
    const Root h = rs.pre_prepare->body.value_hash;
    rs.sent_prepare = true;
    if (r == 1 && cfg_.fast_path && !round1_vote_) {
      round1_vote_ = Value{h, *rs.pre_prepare->value};
      stored_bytes_ += 4 + round1_vote_->data.size();
    }
    if (r > round_) move_to_round(r, /*announce=*/false, out);  // a justified proposal moves us up
    Message p;
    p.body = make_body(MsgType::kPrepare, r, kNoRound, h);
    emit(std::move(p), std::nullopt, out);
    return true;
  }
  return false;
}

bool Instance::try_commit(Outbox& out) {
  RoundState* rs = find_state(round_);
  if (!rs || rs->sent_commit) return false;
  const std::uint32_t q = cfg_.quorum();
  for (std::uint32_t i = 0; i < cfg_.n; ++i) {
    if (!rs->prepares[i]) continue;
    const Root h = rs->prepares[i]->value_hash;
    std::vector<SignedBody> quorum;
    for (std::uint32_t k = 0; k < cfg_.n; ++k)
      if (rs->prepares[k] && rs->prepares[k]->value_hash == h) quorum.push_back(*rs->prepares[k]);
    if (quorum.size() < q) continue;
    const Bytes* data = find_value(h);
    if (!data) continue;  // cannot carry the value in a later ROUND-CHANGE yet
    Value v;
    v.hash = h;
    v.data = *data;
    stored_bytes_ -= prepared_bytes();
    prepared_round_ = round_;
    prepared_value_ = std::move(v);
    prepared_justification_ = std::move(quorum);
    stored_bytes_ += prepared_bytes();
    rs->sent_commit = true;
    Message c;
    c.body = make_body(MsgType::kCommit, round_, kNoRound, h);
    emit(std::move(c), std::nullopt, out);
    return true;
  }
  return false;
}

bool Instance::try_propose(Outbox& out) {
  if (leader_from_offset(leader_offset_, round_, cfg_.n) != cfg_.self) return false;
  RoundState& rs = state(round_);
  if (rs.sent_pre_prepare) return false;
  Message pp;
  if (round_ == 1) {
    if (!input_) return false;  // propose when the value arrives
    pp.body = make_body(MsgType::kPrePrepare, 1, kNoRound, input_->hash);
    pp.value = input_->data;
  } else {
    std::vector<const Message*> rcs;
    for (const auto& rc : rs.round_changes)
      if (rc) rcs.push_back(&*rc);
    if (rcs.size() < cfg_.quorum()) return false;
    std::stable_sort(rcs.begin(), rcs.end(), [](const Message* a, const Message* b) {
      return a->body.prepared_round > b->body.prepared_round;
    });
    rcs.resize(cfg_.quorum());
    const Message& best = *rcs.front();
    if (best.body.prepared_round != kNoRound) {
      pp.body = make_body(MsgType::kPrePrepare, round_, kNoRound, best.body.value_hash);
      pp.value = *best.value;
      for (const Message* rc : rcs) pp.justification.push_back(rc->body);
      for (const auto& p : best.justification) pp.justification.push_back(p);
    } else {
      std::vector<const SignedBody*> bodies;
      for (const Message* rc : rcs) bodies.push_back(&rc->body);
      if (auto forced = forced_vote(bodies)) {
        // Fast path: a value f+1 of these round changes voted for in round 1 (their messages carry it).
        const Bytes* data = nullptr;
        for (const Message* rc : rcs)
          if (rc->body.value_hash == *forced && rc->value) data = &*rc->value;
        if (!data) data = find_value(*forced);
        if (!data) return false;
        pp.body = make_body(MsgType::kPrePrepare, round_, kNoRound, *forced);
        pp.value = *data;
      } else {
        if (!input_) return false;
        pp.body = make_body(MsgType::kPrePrepare, round_, kNoRound, input_->hash);
        pp.value = input_->data;
      }
      for (const Message* rc : rcs) pp.justification.push_back(rc->body);
    }
  }
  rs.sent_pre_prepare = true;
  emit(std::move(pp), std::nullopt, out);
  return true;
}

// ---------------------------------------------------------------------------------------------------------------
// State changes

std::size_t Instance::prepared_bytes() const {
  return bodies_bytes(prepared_justification_) + (prepared_value_ ? 4 + prepared_value_->data.size() : 0);
}

void Instance::move_to_round(Round r, bool announce, Outbox& out) {
  PHX_ASSERT(r > round_);
  round_ = r;
  prune();
  out.timer = TimerRequest{round_, cfg_.timer.deadline_ns(round_)};
  if (!announce) return;
  Message rc;
  rc.body = make_body(MsgType::kRoundChange, round_, prepared_round_,
                      prepared_value_ ? prepared_value_->hash : Root{});
  if (prepared_round_ != kNoRound) {
    rc.value = prepared_value_->data;
    rc.justification = prepared_justification_;
  } else if (cfg_.fast_path && round1_vote_) {
    // Not prepared: report the round-1 vote, with its bytes (the next leader may have to propose it).
    rc.body.value_hash = round1_vote_->hash;
    rc.value = round1_vote_->data;
  }
  emit(std::move(rc), std::nullopt, out);
}

void Instance::prune() {
  const Round keep_from = round_ >= 2 ? round_ - 1 : 1;
  while (!rounds_.empty() && rounds_.begin()->first < keep_from) {
    stored_bytes_ -= rounds_.begin()->second.bytes;
    rounds_.erase(rounds_.begin());
  }
}

void Instance::decide(Round r, Value v, std::vector<SignedBody> commits, Outbox& out, bool fast) {
  decision_ = Decision{r, std::move(v), fast};
  decided_commits_ = std::move(commits);
  out.decision = decision_;
  out.stop_timer = true;
  out.timer.reset();
  rounds_.clear();
  stored_bytes_ = prepared_bytes() + bodies_bytes(decided_commits_) + 4 + decision_->value.data.size() +
                  (round1_vote_ ? 4 + round1_vote_->data.size() : 0);
}

void Instance::emit(Message m, std::optional<OperatorIdx> to, Outbox& out) {
  sign(m.body, signer_);
  out.messages.push_back(Outgoing{to, encode(m)});
  if (!to) store_local(m);
}

void Instance::store_local(const Message& m) {
  // Our own broadcast counts towards our quorums (Moniz's broadcast includes the sender).
  const std::uint32_t s = cfg_.self.value;
  RoundState& rs = state(m.body.round);
  std::size_t sz = 0;
  switch (m.body.type) {
    case MsgType::kPrePrepare:
      sz = message_bytes(m);
      rs.pre_prepare = m;
      break;
    case MsgType::kPrepare:
      sz = body_bytes(m.body);
      rs.prepares[s] = m.body;
      break;
    case MsgType::kCommit:
      sz = body_bytes(m.body);
      rs.commits[s] = m.body;
      break;
    case MsgType::kRoundChange:
      sz = message_bytes(m);
      rs.round_changes[s] = m;
      break;
    case MsgType::kDecided:
      return;
  }
  rs.bytes += sz;
  stored_bytes_ += sz;
}

}  // namespace phx::consensus::qbft
