#include "beaconapi/http/server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "base/log.hpp"
#include "beaconapi/http/detail.hpp"

namespace phx::beaconapi::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;

struct Server::SessionState {
  beast::tcp_stream* stream = nullptr;
  bool busy = false;
};

Server::Server(runtime::Executor ex, const Router& router, ServerOptions options)
    : ex_(ex),
      router_(router),
      options_(std::move(options)),
      acceptor_(ex),
      accept_group_(ex),
      sessions_group_(ex),
      sessions_(std::make_shared<std::map<std::uint64_t, SessionState*>>()),
      served_(std::make_shared<std::uint64_t>(0)) {}

Server::~Server() {
  boost::system::error_code ec;
  acceptor_.close(ec);
  accept_group_.stop();
  sessions_group_.stop();
}

Result<void> Server::start() {
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(options_.address, ec);
  if (ec) return std::unexpected(ec);
  tcp::endpoint ep(addr, options_.port);
  acceptor_.open(ep.protocol(), ec);
  if (ec) return std::unexpected(ec);
  acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  acceptor_.bind(ep, ec);
  if (ec) return std::unexpected(ec);
  acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return std::unexpected(ec);
  port_ = acceptor_.local_endpoint().port();
  accept_group_.spawn(accept_loop());
  return {};
}

runtime::Task<void> Server::accept_loop() {
  for (;;) {
    auto accepted = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
    auto ec = std::get<0>(accepted);
    auto& sock = std::get<1>(accepted);
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
      log::warn("beacon API accept failed: {}", ec.message());
      continue;
    }
    if (stopping_) co_return;
    sessions_group_.spawn(session(std::move(sock), next_id_++));
  }
}

runtime::Task<void> Server::session(tcp::socket socket, std::uint64_t id) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  SessionState state{&stream, false};
  auto sessions = sessions_;
  auto served = served_;
  sessions->emplace(id, &state);
  struct Erase {
    std::shared_ptr<std::map<std::uint64_t, SessionState*>> m;
    std::uint64_t id;
    ~Erase() { m->erase(id); }
  } erase{sessions, id};

  for (;;) {
    if (stopping_) break;
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(
        static_cast<std::uint32_t>(std::min<std::size_t>(options_.limits.header_limit, UINT32_MAX)));
    parser.body_limit(options_.limits.body_limit);
    stream.expires_after(
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(options_.idle_timeout));
    auto rres = co_await bhttp::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
    auto rec = std::get<0>(rres);
    Response resp;
    bool keep_alive = false;
    if (rec == bhttp::error::header_limit || rec == bhttp::error::body_limit ||
        rec == bhttp::error::buffer_overflow) {
      resp = Response::error(413, "request above the size limit");
    } else if (rec == bhttp::error::end_of_stream || rec == asio::error::operation_aborted ||
               rec == beast::error::timeout || rec == asio::error::connection_reset ||
               rec == asio::error::eof) {
      break;
    } else if (rec) {
      resp = Response::error(400, "malformed HTTP request: " + rec.message());
    } else {
      state.busy = true;
      auto req = detail::request_from_message(parser.release());
      if (!req) {
        resp = Response::error(400, req.error().message());
      } else {
        keep_alive = req->keep_alive;
        resp = co_await router_.dispatch(*req);
      }
    }
    auto msg = detail::to_message(resp, keep_alive && !stopping_);
    stream.expires_after(
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(options_.write_timeout));
    auto wres = co_await bhttp::async_write(stream, msg, asio::as_tuple(asio::use_awaitable));
    auto wec = std::get<0>(wres);
    ++*served;
    state.busy = false;
    if (wec || !msg.keep_alive()) break;
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream.socket().close(ignored);
}

runtime::Task<void> Server::stop() {
  stopping_ = true;
  boost::system::error_code ec;
  acceptor_.close(ec);
  accept_group_.stop();
  co_await accept_group_.join();
  for (auto& [id, s] : *sessions_) {
    (void)id;
    if (!s->busy) s->stream->cancel();
  }
  auto joined = co_await runtime::with_timeout(sessions_group_.join(), options_.stop_grace);
  if (!joined) {
    sessions_group_.stop();
    co_await sessions_group_.join();
  }
}

}  // namespace phx::beaconapi::http
