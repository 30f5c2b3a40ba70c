// The DKG ceremony's input handling: envelope checks, the message store (duplicates, equivocation), early
// buffering, retransmission requests, timers, failures and resume from the journal.
#include "dkg/ceremony.hpp"

#include <algorithm>
#include <set>

#include "base/assert.hpp"
#include "dkg/ceremony_sign_state.hpp"
#include "dkg/evidence.hpp"
#include "dkg/internal.hpp"

namespace phx::dkg {

const char* to_string(Reject r) {
  switch (r) {
    case Reject::kDecode: return "not a DKG envelope of this version";
    case Reject::kUnknownSender: return "unknown sender";
    case Reject::kRole: return "the sender's role does not send this kind";
    case Reject::kBadSignature: return "bad envelope signature";
    case Reject::kWrongSession: return "another session";
    case Reject::kDuplicate: return "duplicate";
    case Reject::kBufferFull: return "an early message for this slot is already buffered";
    case Reject::kBadEvidence: return "abort with evidence that does not check";
    case Reject::kStopped: return "the ceremony has ended";
    case Reject::kBadPart: return "chunk index out of range";
    case Reject::kTooLarge: return "payload larger than any legitimate message of its kind";
  }
  return "unknown";
}

Ceremony::Ceremony(Params params, LocalConfig local, const NodeSigner& signer, const NodeVerifier& verifier,
                   const ArtifactPlan& plan, SecretScalars old_shares)
    : p_(std::move(params)),
      local_(std::move(local)),
      signer_(signer),
      verifier_(verifier),
      plan_(plan),
      old_shares_(std::move(old_shares)) {
  PHX_ASSERT(validate(p_).has_value());
  PHX_ASSERT(local_.self < p_.n());
  PHX_ASSERT(plan_.roots_per_validator() == p_.roots_per_validator);
  params_hash_ = params_hash(p_);
  dealers_ = p_.dealers();
  receivers_ = p_.receivers();
  dealer_pos_.assign(p_.n(), p_.n());
  receiver_pos_.assign(p_.n(), p_.n());
  for (std::uint32_t i = 0; i < dealers_.size(); ++i) dealer_pos_[dealers_[i]] = i;
  for (std::uint32_t i = 0; i < receivers_.size(); ++i) receiver_pos_[receivers_[i]] = i;
  weights_ = dealer_weights(p_);
  hellos_.resize(p_.n());
  manifest_ok_.assign(dealers_.size(), false);
  chunk_done_.assign(dealers_.size(), std::vector<bool>(p_.chunks(), false));
  verdict_checked_.assign(receivers_.size(), false);
  PHX_ASSERT(!p_.reshare || !p_.participants[local_.self].dealer || old_shares_.size() == p_.validators);
}

Ceremony::~Ceremony() { secure_zero(&eph_secret_, sizeof eph_secret_); }

Round Ceremony::round() const {
  switch (phase_) {
    case Phase::kIdle:
    case Phase::kHello: return Round::kHello;
    case Phase::kDeal: return Round::kDeal;
    case Phase::kVerdict: return Round::kVerdict;
    case Phase::kSign: return Round::kSign;
    case Phase::kLock: return Round::kLock;
    case Phase::kWrite:
    case Phase::kDone:
    case Phase::kFinished: return Round::kDone;
  }
  return Round::kHello;
}

// ---------------------------------------------------------------------------------------------------------
// Inputs

Outbox Ceremony::start(Seed seed, std::uint64_t now_ns) {
  Outbox out;
  if (phase_ != Phase::kIdle) {
    out.rejected = Reject::kStopped;
    return out;
  }
  now_ = now_ns;
  if (!replaying_) out.journal.push_back(JournalRecord{JournalType::kSeed, SecretBytes(seed.view())});
  seed_ = std::make_unique<Seed>(std::move(seed));
  nonce_ = derive_nonce(*seed_);
  eph_secret_ = derive_ephemeral_secret(*seed_, p_.definition_hash, nonce_);
  const bool dealer = p_.participants[local_.self].dealer;
  if (dealer) {
    commitments_ = commit_all(p_, DealerSecrets{seed_.get(), p_.definition_hash, nonce_,
                                                p_.reshare ? &old_shares_ : nullptr});
  }
  Hello h;
  h.definition_hash = p_.definition_hash;
  h.params_hash = params_hash_;
  h.nonce = nonce_;
  h.ephemeral_key = crypto::bls::G1::generator().mul(eph_secret_).to_compressed();
  h.preflight = local_.preflight;
  const std::string detail = local_.preflight_detail.substr(0, 256);
  h.preflight_detail.assign(detail.begin(), detail.end());
  if (dealer) h.commitments_hash = commitments_.hash;
  if (p_.reshare) h.old_lock_hash = p_.reshare->old_lock_hash;
  set_phase(Phase::kHello, now_ns, out);
  next_retransmit_ = now_ns + local_.retransmit_interval_ns;
  emit(Payload{h}, out);
  hellos_[local_.self] = h;
  if (local_.preflight != 0) {
    Failure f;
    f.code = FailureCode::kPreflight;
    f.operators = {local_.self};
    f.cause = "this node cannot start: " + detail;
    f.next_action = next_action(FailureCode::kPreflight);
    fail(std::move(f), out, false);
  }
  advance(out);
  arm(out);
  return out;
}

Outbox Ceremony::resume(std::span<const JournalRecord> journal, std::uint64_t now_ns) {
  Outbox out;
  const JournalRecord* seed_rec = nullptr;
  for (const auto& r : journal) {
    if (r.type == JournalType::kSeed && r.data.size() == 32 && seed_rec == nullptr) seed_rec = &r;
    if (r.type == JournalType::kSent) {
      auto d = decode_envelope(r.data.view());
      if (d) journaled_sent_[internal::key_of(slot_of(*d))] = Bytes(r.data.view().begin(), r.data.view().end());
    }
  }
  if (seed_rec == nullptr || phase_ != Phase::kIdle) {
    failed_ = true;
    Failure f;
    f.code = FailureCode::kWrite;
    f.operators = {local_.self};
    f.cause = "the journal holds no seed: this session cannot be resumed";
    f.next_action = "all operators start a new ceremony";
    out.failure = std::move(f);
    return out;
  }
  replaying_ = true;
  Outbox scratch = start(Seed(std::span<const std::uint8_t, 32>(seed_rec->data.view().data(), 32)), now_ns);
  for (const auto& r : journal) {
    if (r.type != JournalType::kReceived || failed_) continue;
    Outbox o = on_message(local_.self, r.data.view(), now_ns);
    if (o.result) scratch.result = std::move(o.result);
    if (o.failure) scratch.failure = std::move(o.failure);
  }
  replaying_ = false;
  now_ = now_ns;
  out.result = std::move(scratch.result);
  out.failure = std::move(scratch.failure);
  if (failed_) return out;
  // Messages signed during the replay that the journal does not hold were never sent: journal and send them.
  // Also re-send this node's messages of the current and the previous round (peers ignore duplicates).
  const std::uint8_t cur = static_cast<std::uint8_t>(round());
  for (const auto& [key, s] : store_) {
    const auto [kind, sender, part] = key;
    if (sender != local_.self) continue;
    const bool known = journaled_sent_.count(key) != 0;
    if (!known) out.journal.push_back(JournalRecord{JournalType::kSent, SecretBytes(s.bytes)});
    const std::uint8_t r = round_of(static_cast<Kind>(kind));
    if (!known || r + 1 >= cur) out.messages.push_back(Outgoing{std::nullopt, s.bytes});
  }
  deadline_ = phase_ == Phase::kHello ? now_ns + local_.connect_timeout_ns
                                      : (phase_ == Phase::kWrite || phase_ == Phase::kFinished ? 0 : now_ns + local_.round_timeout_ns);
  request_missing(out);
  next_retransmit_ = now_ns + local_.retransmit_interval_ns;
  if (finished_) out.finished = true;
  arm(out);
  return out;
}

Outbox Ceremony::on_message(std::uint32_t from, ByteSpan bytes, std::uint64_t now_ns) {
  Outbox out;
  now_ = std::max(now_, now_ns);
  handle(from, bytes, out);
  if (!failed_ && !finished_) arm(out);
  return out;
}

Outbox Ceremony::on_timeout(std::uint64_t now_ns) {
  Outbox out;
  now_ = std::max(now_, now_ns);
  if (failed_ || finished_ || phase_ == Phase::kIdle) return out;
  if (deadline_ != 0 && now_ >= deadline_) {
    std::set<std::uint32_t> missing;
    for (const auto& s : missing_slots()) missing.insert(s.sender);
    for (auto r : mismatch_from_) missing.insert(r);
    std::vector<std::uint32_t> ops(missing.begin(), missing.end());
    std::string list;
    for (auto i : ops) list += (list.empty() ? "" : ", ") + std::to_string(i);
    const bool connect = phase_ == Phase::kHello;
    std::string cause = std::string(to_string(round())) + ": still missing messages from participant(s) " + list +
                        " at the deadline";
    if (!mismatch_from_.empty()) cause += " (some reported R1 roots that differ from ours)";
    fail_code(connect ? FailureCode::kConnectTimeout : FailureCode::kRoundTimeout, ops, cause, out);
    return out;
  }
  if (now_ >= next_retransmit_) {
    request_missing(out);
    next_retransmit_ = now_ + local_.retransmit_interval_ns;
  }
  arm(out);
  return out;
}

Outbox Ceremony::on_artifacts_written(std::span<const Root> artifacts, std::uint64_t now_ns) {
  Outbox out;
  now_ = std::max(now_, now_ns);
  if (failed_ || phase_ != Phase::kWrite) {
    out.rejected = Reject::kStopped;
    return out;
  }
  artifacts_.assign(artifacts.begin(), artifacts.end());
  if (artifacts_.size() > kMaxArtifacts) artifacts_.resize(kMaxArtifacts);
  set_phase(Phase::kDone, now_ns, out);
  if (p_.participants[local_.self].receiver) {
    Done d;
    d.lock_hash = lock_hash_;
    d.artifacts.assign(artifacts_.begin(), artifacts_.end());
    emit(Payload{d}, out);
  }
  advance(out);
  if (!failed_ && !finished_) arm(out);
  return out;
}

Outbox Ceremony::on_write_failed(const std::string& cause) {
  Outbox out;
  Failure f;
  f.code = FailureCode::kWrite;
  f.operators = {local_.self};
  f.cause = "cannot write the artifacts: " + cause;
  f.next_action = next_action(FailureCode::kWrite);
  fail(std::move(f), out, false);
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Envelopes

bool Ceremony::verify_sig(const Decoded& d) const {
  const Root digest =
      signing_digest(d.envelope.session, static_cast<Kind>(d.envelope.kind), d.envelope.sender, d.payload_root);
  return verifier_.verify(d.envelope.sender, digest, d.envelope.signature);
}

void Ceremony::handle(std::uint32_t from, ByteSpan bytes, Outbox& out) {
  if (phase_ == Phase::kIdle) {
    out.rejected = Reject::kStopped;
    return;
  }
  auto d = decode_envelope(bytes);
  if (!d) {
    if (d.error() == DecodeError::kBadVersion && !failed_ && !finished_ && from < p_.n() && from != local_.self) {
      fail_code(FailureCode::kVersion, {from},
                "participant " + std::to_string(from) + " runs another DKG protocol version", out);
      return;
    }
    out.rejected = Reject::kDecode;
    return;
  }
  const std::uint32_t sender = d->envelope.sender;
  if (sender >= p_.n()) {
    out.rejected = Reject::kUnknownSender;
    return;
  }
  const auto kind = static_cast<Kind>(d->envelope.kind);
  const bool session_ok =
      d->envelope.session == p_.definition_hash || (session_ && d->envelope.session == *session_);
  if (kind == Kind::kRequest) {
    if (!session_ok || !verify_sig(*d)) {
      out.rejected = session_ok ? Reject::kBadSignature : Reject::kWrongSession;
      return;
    }
    if (!replaying_) answer_request(from, std::get<Request>(d->payload), out);
    return;
  }
  if (failed_ || finished_) {
    out.rejected = Reject::kStopped;
    return;
  }
  if (kind == Kind::kAbort) {
    if (!session_ok || !verify_sig(*d)) {
      out.rejected = session_ok ? Reject::kBadSignature : Reject::kWrongSession;
      return;
    }
    auto f = verify_evidence(p_, verifier_, d->envelope.payload);
    if (!f) {
      out.rejected = Reject::kBadEvidence;
      return;
    }
    f->evidence = Bytes(d->envelope.payload.begin(), d->envelope.payload.end());
    fail(std::move(*f), out, false);
    return;
  }
  const auto& who = p_.participants[sender];
  const bool dealer_kind = kind == Kind::kDealManifest || kind == Kind::kDealChunk;
  const bool receiver_kind = kind == Kind::kVerdict || kind == Kind::kSign || kind == Kind::kLock || kind == Kind::kDone;
  if ((dealer_kind && !who.dealer) || (receiver_kind && !who.receiver)) {
    out.rejected = Reject::kRole;
    return;
  }
  const MessageSlot slot = slot_of(*d);
  if ((kind == Kind::kDealChunk || kind == Kind::kSign || kind == Kind::kLock) && slot.part >= p_.chunks()) {
    out.rejected = Reject::kBadPart;
    return;
  }
  if (kind == Kind::kHello) {
    if (!verify_sig(*d)) {
      out.rejected = Reject::kBadSignature;
      return;
    }
    on_hello(*d, bytes, out);
    if (!failed_) advance(out);
    return;
  }
  if (d->envelope.payload.size() > max_payload(kind)) {
    out.rejected = Reject::kTooLarge;
    return;
  }
  const Key key = internal::key_of(slot);
  if (!session_) {
    // Before the session id is known only the signer itself may deliver its messages (relays are needed only
    // later), so a participant can occupy no more than its own slots, each at most a legitimate size.
    if (from != sender) {
      out.rejected = Reject::kBufferFull;
      return;
    }
    auto it = pending_.find(key);
    if (it != pending_.end()) {
      out.rejected = std::equal(it->second.begin(), it->second.end(), bytes.begin(), bytes.end())
                         ? Reject::kDuplicate
                         : Reject::kBufferFull;
      return;
    }
    pending_.emplace(key, Bytes(bytes.begin(), bytes.end()));
    return;
  }
  if (d->envelope.session != *session_) {
    out.rejected = Reject::kWrongSession;
    // A participant signing under another session id saw other R0 messages than we did: ask it for its R0
    // view once; a second R0 of some participant then proves the divergence (equivocation or restart).
    if (!replaying_ && from < p_.n() && from != local_.self && probed_.insert(from).second) {
      Request req;
      for (std::uint32_t i = 0; i < p_.n(); ++i) req.wanted.push_back(MessageSlot{0, i, 0});
      Envelope e;
      e.kind = static_cast<std::uint8_t>(Kind::kRequest);
      e.sender = local_.self;
      e.session = p_.definition_hash;  // Requests are valid across sessions of one definition
      const Payload pl{req};
      e.payload = ssz::ByteList<kMaxPayloadBytes>(encode_payload(pl));
      e.signature = signer_.sign(signing_digest(e.session, Kind::kRequest, e.sender, payload_root(pl)));
      out.messages.push_back(Outgoing{from, encode_envelope(e)});
    }
    return;
  }
  if (!verify_sig(*d)) {
    out.rejected = Reject::kBadSignature;
    return;
  }
  accept(std::move(*d), Bytes(bytes.begin(), bytes.end()), out);
  if (!failed_) advance(out);
}

void Ceremony::accept(Decoded d, Bytes bytes, Outbox& out) {
  const Key key = internal::key_of(slot_of(d));
  auto it = store_.find(key);
  if (it != store_.end()) {
    if (it->second.root == d.payload_root) {
      out.rejected = Reject::kDuplicate;
      return;
    }
    const std::uint32_t sender = d.envelope.sender;
    auto ev = hello_envelopes();
    ev.push_back(it->second.bytes);
    ev.push_back(bytes);
    Failure f;
    f.code = FailureCode::kEquivocation;
    f.operators = {sender};
    f.cause = "participant " + std::to_string(sender) + " signed two different " +
              to_string(static_cast<Kind>(d.envelope.kind)) + " messages";
    f.next_action = next_action(f.code);
    f.evidence = make_evidence(f.code, sender, 0, DealCheck::kNone, ev);
    fail(std::move(f), out, true);
    return;
  }
  if (!replaying_) out.journal.push_back(JournalRecord{JournalType::kReceived, SecretBytes(bytes)});
  store_.emplace(key, Stored{std::move(bytes), d.payload_root, std::move(d)});
}

void Ceremony::emit(Payload payload, Outbox& out) {
  const Kind kind = kind_of(payload);
  Envelope e;
  e.kind = static_cast<std::uint8_t>(kind);
  e.sender = local_.self;
  const bool control = kind == Kind::kRequest || kind == Kind::kAbort;
  // R0 and the control messages (self-contained, valid across sessions) are signed under the definition hash.
  e.session = (kind == Kind::kHello || control || !session_) ? p_.definition_hash : *session_;
  e.payload = ssz::ByteList<kMaxPayloadBytes>(encode_payload(payload));
  const Root root = payload_root(payload);
  if (!control) {
    Decoded d{e, payload, root};
    const Key key = internal::key_of(slot_of(d));
    auto j = journaled_sent_.find(key);
    Bytes bytes;
    if (j != journaled_sent_.end()) {
      auto old = decode_envelope(j->second);
      if (!old || old->payload_root != root) {
        Failure f;
        f.code = FailureCode::kWrite;
        f.operators = {local_.self};
        f.cause = "the journal holds another signed " + std::string(to_string(kind)) +
                  " message of this node: refusing to sign a second one";
        f.next_action = "all operators start a new ceremony";
        fail(std::move(f), out, false);
        return;
      }
      bytes = j->second;
      d.envelope.signature = old->envelope.signature;
    } else {
      d.envelope.signature = signer_.sign(signing_digest(e.session, kind, e.sender, root));
      bytes = encode_envelope(d.envelope);
    }
    if (!replaying_) {
      out.journal.push_back(JournalRecord{JournalType::kSent, SecretBytes(bytes)});
      out.messages.push_back(Outgoing{std::nullopt, bytes});
    }
    store_.emplace(key, Stored{std::move(bytes), root, std::move(d)});
    return;
  }
  e.signature = signer_.sign(signing_digest(e.session, kind, e.sender, root));
  if (!replaying_) out.messages.push_back(Outgoing{std::nullopt, encode_envelope(e)});
}

const Ceremony::Stored* Ceremony::find(Kind k, std::uint32_t sender, std::uint32_t part) const {
  auto it = store_.find(Key{static_cast<std::uint8_t>(k), sender, part});
  return it == store_.end() ? nullptr : &it->second;
}

std::vector<Bytes> Ceremony::hello_envelopes() const {
  std::vector<Bytes> out;
  for (std::uint32_t i = 0; i < p_.n(); ++i) {
    if (const auto* s = find(Kind::kHello, i)) out.push_back(s->bytes);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Retransmission

void Ceremony::answer_request(std::uint32_t from, const Request& r, Outbox& out) {
  if (from >= p_.n() || from == local_.self) return;
  std::set<Key> sent;
  // Each slot is sent to one requester at most once per half retransmit interval, so repeated requests cannot
  // multiply the traffic.
  auto send = [&](const Key& k, const Stored& s) {
    if (!sent.insert(k).second) return;
    auto [it, fresh] = answered_.try_emplace({from, k}, now_);
    if (!fresh) {
      if (now_ < it->second + local_.retransmit_interval_ns / 2) return;
      it->second = now_;
    }
    out.messages.push_back(Outgoing{from, s.bytes});
  };
  for (const auto& s : r.wanted) {
    if (s.part == kAllParts) {
      for (auto it = store_.lower_bound(Key{s.kind, s.sender, 0});
           it != store_.end() && std::get<0>(it->first) == s.kind && std::get<1>(it->first) == s.sender; ++it) {
        send(it->first, it->second);
      }
    } else {
      const Key k{s.kind, s.sender, s.part};
      auto it = store_.find(k);
      if (it != store_.end()) send(k, it->second);
    }
  }
}

std::size_t Ceremony::max_payload(Kind k) const {
  const std::size_t n = p_.n(), m = p_.chunk_validators, t = p_.threshold, a = p_.roots_per_validator;
  const std::size_t slack = 256;  // SSZ offsets and list headers, generously
  switch (k) {
    case Kind::kHello: return 600;
    case Kind::kDealManifest: return 64 * std::size_t{p_.chunks()} + slack;
    case Kind::kDealChunk:
      return m * (4 + 4 + 48 * t + 48 + 32) + receivers_.size() * (4 + 32 * m + kAeadTagBytes) + slack;
    case Kind::kVerdict: return 32 * dealers_.size() + 9 * n + 32 + slack;
    case Kind::kSign: return 96 * m * a + slack;
    case Kind::kLock: return 96 * m + 32 + 65 + slack;
    case Kind::kDone: return 32 * std::size_t{kMaxArtifacts} + 32 + slack;
    case Kind::kRequest:
    case Kind::kAbort: return kMaxPayloadBytes;
  }
  return 0;
}

std::vector<MessageSlot> Ceremony::missing_slots() const {
  std::vector<MessageSlot> out;
  auto need = [&](Kind k, std::uint32_t sender, std::uint32_t part) {
    if (sender != local_.self) out.push_back(MessageSlot{static_cast<std::uint8_t>(k), sender, part});
  };
  switch (phase_) {
    case Phase::kHello:
      for (std::uint32_t i = 0; i < p_.n(); ++i) {
        if (!hellos_[i]) need(Kind::kHello, i, 0);
      }
      break;
    case Phase::kDeal:
      for (std::uint32_t dp = 0; dp < dealers_.size(); ++dp) {
        const auto d = dealers_[dp];
        if (find(Kind::kDealManifest, d) == nullptr) {
          need(Kind::kDealManifest, d, 0);
          need(Kind::kDealChunk, d, kAllParts);
          continue;
        }
        for (std::uint32_t c = 0; c < p_.chunks(); ++c) {
          if (!chunk_done_[dp][c] && find(Kind::kDealChunk, d, c) == nullptr) need(Kind::kDealChunk, d, c);
        }
      }
      break;
    case Phase::kVerdict:
      for (auto r : receivers_) {
        if (find(Kind::kVerdict, r) == nullptr) need(Kind::kVerdict, r, 0);
      }
      break;
    case Phase::kSign:
    case Phase::kLock: {
      const Kind k = phase_ == Phase::kSign ? Kind::kSign : Kind::kLock;
      for (auto r : receivers_) {
        for (std::uint32_t c = 0; c < p_.chunks(); ++c) {
          if (find(k, r, c) == nullptr) need(k, r, c);
        }
      }
      break;
    }
    case Phase::kDone:
      for (auto r : receivers_) {
        if (find(Kind::kDone, r) == nullptr) need(Kind::kDone, r, 0);
      }
      break;
    default: break;
  }
  return out;
}

void Ceremony::request_missing(Outbox& out) {
  if (replaying_ || failed_ || finished_) return;
  std::map<std::uint32_t, Request> by_target;
  auto add = [&](std::uint32_t target, MessageSlot s) {
    if (target == local_.self || target >= p_.n()) return;
    auto& r = by_target[target];
    if (r.wanted.size() < kMaxRequestSlots) r.wanted.push_back(s);
  };
  for (const auto& s : missing_slots()) add(s.sender, s);
  // R2 roots that differ from ours: ask the reporter for the dealer messages it holds (a relayed second
  // version proves the dealer's equivocation).
  for (auto r : mismatch_from_) {
    for (auto d : dealers_) {
      add(r, MessageSlot{static_cast<std::uint8_t>(Kind::kDealManifest), d, 0});
    }
  }
  // Complaints about chunks this node does not hold: ask the complainer.
  for (auto r : receivers_) {
    const auto* s = find(Kind::kVerdict, r);
    if (s == nullptr || !s->decoded) continue;
    const auto& v = std::get<Verdict>(s->decoded->payload);
    for (const auto& cp : v.complaints) {
      if (cp.dealer >= p_.n() || cp.validator >= p_.validators) continue;
      add(r, MessageSlot{static_cast<std::uint8_t>(Kind::kDealManifest), cp.dealer, 0});
      add(r, MessageSlot{static_cast<std::uint8_t>(Kind::kDealChunk), cp.dealer, cp.validator / p_.chunk_validators});
    }
  }
  for (auto& [target, req] : by_target) {
    Envelope e;
    e.kind = static_cast<std::uint8_t>(Kind::kRequest);
    e.sender = local_.self;
    e.session = p_.definition_hash;  // Requests are valid across sessions of one definition
    const Payload pl{req};
    e.payload = ssz::ByteList<kMaxPayloadBytes>(encode_payload(pl));
    e.signature = signer_.sign(signing_digest(e.session, Kind::kRequest, e.sender, payload_root(pl)));
    out.messages.push_back(Outgoing{target, encode_envelope(e)});
  }
}

// ---------------------------------------------------------------------------------------------------------
// Phases, timers, failures

void Ceremony::set_phase(Phase ph, std::uint64_t now, Outbox& out) {
  phase_ = ph;
  switch (ph) {
    case Phase::kHello: deadline_ = now + local_.connect_timeout_ns; break;
    case Phase::kWrite:
    case Phase::kFinished:
    case Phase::kIdle: deadline_ = 0; break;
    default: deadline_ = now + local_.round_timeout_ns; break;
  }
  if (!replaying_) out.progress.push_back(Progress{round(), 0, 0});
}

void Ceremony::arm(Outbox& out) {
  if (failed_ || finished_ || replaying_ || phase_ == Phase::kIdle) return;
  std::uint64_t t = next_retransmit_;
  if (deadline_ != 0) t = std::min(t, deadline_);
  if (phase_ == Phase::kWrite) t = 0;  // nothing to wait for but the runner
  if (t != 0) out.timer_ns = t;
}

void Ceremony::fail(Failure f, Outbox& out, bool broadcast_abort) {
  if (failed_) return;
  failed_ = true;
  f.round = round();
  if (f.next_action.empty()) f.next_action = next_action(f.code);
  if (broadcast_abort && !f.evidence.empty() && !replaying_) {
    auto ev = ssz::deserialize<Evidence>(f.evidence);
    if (ev) emit(Payload{std::move(*ev)}, out);
  }
  out.failure = std::move(f);
  out.timer_ns.reset();
}

void Ceremony::fail_code(FailureCode code, std::vector<std::uint32_t> ops, std::string cause, Outbox& out) {
  Failure f;
  f.code = code;
  f.operators = std::move(ops);
  f.cause = std::move(cause);
  f.next_action = next_action(code);
  fail(std::move(f), out, false);
}

void Ceremony::advance(Outbox& out) {
  for (;;) {
    if (failed_ || finished_) return;
    const Phase before = phase_;
    switch (phase_) {
      case Phase::kHello: {
        bool all = true;
        for (const auto& h : hellos_) all = all && h.has_value();
        if (all) begin_session(out);
        break;
      }
      case Phase::kDeal:
      case Phase::kVerdict:
        process_deals(out);
        if (!failed_) check_verdicts(out);
        break;
      case Phase::kSign:
        check_verdicts(out);
        if (!failed_) process_sign(out);
        break;
      case Phase::kLock: process_lock(out); break;
      case Phase::kDone: process_done(out); break;
      default: break;
    }
    if (phase_ == before) return;
  }
}

Bytes Ceremony::transcript() const { return build_transcript(finished_); }

}  // namespace phx::dkg
