// BeaconNodeClient over several beacon nodes: duty data asked of every eligible BN at once (hedged) and the
// best answer chosen by beaconapi/bn_select, submissions sent to every BN, the BNs' sync views.
#include <algorithm>
#include <bit>

#include "base/log.hpp"
#include "beaconapi/http/client.hpp"
#include "beaconapi/http/client_detail.hpp"

namespace phx::beaconapi::http {

namespace asio = boost::asio;
using namespace detail;

namespace {

using Clock = std::chrono::steady_clock;

Clock::duration steady(Duration d) {
  return std::chrono::duration_cast<Clock::duration>(d);
}

/// One send's outcome, handed from its task to the gathering call (a response, or the transport error).
struct Item {
  std::size_t endpoint = 0;
  ClientResponse response;
  std::error_code error;
};

/// What a fanned-out send shares with the call that started it (which may have returned meanwhile).
struct Fan {
  explicit Fan(runtime::Executor ex, std::size_t n) : items(ex, n) {}
  runtime::Channel<Item> items;
};

/// How telling a failure is: a BN's refusal (4xx) says more than a timeout or a 5xx.
int weight(const ClientError& e) {
  if (e.status >= 400 && e.status < 500) return 3;
  if (e.status >= 500) return 2;
  if (e.code == make_error_code(HttpError::kBadBody)) return 2;
  return 1;
}

ClientError failure_of(const Endpoint& ep, const Item& it) {
  if (it.error) return client_error(it.error, 0, ep.to_string() + ": " + it.error.message());
  return client_error(make_error_code(HttpError::kStatus), it.response.status, error_message(it.response.body));
}

template <class Bits>
std::size_t bits_set(const Bits& b) {
  std::size_t n = 0;
  for (auto byte : b.bytes) n += static_cast<std::size_t>(std::popcount(static_cast<unsigned>(byte)));
  return n;
}

/// `data` of a JSON body decoded as T (strict).
template <class T>
Result<T, ClientError> data_as(const ClientResponse& r) {
  auto j = ssz::parse_json(r.body);
  if (!j) return std::unexpected(json_error(j.error()));
  if (!j->is_object() || j->find("data") == j->end()) return std::unexpected(json_error({"data", "missing field"}));
  auto v = ssz::from_json<T>((*j)["data"], "data");
  if (!v) return std::unexpected(json_error(v.error()));
  return std::move(*v);
}

Result<ProduceBlockV3Response, ClientError> block_of(const ClientResponse& r) {
  auto j = ssz::parse_json(r.body);
  if (!j) return std::unexpected(json_error(j.error()));
  auto b = decode_produce_block_v3<VersionedProducedBlock, VersionedBlindedBeaconBlock>(*j);
  if (!b) return std::unexpected(json_error(b.error()));
  if (!r.consensus_version.empty() && r.consensus_version != eth::fork_name(b->fork()))
    return std::unexpected(json_error(ssz::JsonError{"version", "differs from the Eth-Consensus-Version header"}));
  return std::move(*b);
}

bool ok_2xx(const ClientResponse& r) {
  return r.status >= 200 && r.status < 300;
}

}  // namespace

std::size_t BeaconNodeClient::size() const {
  return endpoints_.size();
}

std::vector<BnSyncView> BeaconNodeClient::sync_views() const {
  std::vector<BnSyncView> out;
  out.reserve(endpoints_.size());
  for (const auto& st : endpoints_) out.push_back(st.view);
  return out;
}

std::vector<bool> BeaconNodeClient::duty_data_eligible() const {
  const auto views = sync_views();
  return beaconapi::duty_data_eligible(views, options_.max_head_lag);
}

std::vector<std::size_t> BeaconNodeClient::hedge_targets() const {
  if (!options_.hedge || endpoints_.size() < 2) return {};
  const auto eligible = duty_data_eligible();
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < endpoints_.size(); ++i)
    if (eligible[i] && healthy(i)) out.push_back(i);
  if (out.empty())
    for (std::size_t i = 0; i < endpoints_.size(); ++i)
      if (eligible[i]) out.push_back(i);
  return out;
}

void BeaconNodeClient::selected(std::size_t endpoint, std::string_view call) const {
  last_used_ = endpoint;
  if (options_.on_selected) options_.on_selected(endpoint, call);
}

runtime::TaskGroup& BeaconNodeClient::fan_group(runtime::Executor ex) {
  if (!fan_group_) fan_group_ = std::make_unique<runtime::TaskGroup>(ex);
  return *fan_group_;
}

// The send owns what it touches (the shared endpoint states, the observer, the channel): it may finish after the
// call that started it returned and no longer waits for it.
runtime::Task<void> BeaconNodeClient::send_one(std::shared_ptr<void> fan_state, std::shared_ptr<std::vector<State>> eps,
                                               std::size_t i, ClientRequest req, Duration timeout, Duration recheck,
                                               std::function<void(std::size_t, Duration, bool)> observer) {
  auto* fan = static_cast<Fan*>(fan_state.get());
  const auto t0 = Clock::now();
  auto r = co_await send_request((*eps)[i].ep, std::move(req), timeout);
  const bool ok = r && r->status < 500;
  if (observer) observer(i, std::chrono::duration_cast<Duration>(Clock::now() - t0), ok);
  (*eps)[i].unhealthy_until = ok ? Clock::time_point{} : Clock::now() + steady(recheck);
  Item it;
  it.endpoint = i;
  if (r)
    it.response = std::move(*r);
  else
    it.error = r.error();
  fan->items.try_push(std::move(it));
}

runtime::Task<std::vector<BeaconNodeClient::Answer>> BeaconNodeClient::fan_out(
    ClientRequest req, std::vector<std::size_t> targets, Duration grace, Duration soft,
    std::function<bool(const ClientResponse&)> usable, ClientError& last) {
  auto ex = co_await asio::this_coro::executor;
  auto fan = std::make_shared<Fan>(ex, targets.size());
  const Duration timeout = req.timeout.value_or(options_.timeout);
  for (auto i : targets)
    fan_group(ex).spawn(send_one(fan, shared_, i, req, timeout, options_.recheck_after, options_.observer));
  const auto start = Clock::now();
  const auto deadline = start + steady(timeout);
  std::optional<Clock::time_point> first_usable;
  std::vector<Answer> out;
  int last_weight = 0;
  for (std::size_t received = 0; received < targets.size();) {
    auto until = deadline;
    if (first_usable) until = std::min(deadline, std::max(*first_usable + steady(grace), start + steady(soft)));
    const auto now = Clock::now();
    if (now >= until) break;
    auto item = co_await runtime::with_timeout(fan->items.receive(), std::chrono::duration_cast<Duration>(until - now));
    if (!item || !*item) break;
    ++received;
    Item& it = **item;
    if (!it.error && usable(it.response)) {
      if (!first_usable) first_usable = Clock::now();
      out.push_back(Answer{it.endpoint, std::move(it.response)});
      continue;
    }
    auto e = failure_of(endpoints_[it.endpoint].ep, it);
    if (weight(e) >= last_weight) {
      last = std::move(e);
      last_weight = weight(last);
    }
  }
  if (out.empty() && last_weight == 0) last = client_error(make_error_code(HttpError::kTimeout), 0, "no beacon node answered in time");
  co_return out;
}

runtime::Task<Result<ClientResponse, ClientError>> BeaconNodeClient::call_all(ClientRequest req) {
  std::vector<std::size_t> all(endpoints_.size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  ClientError last{make_error_code(HttpError::kNoEndpoint), 0, "no endpoint"};
  // The first acceptance ends the wait (grace 0); the other BNs still get the submission.
  auto answers = co_await fan_out(
      req, std::move(all), Duration{}, Duration{},
      [](const ClientResponse& r) {
        return ok_2xx(r) || (r.status >= 400 && already_published(error_message(r.body)));
      },
      last);
  if (answers.empty()) {
    if (last.status < 400 || last.status >= 500) last.code = make_error_code(HttpError::kNoEndpoint);
    co_return std::unexpected(last);
  }
  last_used_ = answers.front().endpoint;
  ClientResponse ok = std::move(answers.front().response);
  if (!ok_2xx(ok)) {
    log::debug("beacon node {}: {} already has it", endpoints_[answers.front().endpoint].ep.to_string(), req.target);
    ok.status = 200;
    ok.body = "{}";
  }
  co_return ok;
}

runtime::Task<Result<eth::phase0::AttestationData, ClientError>> BeaconNodeClient::attestation_data_hedged(
    std::vector<std::size_t> targets, ClientRequest req) {
  ClientError last;
  auto answers = co_await fan_out(
      std::move(req), std::move(targets), options_.hedge_grace, Duration{},
      [](const ClientResponse& r) { return ok_2xx(r) && data_as<eth::phase0::AttestationData>(r).has_value(); }, last);
  if (answers.empty()) co_return std::unexpected(last);
  std::vector<AttestationAnswer> scored;
  for (const auto& a : answers)
    scored.push_back(
        AttestationAnswer{a.endpoint, *data_as<eth::phase0::AttestationData>(a.response), endpoints_[a.endpoint].view.head_slot});
  const auto pick = pick_attestation_data(scored);
  if (scored.size() > 1 && !(scored[pick].data == scored[0].data))
    log::info("beacon nodes disagree on attestation data for slot {}: using BN {} (of {} answers)",
              scored[pick].data.slot.value, scored[pick].endpoint, scored.size());
  selected(scored[pick].endpoint, "attestation_data");
  co_return scored[pick].data;
}

runtime::Task<Result<ProduceBlockV3Response, ClientError>> BeaconNodeClient::produce_block_hedged(
    std::vector<std::size_t> targets, ClientRequest req) {
  ClientError last;
  const Duration soft = std::min(options_.block_soft_deadline, req.timeout.value_or(options_.timeout));
  auto answers = co_await fan_out(
      std::move(req), std::move(targets), Duration{}, soft,
      [](const ClientResponse& r) { return ok_2xx(r) && block_of(r).has_value(); }, last);
  if (answers.empty()) co_return std::unexpected(last);
  std::vector<ProduceBlockV3Response> blocks;
  std::vector<BlockOffer> offers;
  for (const auto& a : answers) {
    blocks.push_back(*block_of(a.response));
    offers.push_back(BlockOffer{a.endpoint, blocks.back().execution_payload_value, blocks.back().consensus_block_value});
  }
  const auto pick = pick_block(offers);
  selected(offers[pick].endpoint, "block");
  co_return std::move(blocks[pick]);
}

runtime::Task<Result<VersionedAttestation, ClientError>> BeaconNodeClient::aggregate_hedged(
    std::vector<std::size_t> targets, ClientRequest req) {
  ClientError last;
  auto answers = co_await fan_out(
      std::move(req), std::move(targets), options_.hedge_grace, Duration{},
      [](const ClientResponse& r) { return ok_2xx(r) && parse_versioned_json<VersionedAttestation>(r.body).has_value(); },
      last);
  if (answers.empty()) co_return std::unexpected(last);
  std::vector<VersionedAttestation> atts;
  std::vector<std::size_t> counts;
  for (const auto& a : answers) {
    atts.push_back(*parse_versioned_json<VersionedAttestation>(a.response.body));
    counts.push_back(std::visit(
        [](const auto& v) -> std::size_t {
          if constexpr (requires { v.aggregation_bits; }) return bits_set(v.aggregation_bits);
          else return 0;
        },
        atts.back().value));
  }
  const auto pick = pick_most(counts);
  selected(answers[pick].endpoint, "aggregate");
  co_return std::move(atts[pick]);
}

runtime::Task<Result<eth::altair::SyncCommitteeContribution, ClientError>> BeaconNodeClient::contribution_hedged(
    std::vector<std::size_t> targets, ClientRequest req) {
  ClientError last;
  auto answers = co_await fan_out(
      std::move(req), std::move(targets), options_.hedge_grace, Duration{},
      [](const ClientResponse& r) {
        return ok_2xx(r) && data_as<eth::altair::SyncCommitteeContribution>(r).has_value();
      },
      last);
  if (answers.empty()) co_return std::unexpected(last);
  std::vector<eth::altair::SyncCommitteeContribution> cs;
  std::vector<std::size_t> counts;
  for (const auto& a : answers) {
    cs.push_back(*data_as<eth::altair::SyncCommitteeContribution>(a.response));
    counts.push_back(bits_set(cs.back().aggregation_bits));
  }
  const auto pick = pick_most(counts);
  selected(answers[pick].endpoint, "contribution");
  co_return std::move(cs[pick]);
}

runtime::Task<Result<bool, ClientError>> BeaconNodeClient::block_known(Root root, Duration timeout) {
  ClientRequest req = get_req("/eth/v1/beacon/blocks/" + to_hex(root) + "/root");
  req.timeout = timeout;
  auto r = co_await call(std::move(req));
  if (r) co_return true;
  if (r.error().status == 404 && !route_not_served(404, r.error().message)) co_return false;
  co_return std::unexpected(r.error());
}

}  // namespace phx::beaconapi::http
