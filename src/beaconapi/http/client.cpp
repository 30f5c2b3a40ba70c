#include "beaconapi/http/client.hpp"
#include "beaconapi/http/client_detail.hpp"

#include "base/log.hpp"

#include <algorithm>
#include <cctype>
#include <type_traits>
#include <utility>
#include <variant>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "base/assert.hpp"

namespace phx::beaconapi::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;

Result<Endpoint> Endpoint::parse(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, kScheme.size()) != kScheme) return fail(HttpError::kMalformed);
  url.remove_prefix(kScheme.size());
  while (!url.empty() && url.back() == '/') url.remove_suffix(1);
  auto colon = url.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return fail(HttpError::kMalformed);
  auto port = parse_u64(url.substr(colon + 1));
  if (!port || *port == 0 || *port > 65535) return fail(HttpError::kMalformed);
  Endpoint ep;
  ep.host = std::string(url.substr(0, colon));
  ep.port = static_cast<std::uint16_t>(*port);
  return ep;
}

std::string Endpoint::to_string() const {
  return host + ":" + std::to_string(port);
}

namespace {

runtime::Task<Result<ClientResponse>> exchange(Endpoint ep, ClientRequest req, std::size_t body_limit) {
  boost::system::error_code ec;
  // (No conditional expression with class temporaries here: GCC 12 coroutines mishandle them.)
  std::string host = ep.host;
  if (host == "localhost") host = "127.0.0.1";
  auto addr = asio::ip::make_address(host, ec);
  if (ec) co_return fail(HttpError::kConnect);
  auto ex = co_await asio::this_coro::executor;
  beast::tcp_stream stream(ex);
  tcp::endpoint target_ep(addr, ep.port);
  auto cres = co_await stream.async_connect(target_ep, asio::as_tuple(asio::use_awaitable));
  if (std::get<0>(cres)) co_return fail(HttpError::kConnect);

  bhttp::request<bhttp::string_body> msg;
  msg.version(11);
  msg.method(req.method == Method::kGet ? bhttp::verb::get : bhttp::verb::post);
  msg.target(req.target);
  msg.set(bhttp::field::host, ep.to_string());
  msg.set(bhttp::field::accept, req.accept);
  if (req.method == Method::kPost) msg.set(bhttp::field::content_type, req.content_type);
  if (!req.consensus_version.empty()) msg.set("Eth-Consensus-Version", req.consensus_version);
  msg.keep_alive(false);
  msg.body() = std::move(req.body);
  msg.prepare_payload();
  auto wres = co_await bhttp::async_write(stream, msg, asio::as_tuple(asio::use_awaitable));
  if (std::get<0>(wres)) co_return fail(HttpError::kIo);

  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(body_limit);
  auto rres = co_await bhttp::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
  auto rec = std::get<0>(rres);
  if (rec == bhttp::error::body_limit || rec == bhttp::error::header_limit)
    co_return fail(HttpError::kTooLarge);
  if (rec) co_return fail(HttpError::kIo);
  auto res = parser.release();
  ClientResponse out;
  out.status = res.result_int();
  if (auto it = res.find(bhttp::field::content_type); it != res.end()) {
    std::string_view ct(it->value().data(), it->value().size());
    out.content_type = std::string(ct.substr(0, ct.find(';')));
  }
  if (auto it = res.find("Eth-Consensus-Version"); it != res.end()) {
    out.consensus_version = std::string(it->value().data(), it->value().size());
  }
  if (auto it = res.find("Eth-Execution-Payload-Blinded"); it != res.end()) {
    out.execution_payload_blinded = std::string(it->value().data(), it->value().size());
  }
  out.body = std::move(res.body());
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  co_return out;
}

}  // namespace

namespace detail {

ClientError client_error(std::error_code code, unsigned status, std::string message) {
  return ClientError{code, status, std::move(message)};
}

ClientError json_error(const ssz::JsonError& e) {
  return client_error(make_error_code(HttpError::kBadBody), 200, e.message());
}

std::string u64(std::uint64_t v) {
  return std::to_string(v);
}

ClientRequest get_req(std::string target) {
  ClientRequest r;
  r.target = std::move(target);
  return r;
}

ClientRequest post_req(std::string target, std::string body) {
  ClientRequest r;
  r.method = Method::kPost;
  r.target = std::move(target);
  r.body = std::move(body);
  return r;
}

template <class T>
Result<std::vector<T>, ssz::JsonError> decode_array(const ssz::Json& j, const std::string& path) {
  if (!j.is_array()) return std::unexpected(ssz::JsonError{path, "expected an array"});
  std::vector<T> out;
  out.reserve(j.size());
  for (std::size_t i = 0; i < j.size(); ++i) {
    auto v = ssz::from_json<T>(j[i], path + "[" + std::to_string(i) + "]");
    if (!v) return std::unexpected(v.error());
    out.push_back(std::move(*v));
  }
  return out;
}

/// A submission the beacon node refused only because it already has it (another node of the cluster, sharing
/// this BN, published the same aggregate first): Lodestar answers 500 "PublishError.Duplicate" (one line per
/// item after "Multiple errors on …"), others "already known". Every item must be such a duplicate.
bool already_published(const std::string& message) {
  std::size_t items = 0;
  std::size_t pos = 0;
  while (pos <= message.size()) {
    std::size_t end = message.find('\n', pos);
    if (end == std::string::npos) end = message.size();
    const std::string_view line(message.data() + pos, end - pos);
    pos = end + 1;
    if (line.empty() || line.starts_with("Multiple errors")) continue;
    const bool dup = line.find("PublishError.Duplicate") != std::string_view::npos ||
                     line.find("already known") != std::string_view::npos ||
                     line.find("ALREADY_KNOWN") != std::string_view::npos;
    if (!dup) return false;
    ++items;
  }
  return items > 0;
}

/// The `message` of a Beacon API error body, else the body.
std::string error_message(const std::string& body) {
  if (auto j = ssz::parse_json(body); j && j->is_object()) {
    if (auto m = j->find("message"); m != j->end() && m->is_string()) return m->get<std::string>();
  }
  return body;
}

}  // namespace detail

using namespace detail;

bool route_not_served(unsigned status, std::string_view message) {
  if (status == 405) return true;
  if (status != 404) return false;
  std::string m;
  for (char c : message) m.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  // Unknown routes: fastify (Lodestar) "Route GET:/eth/v2/… not found", warp (Lighthouse) "NOT_FOUND", Go's
  // mux "404 page not found", Javalin "Not found", Phalanx's own server (and simulator) "no route for /…", or an
  // empty body. A 404 with details ("No aggregated
  // attestation for slot=…", "NOT_FOUND: no matching aggregate found") is about the resource, not the route.
  return m.empty() || m == "not found" || m == "not_found" || m == "404 page not found" || m == "page not found" ||
         m.starts_with("route ") || m.starts_with("no route") || m.starts_with("endpoint not served") || m.find("endpoint not found") != std::string::npos ||
         m.find("unknown endpoint") != std::string::npos || m.find("route not found") != std::string::npos;
}

namespace {

/// An older beacon node without this endpoint (see route_not_served).
bool missing_endpoint(const ClientError& e) {
  return route_not_served(e.status, e.message);
}

/// The family V holding `value` as fork `fork`'s alternative; nullopt when that alternative is not T.
template <class V, class T>
std::optional<V> versioned_as(eth::Fork fork, T value) {
  std::optional<V> out;
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (
        [&] {
          if constexpr (std::is_same_v<std::variant_alternative_t<I, typename V::Variant>, T>) {
            if (static_cast<std::size_t>(fork) == I) out.emplace(V{typename V::Variant(std::in_place_index<I>, value)});
          }
        }(),
        ...);
  }(std::make_index_sequence<eth::kForkCount>{});
  return out;
}

Result<Root, ssz::JsonError> dependent_root(const ssz::Json& body) {
  auto it = body.find("dependent_root");
  if (it == body.end()) return std::unexpected(ssz::JsonError{"dependent_root", "missing field"});
  return ssz::from_json<Root>(*it, "dependent_root");
}

}  // namespace

runtime::Task<Result<ClientResponse>> send_request(Endpoint ep, ClientRequest req, Duration timeout,
                                                   std::size_t body_limit) {
  auto r = co_await runtime::with_timeout(exchange(std::move(ep), std::move(req), body_limit), timeout);
  if (!r) co_return fail(HttpError::kTimeout);
  co_return std::move(*r);
}

BeaconNodeClient::BeaconNodeClient(std::vector<Endpoint> endpoints, BnClientOptions options)
    : shared_(std::make_shared<std::vector<State>>()), endpoints_(*shared_), options_(std::move(options)) {
  PHX_ASSERT(!endpoints.empty());
  for (auto& e : endpoints) endpoints_.push_back(State{std::move(e), {}, {}});
}

BeaconNodeClient::~BeaconNodeClient() {
  if (fan_group_) fan_group_->stop();
}

bool BeaconNodeClient::healthy(std::size_t i) const {
  return endpoints_.at(i).unhealthy_until <= std::chrono::steady_clock::now();
}

runtime::Task<Result<ClientResponse, ClientError>> BeaconNodeClient::call(ClientRequest req) {
  std::string probe_key;
  if (req.probe) {
    probe_key = std::string(req.method == Method::kPost ? "POST " : "GET ") + req.target.substr(0, req.target.find('?'));
    auto it = missing_until_.find(probe_key);
    if (it != missing_until_.end() && std::chrono::steady_clock::now() < it->second)
      co_return std::unexpected(client_error(make_error_code(HttpError::kStatus), 404, "endpoint not served (remembered)"));
  }
  if (req.to_all && options_.hedge && endpoints_.size() > 1) {
    auto r = co_await call_all(req);
    if (!r && req.probe && route_not_served(r.error().status, r.error().message))
      missing_until_[probe_key] =
          std::chrono::steady_clock::now() +
          std::chrono::duration_cast<std::chrono::steady_clock::duration>(options_.recheck_missing);
    co_return r;
  }
  // Healthy BNs in sync first, then healthy ones that lag (syncing), then the unhealthy ones: still better
  // than giving up.
  std::vector<std::size_t> order;
  const auto in_sync = duty_data_eligible();
  for (std::size_t i = 0; i < endpoints_.size(); ++i) {
    if (healthy(i) && in_sync[i]) order.push_back(i);
  }
  for (std::size_t i = 0; i < endpoints_.size(); ++i) {
    if (healthy(i) && !in_sync[i]) order.push_back(i);
  }
  for (std::size_t i = 0; i < endpoints_.size(); ++i) {
    if (!healthy(i)) order.push_back(i);
  }
  ClientError last{make_error_code(HttpError::kNoEndpoint), 0, "no endpoint"};
  for (auto i : order) {
    auto& st = endpoints_[i];
    const auto t0 = std::chrono::steady_clock::now();
    auto r = co_await send_request(st.ep, req, req.timeout.value_or(options_.timeout));
    if (options_.observer)
      options_.observer(i, std::chrono::duration_cast<Duration>(std::chrono::steady_clock::now() - t0),
                        r && r->status < 500);
    if (r && req.method == Method::kPost && r->status >= 400 && already_published(error_message(r->body))) {
      log::debug("beacon node {}: {} already has it: {}", st.ep.to_string(), req.target, error_message(r->body));
      st.unhealthy_until = {};
      last_used_ = i;
      ClientResponse ok;
      ok.status = 200;
      ok.content_type = std::string(kJson);
      ok.body = "{}";
      co_return ok;
    }
    if (r && r->status < 500) {
      st.unhealthy_until = {};
      last_used_ = i;
      if (r->status >= 200 && r->status < 300) co_return std::move(*r);
      if (req.probe && route_not_served(r->status, error_message(r->body)))
        missing_until_[probe_key] =
            std::chrono::steady_clock::now() +
            std::chrono::duration_cast<std::chrono::steady_clock::duration>(options_.recheck_missing);
      co_return std::unexpected(client_error(make_error_code(HttpError::kStatus), r->status, error_message(r->body)));
    }
    st.unhealthy_until =
        std::chrono::steady_clock::now() +
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(options_.recheck_after);
    if (r) {
      last = client_error(make_error_code(HttpError::kStatus), r->status, st.ep.to_string() + ": " + r->body);
    } else {
      last = client_error(r.error(), 0, st.ep.to_string() + ": " + r.error().message());
    }
  }
  last.code = make_error_code(HttpError::kNoEndpoint);
  co_return std::unexpected(last);
}

void BeaconNodeClient::note_unknown_envelope_keys(std::string_view endpoint, const ssz::Json& body) {
  for (const auto& key : unknown_envelope_keys(body)) {
    if (noted_envelope_keys_.size() < 64 && noted_envelope_keys_.insert(std::string(endpoint) + " " + key).second)
      log::debug("beacon node: {} answer has envelope field \"{}\" (not in the Beacon API spec; ignored)", endpoint, key);
  }
}

runtime::Task<void> BeaconNodeClient::check_health() {
  for (auto& st : endpoints_) {
    ClientRequest req;
    req.target = "/eth/v1/node/syncing";
    auto r = co_await send_request(st.ep, req, options_.timeout);
    if (r && r->status == 200) {
      st.unhealthy_until = {};
      // The sync view (for choosing BNs for duty data); a body that does not decode leaves the last one.
      if (auto j = ssz::parse_json(r->body); j && j->is_object() && j->contains("data") && (*j)["data"].is_object()) {
        auto d = (*j)["data"];
        if (d.find("el_offline") == d.end()) d["el_offline"] = false;
        if (auto s = ssz::from_json<SyncStatus>(d, "data"))
          st.view = BnSyncView{true, s->head_slot, s->sync_distance, s->is_syncing};
      }
    } else {
      st.unhealthy_until =
          std::chrono::steady_clock::now() +
          std::chrono::duration_cast<std::chrono::steady_clock::duration>(options_.recheck_after);
    }
  }
}

runtime::Task<Result<ssz::Json, ClientError>> BeaconNodeClient::get_json(ClientRequest req) {
  auto r = co_await call(std::move(req));
  if (!r) co_return std::unexpected(r.error());
  auto j = ssz::parse_json(r->body);
  if (!j) co_return std::unexpected(json_error(j.error()));
  if (!j->is_object()) co_return std::unexpected(json_error(ssz::JsonError{"", "expected an object"}));
  if (j->find("data") == j->end()) co_return std::unexpected(json_error({"data", "missing field"}));
  co_return std::move(*j);
}

runtime::Task<Result<Genesis, ClientError>> BeaconNodeClient::genesis() {
  auto j = co_await get_json(get_req("/eth/v1/beacon/genesis"));
  if (!j) co_return std::unexpected(j.error());
  auto g = parse_genesis(*j);
  if (!g) co_return std::unexpected(json_error(g.error()));
  co_return *g;
}

runtime::Task<Result<ssz::Json, ClientError>> BeaconNodeClient::spec() {
  auto j = co_await get_json(get_req("/eth/v1/config/spec"));
  if (!j) co_return std::unexpected(j.error());
  if (!(*j)["data"].is_object()) co_return std::unexpected(json_error({"data", "expected an object"}));
  co_return std::move((*j)["data"]);
}

runtime::Task<Result<std::vector<eth::phase0::Fork>, ClientError>> BeaconNodeClient::fork_schedule() {
  auto j = co_await get_json(get_req("/eth/v1/config/fork_schedule"));
  if (!j) co_return std::unexpected(j.error());
  auto f = parse_fork_schedule(*j);
  if (!f) co_return std::unexpected(json_error(f.error()));
  co_return std::move(*f);
}

runtime::Task<Result<eth::ChainConfig, ClientError>> BeaconNodeClient::chain_config() {
  auto g = co_await genesis();
  if (!g) co_return std::unexpected(g.error());
  auto s = co_await get_json(get_req("/eth/v1/config/spec"));
  if (!s) co_return std::unexpected(s.error());
  auto c = parse_spec(*s, *g);
  if (!c) co_return std::unexpected(json_error(c.error()));
  auto f = co_await fork_schedule();
  if (!f) co_return std::unexpected(f.error());
  if (auto chk = check_fork_schedule(*c, *f); !chk) co_return std::unexpected(json_error(chk.error()));
  chain_ = *c;
  co_return std::move(*c);
}

runtime::Task<Result<std::string, ClientError>> BeaconNodeClient::node_version() {
  auto j = co_await get_json(get_req("/eth/v1/node/version"));
  if (!j) co_return std::unexpected(j.error());
  const auto& d = (*j)["data"];
  if (!d.is_object() || d.find("version") == d.end() || !d["version"].is_string()) {
    co_return std::unexpected(json_error(ssz::JsonError{"data.version", "expected a string"}));
  }
  co_return d["version"].get<std::string>();
}

runtime::Task<void> BeaconNodeClient::run_health_checks(Duration interval) {
  for (;;) {
    co_await check_health();
    co_await runtime::sleep_for(interval);
  }
}

runtime::Task<Result<SyncStatus, ClientError>> BeaconNodeClient::syncing() {
  auto j = co_await get_json(get_req("/eth/v1/node/syncing"));
  if (!j) co_return std::unexpected(j.error());
  auto d = (*j)["data"];
  // el_offline is optional in older nodes.
  if (d.is_object() && d.find("el_offline") == d.end()) d["el_offline"] = false;
  auto s = ssz::from_json<SyncStatus>(d, "data");
  if (!s) co_return std::unexpected(json_error(s.error()));
  co_return *s;
}

Duration BeaconNodeClient::bulk_timeout(std::size_t items) const {
  return options_.timeout + options_.timeout_per_item * static_cast<std::int64_t>(items);
}

runtime::Task<Result<std::vector<ValidatorInfo>, ClientError>> BeaconNodeClient::validators_by_pubkey(
    std::string state_id, std::vector<eth::BLSPubkey> pubkeys) {
  std::vector<ValidatorInfo> out;
  out.reserve(pubkeys.size());
  // Appends the validators of a `data` array to `out`.
  auto take = [&out](const ssz::Json& d) -> Result<void, ClientError> {
    if (!d.is_array()) return std::unexpected(json_error({"data", "expected an array"}));
    for (std::size_t i = 0; i < d.size(); ++i) {
      auto v = validator_info_from_json(d[i], "data[" + std::to_string(i) + "]");
      if (!v) return std::unexpected(json_error(v.error()));
      out.push_back(std::move(*v));
    }
    return {};
  };
  const std::string path = "/eth/v1/beacon/states/" + state_id + "/validators";
  bool use_get = false;
  for (std::size_t first = 0; first < pubkeys.size() && !use_get; first += kValidatorsPerPost) {
    const std::size_t last = std::min(pubkeys.size(), first + kValidatorsPerPost);
    ssz::Json body = ssz::Json::object();
    body["ids"] = ssz::Json::array();
    for (std::size_t i = first; i < last; ++i) body["ids"].push_back(to_hex(pubkeys[i]));
    ClientRequest req = post_req(path, body.dump());
    req.probe = true;
    req.timeout = bulk_timeout(last - first);
    auto j = co_await get_json(std::move(req));
    if (!j && first == 0 && missing_endpoint(j.error())) {
      use_get = true;  // an older node: every batch goes the GET way
      break;
    }
    if (!j) co_return std::unexpected(j.error());
    if (auto t = take((*j)["data"]); !t) co_return std::unexpected(t.error());
  }
  if (use_get) {
    // GET with `id` repeated (a comma list is silently ignored by some nodes), kValidatorsPerGet keys per
    // request so the target stays under URL limits; the answers' `data` arrays are concatenated.
    for (std::size_t first = 0; first < pubkeys.size(); first += kValidatorsPerGet) {
      const std::size_t last = std::min(pubkeys.size(), first + kValidatorsPerGet);
      std::string target = path;
      for (std::size_t i = first; i < last; ++i) target += (i == first ? "?id=" : "&id=") + to_hex(pubkeys[i]);
      ClientRequest req = get_req(std::move(target));
      req.timeout = bulk_timeout(last - first);
      auto part = co_await get_json(std::move(req));
      if (!part) co_return std::unexpected(part.error());
      if (auto t = take((*part)["data"]); !t) co_return std::unexpected(t.error());
    }
  }
  co_return out;
}

runtime::Task<Result<AttesterDuties, ClientError>> BeaconNodeClient::attester_duties(
    Epoch epoch, std::vector<ValidatorIndex> indices) {
  AttesterDuties out;
  // An empty request still asks once (the node's dependent root comes with it).
  for (std::size_t first = 0; first == 0 || first < indices.size(); first += kIndicesPerDutiesRequest) {
    const std::size_t last = std::min(indices.size(), first + kIndicesPerDutiesRequest);
    ssz::Json body = ssz::Json::array();
    for (std::size_t i = first; i < last; ++i) body.push_back(u64(indices[i].value));
    ClientRequest req = post_req("/eth/v1/validator/duties/attester/" + u64(epoch.value), body.dump());
    req.timeout = bulk_timeout(last - first);
    auto j = co_await get_json(std::move(req));
    if (!j) co_return std::unexpected(j.error());
    auto root = dependent_root(*j);
    if (!root) co_return std::unexpected(json_error(root.error()));
    if (first != 0 && *root != out.dependent_root)
      co_return std::unexpected(
          json_error(ssz::JsonError{"dependent_root", "changed between batches (the chain moved; ask again)"}));
    out.dependent_root = *root;
    auto duties = decode_array<AttesterDuty>((*j)["data"], "data");
    if (!duties) co_return std::unexpected(json_error(duties.error()));
    for (auto& d : *duties) out.duties.push_back(std::move(d));
    if (last >= indices.size()) break;
  }
  co_return out;
}

runtime::Task<Result<ProposerDuties, ClientError>> BeaconNodeClient::proposer_duties(Epoch epoch) {
  auto j = co_await get_json(get_req("/eth/v1/validator/duties/proposer/" + u64(epoch.value)));
  if (!j) co_return std::unexpected(j.error());
  auto root = dependent_root(*j);
  if (!root) co_return std::unexpected(json_error(root.error()));
  auto duties = decode_array<ProposerDuty>((*j)["data"], "data");
  if (!duties) co_return std::unexpected(json_error(duties.error()));
  ProposerDuties out{*root, std::move(*duties)};
  co_return out;
}

runtime::Task<Result<eth::phase0::AttestationData, ClientError>> BeaconNodeClient::attestation_data(
    Slot slot, std::uint64_t committee_index) {
  ClientRequest req =
      get_req("/eth/v1/validator/attestation_data?slot=" + u64(slot.value) + "&committee_index=" + u64(committee_index));
  if (auto targets = hedge_targets(); !targets.empty())
    co_return co_await attestation_data_hedged(std::move(targets), std::move(req));
  auto j = co_await get_json(std::move(req));
  if (!j) co_return std::unexpected(j.error());
  auto d = ssz::from_json<eth::phase0::AttestationData>((*j)["data"], "data");
  if (!d) co_return std::unexpected(json_error(d.error()));
  co_return *d;
}

namespace {
template <class T>
ClientRequest submission(eth::Fork fork, const std::vector<T>& atts) {
  ssz::Json body = ssz::Json::array();
  for (const auto& a : atts) body.push_back(ssz::to_json(a));
  auto req = post_req("/eth/v2/beacon/pool/attestations", body.dump());
  req.consensus_version = std::string(eth::fork_name(fork));
  req.to_all = true;
  return req;
}
}  // namespace

runtime::Task<Result<void, ClientError>> BeaconNodeClient::submit_attestations(
    eth::Fork fork, std::vector<eth::phase0::Attestation> atts) {
  auto req = submission(fork, atts);
  req.probe = true;
  auto r = co_await call(req);
  if (!r && missing_endpoint(r.error())) {
    req.target = "/eth/v1/beacon/pool/attestations";
    req.probe = false;
    req.consensus_version.clear();
    r = co_await call(req);
  }
  if (!r) co_return std::unexpected(r.error());
  co_return Result<void, ClientError>{};
}

runtime::Task<Result<void, ClientError>> BeaconNodeClient::submit_single_attestations(
    eth::Fork fork, std::vector<eth::electra::SingleAttestation> atts) {
  auto r = co_await call(submission(fork, atts));
  if (!r) co_return std::unexpected(r.error());
  co_return Result<void, ClientError>{};
}

runtime::Task<Result<void, ClientError>> BeaconNodeClient::post_only(ClientRequest req) {
  req.to_all = true;  // every post_only call is a submission
  auto r = co_await call(std::move(req));
  if (!r) co_return std::unexpected(r.error());
  co_return Result<void, ClientError>{};
}

namespace {

template <class T>
std::string json_array_of(const std::vector<T>& items) {
  ssz::Json body = ssz::Json::array();
  for (const auto& x : items) body.push_back(ssz::to_json(x));
  return body.dump();
}

/// `{"version": …, "data": …}` of a versioned value: only `data` goes into request bodies.
template <class V>
ssz::Json versioned_data(const V& v) {
  return encode_versioned_json(v)["data"];
}

}  // namespace

runtime::Task<Result<std::vector<SyncCommitteeDuty>, ClientError>> BeaconNodeClient::sync_committee_duties(
    Epoch epoch, std::vector<ValidatorIndex> indices) {
  std::vector<SyncCommitteeDuty> out;
  for (std::size_t first = 0; first == 0 || first < indices.size(); first += kIndicesPerDutiesRequest) {
    const std::size_t last = std::min(indices.size(), first + kIndicesPerDutiesRequest);
    ssz::Json body = ssz::Json::array();
    for (std::size_t i = first; i < last; ++i) body.push_back(u64(indices[i].value));
    ClientRequest req = post_req("/eth/v1/validator/duties/sync/" + u64(epoch.value), body.dump());
    req.timeout = bulk_timeout(last - first);
    auto j = co_await get_json(std::move(req));
    if (!j) co_return std::unexpected(j.error());
    auto duties = decode_array<SyncCommitteeDuty>((*j)["data"], "data");
    if (!duties) co_return std::unexpected(json_error(duties.error()));
    for (auto& d : *duties) out.push_back(std::move(d));
    if (last >= indices.size()) break;
  }
  co_return out;
}

runtime::Task<Result<ProduceBlockV3Response, ClientError>> BeaconNodeClient::produce_block_v3(
    Slot slot, eth::BLSSignature randao_reveal, Root graffiti, std::optional<std::uint64_t> builder_boost_factor) {
  std::string target = "/eth/v3/validator/blocks/" + u64(slot.value) + "?randao_reveal=" + to_hex(randao_reveal) +
                       "&graffiti=" + to_hex(graffiti);
  if (builder_boost_factor) target += "&builder_boost_factor=" + u64(*builder_boost_factor);
  ClientRequest v3 = get_req(std::move(target));
  v3.probe = true;
  if (auto targets = hedge_targets(); !targets.empty()) {
    auto h = co_await produce_block_hedged(std::move(targets), v3);
    if (h || !missing_endpoint(h.error())) co_return h;  // else every BN lacks v3: the older form below
  }
  auto r = co_await call(std::move(v3));
  if (!r && missing_endpoint(r.error())) {
    // produceBlockV2: a full block, no values. Zero graffiti is omitted (some nodes read the text literally).
    std::string v2 = "/eth/v2/validator/blocks/" + u64(slot.value) + "?randao_reveal=" + to_hex(randao_reveal);
    if (graffiti != Root{}) v2 += "&graffiti=" + to_hex(graffiti);
    auto r2 = co_await call(get_req(std::move(v2)));
    if (!r2) co_return std::unexpected(r2.error());
    auto f = parse_versioned_json<VersionedProducedBlock>(r2->body);
    if (!f) co_return std::unexpected(json_error(f.error()));
    ProduceBlockV3Response out;
    out.block.emplace<0>(std::move(*f));
    co_return out;
  }
  if (!r) co_return std::unexpected(r.error());
  auto j = ssz::parse_json(r->body);
  if (!j) co_return std::unexpected(json_error(j.error()));
  note_unknown_envelope_keys("produceBlockV3", *j);
  auto b = decode_produce_block_v3<VersionedProducedBlock, VersionedBlindedBeaconBlock>(*j);
  if (!b) co_return std::unexpected(json_error(b.error()));
  if (!r->consensus_version.empty() && r->consensus_version != eth::fork_name(b->fork())) {
    co_return std::unexpected(json_error(ssz::JsonError{"version", "differs from the Eth-Consensus-Version header"}));
  }
  co_return std::move(*b);
}

runtime::Task<Result<void, ClientError>> BeaconNodeClient::publish_block(VersionedSignedProducedBlock block) {
  ClientRequest req = post_req("/eth/v2/beacon/blocks", versioned_data(block).dump());
  req.consensus_version = std::string(eth::fork_name(block.fork()));
  req.probe = true;
  auto r = co_await post_only(req);
  if (!r && missing_endpoint(r.error())) {
    req.probe = false;
    req.target = "/eth/v1/beacon/blocks";  // fork from the slot
    r = co_await post_only(req);
  }
  co_return r;
}

runtime::Task<Result<void, ClientError>> BeaconNodeClient::publish_blinded_block(
    VersionedSignedBlindedBeaconBlock block) {
  if (block.fork() < eth::Fork::kBellatrix) {
    co_return std::unexpected(json_error(ssz::JsonError{"version", "no blinded blocks before bellatrix"}));
  }
  ClientRequest req = post_req("/eth/v2/beacon/blinded_blocks", versioned_data(block).dump());
  req.consensus_version = std::string(eth::fork_name(block.fork()));
  req.probe = true;
  auto r = co_await post_only(req);
  if (!r && missing_endpoint(r.error())) {
    req.probe = false;
    req.target = "/eth/v1/beacon/blinded_blocks";
    r = co_await post_only(req);
  }
  co_return r;
}

runtime::Task<Result<VersionedAttestation, ClientError>> BeaconNodeClient::aggregate_attestation(
    Slot slot, Root attestation_data_root, eth::CommitteeIndex committee_index) {
  ClientRequest v2 = get_req("/eth/v2/validator/aggregate_attestation?attestation_data_root=" +
                             to_hex(attestation_data_root) + "&slot=" + u64(slot.value) +
                             "&committee_index=" + u64(committee_index));
  if (auto targets = hedge_targets(); !targets.empty()) {
    auto h = co_await aggregate_hedged(std::move(targets), v2);
    if (h || !missing_endpoint(h.error())) co_return h;  // else every BN lacks v2: v1 below
  }
  auto r = co_await call(std::move(v2));
  if (!r && missing_endpoint(r.error())) {
    // v1: a phase0 Attestation without version; the fork comes from the header or the chain config.
    auto r1 = co_await call(get_req("/eth/v1/validator/aggregate_attestation?attestation_data_root=" +
                                    to_hex(attestation_data_root) + "&slot=" + u64(slot.value)));
    if (!r1) co_return std::unexpected(r1.error());
    auto j = ssz::parse_json(r1->body);
    if (!j) co_return std::unexpected(json_error(j.error()));
    if (!j->is_object() || !j->contains("data")) co_return std::unexpected(json_error({"data", "missing field"}));
    auto att = ssz::from_json<eth::phase0::Attestation>((*j)["data"], "data");
    if (!att) co_return std::unexpected(json_error(att.error()));
    std::optional<eth::Fork> fork = eth::fork_from_name(r1->consensus_version);
    if (!fork) {
      if (!chain_) {
        auto c = co_await chain_config();
        if (!c) co_return std::unexpected(c.error());
      }
      fork = chain_->fork_at(chain_->epoch_at(slot));
    }
    auto v = versioned_as<VersionedAttestation>(*fork, std::move(*att));
    if (!v) co_return std::unexpected(json_error({"data", "a phase0 attestation in an electra or later slot"}));
    co_return std::move(*v);
  }
  if (!r) co_return std::unexpected(r.error());
  auto a = parse_versioned_json<VersionedAttestation>(r->body);
  if (!a) co_return std::unexpected(json_error(a.error()));
  co_return std::move(*a);
}

runtime::Task<Result<void, ClientError>> BeaconNodeClient::submit_aggregate_and_proofs(
    eth::Fork fork, std::vector<VersionedSignedAggregateAndProof> items) {
  ssz::Json body = ssz::Json::array();
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (items[i].fork() != fork) {
      co_return std::unexpected(
          json_error(ssz::JsonError{"[" + std::to_string(i) + "]", "item fork differs from the request fork"}));
    }
    body.push_back(versioned_data(items[i]));
  }
  ClientRequest req = post_req("/eth/v2/validator/aggregate_and_proofs", body.dump());
  req.consensus_version = std::string(eth::fork_name(fork));
  req.probe = true;
  auto r = co_await post_only(req);
  if (!r && missing_endpoint(r.error()) && fork < eth::Fork::kElectra) {
    req.probe = false;
    req.target = "/eth/v1/validator/aggregate_and_proofs";
    r = co_await post_only(req);
  }
  co_return r;
}

runtime::Task<Result<Root, ClientError>> BeaconNodeClient::block_root(std::string block_id) {
  auto j = co_await get_json(get_req("/eth/v1/beacon/blocks/" + block_id + "/root"));
  if (!j) co_return std::unexpected(j.error());
  const auto& d = (*j)["data"];
  if (!d.is_object() || d.find("root") == d.end()) {
    co_return std::unexpected(json_error(ssz::JsonError{"data.root", "missing field"}));
  }
  auto root = ssz::from_json<Root>(d["root"], "data.root");
  if (!root) co_return std::unexpected(json_error(root.error()));
  co_return *root;
}

runtime::Task<Result<eth::altair::SyncCommitteeContribution, ClientError>>
BeaconNodeClient::sync_committee_contribution(Slot slot, std::uint64_t subcommittee_index, Root beacon_block_root) {
  ClientRequest req = get_req("/eth/v1/validator/sync_committee_contribution?slot=" + u64(slot.value) +
                              "&subcommittee_index=" + u64(subcommittee_index) +
                              "&beacon_block_root=" + to_hex(beacon_block_root));
  if (auto targets = hedge_targets(); !targets.empty())
    co_return co_await contribution_hedged(std::move(targets), std::move(req));
  auto j = co_await get_json(std::move(req));
  if (!j) co_return std::unexpected(j.error());
  auto c = ssz::from_json<eth::altair::SyncCommitteeContribution>((*j)["data"], "data");
  if (!c) co_return std::unexpected(json_error(c.error()));
  co_return std::move(*c);
}

runtime::Task<Result<void, ClientError>> BeaconNodeClient::submit_sync_committee_messages(
    std::vector<eth::altair::SyncCommitteeMessage> messages) {
  co_return co_await post_only(post_req("/eth/v1/beacon/pool/sync_committees", json_array_of(messages)));
}

runtime::Task<Result<void, ClientError>> BeaconNodeClient::submit_contribution_and_proofs(
    std::vector<eth::altair::SignedContributionAndProof> items) {
  co_return co_await post_only(post_req("/eth/v1/validator/contribution_and_proofs", json_array_of(items)));
}

runtime::Task<Result<void, ClientError>> BeaconNodeClient::register_validators(
    std::vector<eth::phase0::SignedValidatorRegistrationV1> registrations) {
  co_return co_await post_only(post_req("/eth/v1/validator/register_validator", json_array_of(registrations)));
}

runtime::Task<Result<void, ClientError>> BeaconNodeClient::submit_voluntary_exit(
    eth::phase0::SignedVoluntaryExit exit) {
  co_return co_await post_only(post_req("/eth/v1/beacon/pool/voluntary_exits", ssz::to_json(exit).dump()));
}

runtime::Task<Result<void, ClientError>> BeaconNodeClient::prepare_beacon_proposer(
    std::vector<ProposerPreparation> entries) {
  co_return co_await post_only(post_req("/eth/v1/validator/prepare_beacon_proposer", json_array_of(entries)));
}

runtime::Task<Result<void, ClientError>> BeaconNodeClient::beacon_committee_subscriptions(
    std::vector<BeaconCommitteeSubscription> entries) {
  co_return co_await post_only(post_req("/eth/v1/validator/beacon_committee_subscriptions", json_array_of(entries)));
}

runtime::Task<Result<void, ClientError>> BeaconNodeClient::sync_committee_subscriptions(
    std::vector<SyncCommitteeSubscription> entries) {
  co_return co_await post_only(post_req("/eth/v1/validator/sync_committee_subscriptions", json_array_of(entries)));
}

ssz::Json validator_info_to_json(const ValidatorInfo& v) {
  ssz::Json j = ssz::Json::object();
  j["index"] = u64(v.index.value);
  j["balance"] = u64(v.balance);
  j["status"] = v.status;
  j["validator"] = ssz::to_json(v.validator);
  return j;
}

Result<ValidatorInfo, ssz::JsonError> validator_info_from_json(const ssz::Json& j, const std::string& path) {
  if (!j.is_object()) return std::unexpected(ssz::JsonError{path, "expected an object"});
  ValidatorInfo out;
  for (const char* key : {"index", "balance", "status", "validator"}) {
    if (j.find(key) == j.end()) return std::unexpected(ssz::JsonError{path + "." + key, "missing field"});
  }
  auto idx = ssz::from_json<ValidatorIndex>(j["index"], path + ".index");
  if (!idx) return std::unexpected(idx.error());
  auto bal = ssz::from_json<std::uint64_t>(j["balance"], path + ".balance");
  if (!bal) return std::unexpected(bal.error());
  if (!j["status"].is_string()) return std::unexpected(ssz::JsonError{path + ".status", "expected a string"});
  auto rec = ssz::from_json<ValidatorRecord>(j["validator"], path + ".validator");
  if (!rec) return std::unexpected(rec.error());
  out.index = *idx;
  out.balance = *bal;
  out.status = j["status"].get<std::string>();
  out.validator = *rec;
  return out;
}

}  // namespace phx::beaconapi::http
