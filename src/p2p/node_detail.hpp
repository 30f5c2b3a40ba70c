#pragma once
// Private to node*.cpp: connection and peer state, and Node::Impl (split over node_connect/node_traffic).
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <deque>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "p2p/identity.hpp"
#include "p2p/node.hpp"

namespace phx::p2p {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using SslStream = ssl::stream<tcp::socket>;
using runtime::Event;
using runtime::sleep_for;
using runtime::TaskGroup;
using runtime::with_timeout;
using SteadyClock = std::chrono::steady_clock;

namespace detail {

inline std::uint64_t unix_ms(const Clock& c) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(c.now().time_since_epoch()).count());
}

inline double to_ms(Duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

template <class T>
Result<T> flatten(Result<Result<T>> r) {
  if (!r) return std::unexpected(make_error_code(P2PError::kTimeout));
  return std::move(*r);
}

inline P2PError as_p2p(const std::error_code& ec) {
  if (ec.category() == error_category(P2PError::kOk)) return static_cast<P2PError>(ec.value());
  return P2PError::kIo;
}

struct Connection {
  Connection(tcp::socket s, ssl::context& ctx) : stream(std::move(s), ctx) {}
  SslStream stream;
  OperatorIdx peer{};
  OperatorIdx dialer{};
  std::uint64_t id = 0;
  bool closed = false;
  std::size_t inflight = 0;
  SteadyClock::time_point last_rx = SteadyClock::now();
};
using ConnPtr = std::shared_ptr<Connection>;

struct Pending {
  explicit Pending(Executor ex, OperatorIdx p) : peer(p), ev(ex) {}
  OperatorIdx peer;
  std::optional<Result<Bytes>> result;
  Event ev;
};

struct PeerState {
  explicit PeerState(Executor ex) : queue_ev(ex), state_ev(ex) {}
  std::optional<Endpoint> address;
  ConnPtr conn;
  std::deque<Bytes> high, low;
  std::size_t queued_bytes = 0;
  Event queue_ev;  // frames queued or connection closed
  Event state_ev;  // connected / disconnected / address changed
};

}  // namespace detail

using namespace detail;  // internal header: the node files use these unqualified

struct Node::Impl {
  Impl(Executor e, PeerSetConfig p, k1::SecretKey k, NodeOptions o, TlsIdentity t)
      : ex(e),
        cfg(std::move(p)),
        identity(std::move(k)),
        opts(std::move(o)),
        tls(std::move(t)),
        ssl_ctx(std::make_shared<ssl::context>(ssl::context::tls)),
        acceptor(e),
        tasks(e),
        rng(std::random_device{}()) {
    clock = opts.clock != nullptr ? opts.clock : &system_clock;
    for (std::size_t i = 0; i < cfg.operators.size(); ++i) peers.push_back(std::make_unique<PeerState>(e));
    for (std::size_t i = 0; i < cfg.addresses.size(); ++i) peers[i]->address = cfg.addresses[i];
    metrics.peers.resize(cfg.operators.size());
    hello_limits.set(kHelloProtocol, kHelloSize);
  }

  Executor ex;
  PeerSetConfig cfg;
  k1::SecretKey identity;
  NodeOptions opts;
  TlsIdentity tls;
  std::shared_ptr<ssl::context> ssl_ctx;
  SystemClock system_clock;
  const Clock* clock = nullptr;
  tcp::acceptor acceptor;
  TaskGroup tasks;
  std::vector<std::unique_ptr<PeerState>> peers;
  std::unordered_map<ProtocolId, ProtocolSpec> protocols;
  ProtocolLimits limits;
  ProtocolLimits hello_limits;
  std::unordered_map<std::uint64_t, std::shared_ptr<Pending>> pending;
  std::uint64_t next_request = 1;
  std::uint64_t next_conn = 1;
  std::size_t handshaking = 0;
  bool started = false;
  bool stopping = false;
  NodeMetrics metrics;
  std::optional<PeerInfoExtension> local_info;  // Node::set_local_info
  std::mt19937_64 rng;

  OperatorIdx self() const { return cfg.self; }

  Result<void> setup_tls();
  PeerMetrics& pm(OperatorIdx p) { return metrics.peers[p.value]; }
  void count_handshake_failure(P2PError e, const std::string& remote);

  // ---- send queue ----------------------------------------------------------------------------------------
  void enqueue(OperatorIdx p, Priority prio, Bytes frame);
  /// TEST ONLY (NodeOptions::test_send_delay): enqueue(frame) after `delay`, unless stopping.
  Task<void> delayed_enqueue(OperatorIdx p, Priority prio, Bytes frame, Duration delay);

  // ---- connection lifecycle ------------------------------------------------------------------------------
  void close_connection(ConnPtr c, std::string_view why);  // by value: callers pass ps.conn, reset below
  OperatorIdx preferred_dialer(OperatorIdx p) const { return std::min(self(), p); }
  void register_connection(const ConnPtr& c);

  // ---- handshake -----------------------------------------------------------------------------------------
  Task<Result<OperatorIdx>> handshake(ConnPtr c, bool dialed, OperatorIdx expected);
  Task<Result<void>> run_handshake(ConnPtr c, bool dialed, OperatorIdx expected, std::string remote);
  Task<void> inbound(tcp::socket sock);
  Task<void> accept_loop();
  Task<Result<void>> dial(OperatorIdx p, Endpoint ep);
  Duration jittered(Duration d);
  Task<void> dial_loop(OperatorIdx p);

  // ---- per-connection tasks ------------------------------------------------------------------------------
  void frame_error(const ConnPtr& c, P2PError e);
  Task<void> reader(ConnPtr c);
  void respond(OperatorIdx p, ProtocolId proto, std::uint64_t req, const Result<Bytes>& r);
  Task<void> serve_request(ConnPtr c, RequestHandler handler, ProtocolId proto, std::uint64_t req,
                           Bytes body);
  void dispatch(const ConnPtr& c, const FrameHeader& h, Bytes body);
  Task<void> writer(ConnPtr c);
  Task<void> pinger(ConnPtr c);
  /// Closes the connection at idle_timeout and, once it is silent for stall_after, wakes dial_loop to dial a
  /// replacement beside it.
  Task<void> watchdog(ConnPtr c);
  bool stalled(const Connection& c) const { return SteadyClock::now() - c.last_rx > opts.stall_after; }

  // ---- request / built-ins -------------------------------------------------------------------------------
  Result<void> check_send(OperatorIdx p, ProtocolId proto, std::size_t size) const;
  Task<Result<Bytes>> request(OperatorIdx p, ProtocolId proto, Bytes body, Duration timeout);
  Task<Result<Duration>> ping(OperatorIdx p, Duration timeout);
  Task<Result<PeerInfo>> peer_info(OperatorIdx p, Duration timeout);
  void register_builtins();
};

}  // namespace phx::p2p
