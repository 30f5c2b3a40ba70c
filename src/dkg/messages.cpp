// DKG wire format: payload and envelope codecs, payload roots, the signed digest, transcript redaction.
#include "dkg/messages.hpp"

#include "crypto/hash/sha256.hpp"

namespace phx::dkg {

const char* to_string(Kind k) {
  switch (k) {
    case Kind::kHello: return "hello";
    case Kind::kDealManifest: return "deal-manifest";
    case Kind::kDealChunk: return "deal-chunk";
    case Kind::kVerdict: return "verdict";
    case Kind::kSign: return "sign";
    case Kind::kLock: return "lock";
    case Kind::kDone: return "done";
    case Kind::kRequest: return "request";
    case Kind::kAbort: return "abort";
  }
  return "unknown";
}

const char* to_string(Round r) {
  switch (r) {
    case Round::kHello: return "R0";
    case Round::kDeal: return "R1";
    case Round::kVerdict: return "R2";
    case Round::kSign: return "R3";
    case Round::kLock: return "R4";
    case Round::kDone: return "R5";
  }
  return "R?";
}

const char* to_string(DealCheck c) {
  switch (c) {
    case DealCheck::kNone: return "none";
    case DealCheck::kPoint: return "point";
    case DealCheck::kCount: return "count";
    case DealCheck::kPok: return "pok";
    case DealCheck::kFeldman: return "feldman";
    case DealCheck::kDecrypt: return "decrypt";
    case DealCheck::kScalar: return "scalar";
    case DealCheck::kCommitments: return "commitments";
    case DealCheck::kOldShare: return "old-share";
    case DealCheck::kKey: return "key";
  }
  return "unknown";
}

const char* to_string(DecodeError e) {
  switch (e) {
    case DecodeError::kOk: return "ok";
    case DecodeError::kBadVersion: return "unsupported protocol version";
    case DecodeError::kBadKind: return "unknown message kind";
    case DecodeError::kSsz: return "malformed SSZ";
    case DecodeError::kTooLarge: return "message too large";
  }
  return "unknown";
}

Root signing_digest(const Root& session, Kind kind, std::uint32_t sender, const Root& payload_root) {
  crypto::hash::Sha256 h;
  h.update(as_bytes(kSigningPrefix));
  h.update(session);
  const std::uint8_t k = static_cast<std::uint8_t>(kind);
  h.update(ByteSpan(&k, 1));
  std::uint8_t s[4];
  put_be32(s, sender);
  h.update(ByteSpan(s, 4));
  h.update(payload_root);
  return h.finish();
}

namespace {

template <class T>
Result<Payload, DecodeError> decode_as(ByteSpan bytes) {
  auto v = ssz::deserialize<T>(bytes);
  if (!v) return std::unexpected(DecodeError::kSsz);
  return Payload{std::move(*v)};
}

}  // namespace

Result<Payload, DecodeError> decode_payload(Kind kind, ByteSpan bytes) {
  if (bytes.size() > kMaxPayloadBytes) return std::unexpected(DecodeError::kTooLarge);
  switch (kind) {
    case Kind::kHello: return decode_as<Hello>(bytes);
    case Kind::kDealManifest: return decode_as<DealManifest>(bytes);
    case Kind::kDealChunk: return decode_as<DealChunk>(bytes);
    case Kind::kVerdict: return decode_as<Verdict>(bytes);
    case Kind::kSign: return decode_as<SignChunk>(bytes);
    case Kind::kLock: return decode_as<LockChunk>(bytes);
    case Kind::kDone: return decode_as<Done>(bytes);
    case Kind::kRequest: return decode_as<Request>(bytes);
    case Kind::kAbort: return decode_as<Evidence>(bytes);
  }
  return std::unexpected(DecodeError::kBadKind);
}

Root payload_root(const Payload& p) {
  return std::visit([](const auto& v) { return ssz::hash_tree_root(v); }, p);
}

Bytes encode_payload(const Payload& p) {
  return std::visit([](const auto& v) { return ssz::serialize(v); }, p);
}

Kind kind_of(const Payload& p) {
  struct V {
    Kind operator()(const Hello&) const { return Kind::kHello; }
    Kind operator()(const DealManifest&) const { return Kind::kDealManifest; }
    Kind operator()(const DealChunk&) const { return Kind::kDealChunk; }
    Kind operator()(const Verdict&) const { return Kind::kVerdict; }
    Kind operator()(const SignChunk&) const { return Kind::kSign; }
    Kind operator()(const LockChunk&) const { return Kind::kLock; }
    Kind operator()(const Done&) const { return Kind::kDone; }
    Kind operator()(const Request&) const { return Kind::kRequest; }
    Kind operator()(const Evidence&) const { return Kind::kAbort; }
  };
  return std::visit(V{}, p);
}

namespace {

Result<Envelope, DecodeError> decode_envelope_only(ByteSpan bytes) {
  if (bytes.size() > kMaxEnvelopeBytes) return std::unexpected(DecodeError::kTooLarge);
  // The envelope layout is the same in every version; only the payloads may change. So a well-formed envelope
  // with another version number is a version mismatch, while garbage is just garbage.
  auto e = ssz::deserialize<Envelope>(bytes);
  if (!e) return std::unexpected(DecodeError::kSsz);
  if (e->version != kProtocolVersion) return std::unexpected(DecodeError::kBadVersion);
  if (!known_kind(e->kind)) return std::unexpected(DecodeError::kBadKind);
  return std::move(*e);
}

}  // namespace

Result<Decoded, DecodeError> decode_envelope(ByteSpan bytes) {
  auto e = decode_envelope_only(bytes);
  if (!e) return std::unexpected(e.error());
  auto p = decode_payload(static_cast<Kind>(e->kind), e->payload);
  if (!p) return std::unexpected(p.error());
  Decoded d{std::move(*e), std::move(*p), {}};
  d.payload_root = payload_root(d.payload);
  return d;
}

Result<Decoded, DecodeError> decode_redacted_envelope(ByteSpan bytes, ssz::List<Root, kMaxOperators>* ciphertext_roots) {
  auto e = decode_envelope_only(bytes);
  if (!e) return std::unexpected(e.error());
  if (static_cast<Kind>(e->kind) != Kind::kDealChunk) {
    auto p = decode_payload(static_cast<Kind>(e->kind), e->payload);
    if (!p) return std::unexpected(p.error());
    Decoded d{std::move(*e), std::move(*p), {}};
    d.payload_root = payload_root(d.payload);
    if (ciphertext_roots != nullptr) ciphertext_roots->clear();
    return d;
  }
  auto r = ssz::deserialize<DealChunkRedacted>(e->payload);
  if (!r) return std::unexpected(DecodeError::kSsz);
  const Root root = ssz::hash_tree_root(*r);
  DealChunk c;
  c.chunk = r->chunk;
  c.validators = std::move(r->validators);
  if (ciphertext_roots != nullptr) *ciphertext_roots = std::move(r->ciphertext_roots);
  Decoded d{std::move(*e), Payload{std::move(c)}, root};
  return d;
}

Bytes encode_envelope(const Envelope& e) { return ssz::serialize(e); }

Bytes redact_envelope(const Decoded& d) {
  const auto* c = std::get_if<DealChunk>(&d.payload);
  if (c == nullptr) return encode_envelope(d.envelope);
  DealChunkRedacted r;
  r.chunk = c->chunk;
  r.validators = c->validators;
  for (const auto& ct : c->ciphertexts) r.ciphertext_roots.push_back(ssz::hash_tree_root(ct));
  Envelope e = d.envelope;
  e.payload = ssz::ByteList<kMaxPayloadBytes>(ssz::serialize(r));
  return encode_envelope(e);
}

MessageSlot slot_of(const Decoded& d) {
  MessageSlot s;
  s.kind = d.envelope.kind;
  s.sender = d.envelope.sender;
  if (const auto* c = std::get_if<DealChunk>(&d.payload)) s.part = c->chunk;
  if (const auto* c = std::get_if<SignChunk>(&d.payload)) s.part = c->chunk;
  if (const auto* c = std::get_if<LockChunk>(&d.payload)) s.part = c->chunk;
  return s;
}

}  // namespace phx::dkg
