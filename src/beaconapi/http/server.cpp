#include "beaconapi/http/server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <array>

#include "base/log.hpp"
#include "beaconapi/http/detail.hpp"

namespace phx::beaconapi::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;

namespace {

/// The StreamSink of one connection: each write is one HTTP/1.1 chunk on the raw socket, within `timeout`.
class ChunkSink final : public StreamSink {
 public:
  ChunkSink(tcp::socket& socket, Duration timeout) : socket_(socket), timeout_(timeout) {}
  runtime::Task<bool> write(std::string_view bytes) override {
    if (failed_) co_return false;
    if (bytes.empty()) co_return true;  // an empty chunk would end the body
    // Named values, no temporaries in the co_await expression (GCC 12 destroys some of those twice).
    const auto chunk = bhttp::make_chunk(asio::buffer(bytes.data(), bytes.size()));
    auto sent = send(chunk);
    auto w = co_await runtime::with_timeout(std::move(sent), timeout_);
    failed_ = !w || !*w;
    co_return !failed_;
  }
  /// The last chunk (end of the body), unless a write failed.
  runtime::Task<void> finish() {
    if (failed_) co_return;
    const auto last = bhttp::make_chunk_last();
    auto sent = send(last);
    (void)co_await runtime::with_timeout(std::move(sent), timeout_);
  }

 private:
  template <class Buffers>
  runtime::Task<bool> send(Buffers buffers) {
    auto r = co_await asio::async_write(socket_, buffers, asio::as_tuple(asio::use_awaitable));
    co_return !std::get<0>(r);
  }
  tcp::socket& socket_;
  Duration timeout_;
  bool failed_ = false;
};

/// Returns when the client closes the connection (or sends anything: a streaming client has nothing more to say),
/// or when the socket's operations are cancelled (server stop).
runtime::Task<void> watch_close(tcp::socket& socket) {
  std::array<char, 256> buf{};
  (void)co_await socket.async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
}

/// Reads and drops up to `max_bytes` until the client closes or an operation fails (or is cancelled).
runtime::Task<void> drain(tcp::socket& socket, std::size_t max_bytes) {
  std::array<char, 64 * 1024> buf{};
  std::size_t total = 0;
  while (total < max_bytes) {
    auto [ec, n] = co_await socket.async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    total += n;
  }
}

/// Runs a response's stream, turning an escaping exception (other than cancellation) into a log line.
runtime::Task<void> run_stream(const Response& resp, StreamSink& sink) {
  try {
    co_await resp.stream(sink);
  } catch (const boost::system::system_error& e) {
    if (e.code() != asio::error::operation_aborted) log::warn("beacon API stream failed: {}", e.what());
  } catch (const std::exception& e) {
    log::warn("beacon API stream failed: {}", e.what());
  }
}

/// Sends a streaming response: the header (chunked, Connection: close), then the stream's chunks until it
/// returns, a write fails or the client goes away, then the last chunk.
runtime::Task<void> serve_stream(beast::tcp_stream& stream, const Response& resp, Duration write_timeout) {
  using namespace asio::experimental::awaitable_operators;
  bhttp::response<bhttp::empty_body> head{static_cast<bhttp::status>(resp.status), 11};
  head.set(bhttp::field::server, "phalanx");
  head.set(bhttp::field::content_type, resp.content_type);
  head.set(bhttp::field::cache_control, "no-cache");
  for (const auto& [name, value] : resp.headers) head.set(name, value);
  head.chunked(true);
  head.keep_alive(false);
  bhttp::response_serializer<bhttp::empty_body> sr{head};
  stream.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(write_timeout));
  auto wres = co_await bhttp::async_write_header(stream, sr, asio::as_tuple(asio::use_awaitable));
  stream.expires_never();
  if (std::get<0>(wres)) co_return;
  ChunkSink sink(stream.socket(), write_timeout);
  co_await (run_stream(resp, sink) || watch_close(stream.socket()));
  co_await sink.finish();
}

}  // namespace

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

  bool refused_unread = false;  // a refusal sent before the request was read to its end
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
      refused_unread = true;
    } else if (rec == bhttp::error::end_of_stream || rec == asio::error::operation_aborted ||
               rec == beast::error::timeout || rec == asio::error::connection_reset ||
               rec == asio::error::eof) {
      break;
    } else if (rec) {
      resp = Response::error(400, "malformed HTTP request: " + rec.message());
      refused_unread = true;
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
    if (resp.stream) {
      state.busy = false;  // an open stream is idle as far as stop() is concerned: it is cancelled at once
      ++*served;
      co_await serve_stream(stream, resp, options_.write_timeout);
      break;
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
  if (refused_unread) {
    stream.expires_never();
    co_await close_lingering(stream.socket());
    co_return;
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream.socket().close(ignored);
}

runtime::Task<void> close_lingering(tcp::socket& socket, Duration max_time, std::size_t max_bytes) {
  using namespace asio::experimental::awaitable_operators;
  boost::system::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_send, ignored);
  co_await (drain(socket, max_bytes) || runtime::sleep_for(max_time));
  socket.close(ignored);
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
