#include "consensus/qbft/message.hpp"

#include "crypto/hash/sha256.hpp"

namespace phx::consensus::qbft {

namespace {

constexpr std::uint8_t kVersion = 1;
constexpr std::uint8_t kFlagValue = 0x01;
constexpr char kDomain[] = "phalanx/qbft/v1";

void put_u32(Bytes& out, std::uint32_t v) {
  std::uint8_t b[4];
  put_be32(b, v);
  out.insert(out.end(), b, b + 4);
}

void put_body(Bytes& out, const SignedBody& b) {
  out.push_back(kVersion);
  out.push_back(static_cast<std::uint8_t>(b.type));
  out.push_back(static_cast<std::uint8_t>(b.instance.size()));
  append(out, b.instance);
  put_u32(out, b.sender.value);
  put_u32(out, b.round);
  put_u32(out, b.prepared_round);
  append(out, b.value_hash);
}

/// Bounds-checked reader over untrusted bytes.
class Reader {
 public:
  explicit Reader(ByteSpan b) : b_(b) {}
  bool take(std::size_t n, ByteSpan& out) {
    if (b_.size() - pos_ < n) return false;
    out = b_.subspan(pos_, n);
    pos_ += n;
    return true;
  }
  bool u8(std::uint8_t& v) {
    ByteSpan s;
    if (!take(1, s)) return false;
    v = s[0];
    return true;
  }
  bool u16(std::uint16_t& v) {
    ByteSpan s;
    if (!take(2, s)) return false;
    v = static_cast<std::uint16_t>((s[0] << 8) | s[1]);
    return true;
  }
  bool u32(std::uint32_t& v) {
    ByteSpan s;
    if (!take(4, s)) return false;
    v = get_be32(s.data());
    return true;
  }
  bool done() const { return pos_ == b_.size(); }

 private:
  ByteSpan b_;
  std::size_t pos_ = 0;
};

bool is_zero(const Root& r) {
  for (auto x : r)
    if (x != 0) return false;
  return true;
}

/// Reads one signed body and checks the rules that do not depend on where it appears.
Result<SignedBody, DecodeError> read_body(Reader& r) {
  SignedBody b;
  std::uint8_t version = 0, type = 0, ilen = 0;
  if (!r.u8(version) || !r.u8(type) || !r.u8(ilen)) return std::unexpected(DecodeError::kTruncated);
  if (version != kVersion) return std::unexpected(DecodeError::kBadVersion);
  if (type < 1 || type > 5) return std::unexpected(DecodeError::kBadType);
  b.type = static_cast<MsgType>(type);
  if (ilen == 0 || ilen > kMaxInstanceIdBytes) return std::unexpected(DecodeError::kBadInstanceLength);
  ByteSpan s;
  if (!r.take(ilen, s)) return std::unexpected(DecodeError::kTruncated);
  b.instance.assign(s.begin(), s.end());
  std::uint32_t sender = 0;
  if (!r.u32(sender) || !r.u32(b.round) || !r.u32(b.prepared_round))
    return std::unexpected(DecodeError::kTruncated);
  b.sender = OperatorIdx{sender};
  if (!r.take(32, s)) return std::unexpected(DecodeError::kTruncated);
  std::copy(s.begin(), s.end(), b.value_hash.begin());
  if (!r.take(64, s)) return std::unexpected(DecodeError::kTruncated);
  std::copy(s.begin(), s.end(), b.signature.begin());
  if (b.round < 1 || b.round > kMaxRound) return std::unexpected(DecodeError::kBadRound);
  if (b.type == MsgType::kRoundChange) {
    // A round change names the round it moves to (≥ 2) and a strictly earlier prepared round, if any.
    if (b.round < 2) return std::unexpected(DecodeError::kBadRound);
    // Without a prepared round, a non-zero value_hash is the sender's round-1 vote (fast path).
    if (b.prepared_round >= b.round) return std::unexpected(DecodeError::kBadPreparedRound);
  } else if (b.prepared_round != kNoRound) {
    return std::unexpected(DecodeError::kBadPreparedRound);
  }
  return b;
}

}  // namespace

const char* to_string(MsgType t) {
  switch (t) {
    case MsgType::kPrePrepare:
      return "PRE-PREPARE";
    case MsgType::kPrepare:
      return "PREPARE";
    case MsgType::kCommit:
      return "COMMIT";
    case MsgType::kRoundChange:
      return "ROUND-CHANGE";
    case MsgType::kDecided:
      return "DECIDED";
  }
  return "UNKNOWN";
}

const char* to_string(DecodeError e) {
  switch (e) {
    case DecodeError::kOk:
      return "ok";
    case DecodeError::kTruncated:
      return "truncated message";
    case DecodeError::kBadVersion:
      return "unknown version";
    case DecodeError::kBadType:
      return "unknown message type";
    case DecodeError::kBadInstanceLength:
      return "instance id length out of range";
    case DecodeError::kBadRound:
      return "round out of range";
    case DecodeError::kBadPreparedRound:
      return "prepared round or prepared value inconsistent";
    case DecodeError::kValueTooLarge:
      return "value too large";
    case DecodeError::kBadFlags:
      return "unknown flag bits";
    case DecodeError::kUnexpectedValue:
      return "value not allowed for this message type";
    case DecodeError::kMissingValue:
      return "value missing";
    case DecodeError::kTooManyJustifications:
      return "too many justification entries";
    case DecodeError::kUnexpectedJustification:
      return "justification not allowed here";
    case DecodeError::kMissingJustification:
      return "justification missing";
    case DecodeError::kNestedDecided:
      return "justification entry of a forbidden type";
    case DecodeError::kTrailingBytes:
      return "trailing bytes";
  }
  return "unknown qbft decode error";
}

Bytes encode_body_unsigned(const SignedBody& b) {
  Bytes out;
  out.reserve(kMaxSignedBodyBytes);
  put_body(out, b);
  return out;
}

Root signing_digest(const SignedBody& b) {
  Bytes msg;
  msg.reserve(sizeof kDomain + kMaxSignedBodyBytes);
  append(msg, as_bytes(kDomain));
  msg.push_back(0);
  put_body(msg, b);
  return crypto::hash::sha256(msg);
}

void sign(SignedBody& b, const Signer& signer) {
  b.signature = signer.sign(signing_digest(b));
}

bool verify_signature(const SignedBody& b, const Verifier& verifier) {
  return verifier.verify(b.sender, signing_digest(b), b.signature);
}

Bytes encode(const Message& m) {
  Bytes out;
  out.reserve(kMaxSignedBodyBytes * (1 + m.justification.size()) + 8 + (m.value ? m.value->size() : 0));
  put_body(out, m.body);
  append(out, m.body.signature);
  out.push_back(m.value ? kFlagValue : 0);
  if (m.value) {
    put_u32(out, static_cast<std::uint32_t>(m.value->size()));
    append(out, *m.value);
  }
  out.push_back(static_cast<std::uint8_t>(m.justification.size() >> 8));
  out.push_back(static_cast<std::uint8_t>(m.justification.size()));
  for (const auto& j : m.justification) {
    put_body(out, j);
    append(out, j.signature);
  }
  return out;
}

Result<Message> decode(ByteSpan bytes) {
  if (bytes.size() > kMaxMessageBytes) return fail(DecodeError::kValueTooLarge);
  Reader r(bytes);
  Message m;
  auto body = read_body(r);
  if (!body) return fail(body.error());
  m.body = std::move(*body);
  std::uint8_t flags = 0;
  if (!r.u8(flags)) return fail(DecodeError::kTruncated);
  if ((flags & ~kFlagValue) != 0) return fail(DecodeError::kBadFlags);
  if (flags & kFlagValue) {
    std::uint32_t len = 0;
    if (!r.u32(len)) return fail(DecodeError::kTruncated);
    if (len > kMaxValueBytes) return fail(DecodeError::kValueTooLarge);
    ByteSpan s;
    if (!r.take(len, s)) return fail(DecodeError::kTruncated);
    m.value = Bytes(s.begin(), s.end());
  }
  std::uint16_t count = 0;
  if (!r.u16(count)) return fail(DecodeError::kTruncated);
  if (count > kMaxJustifications) return fail(DecodeError::kTooManyJustifications);
  m.justification.reserve(count);
  for (std::uint16_t i = 0; i < count; ++i) {
    auto j = read_body(r);
    if (!j) return fail(j.error());
    m.justification.push_back(std::move(*j));
  }
  if (!r.done()) return fail(DecodeError::kTrailingBytes);

  // Per-type presence of value and justification, and the kinds a justification may hold.
  const auto& b = m.body;
  const bool has_value = m.value.has_value();
  const bool has_just = !m.justification.empty();
  auto entries_are = [&](MsgType a, MsgType c) {
    for (const auto& j : m.justification)
      if (j.type != a && j.type != c) return false;
    return true;
  };
  switch (b.type) {
    case MsgType::kPrePrepare:
      if (!has_value) return fail(DecodeError::kMissingValue);
      if (b.round == 1 && has_just) return fail(DecodeError::kUnexpectedJustification);
      if (b.round > 1 && !has_just) return fail(DecodeError::kMissingJustification);
      if (!entries_are(MsgType::kRoundChange, MsgType::kPrepare)) return fail(DecodeError::kNestedDecided);
      break;
    case MsgType::kPrepare:
    case MsgType::kCommit:
      if (has_value) return fail(DecodeError::kUnexpectedValue);
      if (has_just) return fail(DecodeError::kUnexpectedJustification);
      break;
    case MsgType::kRoundChange:
      if (b.prepared_round == kNoRound) {
        // Unprepared: no justification; the round-1 vote's bytes come with a non-zero value_hash.
        if (has_value != !is_zero(b.value_hash))
          return fail(has_value ? DecodeError::kUnexpectedValue : DecodeError::kMissingValue);
        if (has_just) return fail(DecodeError::kUnexpectedJustification);
      } else {
        if (!has_value) return fail(DecodeError::kMissingValue);
        if (!has_just) return fail(DecodeError::kMissingJustification);
        if (!entries_are(MsgType::kPrepare, MsgType::kPrepare)) return fail(DecodeError::kNestedDecided);
      }
      break;
    case MsgType::kDecided:
      if (!has_value) return fail(DecodeError::kMissingValue);
      if (!has_just) return fail(DecodeError::kMissingJustification);
      // A commit quorum, or (fast path) PREPAREs of round 1 from all nodes.
      if (!entries_are(MsgType::kCommit, MsgType::kPrepare)) return fail(DecodeError::kNestedDecided);
      break;
  }
  return m;
}

}  // namespace phx::consensus::qbft
