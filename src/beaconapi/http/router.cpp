#include "beaconapi/http/router.hpp"

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cctype>
#include <exception>

#include "base/assert.hpp"
#include "base/log.hpp"
#include "beaconapi/http/detail.hpp"

namespace phx::beaconapi::http {

namespace bhttp = boost::beast::http;

const char* to_string(HttpError e) {
  switch (e) {
    case HttpError::kOk:
      return "ok";
    case HttpError::kMalformed:
      return "malformed HTTP message";
    case HttpError::kTooLarge:
      return "HTTP message above the size limit";
    case HttpError::kIncomplete:
      return "incomplete HTTP message";
    case HttpError::kConnect:
      return "connection failed";
    case HttpError::kIo:
      return "I/O error";
    case HttpError::kTimeout:
      return "timed out";
    case HttpError::kStatus:
      return "non-success HTTP status";
    case HttpError::kBadBody:
      return "response body did not decode";
    case HttpError::kNoEndpoint:
      return "no beacon node endpoint answered";
    case HttpError::kCancelled:
      return "cancelled";
  }
  return "unknown HTTP error";
}

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    auto j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    out.emplace_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string pct_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hexval(s[i + 1]) * 16 + hexval(s[i + 2])));
      i += 2;
    } else if (s[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

}  // namespace

std::optional<std::string> Request::query_value(std::string_view key) const {
  auto it = query.find(std::string(key));
  if (it == query.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> Request::query_values(std::string_view key) const {
  std::vector<std::string> out;
  auto [b, e] = query.equal_range(std::string(key));
  for (auto it = b; it != e; ++it) {
    std::string_view v = it->second;
    std::size_t i = 0;
    while (i <= v.size()) {
      auto j = v.find(',', i);
      if (j == std::string_view::npos) j = v.size();
      auto part = trim(v.substr(i, j - i));
      if (!part.empty()) out.push_back(std::move(part));
      i = j + 1;
    }
  }
  return out;
}

bool Request::wants_ssz() const {
  auto a = lower(accept);
  auto ssz_pos = a.find(kOctetStream);
  if (ssz_pos == std::string::npos) return false;
  auto json_pos = a.find(kJson);
  return json_pos == std::string::npos || ssz_pos < json_pos;
}

Response Response::json(const ssz::Json& j, unsigned status) {
  Response r;
  r.status = status;
  // Invalid UTF-8 in a string (e.g. an error message quoting a raw request path) is replaced, never thrown.
  r.body = j.dump(-1, ' ', false, ssz::Json::error_handler_t::replace);
  return r;
}

Response Response::ssz(std::string bytes) {
  Response r;
  r.content_type = std::string(kOctetStream);
  r.body = std::move(bytes);
  return r;
}

Response Response::error(unsigned status, std::string_view message) {
  ssz::Json j = ssz::Json::object();
  j["code"] = status;
  j["message"] = std::string(message);
  return json(j, status);
}

void Router::add(Method method, std::string_view path_template, Handler handler) {
  PHX_ASSERT(!path_template.empty() && path_template.front() == '/');
  routes_.push_back(Route{method, split_path(path_template), std::move(handler)});
}

Match Router::match(Method method, std::string_view path) const {
  auto segs = split_path(path);
  Match best;
  int best_literals = -1;
  for (const auto& r : routes_) {
    if (r.segments.size() != segs.size()) continue;
    PathParams params;
    int literals = 0;
    bool ok = true;
    for (std::size_t i = 0; i < segs.size() && ok; ++i) {
      const auto& t = r.segments[i];
      if (t.size() >= 2 && t.front() == '{' && t.back() == '}') {
        if (segs[i].empty()) ok = false;
        params.emplace(t.substr(1, t.size() - 2), pct_decode(segs[i]));
      } else if (t == segs[i]) {
        ++literals;
      } else {
        ok = false;
      }
    }
    if (!ok) continue;
    best.path_known = true;
    if (r.method != method) continue;
    if (literals > best_literals) {
      best_literals = literals;
      best.handler = &r.handler;
      best.params = std::move(params);
    }
  }
  return best;
}

runtime::Task<Response> Router::dispatch(const Request& req) const {
  auto m = match(req.method, req.path);
  if (!m.handler) {
    if (m.path_known) co_return Response::error(405, "method not allowed for " + req.path);
    co_return Response::error(404, "no route for " + req.path);
  }
  std::string failure;
  try {
    co_return co_await (*m.handler)(req, m.params);
  } catch (const std::exception& e) {
    failure = e.what();
  }
  log::warn("beacon API handler for {} failed: {}", req.path, failure);
  co_return Response::error(500, "internal error");
}

std::multimap<std::string, std::string> parse_query(std::string_view query) {
  std::multimap<std::string, std::string> out;
  std::size_t i = 0;
  while (i < query.size()) {
    auto j = query.find('&', i);
    if (j == std::string_view::npos) j = query.size();
    auto kv = query.substr(i, j - i);
    if (!kv.empty()) {
      auto eq = kv.find('=');
      if (eq == std::string_view::npos) {
        out.emplace(pct_decode(kv), "");
      } else {
        out.emplace(pct_decode(kv.substr(0, eq)), pct_decode(kv.substr(eq + 1)));
      }
    }
    i = j + 1;
  }
  return out;
}

std::optional<std::uint64_t> parse_u64(std::string_view s) {
  auto v = ssz::dec_to_u64(s);
  if (!v) return std::nullopt;
  return *v;
}

Result<Request> parse_request(std::string_view raw, const Limits& limits) {
  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(limits.header_limit, UINT32_MAX)));
  parser.body_limit(limits.body_limit);
  parser.eager(true);
  boost::system::error_code ec;
  std::size_t used = 0;
  while (used < raw.size() && !parser.is_done()) {
    auto n = parser.put(boost::asio::buffer(raw.data() + used, raw.size() - used), ec);
    if (ec == bhttp::error::need_more) {
      ec = {};
      if (n == 0) break;
    }
    if (ec) break;
    used += n;
    if (n == 0) break;
  }
  if (!ec && !parser.is_done()) {
    // No more bytes: a message without a length ends here.
    parser.put_eof(ec);
    if (ec == bhttp::error::partial_message || (!ec && !parser.is_done()))
      return fail(HttpError::kIncomplete);
  }
  if (ec == bhttp::error::header_limit || ec == bhttp::error::body_limit ||
      ec == bhttp::error::buffer_overflow) {
    return fail(HttpError::kTooLarge);
  }
  if (ec) return fail(HttpError::kMalformed);
  return detail::request_from_message(parser.release());
}

namespace detail {

Result<Request> request_from_message(bhttp::request<bhttp::string_body> msg) {
  Request req;
  switch (msg.method()) {
    case bhttp::verb::get:
      req.method = Method::kGet;
      break;
    case bhttp::verb::post:
      req.method = Method::kPost;
      break;
    default:
      return fail(HttpError::kMalformed);
  }
  std::string_view target(msg.target().data(), msg.target().size());
  if (target.empty() || target.front() != '/') return fail(HttpError::kMalformed);
  auto q = target.find('?');
  req.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) req.query = parse_query(target.substr(q + 1));
  if (auto it = msg.find(bhttp::field::content_type); it != msg.end()) {
    std::string_view ct(it->value().data(), it->value().size());
    req.content_type = lower(trim(ct.substr(0, ct.find(';'))));
  }
  if (auto it = msg.find(bhttp::field::accept); it != msg.end()) {
    req.accept = std::string(it->value().data(), it->value().size());
  }
  if (auto it = msg.find("Eth-Consensus-Version"); it != msg.end()) {
    req.consensus_version = lower(trim(std::string_view(it->value().data(), it->value().size())));
  }
  req.keep_alive = msg.keep_alive();
  req.body = std::move(msg.body());
  return req;
}

bhttp::response<bhttp::string_body> to_message(const Response& r, bool keep_alive) {
  bhttp::response<bhttp::string_body> msg{static_cast<bhttp::status>(r.status), 11};
  msg.set(bhttp::field::server, "phalanx");
  msg.set(bhttp::field::content_type, r.content_type);
  if (!r.consensus_version.empty()) msg.set("Eth-Consensus-Version", r.consensus_version);
  for (const auto& [name, value] : r.headers) msg.set(name, value);
  msg.body() = r.body;
  msg.keep_alive(keep_alive);
  msg.prepare_payload();
  return msg;
}

}  // namespace detail

}  // namespace phx::beaconapi::http
