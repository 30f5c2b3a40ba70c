// Validator API, server and routing: route table, sessions, key-rewriting proxied endpoints, plain proxy.
#include "beaconapi/vapi/validator_api.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <cctype>

#include "beaconapi/vapi/validator_api_detail.hpp"

namespace phx::beaconapi::vapi {

const char* to_string(PartialKind k) {
  switch (k) {
    case PartialKind::kAttestation: return "attestation";
    case PartialKind::kBlock: return "block";
    case PartialKind::kBlindedBlock: return "blinded_block";
    case PartialKind::kAggregateAndProof: return "aggregate_and_proof";
    case PartialKind::kSyncMessage: return "sync_message";
    case PartialKind::kContributionAndProof: return "contribution_and_proof";
    case PartialKind::kRegistration: return "registration";
    case PartialKind::kExit: return "exit";
  }
  return "unknown";
}

// ---- Backend defaults: no duty knowledge (the VAPI's own caches answer first) ----

Task<ApiResult<eth::BLSPubkey>> Backend::pubkey_by_index(ValidatorIndex index) {
  co_return std::unexpected(ApiError{404, "unknown validator index " + std::to_string(index.value)});
}

Task<ApiResult<AttesterRef>> Backend::attester_at(Slot slot, eth::CommitteeIndex committee_index,
                                                  std::uint64_t validator_committee_index) {
  co_return std::unexpected(ApiError{404, "no cluster attester at slot " + std::to_string(slot.value) +
                                              ", committee " + std::to_string(committee_index) + ", position " +
                                              std::to_string(validator_committee_index)});
}

Task<ApiResult<eth::BLSPubkey>> Backend::proposer_of(Slot slot) {
  co_return std::unexpected(ApiError{404, "no cluster proposer known for slot " + std::to_string(slot.value)});
}

namespace {

Result<http::Request, std::string> parse_view(const BeastRequest& msg) {
  http::Request req;
  switch (msg.method()) {
    case bhttp::verb::get: req.method = http::Method::kGet; break;
    case bhttp::verb::post: req.method = http::Method::kPost; break;
    default: return std::unexpected(std::string("unsupported method"));
  }
  std::string_view target(msg.target().data(), msg.target().size());
  if (target.empty() || target.front() != '/') return std::unexpected(std::string("bad request target"));
  auto q = target.find('?');
  req.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) req.query = http::parse_query(target.substr(q + 1));
  auto lower = [](std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    while (!out.empty() && (out.back() == ' ' || out.back() == '\t')) out.pop_back();
    while (!out.empty() && (out.front() == ' ' || out.front() == '\t')) out.erase(out.begin());
    return out;
  };
  if (auto it = msg.find(bhttp::field::content_type); it != msg.end()) {
    std::string_view ct(it->value().data(), it->value().size());
    req.content_type = lower(ct.substr(0, ct.find(';')));
  }
  if (auto it = msg.find(bhttp::field::accept); it != msg.end()) {
    req.accept = std::string(it->value().data(), it->value().size());
  }
  if (auto it = msg.find("Eth-Consensus-Version"); it != msg.end()) {
    req.consensus_version = lower(std::string_view(it->value().data(), it->value().size()));
  }
  req.keep_alive = msg.keep_alive();
  req.body = msg.body();
  return req;
}

/// Percent-encodes a query key or value (RFC 3986 unreserved characters and ',' stay as they are).
std::string url_encode(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : s) {
    if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~' || ch == ',') {
      out.push_back(static_cast<char>(ch));
    } else {
      out.push_back('%');
      out.push_back(kHex[ch >> 4]);
      out.push_back(kHex[ch & 15]);
    }
  }
  return out;
}

}  // namespace

void ValidatorApi::Impl::add_routes() {
  using M = http::Method;
  add(M::kGet, "/eth/v1/validator/attestation_data", [](Impl& s, const Ctx& c) { return s.attestation_data(c); });
  add(M::kGet, "/eth/v3/validator/blocks/{slot}", [](Impl& s, const Ctx& c) { return s.produce_block(c, 3); });
  add(M::kGet, "/eth/v2/validator/blocks/{slot}", [](Impl& s, const Ctx& c) { return s.produce_block(c, 2); });
  add(M::kGet, "/eth/v1/validator/blocks/{slot}", [](Impl& s, const Ctx& c) { return s.produce_block(c, 0); });
  add(M::kGet, "/eth/v1/validator/blinded_blocks/{slot}",
      [](Impl& s, const Ctx& c) { return s.produce_block(c, 1); });
  add(M::kGet, "/eth/v1/validator/aggregate_attestation",
      [](Impl& s, const Ctx& c) { return s.aggregate_attestation(c, false); });
  add(M::kGet, "/eth/v2/validator/aggregate_attestation",
      [](Impl& s, const Ctx& c) { return s.aggregate_attestation(c, true); });
  add(M::kGet, "/eth/v1/validator/sync_committee_contribution",
      [](Impl& s, const Ctx& c) { return s.sync_contribution(c); });
  add(M::kPost, "/eth/v1/validator/beacon_committee_selections",
      [](Impl& s, const Ctx& c) { return s.selections<BeaconCommitteeSelection>(c); });
  add(M::kPost, "/eth/v1/validator/sync_committee_selections",
      [](Impl& s, const Ctx& c) { return s.selections<SyncCommitteeSelection>(c); });
  add(M::kPost, "/eth/v1/beacon/pool/attestations",
      [](Impl& s, const Ctx& c) { return s.submit_attestations(c, false); });
  add(M::kPost, "/eth/v2/beacon/pool/attestations",
      [](Impl& s, const Ctx& c) { return s.submit_attestations(c, true); });
  add(M::kPost, "/eth/v1/beacon/blocks", [](Impl& s, const Ctx& c) { return s.submit_block(c, false); });
  add(M::kPost, "/eth/v2/beacon/blocks", [](Impl& s, const Ctx& c) { return s.submit_block(c, false); });
  add(M::kPost, "/eth/v1/beacon/blinded_blocks", [](Impl& s, const Ctx& c) { return s.submit_block(c, true); });
  add(M::kPost, "/eth/v2/beacon/blinded_blocks", [](Impl& s, const Ctx& c) { return s.submit_block(c, true); });
  add(M::kPost, "/eth/v1/validator/aggregate_and_proofs",
      [](Impl& s, const Ctx& c) { return s.submit_aggregates(c, false); });
  add(M::kPost, "/eth/v2/validator/aggregate_and_proofs",
      [](Impl& s, const Ctx& c) { return s.submit_aggregates(c, true); });
  add(M::kPost, "/eth/v1/beacon/pool/sync_committees",
      [](Impl& s, const Ctx& c) { return s.submit_sync_messages(c); });
  add(M::kPost, "/eth/v1/validator/contribution_and_proofs",
      [](Impl& s, const Ctx& c) { return s.submit_contributions(c); });
  add(M::kPost, "/eth/v1/validator/register_validator",
      [](Impl& s, const Ctx& c) { return s.submit_registrations(c); });
  add(M::kPost, "/eth/v1/beacon/pool/voluntary_exits", [](Impl& s, const Ctx& c) { return s.submit_exit(c); });
  add(M::kPost, "/eth/v1/validator/prepare_beacon_proposer",
      [](Impl& s, const Ctx& c) { return s.prepare_proposers(c); });
  // Proxied with public keys rewritten (DV keys → this node's shares in answers, shares → DV keys in requests).
  add(M::kPost, "/eth/v1/validator/duties/attester/{epoch}", [](Impl& s, const Ctx& c) { return s.duties(c); });
  add(M::kGet, "/eth/v1/validator/duties/proposer/{epoch}", [](Impl& s, const Ctx& c) { return s.duties(c); });
  add(M::kGet, "/eth/v2/validator/duties/proposer/{epoch}", [](Impl& s, const Ctx& c) { return s.duties(c); });
  add(M::kPost, "/eth/v1/validator/duties/sync/{epoch}", [](Impl& s, const Ctx& c) { return s.duties(c); });
  add(M::kGet, "/eth/v1/beacon/states/{state_id}/validators",
      [](Impl& s, const Ctx& c) { return s.validators_get(c); });
  add(M::kPost, "/eth/v1/beacon/states/{state_id}/validators",
      [](Impl& s, const Ctx& c) { return s.validators_post(c); });
  add(M::kGet, "/eth/v1/beacon/states/{state_id}/validators/{validator_id}",
      [](Impl& s, const Ctx& c) { return s.validator_by_id(c); });
  add(M::kGet, "/eth/v1/beacon/states/{state_id}/validator_balances",
      [](Impl& s, const Ctx& c) { return s.validators_get(c); });
  add(M::kPost, "/eth/v1/beacon/states/{state_id}/validator_balances",
      [](Impl& s, const Ctx& c) { return s.validators_post(c); });
}

// ---- proxied with key rewriting ----

Task<BeastResponse> ValidatorApi::Impl::proxy_rewrite(const Ctx& c, BeastRequest up, bool learn_answer) {
  (void)c;
  up.set(bhttp::field::accept, http::kJson);
  up.erase(bhttp::field::accept_encoding);  // the answer is rewritten: it must not come back compressed
  up.prepare_payload();
  ++stats_.proxied;
  auto r = co_await proxy_.forward(up);
  if (!r) {
    ++stats_.proxy_failures;
    co_return error_response(502, "no beacon node answered: " + r.error());
  }
  BeastResponse res = std::move(*r);
  if (res.result_int() != 200) co_return res;
  auto j = ssz::parse_json(res.body());
  if (!j) co_return res;
  if (learn_answer) learn(*j);
  auto n = rewrite_answer_pubkeys(*j, dv_to_share());
  if (!n) co_return res;
  res.body() = j->dump(-1, ' ', false, ssz::Json::error_handler_t::replace);
  co_return res;
}

Task<BeastResponse> ValidatorApi::Impl::duties(const Ctx& c) {
  BeastRequest up = c.msg;
  co_return co_await proxy_rewrite(c, std::move(up), true);
}

Task<BeastResponse> ValidatorApi::Impl::validators_get(const Ctx& c) {
  BeastRequest up = c.msg;
  auto ids = c.req.query_values("id");
  if (!ids.empty()) {
    auto mapped = rewrite_ids(ids, share_to_dv());
    std::string target = c.req.path + "?";
    bool first = true;
    for (const auto& [k, v] : c.req.query) {
      if (k == "id") continue;
      if (!first) target += "&";
      target += url_encode(k) + "=" + url_encode(v);
      first = false;
    }
    // Repeated `id=` (every BN accepts it; Lodestar 1.5.1 answers [] to a comma list).
    for (const auto& m : mapped) {
      if (!first) target += "&";
      target += "id=" + url_encode(m);
      first = false;
    }
    up.target(target);
  }
  co_return co_await proxy_rewrite(c, std::move(up), true);
}

Task<BeastResponse> ValidatorApi::Impl::validators_post(const Ctx& c) {
  BeastRequest up = c.msg;
  if (!c.req.body.empty()) {
    auto body = rewrite_validators_body(c.req.body, share_to_dv());
    if (!body) co_return error_response(400, body.error());
    up.body() = std::move(*body);
  }
  co_return co_await proxy_rewrite(c, std::move(up), true);
}

Task<BeastResponse> ValidatorApi::Impl::validator_by_id(const Ctx& c) {
  BeastRequest up = c.msg;
  const auto& id = c.params.at("validator_id");
  if (id.size() == 98 && id.starts_with("0x")) {
    if (auto key = from_hex_fixed<48>(id); key) {
      auto ref = backend_.dv_of(*key);
      if (ref && !ref->own) {
        co_return error_response(400, "public share of another operator of the cluster, not this node's");
      }
      if (ref) {
        std::string target = "/eth/v1/beacon/states/" + c.params.at("state_id") + "/validators/" +
                             to_hex(ref->dv_pubkey);
        up.target(target);
      }
    }
  }
  co_return co_await proxy_rewrite(c, std::move(up), true);
}

Task<BeastResponse> ValidatorApi::Impl::proxy(const BeastRequest& msg) {
  ++stats_.proxied;
  auto r = co_await proxy_.forward(msg);
  if (!r) {
    ++stats_.proxy_failures;
    co_return error_response(502, "no beacon node answered: " + r.error());
  }
  co_return std::move(*r);
}

// ---- server ----

Result<void> ValidatorApi::Impl::start() {
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(options_.server.address, ec);
  if (ec) return std::unexpected(ec);
  tcp::endpoint ep(addr, options_.server.port);
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

Task<void> ValidatorApi::Impl::accept_loop() {
  for (;;) {
    auto accepted = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
    auto ec = std::get<0>(accepted);
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
      log::warn("validator API accept failed: {}", ec.message());
      continue;
    }
    if (stopping_) co_return;
    sessions_group_.spawn(session(std::move(std::get<1>(accepted)), next_id_++));
  }
}

void ValidatorApi::Impl::note_user_agent(const BeastRequest& msg) {
  const auto it = msg.find(bhttp::field::user_agent);
  if (it == msg.end()) return;
  std::string ua;
  for (char c : it->value()) {
    if (ua.size() == 128) break;
    ua.push_back(c >= 0x20 && c <= 0x7e ? c : '?');  // a VC's string shown on the status page: printable only
  }
  stats_.user_agent = std::move(ua);
}

Task<void> ValidatorApi::Impl::session(tcp::socket socket, std::uint64_t id) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  SessionState state{&stream, false};
  auto sessions = sessions_;
  sessions->emplace(id, &state);
  struct Erase {
    std::shared_ptr<std::map<std::uint64_t, SessionState*>> m;
    std::uint64_t id;
    ~Erase() { m->erase(id); }
  } erase{sessions, id};

  const auto& lim = options_.server.limits;
  bool refused_unread = false;  // a refusal sent before the request was read to its end
  for (;;) {
    if (stopping_) break;
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(lim.header_limit, UINT32_MAX)));
    parser.body_limit(lim.body_limit);
    stream.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(options_.server.idle_timeout));
    auto rres = co_await bhttp::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
    auto rec = std::get<0>(rres);
    BeastResponse res;
    bool keep_alive = false;
    std::string route_name = Stats::kMalformedRoute;  // the Stats::routes entry of this request (empty: counted)
    if (rec == bhttp::error::header_limit || rec == bhttp::error::body_limit ||
        rec == bhttp::error::buffer_overflow) {
      res = error_response(413, "request above the size limit");
      refused_unread = true;
    } else if (rec == bhttp::error::end_of_stream || rec == asio::error::operation_aborted ||
               rec == beast::error::timeout || rec == asio::error::connection_reset || rec == asio::error::eof) {
      break;
    } else if (rec) {
      res = error_response(400, "malformed HTTP request: " + rec.message());
      refused_unread = true;
    } else {
      state.busy = true;
      BeastRequest msg = parser.release();
      keep_alive = msg.keep_alive();
      auto view = parse_view(msg);
      stats_.last_request = clock_.now();
      note_user_agent(msg);
      if (view && view->path.ends_with("_selections")) ++stats_.selection_requests;
      if (!view) {
        res = error_response(400, view.error());
      } else if (view->method == http::Method::kGet && view->path == "/eth/v1/events") {
        ++stats_.proxied;
        auto& count = stats_.routes["GET /eth/v1/events"];
        ++count.requests;
        state.busy = false;  // a stream is idle as far as stop() is concerned: it is cancelled at once
        bool ok = co_await proxy_.stream(msg, stream);
        if (ok) break;  // the stream ended: the connection is done
        ++stats_.proxy_failures;
        ++count.errors;
        state.busy = true;
        res = error_response(502, "no beacon node answered the event stream");
        keep_alive = false;
        route_name.clear();  // counted
      } else {
        http::PathParams params;
        const Route* route = match(view->method, view->path, params);
        route_name = route != nullptr ? route->name : std::string(Stats::kProxiedRoute);
        std::string failure;
        try {
          if (route != nullptr) {
            ++stats_.intercepted;
            Ctx ctx{msg, std::move(*view), std::move(params)};
            res = co_await route->handler(*this, ctx);
          } else {
            res = co_await proxy(msg);
          }
        } catch (const std::exception& e) {
          failure = e.what();
        }
        if (!failure.empty()) {
          log::warn("validator API handler failed: {}", failure);
          res = error_response(500, "internal error");
        }
      }
    }
    if (!route_name.empty()) {
      auto& count = stats_.routes[route_name];
      ++count.requests;
      if (res.result_int() >= 400) ++count.errors;
    }
    res.keep_alive(keep_alive && !stopping_);
    res.prepare_payload();
    stream.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(options_.server.write_timeout));
    auto wres = co_await bhttp::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
    state.busy = false;
    if (std::get<0>(wres) || !res.keep_alive()) break;
  }
  if (refused_unread) {
    stream.expires_never();
    co_await http::close_lingering(stream.socket());
    co_return;
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream.socket().close(ignored);
}

Task<void> ValidatorApi::Impl::stop() {
  stopping_ = true;
  boost::system::error_code ec;
  acceptor_.close(ec);
  accept_group_.stop();
  co_await accept_group_.join();
  for (auto& [id, s] : *sessions_) {
    (void)id;
    if (!s->busy) s->stream->cancel();
  }
  auto joined = co_await runtime::with_timeout(sessions_group_.join(), options_.server.stop_grace);
  if (!joined) {
    sessions_group_.stop();
    co_await sessions_group_.join();
  }
}

// ---- public wrapper ----

ValidatorApi::ValidatorApi(runtime::Executor ex, Backend& backend, Options options, const Clock& clock)
    : impl_(std::make_unique<Impl>(ex, backend, std::move(options), clock)) {}

ValidatorApi::~ValidatorApi() {
  if (impl_) {
    boost::system::error_code ec;
    impl_->acceptor_.close(ec);
    impl_->accept_group_.stop();
    impl_->sessions_group_.stop();
  }
}

Result<void> ValidatorApi::start() {
  return impl_->start();
}

std::uint16_t ValidatorApi::port() const {
  return impl_->port_;
}

Task<void> ValidatorApi::stop() {
  co_await impl_->stop();
}

const Stats& ValidatorApi::stats() const {
  return impl_->stats_;
}

}  // namespace phx::beaconapi::vapi
