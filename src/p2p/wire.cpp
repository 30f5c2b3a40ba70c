#include "p2p/wire.hpp"

#include <algorithm>

namespace phx::p2p {

const char* to_string(P2PError e) {
  switch (e) {
    case P2PError::kOk:
      return "ok";
    case P2PError::kTruncated:
      return "truncated";
    case P2PError::kFrameTooLarge:
      return "frame too large";
    case P2PError::kUnknownProtocol:
      return "unknown protocol";
    case P2PError::kBadFrameKind:
      return "bad frame kind";
    case P2PError::kBadReserved:
      return "reserved bits set";
    case P2PError::kBadHello:
      return "malformed hello";
    case P2PError::kWrongVersion:
      return "incompatible protocol version";
    case P2PError::kWrongLockHash:
      return "different lock hash";
    case P2PError::kUnknownPeer:
      return "identity is not an operator of this lock";
    case P2PError::kWrongOperator:
      return "operator index does not match identity";
    case P2PError::kSelfConnection:
      return "connection to self";
    case P2PError::kBadCertificate:
      return "bad certificate";
    case P2PError::kBadExtension:
      return "malformed identity extension";
    case P2PError::kBadIdentitySignature:
      return "bad identity signature";
    case P2PError::kTls:
      return "tls handshake failed";
    case P2PError::kIo:
      return "i/o error";
    case P2PError::kTimeout:
      return "timed out";
    case P2PError::kNotConnected:
      return "not connected";
    case P2PError::kClosed:
      return "closed";
    case P2PError::kRemoteError:
      return "remote error";
    case P2PError::kHandlerFailed:
      return "request handler failed";
    case P2PError::kBadPeerInfo:
      return "malformed peer-info body";
    case P2PError::kNoHandler:
      return "no handler";
    case P2PError::kDuplicateProtocol:
      return "protocol already registered";
    case P2PError::kBadPeer:
      return "no such operator";
    case P2PError::kCount_:
      break;
  }
  return "unknown p2p error";
}

void ProtocolLimits::set(ProtocolId id, std::uint32_t max_body) {
  max_[id] = std::min(max_body, kMaxFrameLimit);
}

std::optional<std::uint32_t> ProtocolLimits::get(ProtocolId id) const {
  auto it = max_.find(id);
  if (it == max_.end()) return std::nullopt;
  return it->second;
}

namespace {
void put_be16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}
std::uint16_t get_be16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
constexpr std::uint8_t kHelloMagic[4] = {'P', 'H', 'X', 'H'};
}  // namespace

void encode_frame(Bytes& out, ProtocolId protocol, FrameKind kind, std::uint64_t request_id, ByteSpan body) {
  std::uint8_t h[kFrameHeaderSize];
  put_be32(h, static_cast<std::uint32_t>(body.size()));
  put_be16(h + 4, protocol);
  h[6] = static_cast<std::uint8_t>(kind);
  h[7] = 0;
  put_be64(h + 8, request_id);
  out.insert(out.end(), h, h + kFrameHeaderSize);
  append(out, body);
}

Result<FrameHeader> decode_frame_header(ByteSpan header, const ProtocolLimits& limits) {
  if (header.size() < kFrameHeaderSize) return fail(P2PError::kTruncated);
  FrameHeader h;
  h.length = get_be32(header.data());
  h.protocol = get_be16(header.data() + 4);
  if (header[6] > static_cast<std::uint8_t>(FrameKind::kErrorResponse)) return fail(P2PError::kBadFrameKind);
  h.kind = static_cast<FrameKind>(header[6]);
  if (header[7] != 0) return fail(P2PError::kBadReserved);
  h.request_id = get_be64(header.data() + 8);
  auto max = limits.get(h.protocol);
  if (!max) return fail(P2PError::kUnknownProtocol);
  std::uint32_t limit = h.kind == FrameKind::kErrorResponse ? kMaxErrorReason : *max;
  if (h.length > limit) return fail(P2PError::kFrameTooLarge);
  return h;
}

Result<std::vector<Frame>> split_frames(ByteSpan stream, const ProtocolLimits& limits) {
  std::vector<Frame> frames;
  while (!stream.empty()) {
    auto h = decode_frame_header(stream, limits);
    if (!h) return std::unexpected(h.error());
    stream = stream.subspan(kFrameHeaderSize);
    if (stream.size() < h->length) return fail(P2PError::kTruncated);
    frames.push_back(Frame{*h, Bytes(stream.begin(), stream.begin() + h->length)});
    stream = stream.subspan(h->length);
  }
  return frames;
}

Bytes encode_hello(const Hello& h) {
  Bytes out(kHelloSize, 0);
  std::copy(std::begin(kHelloMagic), std::end(kHelloMagic), out.begin());
  put_be16(out.data() + 4, h.version);
  std::copy(h.lock_hash.begin(), h.lock_hash.end(), out.begin() + 8);
  put_be32(out.data() + 40, h.operator_idx.value);
  put_be64(out.data() + 44, h.time_ms);
  return out;
}

Result<Hello> decode_hello(ByteSpan body) {
  if (body.size() != kHelloSize) return fail(P2PError::kBadHello);
  if (!std::equal(std::begin(kHelloMagic), std::end(kHelloMagic), body.begin()))
    return fail(P2PError::kBadHello);
  if (body[6] != 0 || body[7] != 0) return fail(P2PError::kBadHello);
  Hello h;
  h.version = get_be16(body.data() + 4);
  std::copy(body.begin() + 8, body.begin() + 40, h.lock_hash.begin());
  h.operator_idx = OperatorIdx{get_be32(body.data() + 40)};
  h.time_ms = get_be64(body.data() + 44);
  return h;
}

namespace {
enum : std::uint8_t {
  kFieldAppVersion = 1,
  kFieldStartTime = 2,
  kFieldReadiness = 3,
  kFieldBnClient = 4,
  kFieldVcClient = 5,
  kFieldLast = kFieldVcClient,
};

/// Appends a string field (at most kMaxAppVersion bytes; nothing when empty).
void put_text(Bytes& out, std::uint8_t type, const std::string& text) {
  const std::size_t n = std::min(text.size(), kMaxAppVersion);
  if (n == 0) return;
  out.push_back(type);
  out.push_back(static_cast<std::uint8_t>(n));
  out.insert(out.end(), text.begin(), text.begin() + static_cast<std::ptrdiff_t>(n));
}

/// A string field's value: 1..kMaxAppVersion printable ASCII bytes.
bool printable(const std::uint8_t* v, std::size_t len) {
  if (len == 0 || len > kMaxAppVersion) return false;
  for (std::size_t i = 0; i < len; ++i)
    if (v[i] < 0x20 || v[i] > 0x7e) return false;
  return true;
}
}  // namespace

Bytes encode_peer_info(const PeerInfoBody& p) {
  Bytes out(kPeerInfoSize, 0);
  put_be16(out.data(), p.version);
  std::copy(p.lock_hash.begin(), p.lock_hash.end(), out.begin() + 4);
  put_be64(out.data() + 36, p.time_ms);
  if (!p.extension) return out;
  const auto& e = *p.extension;
  const std::size_t n = std::min(e.app_version.size(), kMaxAppVersion);
  out.push_back(kFieldAppVersion);
  out.push_back(static_cast<std::uint8_t>(n));
  out.insert(out.end(), e.app_version.begin(), e.app_version.begin() + static_cast<std::ptrdiff_t>(n));
  put_text(out, kFieldBnClient, e.bn_client);
  put_text(out, kFieldVcClient, e.vc_client);
  out.push_back(kFieldStartTime);
  out.push_back(8);
  out.resize(out.size() + 8);
  put_be64(out.data() + out.size() - 8, e.start_time_s);
  out.push_back(kFieldReadiness);
  out.push_back(1);
  out.push_back(e.readiness);
  return out;
}

Result<PeerInfoBody> decode_peer_info(ByteSpan body) {
  if (body.size() < kPeerInfoSize) return fail(P2PError::kTruncated);
  if (body.size() > kPeerInfoMaxSize) return fail(P2PError::kFrameTooLarge);
  PeerInfoBody p;
  p.version = get_be16(body.data());
  std::copy(body.begin() + 4, body.begin() + 36, p.lock_hash.begin());
  p.time_ms = get_be64(body.data() + 36);
  if (body.size() == kPeerInfoSize) return p;
  PeerInfoExtension e;
  bool seen[kFieldLast + 1] = {};
  std::size_t pos = kPeerInfoSize;
  while (pos < body.size()) {
    if (body.size() - pos < 2) return fail(P2PError::kTruncated);
    const std::uint8_t type = body[pos], len = body[pos + 1];
    pos += 2;
    if (body.size() - pos < len) return fail(P2PError::kTruncated);
    const std::uint8_t* v = body.data() + pos;
    pos += len;
    if (type == 0 || type > kFieldLast) continue;  // a newer sender's field
    if (seen[type]) return fail(P2PError::kBadPeerInfo);
    seen[type] = true;
    switch (type) {
      case kFieldAppVersion:
      case kFieldBnClient:
      case kFieldVcClient: {
        if (!printable(v, len)) return fail(P2PError::kBadPeerInfo);
        auto& text = type == kFieldAppVersion ? e.app_version : type == kFieldBnClient ? e.bn_client : e.vc_client;
        text.assign(reinterpret_cast<const char*>(v), len);
        break;
      }
      case kFieldStartTime:
        if (len != 8) return fail(P2PError::kBadPeerInfo);
        e.start_time_s = get_be64(v);
        break;
      case kFieldReadiness:
        if (len != 1) return fail(P2PError::kBadPeerInfo);
        e.readiness = v[0];
        break;
    }
  }
  if (!seen[kFieldAppVersion]) return fail(P2PError::kBadPeerInfo);
  p.extension = std::move(e);
  return p;
}

}  // namespace phx::p2p
