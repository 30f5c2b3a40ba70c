#pragma once
/// The operator API of a node, served beside /metrics on the monitoring address: voluntary exits of the
/// cluster's validators without recombining any key (`phalanx exit sign|list` talk to it).
///   POST /phalanx/v1/exits  body {"pubkeys":["0x…",…]} or {"all":true}, optional "epoch":"E" (default: the
///        current epoch) → this node signs its partial exit of each validator (Workflow::request_exit) and
///        sends it to the peers; once `threshold` operators have done the same, the nodes holding t partials
///        recombine, verify and submit the exit. Answer:
///        {"epoch":"E","data":[{"pubkey":"0x…","ok":true}|{…,"ok":false, "error":"…"}]}. Accepted requests
///        are kept in DATA_DIR/exits.json (0600, atomic rewrite) and requested again when the node starts (an
///        exit is not slashable: the same message is signed again).
///   GET  /phalanx/v1/exits  → per (validator, exit epoch) known to this node: requested here (when), share
///        indices whose partial this node saw (own and peers') and those it verified and keeps, the full exit
///        once t verified partials recombined ("ready", with the signed exit for `phalanx exit broadcast`),
///        submitted by this node (or why not).
/// Every partial exit this node signs or receives (any epoch up to the next) is kept in DATA_DIR/exit-partials.json
/// (0600, atomic rewrite at most once a second, bounded: ExitBook) and read again at start, so a restart loses no
/// operator's signature and a restarted operator need not sign again; once t partials of an exit are there they
/// are recombined and the result verified (a wrong partial is then found and dropped).
/// Access: the routes work only when the monitoring address is a loopback address (127.0.0.0/8, ::1,
/// localhost); otherwise they answer 403 (the server does not see the client's address, so the bind address
/// is what keeps the API private). POST requires Content-Type application/json, which a browser page cannot
/// send cross-origin without a CORS preflight that this server never grants. Threading: every member runs on
/// the node's io thread (the monitoring server, the workflow and the adapters all live there). Formats:
/// docs/formats/exits.md.
///
/// It also explains duties (read-only, served on any monitoring address like /metrics):
///   GET /api/v1/duties?from_slot=&to_slot=&type=&outcome=&reason=&limit=  → recent finished duties: the ring
///        buffer in memory (core::DutyLog), and for older slots the `--duty-report-file` (its last 8 MiB).
///   GET /api/v1/duties/{slot}/{type}/explain[?validator=…][&subcommittee=…]  → core::explain_duty with what
///        the p2p layer knows about each peer now. Bad parameters → 400 with a message; unknown duty → 404.
/// Format: docs/formats/operator-api.md.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/clock.hpp"
#include "app/exit_partials.hpp"
#include "base/result.hpp"
#include "beaconapi/http/router.hpp"
#include "core/explain_log.hpp"
#include "core/types.hpp"
#include "core/workflow.hpp"
#include "eth/fork.hpp"
#include "runtime/runtime.hpp"
#include "ssz/json.hpp"

namespace phx::app {

/// A decoded POST /phalanx/v1/exits body.
struct ExitRequest {
  std::vector<core::PubKey> pubkeys;  ///< explicit validators (empty when `all`)
  bool all = false;                   ///< every validator of the cluster
  std::optional<Epoch> epoch;         ///< exit epoch; nullopt: the current epoch
};
/// Decodes a request body (untrusted). Exactly one of a non-empty "pubkeys" array and "all": true; "epoch" a
/// decimal string or number. Errors: a one-line message naming the field.
Result<ExitRequest, std::string> parse_exit_request(std::string_view body);

/// One exit this node requested, as kept in DATA_DIR/exits.json.
struct StoredExit {
  core::PubKey pubkey{};
  Epoch epoch{};
  std::uint64_t requested_at = 0;  ///< unix seconds
};
/// Decodes exits.json: {"version":1,"exits":[{"pubkey":"0x…","epoch":"E","requested_at":T}]} (untrusted: a
/// file). Errors: a message naming the entry and field.
Result<std::vector<StoredExit>, std::string> parse_exits_file(std::string_view text);
/// Encodes exits.json (entries in the given order).
std::string exits_file_text(const std::vector<StoredExit>& exits);

/// Settings of the operator API.
struct OperatorApiOptions {
  std::filesystem::path exits_file;  ///< DATA_DIR/exits.json
  /// DATA_DIR/exit-partials.json: the verified partial exits (own and peers'); empty: kept in memory only.
  std::filesystem::path partials_file;
  bool embedded = true;              ///< the node signs itself (else exits are the validator client's job)
  bool loopback = true;              ///< the monitoring address is a loopback address (else 403)
  ShareIdx share_idx{1};             ///< this node's share index
  std::size_t max_records = 4096;    ///< (validator, epoch) records kept for GET; the lowest epochs go first
  /// The node's `--duty-report-file`, read for duties older than the ring buffer (nullopt: memory only).
  std::optional<std::filesystem::path> duty_report_file;
  std::size_t duty_log_capacity = 2048;  ///< finished duties kept in memory for the explain API
};

/// True for 127.0.0.0/8, ::1 and "localhost".
bool is_loopback_host(std::string_view host);

/// The operator API object: the routes, the bounded record of exits, exits.json and the re-requests at start.
class OperatorApi {
 public:
  /// Signs and exchanges this node's partial exit (Workflow::request_exit in the node; a double in tests).
  using RequestExitFn = std::function<Result<void>(const core::PubKey&, Epoch)>;

  /// `config`, `keys` and `clock` are not owned and must outlive the object.
  OperatorApi(const eth::ChainConfig& config, const core::KeyBook& keys, const Clock& clock,
              RequestExitFn request, OperatorApiOptions options);

  /// Registers POST and GET /phalanx/v1/exits on `router` (which must not outlive this object).
  void add_routes(beaconapi::http::Router& router);
  /// Reads exits.json (absent: nothing to do) and queues its exits for re-request, and reads the partial exits
  /// of exit-partials.json (each verified again; one that does not verify, e.g. after a reshare, is dropped with
  /// a warning). Errors: unreadable or malformed file (the message names it; the file is left untouched).
  Result<void, std::string> load();
  /// Re-requests the queued exits (from load()); a validator the beacon node has not listed yet stays queued,
  /// an exit whose duty has expired (after its epoch + 1) is dropped with the reason recorded. Returns how
  /// many stay queued.
  std::size_t retry_pending();
  /// Until cancelled: calls retry_pending() once per slot while something is queued, and writes
  /// exit-partials.json within a second of a change (keep_partial writes at once when it last wrote over a
  /// second ago).
  runtime::Task<void> run_background();

  /// A finished duty (Workflow::subscribe_results): kept in the duty log (explain API, failure counters);
  /// exit duties record their failure reason.
  void on_result(const core::DutyResult& result);
  /// A partial received from a peer (ParSigExchange::subscribe_received): exits of the cluster's validators
  /// record the sender's share index; a partial of a duty already finished here is recorded as late (returns
  /// true the first time a share is recorded late for that duty).
  bool on_partial(const core::Duty& duty, const core::PubKey& pubkey, const core::ParSignedData& partial);
  /// This node broadcast its own partial (ParSigExAdapter::subscribe_sent): an exit's partial is kept.
  void on_sent(const core::Duty& duty, const core::PubKey& pubkey, const core::ParSignedData& partial);
  /// The partial exits and verified full exits this node holds.
  const ExitBook& exit_book() const { return book_; }
  /// Writes exit-partials.json when something changed since the last write (run_background() calls it).
  void save_partials();

  /// This node submitted the recombined exit of `pubkey` at `epoch` to its beacon node; `error` empty when
  /// accepted (BeaconNodeAdapter::subscribe_exits).
  void on_submitted(const core::PubKey& pubkey, Epoch epoch, std::string_view error);

  /// Handles a POST body (the route calls it after the access checks). Status 200 with per-validator
  /// results, 400 on a bad body or when exits cannot be requested at all.
  beaconapi::http::Response post_exits(std::string_view body);
  /// The GET answer.
  ssz::Json list() const;

  /// What this node knows about each operator now, by operator index (the node reads its p2p layer).
  using PeersFn = std::function<std::vector<core::PeerView>()>;
  /// Sets the source of peer state for explanations (default: unknown).
  void set_peers(PeersFn fn) { peers_ = std::move(fn); }
  /// GET /api/v1/duties with the request's query parameters: 200 {"data":[summary…],…}, 400 on bad ones.
  beaconapi::http::Response list_duties(const std::multimap<std::string, std::string>& query) const;
  /// GET /api/v1/duties/{slot}/{type}/explain: 200 with the explanation, 400 on bad input, 404 when neither
  /// memory nor the report file holds the duty.
  beaconapi::http::Response explain_duty(std::string_view slot, std::string_view type,
                                         const std::multimap<std::string, std::string>& query) const;
  /// The ring buffer and the failure counters (phalanx_duty_failures_total).
  const core::DutyLog& duty_log() const { return duties_; }

 private:
  struct Record {
    std::optional<std::uint64_t> requested_at;  ///< this node signed its partial (unix s)
    bool restored = false;                      ///< the request came from exits.json at start
    std::string request_error;                  ///< why a re-request at start failed
    std::set<std::uint32_t> partials;           ///< share indices seen (own and peers')
    std::optional<std::uint64_t> submitted_at;  ///< this node's beacon node accepted the full exit (unix s)
    std::string submit_error;                   ///< the beacon node refused it
    std::string failure;                        ///< the exit duty's failure reason on this node
  };
  using Key = std::pair<core::PubKey, std::uint64_t>;  // (validator, exit epoch)

  Epoch current_epoch() const;
  bool expired(Epoch epoch) const;
  std::uint64_t unix_now() const;
  Record& record(const core::PubKey& pubkey, Epoch epoch);
  Result<void, std::string> save() const;
  Result<void, std::string> load_partials();
  /// Verifies and keeps an exit partial (own or a peer's); saves exit-partials.json when it is new.
  void keep_partial(const core::Duty& duty, const core::PubKey& pubkey, const core::ParSignedData& partial);
  std::string explain(const std::error_code& ec, Epoch epoch) const;
  void add_duty_routes(beaconapi::http::Router& router);
  core::ExplainContext explain_context() const;
  /// Duties of the report file matching `q` with a slot below `below` (nullopt: any); bad lines skipped.
  std::vector<core::DutyResult> from_report_file(const core::DutyQuery& q, std::optional<Slot> below) const;

  const eth::ChainConfig& config_;
  const core::KeyBook& keys_;
  const Clock& clock_;
  RequestExitFn request_;
  OperatorApiOptions options_;
  std::map<Key, Record> records_;
  std::map<core::PubKey, StoredExit> stored_;   ///< what exits.json holds (latest request per validator)
  std::map<core::PubKey, StoredExit> pending_;  ///< loaded, not yet accepted by the workflow
  core::DutyLog duties_;                         ///< recent finished duties (explain API)
  ExitBook book_;                                ///< partial exits, verified full exits
  bool partials_dirty_ = false;                  ///< exit-partials.json is behind book_
  TimePoint write_window_start_{};               ///< start of the current 1-s window of immediate writes
  std::uint32_t window_writes_ = 0;              ///< immediate writes of exit-partials.json in that window
  PeersFn peers_;
};

}  // namespace phx::app
