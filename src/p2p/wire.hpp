#pragma once
/// Pure wire formats of the p2p transport (docs/formats/p2p.md): the 16-byte frame header, frame splitting
/// with per-protocol size limits, and the hello message exchanged right after the TLS handshake. No I/O here,
/// so the decoders can be fuzzed (fuzz/p2p_frame_fuzz.cpp).
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/bytes.hpp"
#include "base/ids.hpp"
#include "base/result.hpp"

namespace phx::p2p {

/// Every way a p2p operation or peer input can fail. The handshake reasons double as metric labels.
enum class P2PError {
  kOk = 0,
  kTruncated,        ///< input shorter than its header says
  kFrameTooLarge,    ///< length above the protocol's maximum
  kUnknownProtocol,  ///< protocol id not registered
  kBadFrameKind,     ///< kind byte not one of FrameKind
  kBadReserved,      ///< reserved header byte not zero
  kBadHello,         ///< hello frame malformed (magic, size)
  kWrongVersion,     ///< peer speaks another protocol version
  kWrongLockHash,    ///< peer belongs to another cluster lock
  kUnknownPeer,      ///< certificate identity is not an operator of this lock
  kWrongOperator,    ///< identity/operator index mismatch, or a dial reached someone else
  kSelfConnection,   ///< peer presented our own identity
  kBadCertificate,   ///< certificate missing, expired, badly self-signed, or with several/missing extensions
  kBadExtension,     ///< identity extension malformed (DER or key protobuf)
  kBadIdentitySignature,  ///< identity key signature over the certificate key does not verify
  kTls,                   ///< TLS handshake failed (garbage, wrong version, ...)
  kIo,                    ///< socket error or closed by the peer
  kTimeout,               ///< deadline passed
  kNotConnected,          ///< no connection to that peer right now
  kClosed,                ///< node stopping or connection closed while waiting
  kRemoteError,           ///< peer answered a request with an error frame
  kNoHandler,             ///< protocol has no request handler
  kDuplicateProtocol,     ///< registering the same protocol id twice
  kBadPeer,               ///< operator index out of range
  kHandlerFailed,         ///< the local request handler threw; the peer gets an error response
  kBadPeerInfo,           ///< peer-info body malformed (a field cut short, of the wrong length, twice, non-ASCII)
  kCount_                 ///< number of reasons (not an error)
};
const char* to_string(P2PError e);
PHX_ERROR_ENUM(P2PError, "p2p")

/// Protocol version carried by hello; peers must match exactly.
inline constexpr std::uint16_t kProtocolVersion = 1;

/// A 16-bit protocol id (docs/formats/p2p.md lists the assigned ones).
using ProtocolId = std::uint16_t;
inline constexpr ProtocolId kHelloProtocol = 0;
inline constexpr ProtocolId kPingProtocol = 1;
inline constexpr ProtocolId kPeerInfoProtocol = 2;
/// First id available to later issues (consensus, partial signatures).
inline constexpr ProtocolId kFirstUserProtocol = 16;

/// What a frame is: a one-way message, a request (expects a response with the same request id), a response,
/// or an error response (body: UTF-8 reason).
enum class FrameKind : std::uint8_t { kMessage = 0, kRequest = 1, kResponse = 2, kErrorResponse = 3 };

/// Size of the fixed header: length u32 BE | protocol u16 BE | kind u8 | reserved u8 (0) | request id u64 BE.
inline constexpr std::size_t kFrameHeaderSize = 16;
/// No protocol may raise its limit above this (16 MiB).
inline constexpr std::uint32_t kMaxFrameLimit = 16u << 20;

/// A decoded frame header; `length` is the body length.
struct FrameHeader {
  std::uint32_t length = 0;
  ProtocolId protocol = 0;
  FrameKind kind = FrameKind::kMessage;
  std::uint64_t request_id = 0;
};

/// Per-protocol maximum body sizes. A protocol without an entry is unknown.
class ProtocolLimits {
 public:
  /// Sets the maximum body size for `id` (clamped to kMaxFrameLimit).
  void set(ProtocolId id, std::uint32_t max_body);
  /// The limit for `id`, or nullopt if unknown.
  std::optional<std::uint32_t> get(ProtocolId id) const;

 private:
  std::unordered_map<ProtocolId, std::uint32_t> max_;
};

/// Appends the header for `h` (with h.length = body.size()) and `body` to `out`.
/// Precondition: body.size() ≤ kMaxFrameLimit.
void encode_frame(Bytes& out, ProtocolId protocol, FrameKind kind, std::uint64_t request_id, ByteSpan body);

/// Decodes a 16-byte header from untrusted bytes and checks it against `limits`: unknown protocol, bad kind,
/// non-zero reserved byte, and a length above the protocol's limit are errors. Error responses may carry up
/// to 1 KiB of reason regardless of the protocol's limit.
Result<FrameHeader> decode_frame_header(ByteSpan header, const ProtocolLimits& limits);

/// A whole frame (header + owned body).
struct Frame {
  FrameHeader header;
  Bytes body;
};

/// Splits a byte stream into frames (what a connection's reader does incrementally). Fails on the first bad
/// header or a truncated trailing frame.
Result<std::vector<Frame>> split_frames(ByteSpan stream, const ProtocolLimits& limits);

/// Maximum reason length in an error response.
inline constexpr std::uint32_t kMaxErrorReason = 1024;

/// The first frame each side sends after TLS (protocol 0, kind message).
struct Hello {
  std::uint16_t version = kProtocolVersion;
  Root lock_hash{};
  OperatorIdx operator_idx{};
  /// Sender's wall clock, ms since the Unix epoch.
  std::uint64_t time_ms = 0;
};
/// Size of an encoded hello body: magic "PHXH" | version u16 | reserved u16 | lock hash 32 | operator u32 |
/// time u64.
inline constexpr std::size_t kHelloSize = 52;

/// Encodes a hello body.
Bytes encode_hello(const Hello& h);
/// Decodes a hello body from untrusted bytes (exact size, magic, zero reserved field).
Result<Hello> decode_hello(ByteSpan body);

/// What a node tells about itself beyond the 44-byte base of the peer-info body (docs/formats/p2p.md).
struct PeerInfoExtension {
  std::string app_version;        ///< e.g. "0.1.0": 1..kMaxAppVersion printable ASCII bytes
  std::uint64_t start_time_s = 0; ///< unix seconds the node started
  std::uint8_t readiness = 0;     ///< its readiness state (health::Readiness value)
  std::string bn_client;          ///< its beacon node's getNodeVersion ("" unknown; ≤ kMaxAppVersion printable)
  std::string vc_client;          ///< its validator client's User-Agent ("" none or embedded; ≤ kMaxAppVersion)
  bool operator==(const PeerInfoExtension&) const = default;
};
/// Longest app version accepted.
inline constexpr std::size_t kMaxAppVersion = 64;

/// Peer-info response body: version u16 | reserved u16 | lock hash 32 | sender time ms u64 (44 bytes), then,
/// only when the request asked for it, the extension as fields `type u8 | length u8 | value`: 1 app version
/// (ASCII), 2 start time (u64 BE), 3 readiness (u8), 4 BN client and 5 VC client (ASCII, only when known). Unknown
/// field types are skipped (newer senders may add fields), so the decoder reads old (44-byte) and newer bodies alike.
struct PeerInfoBody {
  std::uint16_t version = kProtocolVersion;
  Root lock_hash{};
  std::uint64_t time_ms = 0;
  std::optional<PeerInfoExtension> extension;  ///< absent in a 44-byte body
};
inline constexpr std::size_t kPeerInfoSize = 44;
/// Largest peer-info body accepted (request or response): room for fields added later.
inline constexpr std::size_t kPeerInfoMaxSize = 512;
/// The request body that asks for the extension (an empty request gets the 44-byte body, as older nodes send
/// and answer: an older node ignores the request body).
inline constexpr std::uint8_t kPeerInfoWantExtension = 1;
Bytes encode_peer_info(const PeerInfoBody& p);
/// Decodes a peer-info body from untrusted bytes: exactly 44 bytes, or 44 plus well-formed fields (each complete,
/// known types of the right length, each known type at most once, a printable non-empty app version).
Result<PeerInfoBody> decode_peer_info(ByteSpan body);

}  // namespace phx::p2p

PHX_ERROR_ENUM_TRAIT(phx::p2p::P2PError)
