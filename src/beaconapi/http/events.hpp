#pragma once
/// Beacon API event stream (GET /eth/v1/events, operation `eventstream`): a sans-IO text/event-stream parser,
/// strict decoders of the `head` and `chain_reorg` events, and a client that keeps one stream open and hands
/// each event to a callback. Spec: ethereum/beacon-APIs eventstream; WHATWG HTML §9.2 (server-sent events).
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"
#include "base/ids.hpp"
#include "base/result.hpp"
#include "beaconapi/http/client.hpp"
#include "runtime/runtime.hpp"
#include "ssz/json.hpp"

namespace phx::beaconapi::http {

/// `head` event (Beacon API eventstream). previous_duty_dependent_root is the block root at the last slot of
/// epoch(slot) - 2 (attester duties of the head's epoch depend on it), current_duty_dependent_root the one at
/// the last slot of epoch(slot) - 1 (proposer duties of the head's epoch, attester duties of the next); the
/// genesis block root where that slot would be before genesis.
struct HeadEvent {
  Slot slot{};
  Root block{};
  Root state{};
  bool epoch_transition = false;
  Root previous_duty_dependent_root{};
  Root current_duty_dependent_root{};
  bool execution_optimistic = false;
  bool operator==(const HeadEvent&) const = default;
};

/// `chain_reorg` event.
struct ChainReorgEvent {
  Slot slot{};
  std::uint64_t depth = 0;
  Root old_head_block{}, new_head_block{}, old_head_state{}, new_head_state{};
  Epoch epoch{};
  bool execution_optimistic = false;
  bool operator==(const ChainReorgEvent&) const = default;
};

/// One complete server-sent event.
struct SseEvent {
  std::string type;
  std::string data;
  bool operator==(const SseEvent&) const = default;
};

/// Incremental text/event-stream parser (sans-IO, pure): feed() any chunking of the byte stream and get the
/// events completed by it. Handles CRLF/LF/CR line ends (also a CRLF split across two feeds), a leading BOM,
/// comments (":" lines, used as keep-alives), multi-line data (joined with '\n'), "event:" default "message",
/// "id:" (kept as last_event_id()); fields it does not know (and "retry") are ignored, and an event without
/// data is not dispatched (WHATWG rules). Bounded: a line or an event longer than `max_event_bytes` is an
/// error (kTooLarge; the events completed earlier in that feed are dropped), after which every feed() fails
/// the same way until reset().
class SseParser {
 public:
  explicit SseParser(std::size_t max_event_bytes = 1 << 20);
  /// Parses `bytes` (the next piece of the stream). Errors: kTooLarge (see the class comment).
  Result<std::vector<SseEvent>> feed(std::string_view bytes);
  /// Forgets everything: a new stream starts.
  void reset();
  /// The last "id:" field seen (the Last-Event-ID a reconnecting client could send).
  const std::string& last_event_id() const { return last_event_id_; }

 private:
  /// Processes one complete line (without its end). False when the event grows above the bound.
  bool line(std::string_view l, std::vector<SseEvent>& out);
  /// Splits `bytes` into lines. False (and the parser failed) on a line or event above the bound.
  bool scan(std::string_view bytes, std::vector<SseEvent>& out);
  bool failed() {
    failed_ = true;
    return false;
  }

  std::size_t max_;
  std::string line_;  ///< the incomplete line so far
  std::string type_;
  std::string data_;
  bool has_data_ = false;
  std::string last_event_id_;
  bool after_cr_ = false;  ///< the previous byte was a CR: a following LF belongs to the same line end
  bool started_ = false;   ///< past the optional BOM
  std::string pending_;    ///< the stream's first bytes while they might still be a BOM
  bool failed_ = false;
};

/// Decoders of the events' JSON `data` (strict about the fields they need; unknown fields ignored, as for
/// envelopes elsewhere in beaconapi). `execution_optimistic` may be absent (older nodes): false then.
/// Errors: kMalformed (head_event_from_json / chain_reorg_event_from_json name the field).
Result<HeadEvent> decode_head_event(std::string_view json);
/// chain_reorg: see decode_head_event.
Result<ChainReorgEvent> decode_chain_reorg_event(std::string_view json);
/// decode_head_event with the failing field and reason.
Result<HeadEvent, ssz::JsonError> head_event_from_json(std::string_view json);
/// decode_chain_reorg_event with the failing field and reason.
Result<ChainReorgEvent, ssz::JsonError> chain_reorg_event_from_json(std::string_view json);
/// The `data` JSON of a head event (as a beacon node sends it: decimal strings, 0x hex).
ssz::Json head_event_to_json(const HeadEvent& e);
/// The `data` JSON of a chain_reorg event.
ssz::Json chain_reorg_event_to_json(const ChainReorgEvent& e);

/// Details of why a stream ended (stream_events' optional out-parameter).
struct StreamEnd {
  unsigned status = 0;   ///< the HTTP status when the node refused the stream (kStatus), else 0 / 200
  std::string message;   ///< the node's error message (kStatus) or a description of the failure
  std::uint64_t events = 0;  ///< events handed to on_event
};

/// Opens GET /eth/v1/events?topics=<t1>&topics=<t2>… (OpenAPI form style, the spec default) (Accept: text/event-stream) on `ep` and calls `on_event`
/// for each event until the server closes, an error occurs, nothing (not even a keep-alive comment) arrives for
/// `idle_timeout`, or the calling coroutine is cancelled (asio cancellation: the stream stops promptly).
/// Returns the reason the stream ended: success when the server ended the response cleanly (a partial last
/// event is dropped); kConnect, kTimeout (connect + response headers not within `connect_timeout`, or idle),
/// kIo (read failed, connection cut mid-body), kStatus (a non-200 answer; the status and message are logged
/// at warn, see the overload for them as values), kMalformed (bad HTTP), kTooLarge (an event above 1 MiB),
/// kCancelled. The body may be chunked or delimited by the connection's close.
runtime::Task<Result<void>> stream_events(Endpoint ep, std::vector<std::string> topics,
                                          std::function<void(const SseEvent&)> on_event,
                                          Duration connect_timeout, Duration idle_timeout);
/// stream_events without the warn log, filling `end` (which must outlive the call) with the details.
runtime::Task<Result<void>> stream_events(Endpoint ep, std::vector<std::string> topics,
                                          std::function<void(const SseEvent&)> on_event,
                                          Duration connect_timeout, Duration idle_timeout, StreamEnd& end);

}  // namespace phx::beaconapi::http
