// Beacon API event stream, the client: GET /eth/v1/events over Beast, the body parsed as it arrives.
#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <cctype>

#include "base/log.hpp"
#include "beaconapi/http/events.hpp"

namespace phx::beaconapi::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;

namespace {

/// Events above this are refused (kTooLarge): the largest spec events (attestations, blob sidecars' headers)
/// are a few KiB.
constexpr std::size_t kMaxEventBytes = 1 << 20;
/// A refused stream's error body is read up to this size for its message.
constexpr std::size_t kMaxErrorBody = 64 * 1024;

/// One event-stream connection: the socket, Beast's read buffer and the response parser (header, then the body
/// handed out piece by piece through a buffer_body).
struct Connection {
  explicit Connection(const runtime::Executor& ex) : stream(ex) { parser.body_limit(boost::none); }
  beast::tcp_stream stream;
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::buffer_body> parser;
};

/// The query as OpenAPI's default for an array parameter (style form, explode): `topics=a&topics=b`. Every BN
/// accepts it; some (Lodestar 1.5.1) read `topics=a,b` as one unknown topic and never answer.
std::string target_of(const std::vector<std::string>& topics) {
  std::string t = "/eth/v1/events";
  for (std::size_t i = 0; i < topics.size(); ++i) {
    t += i == 0 ? "?topics=" : "&topics=";
    t += topics[i];
  }
  return t;
}

/// Connects, sends the request and reads the response header.
runtime::Task<Result<void>> open(Connection& c, Endpoint ep, std::string target, std::string& why) {
  std::string host = ep.host;
  if (host == "localhost") host = "127.0.0.1";
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(host, ec);
  if (ec) {
    why = "bad beacon node address " + ep.host;
    co_return fail(HttpError::kConnect);
  }
  const tcp::endpoint to(addr, ep.port);
  auto cres = co_await c.stream.async_connect(to, asio::as_tuple(asio::use_awaitable));
  if (std::get<0>(cres)) {
    why = "connect: " + std::get<0>(cres).message();
    co_return fail(HttpError::kConnect);
  }
  bhttp::request<bhttp::string_body> req;
  req.version(11);
  req.method(bhttp::verb::get);
  req.target(target);
  req.set(bhttp::field::host, ep.to_string());
  req.set(bhttp::field::accept, "text/event-stream");
  req.set(bhttp::field::cache_control, "no-cache");
  req.keep_alive(false);
  req.prepare_payload();
  auto wres = co_await bhttp::async_write(c.stream, req, asio::as_tuple(asio::use_awaitable));
  if (std::get<0>(wres)) {
    why = "write: " + std::get<0>(wres).message();
    co_return fail(HttpError::kIo);
  }
  auto rres = co_await bhttp::async_read_header(c.stream, c.buffer, c.parser, asio::as_tuple(asio::use_awaitable));
  if (auto rec = std::get<0>(rres)) {
    why = "response header: " + rec.message();
    if (rec.category() == bhttp::make_error_code(bhttp::error::bad_version).category() &&
        rec != bhttp::error::end_of_stream && rec != bhttp::error::partial_message)
      co_return fail(rec == bhttp::error::header_limit ? HttpError::kTooLarge : HttpError::kMalformed);
    co_return fail(HttpError::kIo);
  }
  co_return Result<void>{};
}

/// The error of a failed body read (timeouts come from the stream's idle expiry).
std::error_code read_error(const boost::system::error_code& ec) {
  if (ec == beast::error::timeout) return make_error_code(HttpError::kTimeout);
  if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message) return make_error_code(HttpError::kIo);
  if (ec.category() == bhttp::make_error_code(bhttp::error::bad_chunk).category())
    return make_error_code(HttpError::kMalformed);
  return make_error_code(HttpError::kIo);
}

/// Reads what is left of a refused stream's body (bounded, within `timeout`) and returns its `message`.
runtime::Task<std::string> error_body(Connection& c, Duration timeout) {
  std::string body;
  std::array<char, 4096> buf{};
  c.stream.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(timeout));
  while (!c.parser.is_done() && body.size() < kMaxErrorBody) {
    c.parser.get().body().data = buf.data();
    c.parser.get().body().size = buf.size();
    auto [ec, n] = co_await bhttp::async_read_some(c.stream, c.buffer, c.parser, asio::as_tuple(asio::use_awaitable));
    (void)n;
    body.append(buf.data(), buf.size() - c.parser.get().body().size);
    if (ec && ec != bhttp::error::need_buffer) break;
  }
  if (auto j = ssz::parse_json(body); j && j->is_object()) {
    if (auto m = j->find("message"); m != j->end() && m->is_string()) co_return m->get<std::string>();
  }
  co_return body.substr(0, 512);
}

bool is_event_stream(std::string_view content_type) {
  constexpr std::string_view kType = "text/event-stream";
  if (content_type.size() < kType.size()) return false;
  for (std::size_t i = 0; i < kType.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(content_type[i])) != kType[i]) return false;
  }
  return content_type.size() == kType.size() || content_type[kType.size()] == ';' ||
         content_type[kType.size()] == ' ';
}

}  // namespace

runtime::Task<Result<void>> stream_events(Endpoint ep, std::vector<std::string> topics,
                                          std::function<void(const SseEvent&)> on_event, Duration connect_timeout,
                                          Duration idle_timeout, StreamEnd& end) {
  end = StreamEnd{};
  // Named values only around co_await (GCC 12 destroys some class temporaries of such statements twice).
  auto ex = co_await asio::this_coro::executor;
  Connection c(ex);
  const auto cancelled = [](const asio::cancellation_state& cs) { return cs.cancelled() != asio::cancellation_type::none; };
  auto cs = co_await asio::this_coro::cancellation_state;

  std::string target = target_of(topics);
  auto opening = open(c, ep, std::move(target), end.message);
  auto opened = co_await runtime::with_timeout(std::move(opening), connect_timeout);
  if (cancelled(cs)) co_return fail(HttpError::kCancelled);
  if (!opened) {
    end.message = "no response header within the connect timeout";
    co_return fail(HttpError::kTimeout);
  }
  if (!*opened) co_return std::unexpected(opened->error());

  const auto& header = c.parser.get();
  end.status = header.result_int();
  if (end.status != 200) {
    end.message = co_await error_body(c, connect_timeout);
    co_return fail(HttpError::kStatus);
  }
  if (auto it = header.find(bhttp::field::content_type);
      it == header.end() || !is_event_stream(std::string_view(it->value().data(), it->value().size()))) {
    end.message = "answer is not text/event-stream";
    co_return fail(HttpError::kMalformed);
  }

  SseParser sse(kMaxEventBytes);
  std::array<char, 16 * 1024> buf{};
  const auto idle = std::chrono::duration_cast<std::chrono::steady_clock::duration>(idle_timeout);
  while (!c.parser.is_done()) {
    auto& body = c.parser.get().body();
    body.data = buf.data();
    body.size = buf.size();
    c.stream.expires_after(idle);
    auto [ec, n] = co_await bhttp::async_read_some(c.stream, c.buffer, c.parser, asio::as_tuple(asio::use_awaitable));
    (void)n;
    if (cancelled(cs)) co_return fail(HttpError::kCancelled);
    if (ec == bhttp::error::need_buffer) ec = {};
    const std::size_t got = buf.size() - c.parser.get().body().size;
    if (got > 0) {
      auto events = sse.feed(std::string_view(buf.data(), got));
      if (!events) {
        end.message = "an event above the size limit";
        co_return std::unexpected(events.error());
      }
      for (const auto& e : *events) {
        ++end.events;
        on_event(e);
      }
    }
    if (ec) {
      end.message = "read: " + ec.message();
      co_return std::unexpected(read_error(ec));
    }
  }
  end.message = "closed by the server";
  boost::system::error_code ignored;
  c.stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  co_return Result<void>{};
}

runtime::Task<Result<void>> stream_events(Endpoint ep, std::vector<std::string> topics,
                                          std::function<void(const SseEvent&)> on_event, Duration connect_timeout,
                                          Duration idle_timeout) {
  StreamEnd end;
  const std::string where = ep.to_string();
  auto streaming = stream_events(std::move(ep), std::move(topics), std::move(on_event), connect_timeout, idle_timeout, end);
  auto r = co_await std::move(streaming);
  if (!r && r.error() == make_error_code(HttpError::kStatus))
    log::warn("beacon node {}: event stream refused with {}: {}", where, end.status, end.message);
  co_return r;
}

}  // namespace phx::beaconapi::http
