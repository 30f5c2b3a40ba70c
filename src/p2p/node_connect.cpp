// p2p node, connection lifecycle: TLS, dialing and reconnects, accepting, handshake, closing, the pinger and
// the watchdog (idle and stalled connections).
#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "base/log.hpp"
#include "p2p/node_detail.hpp"

namespace phx::p2p {

Result<void> Node::Impl::setup_tls() {
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

void Node::Impl::count_handshake_failure(P2PError e, const std::string& remote) {
  ++metrics.handshake_failures[static_cast<std::size_t>(e)];
  log::warn("p2p: refused connection {}: {}", remote, to_string(e));
}

void Node::Impl::close_connection(ConnPtr c, std::string_view why) {
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

void Node::Impl::register_connection(const ConnPtr& c) {
  auto& ps = *peers[c->peer.value];
  if (ps.conn && !ps.conn->closed) {
    if (stalled(*ps.conn)) {
      // A working connection beats one that has been silent (a path cut and restored: the old one may wait
      // many seconds more on TCP's retransmission backoff).
      close_connection(ps.conn, "replaced: the old connection was stalled");
    } else {
      // Tie-break when both dialed: both sides keep the connection dialed by the lower operator index.
      auto pref = preferred_dialer(c->peer);
      if (ps.conn->dialer == pref && c->dialer != pref) {
        close_connection(c, "duplicate connection");
        return;
      }
      close_connection(ps.conn, "replaced by a newer connection");
    }
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
  tasks.spawn(watchdog(c));
}

Task<Result<OperatorIdx>> Node::Impl::handshake(ConnPtr c, bool dialed, OperatorIdx expected) {
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

Task<Result<void>> Node::Impl::run_handshake(ConnPtr c, bool dialed, OperatorIdx expected,
                                              std::string remote) {
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

Task<void> Node::Impl::inbound(tcp::socket sock) {
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

Task<void> Node::Impl::accept_loop() {
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

Task<Result<void>> Node::Impl::dial(OperatorIdx p, Endpoint ep) {
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

Duration Node::Impl::jittered(Duration d) {
  std::uniform_real_distribution<double> u(0.5, 1.0);
  return std::chrono::duration_cast<Duration>(d * u(rng));
}

Task<void> Node::Impl::dial_loop(OperatorIdx p) {
  auto& ps = *peers[p.value];
  unsigned attempt = 0;
  for (;;) {
    if (stopping) co_return;
    // Dial when there is no connection, or when the one there has stalled (watchdog wakes us then).
    const auto usable = [&] { return ps.conn && !stalled(*ps.conn); };
    if (usable() || !ps.address) {
      co_await ps.state_ev.wait();
      continue;
    }
    // The higher index defers a little so that, when both sides dial at once, the preferred (lower-index)
    // connection usually wins without a duplicate being built.
    if (self() > p) co_await sleep_for(jittered(opts.backoff_min * 2));
    if (usable() || stopping) continue;
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

Task<void> Node::Impl::watchdog(ConnPtr c) {
  // Checked four times per stall_after (at most every ping_interval), apart from the pings: an outstanding
  // ping may wait idle_timeout for its answer.
  const auto tick =
      std::min(opts.ping_interval, std::max<Duration>(opts.stall_after / 4, std::chrono::milliseconds(10)));
  bool was_stalled = false;
  while (!c->closed) {
    co_await sleep_for(tick);
    if (c->closed) co_return;
    const auto silent = SteadyClock::now() - c->last_rx;
    if (silent > opts.idle_timeout) {
      close_connection(c, "idle timeout");
      co_return;
    }
    const bool now_stalled = silent > opts.stall_after;  // stalled(*c), on the same reading of the clock
    if (now_stalled && !was_stalled) {
      ++pm(c->peer).stalls;
      log::info("p2p: operator {} silent for {} ms, dialing a new connection beside the old one", c->peer.value,
                static_cast<long long>(to_ms(std::chrono::duration_cast<Duration>(silent))));
      peers[c->peer.value]->state_ev.notify_all();
    }
    was_stalled = now_stalled;
  }
}

Task<void> Node::Impl::pinger(ConnPtr c) {
  // The first peer-info exchange right after the first ping, then every peer_info_interval.
  auto next_info = SteadyClock::now();
  while (!c->closed) {
    co_await sleep_for(opts.ping_interval);
    if (c->closed) co_return;
    auto rtt = co_await ping(c->peer, opts.idle_timeout);
    if (rtt) pm(c->peer).rtt_ms = to_ms(*rtt);
    if (c->closed) co_return;
    if (SteadyClock::now() >= next_info) {
      next_info = SteadyClock::now() + std::chrono::duration_cast<SteadyClock::duration>(opts.peer_info_interval);
      (void)co_await peer_info(c->peer, opts.idle_timeout);  // stores the answer; failures are retried later
    }
  }
}

}  // namespace phx::p2p
