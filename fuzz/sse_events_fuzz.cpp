// Fuzz target: the Beacon API event stream. The input's first byte seeds how the rest is cut into pieces fed to
// SseParser; the pieces must give exactly the events (or the kTooLarge error) of feeding it whole. Every event's
// data goes to both decoders; what decodes must survive re-encoding unchanged.
#include <cstdint>
#include <cstdlib>
#include <random>
#include <string_view>
#include <vector>

#include "beaconapi/http/events.hpp"

namespace {
using namespace phx::beaconapi::http;

constexpr std::size_t kMax = 512;

void decode(const SseEvent& e) {
  if (auto h = decode_head_event(e.data)) {
    if (decode_head_event(head_event_to_json(*h).dump()) != h) std::abort();
  }
  if (auto c = decode_chain_reorg_event(e.data)) {
    if (decode_chain_reorg_event(chain_reorg_event_to_json(*c).dump()) != c) std::abort();
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::mt19937 rng(data[0]);
  std::string_view stream(reinterpret_cast<const char*>(data + 1), size - 1);

  SseParser whole(kMax);
  auto all = whole.feed(stream);

  SseParser split(kMax);
  std::vector<SseEvent> pieces;
  bool failed = false;
  std::size_t at = 0;
  while (at < stream.size() && !failed) {
    std::size_t n = 1 + rng() % 64;
    auto r = split.feed(stream.substr(at, n));
    at += n;
    if (!r) {
      if (r.error() != HttpError::kTooLarge) std::abort();
      failed = true;
      break;
    }
    for (auto& e : *r) pieces.push_back(std::move(e));
  }
  if (failed != !all) std::abort();
  if (all) {
    if (pieces != *all) std::abort();
    for (const auto& e : *all) {
      if (e.type.empty() || e.data.size() > kMax) std::abort();
      decode(e);
    }
  } else {
    if (all.error() != HttpError::kTooLarge) std::abort();
    if (split.feed("data: x\n\n")) std::abort();  // stays failed until reset
    split.reset();
    auto again = split.feed("data: x\n\n");
    if (!again || again->size() != 1) std::abort();
  }
  return 0;
}
