// BnEvents: the beacon nodes' head and chain_reorg event streams, followed with reconnect and backoff.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
#include "app/bn_events.hpp"

#include <algorithm>

#include "base/log.hpp"
#include "beaconapi/http/events.hpp"

namespace phx::app {

namespace http = beaconapi::http;
using runtime::Task;

namespace {
constexpr std::size_t kRecentHeads = 16;
constexpr Duration kMinBackoff = std::chrono::seconds(1);
constexpr Duration kMaxBackoff = std::chrono::seconds(30);
// Connect and response headers. Lodestar sends its headers with the first event (the next head, up to a slot
// away), so this is longer than a slot, not a connect timeout.
constexpr Duration kConnectTimeout = std::chrono::seconds(30);
// BNs send a keep-alive comment or a head at least every slot; a silent minute means a dead stream.
constexpr Duration kIdleTimeout = std::chrono::seconds(60);
}  // namespace

BnEvents::BnEvents(std::vector<http::Endpoint> endpoints, HeadFn on_head)
    : endpoints_(std::move(endpoints)), on_head_(std::move(on_head)) {}

void BnEvents::start(runtime::TaskGroup& group) {
  for (const auto& ep : endpoints_) group.spawn(follow(ep));
}

void BnEvents::on_event(const http::Endpoint& ep, const std::string& type, const std::string& data,
                        bool& delivered) {
  if (type == "head") {
    auto h = http::decode_head_event(data);
    if (!h) {
      ++stats_.bad_events;
      log::debug("beacon node {}: head event did not decode: {}", ep.to_string(), h.error().message());
      return;
    }
    delivered = true;
    if (std::find(recent_.begin(), recent_.end(), h->block) != recent_.end()) {
      ++stats_.duplicate_heads;
      return;
    }
    recent_.push_back(h->block);
    if (recent_.size() > kRecentHeads) recent_.pop_front();
    ++stats_.heads;
    on_head_(core::HeadEvent{h->slot, h->block, h->previous_duty_dependent_root, h->current_duty_dependent_root});
  } else if (type == "chain_reorg") {
    auto r = http::decode_chain_reorg_event(data);
    if (!r) {
      ++stats_.bad_events;
      log::debug("beacon node {}: chain_reorg event did not decode: {}", ep.to_string(), r.error().message());
      return;
    }
    delivered = true;
    ++stats_.reorgs;
    log::info("beacon node {}: reorg of depth {} at slot {} (the duties it changes are asked for again)",
              ep.to_string(), r->depth, r->slot.value);
  }
}

Task<void> BnEvents::follow(http::Endpoint ep) {
  Duration backoff = kMinBackoff;
  bool warned = false;
  for (;;) {
    bool delivered = false;
    http::StreamEnd end;
    std::vector<std::string> topics{"head", "chain_reorg"};
    auto r = co_await http::stream_events(
        ep, std::move(topics),
        [&](const http::SseEvent& e) {
          const bool first = !delivered;
          on_event(ep, e.type, e.data, delivered);
          if (first && delivered) log::info("beacon node {}: following its head events", ep.to_string());
        },
        kConnectTimeout, kIdleTimeout, end);
    if (!r && r.error() == http::HttpError::kCancelled) co_return;
    ++stats_.stream_ends;
    if (delivered) {
      ++stats_.streams_opened;
      backoff = kMinBackoff;
      warned = false;
    }
    std::string why = r ? std::string("closed by the beacon node") : r.error().message();
    if (!r && end.status != 0) why += " " + std::to_string(end.status) + (end.message.empty() ? "" : ": " + end.message);
    if (!warned) {
      log::info("beacon node {}: event stream ended ({}); reconnecting, duties follow the slot clock meanwhile",
                ep.to_string(), why);
      warned = true;
    } else {
      log::debug("beacon node {}: event stream ended again ({})", ep.to_string(), why);
    }
    co_await runtime::sleep_for(backoff);
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
}

}  // namespace phx::app
