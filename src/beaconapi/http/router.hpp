#pragma once
/// Beacon API HTTP requests, responses, the error body and a router by method + path template
/// (`/eth/v1/validator/duties/attester/{epoch}`). Parsing raw bytes into a Request goes through Beast's
/// parser with size limits; nothing here does socket I/O, so the parse-and-route path can be fuzzed directly.
/// Spec: ethereum/beacon-APIs (error body `{"code","message"}`, Content-Type application/json or
/// application/octet-stream, Eth-Consensus-Version header).
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.hpp"
#include "runtime/runtime.hpp"
#include "ssz/json.hpp"

namespace phx::beaconapi::http {

/// Reasons an HTTP exchange fails on the client side or a raw request is refused.
enum class HttpError {
  kOk = 0,
  kMalformed,   ///< the bytes are not a valid HTTP/1.1 request or response
  kTooLarge,    ///< header or body above the configured limit
  kIncomplete,  ///< the bytes end before the message does
  kConnect,     ///< could not connect to the endpoint
  kIo,          ///< read/write failed
  kTimeout,     ///< the per-call deadline passed
  kStatus,      ///< the server answered with a non-2xx status
  kBadBody,     ///< the body did not decode to the expected type
  kNoEndpoint,  ///< every endpoint failed
  kCancelled,   ///< the calling coroutine was cancelled (a long-lived stream)
};
const char* to_string(HttpError e);
PHX_ERROR_ENUM(HttpError, "beaconapi.http")

/// HTTP methods the Beacon API uses.
enum class Method : std::uint8_t { kGet, kPost };

/// Body encodings of the Beacon API.
inline constexpr std::string_view kJson = "application/json";
inline constexpr std::string_view kOctetStream = "application/octet-stream";

/// A parsed request, independent of Beast.
struct Request {
  Method method = Method::kGet;
  std::string path;                               ///< target without the query string, not decoded
  std::multimap<std::string, std::string> query;  ///< query parameters (percent-decoded)
  std::string content_type;                       ///< media type only (parameters stripped), lower case
  std::string accept;                             ///< raw Accept header
  std::string consensus_version;                  ///< Eth-Consensus-Version header (lower case)
  std::string body;
  bool keep_alive = true;

  /// The first value of query parameter `key`.
  std::optional<std::string> query_value(std::string_view key) const;
  /// All values of `key`, comma-separated values split (the Beacon API allows `id=1,2&id=3`).
  std::vector<std::string> query_values(std::string_view key) const;
  /// True when the client prefers SSZ (Accept lists application/octet-stream before or without JSON).
  bool wants_ssz() const;
  /// True when the body is SSZ (Content-Type application/octet-stream).
  bool body_is_ssz() const { return content_type == kOctetStream; }
};

/// Where a streaming response writes its body (see Response::stream).
class StreamSink {
 public:
  virtual ~StreamSink() = default;
  /// Sends `bytes` now (one chunk). False once the client is gone or the write failed or timed out: the stream
  /// should return then.
  virtual runtime::Task<bool> write(std::string_view bytes) = 0;
};

/// A response: status, body, its content type, optional Eth-Consensus-Version.
struct Response {
  unsigned status = 200;
  std::string content_type = std::string(kJson);
  std::string body;
  std::string consensus_version;
  /// Further response headers (e.g. produceBlockV3's Eth-Execution-Payload-Blinded), name → value.
  std::vector<std::pair<std::string, std::string>> headers;
  /// A streaming body (server-sent events): when set, the server sends the status and headers with
  /// `Transfer-Encoding: chunked` (`body` is ignored) and runs `stream`, whose writes become chunks, until it
  /// returns, a write fails or the client closes the connection (then `stream` is cancelled); the connection
  /// closes afterwards. A graceful server stop cancels open streams at once.
  std::function<runtime::Task<void>(StreamSink&)> stream;

  /// 200 with a JSON body.
  static Response json(const ssz::Json& j, unsigned status = 200);
  /// 200 with an SSZ body.
  static Response ssz(std::string bytes);
  /// The Beacon API error body `{"code":status,"message":message}`.
  static Response error(unsigned status, std::string_view message);
};

/// Values bound by `{name}` segments of the matched template.
using PathParams = std::map<std::string, std::string, std::less<>>;

/// A route handler. Runs on the server's thread; exceptions are turned into 500.
using Handler = std::function<runtime::Task<Response>(const Request&, const PathParams&)>;

/// Outcome of matching a path against the routes.
struct Match {
  const Handler* handler = nullptr;  ///< null: no route
  PathParams params;
  bool path_known = false;  ///< a template matched the path but not the method (→ 405)
};

/// Routes by method and path template. Templates are `/`-separated; a segment `{name}` matches one non-empty
/// segment and binds it. Literal segments win over parameters when both match.
class Router {
 public:
  /// Registers `handler` for `method` and `path_template`. Precondition: template starts with '/'.
  void add(Method method, std::string_view path_template, Handler handler);
  /// Finds the handler of a request path.
  Match match(Method method, std::string_view path) const;
  /// Matches and runs the handler; 404 / 405 error bodies when nothing matches, 500 if the handler throws.
  runtime::Task<Response> dispatch(const Request& req) const;

 private:
  struct Route {
    Method method;
    std::vector<std::string> segments;
    Handler handler;
  };
  std::vector<Route> routes_;
};

/// Size limits applied to every request.
struct Limits {
  std::size_t header_limit = 16 * 1024;
  std::size_t body_limit = 8 * 1024 * 1024;
};

/// Parses one complete HTTP/1.1 request from `raw` (as received on a socket) with Beast's parser.
/// Errors: kIncomplete, kTooLarge (header or body limit), kMalformed (syntax, unsupported method).
Result<Request> parse_request(std::string_view raw, const Limits& limits);

/// Splits "a=1&b=%2F" into decoded pairs; malformed percent escapes are kept literally.
std::multimap<std::string, std::string> parse_query(std::string_view query);

/// Parses a decimal path or query value (uint64, strict). nullopt on anything else.
std::optional<std::uint64_t> parse_u64(std::string_view s);

}  // namespace phx::beaconapi::http

PHX_ERROR_ENUM_TRAIT(phx::beaconapi::http::HttpError)
