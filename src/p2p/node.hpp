#pragma once
/// The p2p node: authenticated, encrypted TCP+TLS 1.3 connections between the operators of one cluster lock,
/// framed protocols with per-protocol size limits, fire-and-forget sends into bounded per-peer queues,
/// request/response with timeouts, reconnect with backoff and jitter, built-in ping and peer-info, and plain
/// metrics. Wire formats: docs/formats/p2p.md.
///
/// Threading: a Node belongs to one executor (the network thread); every member must be called from it. All
/// work runs in the node's TaskGroup; `co_await stop()` before destroying the node.
#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"
#include "base/clock.hpp"
#include "base/ids.hpp"
#include "base/result.hpp"
#include "crypto/k1/k1.hpp"
#include "p2p/wire.hpp"
#include "runtime/runtime.hpp"

namespace phx::p2p {

namespace k1 = crypto::k1;
using runtime::Executor;
using runtime::Task;

/// A TCP endpoint: host (IP literal or name) and port.
struct Endpoint {
  std::string host;
  std::uint16_t port = 0;
  /// "host:port" ("[v6]:port" for IPv6 literals).
  std::string to_string() const;
  /// Parses "host:port" or "[v6]:port" (untrusted flag input).
  static Result<Endpoint> parse(std::string_view text);
};

/// Parses a `--p2p-peers` value: comma-separated `<operator index>=<host:port>` entries (untrusted flag
/// input), e.g. "0=10.0.0.1:3610,2=node2.lan:3610". Returns one slot per operator (nullopt where none was
/// given). Errors: malformed entry, index ≥ n_operators, or an index given twice.
Result<std::vector<std::optional<Endpoint>>> parse_peer_addresses(std::string_view text,
                                                                  std::size_t n_operators);

/// Cluster membership as the node needs it (issue 5 fills it from the cluster lock).
struct PeerSetConfig {
  Root lock_hash{};
  /// Operator identity keys in lock order; operators[self] must be this node's key.
  std::vector<k1::PublicKey> operators;
  OperatorIdx self{};
  /// Where to dial each operator (nullopt: only accept its connections). Empty means all nullopt.
  std::vector<std::optional<Endpoint>> addresses;
};

/// Tunables. Defaults suit a LAN cluster.
struct NodeOptions {
  /// Listen address; port 0 picks a free port (see Node::local_endpoint()).
  Endpoint listen{"127.0.0.1", 0};
  /// A dial gives up after this long (one SYN retransmission fits: the first comes after 1 s) and is retried
  /// after the backoff, so that a peer whose path comes back is reached within about a second or two.
  Duration connect_timeout = std::chrono::seconds(2);
  Duration handshake_timeout = std::chrono::seconds(5);
  /// Reconnect delay: min·2^attempt capped at max, each multiplied by a uniform jitter in [0.5, 1]. A dial is a
  /// SYN to a handful of peers, so the cap is low: an operator back after an outage is redialled within ~1 s.
  Duration backoff_min = std::chrono::milliseconds(100);
  Duration backoff_max = std::chrono::seconds(1);
  Duration ping_interval = std::chrono::seconds(1);
  /// Each connected peer is asked for its peer info (version, clock offset, readiness) this often.
  Duration peer_info_interval = std::chrono::seconds(10);
  /// A connection that has received nothing for this long (pings are answered every ping_interval) is
  /// presumed stalled: after a cut path TCP's retransmission backoff can keep it silent for many seconds after
  /// the path is back. A new connection is then dialled beside it and replaces it once its handshake completes
  /// (counted in PeerMetrics::stalls); the stalled one is closed only by idle_timeout. Not below ping_interval.
  Duration stall_after = std::chrono::seconds(3);
  /// A connection that receives nothing for this long is closed (pings keep healthy ones busy).
  Duration idle_timeout = std::chrono::seconds(5);
  /// A write that makes no progress for this long closes the connection (a peer that stopped reading).
  Duration write_timeout = std::chrono::seconds(5);
  /// Per-peer send queue bound, in frames and in bytes; beyond either the oldest low-priority frame is
  /// dropped.
  std::size_t queue_max_frames = 4096;
  std::size_t queue_max_bytes = 32u << 20;
  /// Concurrent inbound handshakes; further connections are closed at once.
  std::size_t max_pending_handshakes = 64;
  /// Concurrent requests served per connection; more get an error response.
  std::size_t max_inflight_requests = 256;
  /// Wall clock for hello / peer-info timestamps (nullptr: system clock).
  const Clock* clock = nullptr;
  /// TEST ONLY: every message send() queues waits this long first (an emulated one-way link delay for
  /// latency measurements on loopback, e.g. `phalanx devnet --link-delay`). Zero: none.
  Duration test_send_delay{0};
};

/// Queue priority of a protocol: low-priority frames are dropped first when a peer's queue is full.
enum class Priority : std::uint8_t { kLow = 0, kHigh = 1 };

/// Called on the network thread for each message frame; `body` is valid only during the call.
using MessageHandler = std::function<void(OperatorIdx from, ByteSpan body)>;
/// Serves a request; the Result error becomes an error response (its message is sent as reason).
using RequestHandler = std::function<Task<Result<Bytes>>(OperatorIdx from, Bytes body)>;

/// A protocol registration: id ≥ kFirstUserProtocol, max body size ≤ kMaxFrameLimit, and handlers (either may
/// be empty: messages are then ignored, requests answered with an error).
struct ProtocolSpec {
  ProtocolId id = 0;
  std::uint32_t max_frame = 0;
  Priority priority = Priority::kLow;
  MessageHandler on_message;
  RequestHandler on_request;
};

/// Answer of the peer-info protocol.
struct PeerInfo {
  std::uint16_t version = 0;
  Root lock_hash{};
  Duration rtt{};
  /// Estimated peer clock minus ours (NTP-style, assumes a symmetric path).
  Duration clock_offset{};
  /// The peer's app version, start time and readiness (absent from older peers).
  std::optional<PeerInfoExtension> extension;
};

/// Per-peer counters and gauges.
struct PeerMetrics {
  bool connected = false;
  double rtt_ms = 0;           ///< last ping round trip
  double clock_offset_ms = 0;  ///< last peer-info estimate (peer clock − ours)
  std::uint64_t bytes_in = 0, bytes_out = 0;
  std::uint64_t messages_in = 0, messages_out = 0;
  std::uint64_t drops = 0;  ///< frames evicted from the send queue
  std::uint64_t connects = 0, disconnects = 0;
  std::uint64_t dial_failures = 0;  ///< TCP connect failures/timeouts
  std::uint64_t stalls = 0;         ///< times the connection went silent for NodeOptions::stall_after
  std::uint64_t frame_errors = 0;   ///< connections closed for a malformed/oversized frame
  std::optional<PeerInfo> info;     ///< the last peer-info answer (NodeOptions::peer_info_interval)
};

/// Node-wide metrics; arrays are indexed by P2PError.
struct NodeMetrics {
  std::vector<PeerMetrics> peers;
  std::array<std::uint64_t, static_cast<std::size_t>(P2PError::kCount_)> handshake_failures{};
  std::array<std::uint64_t, static_cast<std::size_t>(P2PError::kCount_)> frame_errors{};
  std::uint64_t handshakes_ok = 0;
  std::uint64_t handshake_failure(P2PError e) const {
    return handshake_failures[static_cast<std::size_t>(e)];
  }
  std::uint64_t frame_error(P2PError e) const { return frame_errors[static_cast<std::size_t>(e)]; }
};

/// One cluster node's transport.
class Node {
 public:
  /// Checks the config (self in range and operators[self] == identity's public key, addresses sized right)
  /// and prepares TLS (fresh certificate key). Nothing runs until start().
  static Result<std::unique_ptr<Node>> create(Executor ex, PeerSetConfig peers, k1::SecretKey identity,
                                              NodeOptions options = {});
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  /// Registers a protocol; only before start(). Errors: reserved/duplicate id, limit above kMaxFrameLimit.
  Result<void> register_protocol(ProtocolSpec spec);
  /// Binds the listen address and starts accepting and dialing.
  Result<void> start();
  /// Stops everything (closes connections, fails pending requests) and waits for all tasks to end.
  Task<void> stop();

  /// The bound listen endpoint (valid after start()).
  Endpoint local_endpoint() const;
  /// Sets or changes where `peer` is dialed (wakes its dial loop).
  void set_peer_address(OperatorIdx peer, Endpoint ep);

  /// Queues a message for `peer` (fire-and-forget). Errors only for bad arguments (unknown protocol, body
  /// above its limit, bad peer); a full queue drops the oldest lowest-priority frame and counts it.
  Result<void> send(OperatorIdx peer, ProtocolId protocol, ByteSpan body);
  /// Sends a request and waits for the response. Errors: kNotConnected, kTimeout, kClosed, kRemoteError, and
  /// the argument errors of send().
  Task<Result<Bytes>> request(OperatorIdx peer, ProtocolId protocol, Bytes body, Duration timeout);
  /// Round trip of the built-in ping.
  Task<Result<Duration>> ping(OperatorIdx peer, Duration timeout);
  /// The built-in peer-info exchange (version, lock hash, clock offset, and the peer's extension when it has
  /// one); also stored in metrics().peers[peer].info.
  Task<Result<PeerInfo>> peer_info(OperatorIdx peer, Duration timeout);
  /// What this node tells peers in its peer-info answers beyond the base body (app version, start time,
  /// readiness); call again whenever readiness changes. Before the first call peers get the base body only.
  void set_local_info(PeerInfoExtension info);

  /// Whether an authenticated connection to `peer` is up.
  bool connected(OperatorIdx peer) const;
  /// Waits until `peer` is connected or `timeout` passes; returns connected(peer).
  Task<bool> wait_connected(OperatorIdx peer, Duration timeout);
  /// Current metrics.
  const NodeMetrics& metrics() const;
  /// This node's operator index.
  OperatorIdx self() const;

  struct Impl;

 private:
  explicit Node(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// Low-level access for tests and tools: dials `ep`, runs TLS with `identity`, exchanges hello as operator
/// `claimed` of `lock_hash`, and returns the connected raw stream wrapper so the caller can write arbitrary
/// bytes (garbage frames). Never used by the node itself.
class RawSession {
 public:
  static Task<Result<std::unique_ptr<RawSession>>> connect(Endpoint ep, const k1::SecretKey& identity,
                                                           Root lock_hash, OperatorIdx claimed,
                                                           std::uint16_t version = kProtocolVersion);
  ~RawSession();
  /// Writes bytes as is over TLS.
  Task<Result<void>> write(ByteSpan bytes);
  /// Reads until the peer closes or an error occurs, or `timeout` passes; returns true if the peer closed.
  Task<bool> wait_closed(Duration timeout);

  struct Impl;

 private:
  explicit RawSession(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace phx::p2p
