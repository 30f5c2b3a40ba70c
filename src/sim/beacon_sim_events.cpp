// Beacon-node simulator, the event stream: GET /eth/v1/events with a head (and block) event per slot.
#include <algorithm>
#include <array>
#include <chrono>
#include <string_view>

#include "sim/beacon_sim.hpp"
#include "sim/beacon_sim_detail.hpp"

namespace phx::sim {

using http::Method;
using http::PathParams;
using http::Request;
using http::Response;
using runtime::Task;

namespace {

/// Topics of the Beacon API eventstream (beacon-APIs v2.4.2 … v4): a subscription to any of them is accepted;
/// the simulator emits `head` and `block` (its chain has no reorgs, finality events or gossip).
constexpr std::array<std::string_view, 25> kTopics = {
    "head",  "head_v2", "block", "block_gossip", "attestation", "single_attestation", "voluntary_exit",
    "bls_to_execution_change", "proposer_slashing", "attester_slashing", "finalized_checkpoint", "chain_reorg",
    "contribution_and_proof", "light_client_finality_update", "light_client_optimistic_update",
    "payload_attributes", "blob_sidecar", "data_column_sidecar", "execution_payload", "execution_payload_gossip",
    "execution_payload_available", "execution_payload_bid", "payload_attestation_message", "fast_confirmation",
    "proposer_preferences"};

bool known_topic(std::string_view t) {
  return std::find(kTopics.begin(), kTopics.end(), t) != kTopics.end();
}

std::string event_text(std::string_view type, const ssz::Json& data) {
  std::string out = "event: ";
  out += type;
  out += "\ndata: ";
  out += data.dump();
  out += "\n\n";
  return out;
}

}  // namespace

void BeaconSim::add_event_routes() {
  router_.add(Method::kGet, "/eth/v1/events", [this](const Request& req, const PathParams&) -> Task<Response> {
    const auto topics = req.query_values("topics");
    if (topics.empty()) co_return detail::error_response(400, "topics: at least one topic is required");
    bool head = false;
    bool block = false;
    for (const auto& t : topics) {
      if (!known_topic(t)) co_return detail::error_response(400, "Invalid topic: " + t.substr(0, 64));
      head = head || t == "head";
      block = block || t == "block";
    }
    Response r;
    r.content_type = "text/event-stream";
    r.stream = [this, head, block](http::StreamSink& sink) -> Task<void> { co_await serve_events(sink, head, block); };
    co_return r;
  });
}

Task<void> BeaconSim::serve_events(http::StreamSink& sink, bool head, bool block) const {
  using std::chrono::steady_clock;
  const auto keep_alive = std::chrono::duration_cast<steady_clock::duration>(config_.event_keep_alive);
  const auto poll = std::chrono::duration_cast<steady_clock::duration>(config_.event_poll);
  const auto spe = config_.chain.slots_per_epoch;
  Slot last = current_slot();  // like a beacon node: the first event is the next head, not the current one
  auto last_sent = steady_clock::now();
  for (;;) {
    const Slot now = current_slot();
    if (now.value > last.value) {
      // One event per new slot; after a jump of more than an epoch (an injected clock) only the newest head.
      const std::uint64_t first = now.value - last.value > spe ? now.value : last.value + 1;
      for (std::uint64_t s = first; s <= now.value; ++s) {
        std::string text;
        if (block) {
          ssz::Json b = ssz::Json::object();
          b["slot"] = ssz::u64_to_dec(s);
          b["block"] = to_hex(block_root(Slot{s}));
          b["execution_optimistic"] = false;
          text += event_text("block", b);
        }
        if (head) text += event_text("head", http::head_event_to_json(head_event(Slot{s})));
        if (text.empty()) continue;
        const bool ok = co_await sink.write(text);
        if (!ok) co_return;
        last_sent = steady_clock::now();
      }
      last = now;
    }
    if (steady_clock::now() - last_sent >= keep_alive) {
      const std::string comment = ": keep-alive\n\n";
      const bool ok = co_await sink.write(comment);
      if (!ok) co_return;
      last_sent = steady_clock::now();
    }
    // Sleep until the next slot starts by the injected clock, the keep-alive is due, or the poll interval ends.
    const auto next_start = TimePoint{} + std::chrono::seconds(config_.chain.genesis_time +
                                                               (now.value + 1) * config_.chain.seconds_per_slot);
    const auto to_slot = std::chrono::duration_cast<steady_clock::duration>(next_start - clock_.now());
    const auto to_keep_alive = last_sent + keep_alive - steady_clock::now();
    auto wait = std::min({to_slot, to_keep_alive, poll});
    wait = std::max(wait, steady_clock::duration(std::chrono::milliseconds(1)));
    co_await runtime::sleep_for(wait);
  }
}

}  // namespace phx::sim
