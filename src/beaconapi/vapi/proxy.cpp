#include "beaconapi/vapi/proxy.hpp"

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

namespace phx::beaconapi::vapi {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;

namespace {

/// Hop-by-hop headers (RFC 9110 §7.6.1) a proxy must not forward; Host and length are re-set per hop.
bool hop_by_hop(bhttp::field f) {
  switch (f) {
    case bhttp::field::connection:
    case bhttp::field::keep_alive:
    case bhttp::field::proxy_connection:
    case bhttp::field::proxy_authenticate:
    case bhttp::field::proxy_authorization:
    case bhttp::field::te:
    case bhttp::field::trailer:
    case bhttp::field::transfer_encoding:
    case bhttp::field::upgrade:
    case bhttp::field::host:
    case bhttp::field::content_length:
      return true;
    default:
      return false;
  }
}

/// The request as sent to the beacon node at `ep`: end-to-end headers copied, Host set, one request per
/// connection.
BeastRequest upstream_request(const BeastRequest& in, const http::Endpoint& ep) {
  BeastRequest out;
  out.version(11);
  out.method(in.method());
  out.target(in.target());
  for (const auto& h : in) {
    if (hop_by_hop(h.name())) continue;
    out.insert(h.name_string(), h.value());
  }
  out.set(bhttp::field::host, ep.to_string());
  out.body() = in.body();
  out.keep_alive(false);
  out.prepare_payload();
  return out;
}

Result<tcp::endpoint, std::string> resolve(const http::Endpoint& ep) {
  boost::system::error_code ec;
  std::string host = ep.host;
  if (host == "localhost") host = "127.0.0.1";
  auto addr = asio::ip::make_address(host, ec);
  if (ec) return std::unexpected("bad beacon node address " + ep.host);
  return tcp::endpoint(addr, ep.port);
}

runtime::Task<Result<BeastResponse, std::string>> exchange(http::Endpoint ep, BeastRequest req,
                                                           std::size_t body_limit) {
  auto target = resolve(ep);
  if (!target) co_return std::unexpected(target.error());
  auto ex = co_await asio::this_coro::executor;
  beast::tcp_stream stream(ex);
  auto cres = co_await stream.async_connect(*target, asio::as_tuple(asio::use_awaitable));
  if (std::get<0>(cres)) co_return std::unexpected(ep.to_string() + ": connect: " + std::get<0>(cres).message());
  auto wres = co_await bhttp::async_write(stream, req, asio::as_tuple(asio::use_awaitable));
  if (std::get<0>(wres)) co_return std::unexpected(ep.to_string() + ": write: " + std::get<0>(wres).message());
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(body_limit);
  auto rres = co_await bhttp::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
  if (std::get<0>(rres)) co_return std::unexpected(ep.to_string() + ": read: " + std::get<0>(rres).message());
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  BeastResponse res = parser.release();
  // The body is re-framed by this hop: drop the upstream framing headers.
  res.erase(bhttp::field::transfer_encoding);
  res.erase(bhttp::field::connection);
  res.erase(bhttp::field::keep_alive);
  res.erase(bhttp::field::content_length);
  co_return res;
}

/// Copies bytes from `from` to `to` until either side fails or closes.
runtime::Task<void> pipe(beast::tcp_stream& from, beast::tcp_stream& to) {
  std::array<char, 16 * 1024> buf{};
  for (;;) {
    auto r = co_await from.async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
    auto n = std::get<1>(r);
    if (n > 0) {
      auto w = co_await asio::async_write(to, asio::buffer(buf.data(), n), asio::as_tuple(asio::use_awaitable));
      if (std::get<0>(w)) co_return;
    }
    if (std::get<0>(r)) co_return;
  }
}

/// Returns when the client closes (or sends anything: an event-stream client has nothing more to say).
runtime::Task<void> watch_close(beast::tcp_stream& client) {
  std::array<char, 256> buf{};
  (void)co_await client.async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
}

}  // namespace

BnProxy::BnProxy(std::vector<http::Endpoint> endpoints, Duration timeout, Duration recheck_after,
                 std::size_t body_limit)
    : timeout_(timeout), recheck_after_(recheck_after), body_limit_(body_limit) {
  for (auto& ep : endpoints) endpoints_.push_back(State{std::move(ep), {}});
}

std::vector<std::size_t> BnProxy::order() const {
  auto now = std::chrono::steady_clock::now();
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < endpoints_.size(); ++i) {
    if (endpoints_[i].unhealthy_until <= now) out.push_back(i);
  }
  for (std::size_t i = 0; i < endpoints_.size(); ++i) {
    if (endpoints_[i].unhealthy_until > now) out.push_back(i);
  }
  return out;
}

void BnProxy::mark_failed(std::size_t i) {
  endpoints_[i].unhealthy_until = std::chrono::steady_clock::now() +
                                  std::chrono::duration_cast<std::chrono::steady_clock::duration>(recheck_after_);
}

runtime::Task<Result<BeastResponse, std::string>> BnProxy::forward(const BeastRequest& req) {
  std::optional<BeastResponse> last_5xx;
  std::string last_error = "no beacon node configured";
  for (auto i : order()) {
    auto& st = endpoints_[i];
    BeastRequest up = upstream_request(req, st.ep);
    auto r = co_await runtime::with_timeout(exchange(st.ep, std::move(up), body_limit_), timeout_);
    if (!r) {
      mark_failed(i);
      last_error = st.ep.to_string() + ": timeout";
      continue;
    }
    if (!*r) {
      mark_failed(i);
      last_error = r->error();
      continue;
    }
    BeastResponse res = std::move(**r);
    if (res.result_int() >= 500) {
      mark_failed(i);
      last_used_ = i;
      last_5xx = std::move(res);
      continue;
    }
    st.unhealthy_until = {};
    last_used_ = i;
    co_return res;
  }
  if (last_5xx) co_return std::move(*last_5xx);
  co_return std::unexpected(last_error);
}

runtime::Task<bool> BnProxy::stream(const BeastRequest& req, beast::tcp_stream& client) {
  using namespace asio::experimental::awaitable_operators;
  auto ex = co_await asio::this_coro::executor;
  for (auto i : order()) {
    auto& st = endpoints_[i];
    auto target = resolve(st.ep);
    if (!target) continue;
    beast::tcp_stream upstream(ex);
    upstream.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(timeout_));
    auto cres = co_await upstream.async_connect(*target, asio::as_tuple(asio::use_awaitable));
    if (std::get<0>(cres)) {
      mark_failed(i);
      continue;
    }
    // Connection: close (from upstream_request): an error answer (e.g. 400 for a bad topic) then ends the
    // connection, so the pipe below finishes instead of waiting on an idle keep-alive connection.
    BeastRequest up = upstream_request(req, st.ep);
    auto wres = co_await bhttp::async_write(upstream, up, asio::as_tuple(asio::use_awaitable));
    if (std::get<0>(wres)) {
      mark_failed(i);
      continue;
    }
    upstream.expires_never();
    client.expires_never();
    last_used_ = i;
    co_await (pipe(upstream, client) || watch_close(client));
    boost::system::error_code ignored;
    upstream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    upstream.socket().close(ignored);
    co_return true;
  }
  co_return false;
}

}  // namespace phx::beaconapi::vapi
