#include "p2p/node.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <charconv>
#include <deque>
#include <random>
#include <unordered_map>

#include "base/log.hpp"
#include "p2p/identity.hpp"

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

std::string Endpoint::to_string() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

Result<Endpoint> Endpoint::parse(std::string_view text) {
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size()) {
    return fail(std::errc::invalid_argument);
  }
  std::string_view host = text.substr(0, colon);
  std::string_view port = text.substr(colon + 1);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return fail(std::errc::invalid_argument);
    host = host.substr(1, host.size() - 2);
  }
  unsigned value = 0;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc{} || ptr != port.data() + port.size() || value > 65535) {
    return fail(std::errc::invalid_argument);
  }
  return Endpoint{std::string(host), static_cast<std::uint16_t>(value)};
}

Result<std::vector<std::optional<Endpoint>>> parse_peer_addresses(std::string_view text,
                                                                  std::size_t n_operators) {
  std::vector<std::optional<Endpoint>> out(n_operators);
  while (!text.empty()) {
    auto comma = text.find(',');
    std::string_view entry = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    if (comma != std::string_view::npos && text.empty()) return fail(std::errc::invalid_argument);  // "a,"
    auto eq = entry.find('=');
    if (eq == std::string_view::npos) return fail(std::errc::invalid_argument);
    std::size_t idx = 0;
    auto key = entry.substr(0, eq);
    auto [ptr, ec] = std::from_chars(key.data(), key.data() + key.size(), idx);
    if (ec != std::errc{} || ptr != key.data() + key.size() || idx >= n_operators || out[idx]) {
      return fail(std::errc::invalid_argument);
    }
    auto ep = Endpoint::parse(entry.substr(eq + 1));
    if (!ep) return std::unexpected(ep.error());
    out[idx] = std::move(*ep);
  }
  return out;
}

namespace {

std::uint64_t unix_ms(const Clock& c) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(c.now().time_since_epoch()).count());
}

double to_ms(Duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

template <class T>
Result<T> flatten(Result<Result<T>> r) {
  if (!r) return std::unexpected(make_error_code(P2PError::kTimeout));
  return std::move(*r);
}

P2PError as_p2p(const std::error_code& ec) {
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

}  // namespace

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
  std::mt19937_64 rng;

  OperatorIdx self() const { return cfg.self; }

  Result<void> setup_tls() {
    SSL_CTX* c = ssl_ctx->native_handle();
    if (SSL_CTX_set_min_proto_version(c, TLS1_3_VERSION) != 1) return fail(P2PError::kTls);
    if (SSL_CTX_use_certificate(c, tls.certificate()) != 1) return fail(P2PError::kTls);
    if (SSL_CTX_use_PrivateKey(c, tls.private_key()) != 1) return fail(P2PError::kTls);
    // Certificates are self-signed: chain building is replaced by verify_peer_certificate after the
    // handshake.
    SSL_CTX_set_cert_verify_callback(
        c, [](X509_STORE_CTX*, void*) { return 1; }, nullptr);
    SSL_CTX_set_verify(c, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    return {};
  }

  PeerMetrics& pm(OperatorIdx p) { return metrics.peers[p.value]; }

  void count_handshake_failure(P2PError e, const std::string& remote) {
    ++metrics.handshake_failures[static_cast<std::size_t>(e)];
    log::warn("p2p: refused connection {}: {}", remote, to_string(e));
  }

  // ---- send queue ----------------------------------------------------------------------------------------

  void enqueue(OperatorIdx p, Priority prio, Bytes frame) {
    auto& ps = *peers[p.value];
    ps.queued_bytes += frame.size();
    (prio == Priority::kHigh ? ps.high : ps.low).push_back(std::move(frame));
    while (
        (ps.high.size() + ps.low.size() > opts.queue_max_frames || ps.queued_bytes > opts.queue_max_bytes) &&
        ps.high.size() + ps.low.size() > 1) {
      auto& q = !ps.low.empty() ? ps.low : ps.high;
      ps.queued_bytes -= q.front().size();
      q.pop_front();
      ++pm(p).drops;
    }
    ps.queue_ev.notify_all();
  }

  // ---- connection lifecycle ------------------------------------------------------------------------------

  void close_connection(ConnPtr c, std::string_view why) {  // by value: callers pass ps.conn, reset below
    if (c->closed) return;
    c->closed = true;
    boost::system::error_code ec;
    c->stream.lowest_layer().shutdown(tcp::socket::shutdown_both, ec);
    c->stream.lowest_layer().close(ec);
    auto& ps = *peers[c->peer.value];
    if (ps.conn == c) {
      ps.conn.reset();
      pm(c->peer).connected = false;
      ++pm(c->peer).disconnects;
      for (auto& [id, p] : pending) {
        if (p->peer == c->peer && !p->result) {
          p->result = fail(P2PError::kClosed);
          p->ev.notify_all();
        }
      }
      ps.state_ev.notify_all();
      log::info("p2p: operator {} disconnected: {}", c->peer.value, why);
    }
    ps.queue_ev.notify_all();
  }

  OperatorIdx preferred_dialer(OperatorIdx p) const { return std::min(self(), p); }

  void register_connection(const ConnPtr& c) {
    auto& ps = *peers[c->peer.value];
    if (ps.conn && !ps.conn->closed) {
      // Tie-break when both dialed: both sides keep the connection dialed by the lower operator index.
      auto pref = preferred_dialer(c->peer);
      if (ps.conn->dialer == pref && c->dialer != pref) {
        close_connection(c, "duplicate connection");
        return;
      }
      close_connection(ps.conn, "replaced by a newer connection");
    }
    ps.conn = c;
    auto& m = pm(c->peer);
    m.connected = true;
    ++m.connects;
    ps.state_ev.notify_all();
    log::info("p2p: operator {} connected ({})", c->peer.value, c->dialer == self() ? "outbound" : "inbound");
    tasks.spawn(reader(c));
    tasks.spawn(writer(c));
    tasks.spawn(pinger(c));
  }

  // ---- handshake -----------------------------------------------------------------------------------------

  Task<Result<OperatorIdx>> handshake(ConnPtr c, bool dialed, OperatorIdx expected) {
    boost::system::error_code ec;
    co_await c->stream.async_handshake(dialed ? ssl::stream_base::client : ssl::stream_base::server,
                                       asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return fail(P2PError::kTls);
    X509* cert = SSL_get0_peer_certificate(c->stream.native_handle());
    auto id = verify_peer_certificate(cert);
    if (!id) co_return std::unexpected(id.error());
    if (*id == cfg.operators[self().value]) co_return fail(P2PError::kSelfConnection);
    auto it = std::find(cfg.operators.begin(), cfg.operators.end(), *id);
    if (it == cfg.operators.end()) co_return fail(P2PError::kUnknownPeer);
    OperatorIdx peer{static_cast<std::uint32_t>(it - cfg.operators.begin())};
    if (dialed && peer != expected) co_return fail(P2PError::kWrongOperator);

    Hello mine{kProtocolVersion, cfg.lock_hash, self(), unix_ms(*clock)};
    Bytes out;
    encode_frame(out, kHelloProtocol, FrameKind::kMessage, 0, encode_hello(mine));
    co_await asio::async_write(c->stream, asio::buffer(out), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return fail(P2PError::kIo);
    std::uint8_t hdr[kFrameHeaderSize];
    co_await asio::async_read(c->stream, asio::buffer(hdr), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return fail(P2PError::kIo);
    auto h = decode_frame_header(hdr, hello_limits);
    if (!h || h->kind != FrameKind::kMessage) co_return fail(P2PError::kBadHello);
    Bytes body(h->length);
    co_await asio::async_read(c->stream, asio::buffer(body), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return fail(P2PError::kIo);
    auto hello = decode_hello(body);
    if (!hello) co_return std::unexpected(hello.error());
    if (hello->version != kProtocolVersion) co_return fail(P2PError::kWrongVersion);
    if (hello->lock_hash != cfg.lock_hash) co_return fail(P2PError::kWrongLockHash);
    if (hello->operator_idx != peer) co_return fail(P2PError::kWrongOperator);
    co_return peer;
  }

  Task<Result<void>> run_handshake(ConnPtr c, bool dialed, OperatorIdx expected, std::string remote) {
    auto r = flatten(co_await with_timeout(handshake(c, dialed, expected), opts.handshake_timeout));
    if (!r) {
      count_handshake_failure(as_p2p(r.error()), remote);
      boost::system::error_code ec;
      c->stream.lowest_layer().close(ec);
      co_return std::unexpected(r.error());
    }
    if (stopping) co_return fail(P2PError::kClosed);
    ++metrics.handshakes_ok;
    c->peer = *r;
    c->dialer = dialed ? self() : *r;
    c->id = next_conn++;
    c->last_rx = SteadyClock::now();
    register_connection(c);
    co_return Result<void>{};
  }

  Task<void> inbound(tcp::socket sock) {
    ++handshaking;
    boost::system::error_code ec;
    auto rep = sock.remote_endpoint(ec);
    std::string remote = ec ? "?" : rep.address().to_string() + ":" + std::to_string(rep.port());
    sock.set_option(tcp::no_delay(true), ec);
    auto c = std::make_shared<Connection>(std::move(sock), *ssl_ctx);
    struct Guard {
      std::size_t& n;
      ~Guard() { --n; }
    } guard{handshaking};
    co_await run_handshake(c, false, OperatorIdx{}, remote);
  }

  Task<void> accept_loop() {
    for (;;) {
      auto [ec, sock] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
      if (stopping || !acceptor.is_open()) co_return;
      if (ec) {
        log::warn("p2p: accept failed: {}", ec.message());
        co_await sleep_for(std::chrono::milliseconds(10));
        continue;
      }
      if (handshaking >= opts.max_pending_handshakes) {
        count_handshake_failure(P2PError::kTimeout, "(too many pending handshakes)");
        boost::system::error_code ignore;
        sock.close(ignore);
        continue;
      }
      tasks.spawn(inbound(std::move(sock)));
    }
  }

  Task<Result<void>> dial(OperatorIdx p, Endpoint ep) {
    tcp::resolver resolver(ex);
    auto [rec, results] = co_await resolver.async_resolve(ep.host, std::to_string(ep.port),
                                                          asio::as_tuple(asio::use_awaitable));
    if (rec) {
      ++pm(p).dial_failures;
      co_return fail(P2PError::kIo);
    }
    tcp::socket sock(ex);
    auto connect = [](tcp::socket& s, tcp::resolver::results_type res) -> Task<boost::system::error_code> {
      auto [e, endpoint] = co_await asio::async_connect(s, res, asio::as_tuple(asio::use_awaitable));
      (void)endpoint;
      co_return e;
    };
    auto cr = co_await with_timeout(connect(sock, results), opts.connect_timeout);
    if (!cr || *cr) {
      ++pm(p).dial_failures;
      co_return fail(cr ? P2PError::kIo : P2PError::kTimeout);
    }
    boost::system::error_code ec;
    sock.set_option(tcp::no_delay(true), ec);
    auto c = std::make_shared<Connection>(std::move(sock), *ssl_ctx);
    co_return co_await run_handshake(c, true, p, ep.to_string());
  }

  Duration jittered(Duration d) {
    std::uniform_real_distribution<double> u(0.5, 1.0);
    return std::chrono::duration_cast<Duration>(d * u(rng));
  }

  Task<void> dial_loop(OperatorIdx p) {
    auto& ps = *peers[p.value];
    unsigned attempt = 0;
    for (;;) {
      if (stopping) co_return;
      if (ps.conn || !ps.address) {
        co_await ps.state_ev.wait();
        continue;
      }
      // The higher index defers a little so that, when both sides dial at once, the preferred (lower-index)
      // connection usually wins without a duplicate being built.
      if (self() > p) co_await sleep_for(jittered(opts.backoff_min * 2));
      if (ps.conn || stopping) continue;
      auto r = co_await dial(p, *ps.address);
      if (r) {
        attempt = 0;
        continue;
      }
      Duration delay = opts.backoff_min * (1u << std::min(attempt, 20u));
      delay = std::min(delay, opts.backoff_max);
      ++attempt;
      log::debug("p2p: dial operator {} failed ({}), retry in {} ms", p.value, r.error().message(),
                 static_cast<long long>(to_ms(delay)));
      co_await sleep_for(jittered(delay));
    }
  }

  // ---- per-connection tasks ------------------------------------------------------------------------------

  void frame_error(const ConnPtr& c, P2PError e) {
    ++metrics.frame_errors[static_cast<std::size_t>(e)];
    ++pm(c->peer).frame_errors;
    log::warn("p2p: closing connection to operator {}: {}", c->peer.value, to_string(e));
    close_connection(c, to_string(e));
  }

  Task<void> reader(ConnPtr c) {
    std::uint8_t hdr[kFrameHeaderSize];
    while (!c->closed) {
      boost::system::error_code ec;
      co_await asio::async_read(c->stream, asio::buffer(hdr), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      auto h = decode_frame_header(hdr, limits);  // hello (protocol 0) is not in `limits`: unknown here
      if (!h) {
        frame_error(c, as_p2p(h.error()));
        co_return;
      }
      Bytes body(h->length);
      co_await asio::async_read(c->stream, asio::buffer(body), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      c->last_rx = SteadyClock::now();
      auto& m = pm(c->peer);
      m.bytes_in += kFrameHeaderSize + body.size();
      ++m.messages_in;
      dispatch(c, *h, std::move(body));
    }
    close_connection(c, "read side closed");
  }

  void respond(OperatorIdx p, ProtocolId proto, std::uint64_t req, const Result<Bytes>& r) {
    Bytes out;
    if (r) {
      encode_frame(out, proto, FrameKind::kResponse, req, *r);
    } else {
      std::string reason = r.error().message();
      if (reason.size() > kMaxErrorReason) reason.resize(kMaxErrorReason);
      encode_frame(out, proto, FrameKind::kErrorResponse, req, as_bytes(reason));
    }
    enqueue(p, Priority::kHigh, std::move(out));
  }

  Task<void> serve_request(ConnPtr c, RequestHandler handler, ProtocolId proto, std::uint64_t req,
                           Bytes body) {
    // A throwing handler must neither leak the in-flight slot nor leave the peer waiting for its timeout.
    Result<Bytes> r = fail(P2PError::kHandlerFailed);
    try {
      r = co_await handler(c->peer, std::move(body));
    } catch (const std::exception& e) {
      log::warn("p2p: request handler for protocol {} threw: {}", static_cast<unsigned>(proto), e.what());
    }
    --c->inflight;
    if (r && r->size() > limits.get(proto).value_or(0)) r = fail(P2PError::kFrameTooLarge);
    if (!c->closed) respond(c->peer, proto, req, r);
  }

  void dispatch(const ConnPtr& c, const FrameHeader& h, Bytes body) {
    auto& spec = protocols.at(h.protocol);  // decode_frame_header admitted only registered ids
    switch (h.kind) {
      case FrameKind::kMessage:
        if (spec.on_message) spec.on_message(c->peer, body);
        break;
      case FrameKind::kRequest:
        if (!spec.on_request) {
          respond(c->peer, h.protocol, h.request_id, fail(P2PError::kNoHandler));
        } else if (c->inflight >= opts.max_inflight_requests) {
          respond(c->peer, h.protocol, h.request_id, fail(P2PError::kTimeout));
        } else {
          ++c->inflight;
          tasks.spawn(serve_request(c, spec.on_request, h.protocol, h.request_id, std::move(body)));
        }
        break;
      case FrameKind::kResponse:
      case FrameKind::kErrorResponse: {
        auto it = pending.find(h.request_id);
        if (it == pending.end() || it->second->peer != c->peer || it->second->result)
          break;  // late or forged
        if (h.kind == FrameKind::kResponse) {
          it->second->result = std::move(body);
        } else {
          std::string reason(body.begin(), body.end());
          log::debug("p2p: operator {} answered with error: {}", c->peer.value, reason);
          it->second->result = fail(P2PError::kRemoteError);
        }
        it->second->ev.notify_all();
        break;
      }
    }
  }

  Task<void> writer(ConnPtr c) {
    auto& ps = *peers[c->peer.value];
    Bytes batch;
    constexpr std::size_t kBatchBytes = 256u << 10;
    while (!c->closed) {
      if (ps.high.empty() && ps.low.empty()) {
        co_await ps.queue_ev.wait();
        continue;
      }
      batch.clear();
      std::uint64_t frames = 0;
      while (batch.size() < kBatchBytes && (!ps.high.empty() || !ps.low.empty())) {
        auto& q = !ps.high.empty() ? ps.high : ps.low;
        ps.queued_bytes -= q.front().size();
        append(batch, q.front());
        q.pop_front();
        ++frames;
      }
      auto write = [](SslStream& s, ByteSpan b) -> Task<boost::system::error_code> {
        auto [e, n] = co_await asio::async_write(s, asio::buffer(b.data(), b.size()),
                                                 asio::as_tuple(asio::use_awaitable));
        (void)n;
        co_return e;
      };
      auto r = co_await with_timeout(write(c->stream, batch), opts.write_timeout);
      if (!r) {
        log::warn("p2p: write to operator {} stalled for {} ms, closing", c->peer.value,
                  static_cast<long long>(to_ms(opts.write_timeout)));
        close_connection(c, "write timeout");
        co_return;
      }
      if (*r) {
        close_connection(c, "write failed");
        co_return;
      }
      auto& m = pm(c->peer);
      m.bytes_out += batch.size();
      m.messages_out += frames;
    }
  }

  Task<void> pinger(ConnPtr c) {
    while (!c->closed) {
      co_await sleep_for(opts.ping_interval);
      if (c->closed) co_return;
      if (SteadyClock::now() - c->last_rx > opts.idle_timeout) {
        close_connection(c, "idle timeout");
        co_return;
      }
      auto rtt = co_await ping(c->peer, opts.idle_timeout);
      if (rtt) pm(c->peer).rtt_ms = to_ms(*rtt);
    }
  }

  // ---- request / built-ins -------------------------------------------------------------------------------

  Result<void> check_send(OperatorIdx p, ProtocolId proto, std::size_t size) const {
    if (p.value >= peers.size() || p == self()) return fail(P2PError::kBadPeer);
    auto lim = limits.get(proto);
    if (!lim || proto == kHelloProtocol) return fail(P2PError::kUnknownProtocol);
    if (size > *lim) return fail(P2PError::kFrameTooLarge);
    return {};
  }

  Task<Result<Bytes>> request(OperatorIdx p, ProtocolId proto, Bytes body, Duration timeout) {
    if (auto ok = check_send(p, proto, body.size()); !ok) co_return std::unexpected(ok.error());
    if (stopping) co_return fail(P2PError::kClosed);
    if (!peers[p.value]->conn) co_return fail(P2PError::kNotConnected);
    auto id = next_request++;
    auto pend = std::make_shared<Pending>(ex, p);
    pending.emplace(id, pend);
    Bytes out;
    encode_frame(out, proto, FrameKind::kRequest, id, body);
    enqueue(p, protocols.at(proto).priority, std::move(out));
    auto wait = [](std::shared_ptr<Pending> pd) -> Task<void> {
      while (!pd->result) co_await pd->ev.wait();
    };
    auto r = co_await with_timeout(wait(pend), timeout);
    pending.erase(id);
    if (!r) co_return fail(P2PError::kTimeout);
    co_return std::move(*pend->result);
  }

  Task<Result<Duration>> ping(OperatorIdx p, Duration timeout) {
    Bytes nonce(8);
    put_be64(nonce.data(), rng());
    auto t0 = SteadyClock::now();
    auto r = co_await request(p, kPingProtocol, nonce, timeout);
    if (!r) co_return std::unexpected(r.error());
    if (*r != nonce) co_return fail(P2PError::kRemoteError);
    co_return std::chrono::duration_cast<Duration>(SteadyClock::now() - t0);
  }

  Task<Result<PeerInfo>> peer_info(OperatorIdx p, Duration timeout) {
    auto t0 = SteadyClock::now();
    auto sent_ms = unix_ms(*clock);
    auto r = co_await request(p, kPeerInfoProtocol, Bytes{}, timeout);
    if (!r) co_return std::unexpected(r.error());
    auto body = decode_peer_info(*r);
    if (!body) co_return fail(P2PError::kRemoteError);
    PeerInfo info;
    info.version = body->version;
    info.lock_hash = body->lock_hash;
    info.rtt = std::chrono::duration_cast<Duration>(SteadyClock::now() - t0);
    double offset_ms =
        static_cast<double>(body->time_ms) - (static_cast<double>(sent_ms) + to_ms(info.rtt) / 2);
    info.clock_offset =
        std::chrono::duration_cast<Duration>(std::chrono::duration<double, std::milli>(offset_ms));
    pm(p).clock_offset_ms = offset_ms;
    co_return info;
  }

  void register_builtins() {
    limits.set(kPingProtocol, 8);
    protocols[kPingProtocol] = ProtocolSpec{
        kPingProtocol, 8, Priority::kHigh, {}, [](OperatorIdx, Bytes body) -> Task<Result<Bytes>> {
          co_return body;
        }};
    limits.set(kPeerInfoProtocol, kPeerInfoSize);
    protocols[kPeerInfoProtocol] = ProtocolSpec{
        kPeerInfoProtocol,
        kPeerInfoSize,
        Priority::kHigh,
        {},
        [this](OperatorIdx, Bytes) -> Task<Result<Bytes>> {
          co_return encode_peer_info(PeerInfoBody{kProtocolVersion, cfg.lock_hash, unix_ms(*clock)});
        }};
  }
};

Node::Node(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Node::~Node() = default;

Result<std::unique_ptr<Node>> Node::create(Executor ex, PeerSetConfig peers, k1::SecretKey identity,
                                           NodeOptions options) {
  if (peers.operators.empty() || peers.self.value >= peers.operators.size()) return fail(P2PError::kBadPeer);
  if (!(peers.operators[peers.self.value] == identity.public_key())) return fail(P2PError::kWrongOperator);
  if (peers.addresses.empty()) peers.addresses.resize(peers.operators.size());
  if (peers.addresses.size() != peers.operators.size()) return fail(P2PError::kBadPeer);
  auto tls = TlsIdentity::create(identity);
  if (!tls) return std::unexpected(tls.error());
  auto impl =
      std::make_unique<Impl>(ex, std::move(peers), std::move(identity), std::move(options), std::move(*tls));
  if (auto ok = impl->setup_tls(); !ok) return std::unexpected(ok.error());
  impl->register_builtins();
  return std::unique_ptr<Node>(new Node(std::move(impl)));
}

Result<void> Node::register_protocol(ProtocolSpec spec) {
  auto& d = *impl_;
  if (d.started) return fail(std::errc::operation_not_permitted);
  if (spec.id < kFirstUserProtocol) return fail(P2PError::kUnknownProtocol);
  if (spec.max_frame > kMaxFrameLimit) return fail(P2PError::kFrameTooLarge);
  if (d.protocols.contains(spec.id)) return fail(P2PError::kDuplicateProtocol);
  d.limits.set(spec.id, spec.max_frame);
  d.protocols.emplace(spec.id, std::move(spec));
  return {};
}

Result<void> Node::start() {
  auto& d = *impl_;
  if (d.started) return fail(std::errc::operation_not_permitted);
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(d.opts.listen.host, ec);
  if (ec) return fail(std::errc::invalid_argument);
  tcp::endpoint ep(addr, d.opts.listen.port);
  d.acceptor.open(ep.protocol(), ec);
  if (!ec) d.acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) d.acceptor.bind(ep, ec);
  if (!ec) d.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    log::error("p2p: cannot listen on {}: {}", d.opts.listen.to_string(), ec.message());
    return fail(std::errc::address_in_use);
  }
  d.started = true;
  d.tasks.spawn(d.accept_loop());
  for (std::uint32_t i = 0; i < d.peers.size(); ++i) {
    if (i != d.self().value) d.tasks.spawn(d.dial_loop(OperatorIdx{i}));
  }
  log::info("p2p: operator {} listening on {}", d.self().value, local_endpoint().to_string());
  return {};
}

Task<void> Node::stop() {
  auto& d = *impl_;
  d.stopping = true;
  boost::system::error_code ec;
  d.acceptor.close(ec);
  for (auto& ps : d.peers) {
    if (ps->conn) d.close_connection(ps->conn, "node stopping");
    ps->state_ev.notify_all();
    ps->queue_ev.notify_all();
  }
  for (auto& [id, p] : d.pending) {
    if (!p->result) {
      p->result = fail(P2PError::kClosed);
      p->ev.notify_all();
    }
  }
  d.tasks.stop();
  co_await d.tasks.join();
}

Endpoint Node::local_endpoint() const {
  boost::system::error_code ec;
  auto ep = impl_->acceptor.local_endpoint(ec);
  if (ec) return impl_->opts.listen;
  return Endpoint{ep.address().to_string(), ep.port()};
}

void Node::set_peer_address(OperatorIdx peer, Endpoint ep) {
  auto& d = *impl_;
  if (peer.value >= d.peers.size()) return;
  d.peers[peer.value]->address = std::move(ep);
  d.peers[peer.value]->state_ev.notify_all();
}

Result<void> Node::send(OperatorIdx peer, ProtocolId protocol, ByteSpan body) {
  auto& d = *impl_;
  if (auto ok = d.check_send(peer, protocol, body.size()); !ok) return ok;
  if (d.stopping) return fail(P2PError::kClosed);
  Bytes out;
  out.reserve(kFrameHeaderSize + body.size());
  encode_frame(out, protocol, FrameKind::kMessage, 0, body);
  d.enqueue(peer, d.protocols.at(protocol).priority, std::move(out));
  return {};
}

Task<Result<Bytes>> Node::request(OperatorIdx peer, ProtocolId protocol, Bytes body, Duration timeout) {
  return impl_->request(peer, protocol, std::move(body), timeout);
}

Task<Result<Duration>> Node::ping(OperatorIdx peer, Duration timeout) {
  return impl_->ping(peer, timeout);
}

Task<Result<PeerInfo>> Node::peer_info(OperatorIdx peer, Duration timeout) {
  return impl_->peer_info(peer, timeout);
}

bool Node::connected(OperatorIdx peer) const {
  return peer.value < impl_->peers.size() && impl_->peers[peer.value]->conn != nullptr;
}

Task<bool> Node::wait_connected(OperatorIdx peer, Duration timeout) {
  if (peer.value >= impl_->peers.size()) co_return false;
  auto wait = [](Node* n, OperatorIdx p) -> Task<void> {
    while (!n->connected(p)) co_await n->impl_->peers[p.value]->state_ev.wait();
  };
  co_await with_timeout(wait(this, peer), timeout);
  co_return connected(peer);
}

const NodeMetrics& Node::metrics() const {
  return impl_->metrics;
}

OperatorIdx Node::self() const {
  return impl_->self();
}

// ---- RawSession
// ----------------------------------------------------------------------------------------------

namespace {
// The SSL object copies the context's certificate at stream construction, so configure the context first.
ssl::context make_raw_context(const TlsIdentity& tls) {
  ssl::context ctx(ssl::context::tls);
  SSL_CTX* c = ctx.native_handle();
  SSL_CTX_set_min_proto_version(c, TLS1_3_VERSION);
  SSL_CTX_use_certificate(c, tls.certificate());
  SSL_CTX_use_PrivateKey(c, tls.private_key());
  SSL_CTX_set_cert_verify_callback(
      c, [](X509_STORE_CTX*, void*) { return 1; }, nullptr);
  SSL_CTX_set_verify(c, SSL_VERIFY_PEER, nullptr);
  return ctx;
}
}  // namespace

struct RawSession::Impl {
  Impl(Executor ex, TlsIdentity t)
      : tls(std::move(t)), ctx(make_raw_context(tls)), stream(tcp::socket(ex), ctx) {}
  TlsIdentity tls;
  ssl::context ctx;
  SslStream stream;
};

RawSession::RawSession(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RawSession::~RawSession() = default;

Task<Result<std::unique_ptr<RawSession>>> RawSession::connect(Endpoint ep, const k1::SecretKey& identity,
                                                              Root lock_hash, OperatorIdx claimed,
                                                              std::uint16_t version) {
  auto ex = co_await asio::this_coro::executor;
  auto tls = TlsIdentity::create(identity);
  if (!tls) co_return std::unexpected(tls.error());
  auto impl = std::make_unique<Impl>(ex, std::move(*tls));
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(ep.host, ec);
  if (ec) co_return fail(std::errc::invalid_argument);
  co_await impl->stream.lowest_layer().async_connect(tcp::endpoint(addr, ep.port),
                                                     asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return fail(P2PError::kIo);
  impl->stream.lowest_layer().set_option(tcp::no_delay(true), ec);
  co_await impl->stream.async_handshake(ssl::stream_base::client,
                                        asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return fail(P2PError::kTls);
  Bytes out;
  encode_frame(out, kHelloProtocol, FrameKind::kMessage, 0,
               encode_hello(Hello{version, lock_hash, claimed, 0}));
  co_await asio::async_write(impl->stream, asio::buffer(out), asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return fail(P2PError::kIo);
  std::uint8_t hdr[kFrameHeaderSize + kHelloSize];
  co_await asio::async_read(impl->stream, asio::buffer(hdr), asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return fail(P2PError::kIo);
  co_return std::unique_ptr<RawSession>(new RawSession(std::move(impl)));
}

Task<Result<void>> RawSession::write(ByteSpan bytes) {
  boost::system::error_code ec;
  co_await asio::async_write(impl_->stream, asio::buffer(bytes.data(), bytes.size()),
                             asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return fail(P2PError::kIo);
  co_return Result<void>{};
}

Task<bool> RawSession::wait_closed(Duration timeout) {
  auto drain = [](SslStream& s) -> Task<void> {
    std::uint8_t buf[4096];
    for (;;) {
      auto [e, n] = co_await s.async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
      (void)n;
      if (e) co_return;
    }
  };
  auto r = co_await with_timeout(drain(impl_->stream), timeout);
  co_return r.has_value();
}

}  // namespace phx::p2p
