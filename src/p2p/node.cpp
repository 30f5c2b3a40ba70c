// p2p node, public side: endpoints and addresses, Node's API over Node::Impl, RawSession (tools, tests).
#include "p2p/node.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <charconv>

#include "base/log.hpp"
#include "p2p/node_detail.hpp"

namespace phx::p2p {

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

Task<void> Node::Impl::delayed_enqueue(OperatorIdx peer, Priority prio, Bytes frame, Duration delay) {
  co_await sleep_for(delay);
  if (!stopping) enqueue(peer, prio, std::move(frame));
}

Result<void> Node::send(OperatorIdx peer, ProtocolId protocol, ByteSpan body) {
  auto& d = *impl_;
  if (auto ok = d.check_send(peer, protocol, body.size()); !ok) return ok;
  if (d.stopping) return fail(P2PError::kClosed);
  Bytes out;
  out.reserve(kFrameHeaderSize + body.size());
  encode_frame(out, protocol, FrameKind::kMessage, 0, body);
  const Priority prio = d.protocols.at(protocol).priority;
  if (d.opts.test_send_delay > Duration::zero()) {
    d.tasks.spawn(d.delayed_enqueue(peer, prio, std::move(out), d.opts.test_send_delay));
    return {};
  }
  d.enqueue(peer, prio, std::move(out));
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

void Node::set_local_info(PeerInfoExtension info) { impl_->local_info = std::move(info); }

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
