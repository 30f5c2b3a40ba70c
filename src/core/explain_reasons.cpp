// The reason table: codes, verdicts, texts and next actions of duty failures, and docs/reasons.md from it.
#include "core/explain_reasons.hpp"

#include <array>

namespace phx::core {

namespace {

constexpr std::array<ReasonInfo, kReasonCount> kReasons{{
    {"none", Verdict::kNone, "", "The duty succeeded.", "Nothing to do."},
    {"fetch_bn_error", Verdict::kUpstream, "fetched",
     "The beacon node failed to return the duty's data; every retry until the end of the slot failed.",
     "Check the beacon node: logs, sync state (/eth/v1/node/syncing), load; add a fallback to "
     "--beacon-node-endpoints."},
    {"fetch_bn_inconsistent", Verdict::kUpstream, "fetched",
     "The beacon node answered one proposal request with both full and blinded blocks.",
     "Check the beacon node's builder (MEV) configuration and version."},
    {"fetch_timeout", Verdict::kUpstream, "fetched",
     "The beacon node had not returned the duty's data when the deadline passed.",
     "The beacon node is slow: check its load, peers and --beacon-node-timeout."},
    {"deadline_before_start", Verdict::kSelf, "fetched",
     "The deadline passed before this node started the duty (overloaded or suspended process, clock jump).",
     "Check the host's load and its clock (NTP); look for warnings around the slot in this node's log."},
    {"consensus_error", Verdict::kSelf, "decided", "This node could not start consensus for the duty.",
     "Look for the consensus error in this node's log; report it if it repeats."},
    {"no_consensus", Verdict::kCluster, "decided",
     "Consensus did not decide before the deadline: no quorum of operators agreed in time.",
     "Check the named operators: the leaders of the rounds that timed out, and the peers that are not "
     "connected (a quorum must be online, connected and have synced beacon nodes)."},
    {"bug_duty_db_error", Verdict::kSelf, "decided", "The decided value was refused by this node's duty store.",
     "This is a bug: report it with this node's log."},
    {"slashing_protection_refused", Verdict::kSelf, "partials_in",
     "Slashing protection refused to sign: this validator signed a conflicting message before.",
     "Never run the same key shares in two places; inspect the slashing database (phalanx slashing)."},
    {"signer_error", Verdict::kSelf, "partials_in", "This node's embedded signer failed to sign.",
     "Check the key shares in --keystores-dir and this node's log."},
    {"missing_selection_proof", Verdict::kCluster, "partials_in",
     "The aggregated selection proof of the prerequisite duty (prepare_aggregator or prepare_sync_contribution) "
     "was missing.",
     "Explain the prerequisite selection duty of the same slot: its failure is the cause."},
    {"vc_never_asked", Verdict::kUpstream, "partials_in",
     "This node's validator client never asked for the duty's decided data.",
     "Check the validator client: is it running, pointed at this node's --validator-api-address, and does "
     "it hold this validator's key share?"},
    {"no_local_vc_partial", Verdict::kUpstream, "partials_in",
     "This node's validator client asked for the duty's data but sent no partial signature in time.",
     "Check the validator client's log for signing or submission errors (slashing protection, timeouts)."},
    {"no_own_partial", Verdict::kSelf, "partials_in",
     "This node did not produce its own partial signature in time.",
     "Check this node's log for signer errors and the host's load."},
    {"no_peer_partials", Verdict::kCluster, "partials_in",
     "No other operator's partial signature arrived before the deadline.",
     "Check this node's p2p connectivity first (are any peers connected?), then the named operators."},
    {"insufficient_peer_partials", Verdict::kCluster, "partials_in",
     "Fewer than threshold partial signatures arrived before the deadline.",
     "Contact the named operators: their nodes sent no partial (offline, disconnected, or their validator "
     "client did not sign)."},
    {"invalid_peer_partials", Verdict::kCluster, "aggregated",
     "Partial signatures of the named operators did not verify; too few good ones remained.",
     "Contact the named operators: their key shares or software are wrong (or they are malicious)."},
    {"aggregation_incomplete", Verdict::kSelf, "aggregated",
     "Threshold partial signatures were present but the aggregate was not completed before the deadline.",
     "Check the host's CPU load; this node's aggregation worker fell behind."},
    {"submit_not_decided", Verdict::kCluster, "broadcast",
     "The cluster's aggregate was ready but this node never saw the consensus decision, so it did not publish.",
     "Check this node's connectivity to the named operators around the slot."},
    {"broadcast_bn_error", Verdict::kUpstream, "broadcast",
     "The beacon node refused or failed the submission of the aggregate.",
     "Check the beacon node's log for the rejection; check that it is synced."},
    {"broadcast_timeout", Verdict::kUpstream, "broadcast",
     "The beacon node had not accepted the submission when the deadline passed.",
     "The beacon node is slow to accept submissions: check its load and --beacon-node-timeout."},
    {"vc_without_dvt_selections", Verdict::kConfig, "partials_in",
     "The validator client sent no selection proofs through the DVT selection endpoints, so it cannot "
     "aggregate in a distributed validator (expected, not a fault).",
     "Enable the validator client's distributed mode (e.g. --distributed) or accept the missed aggregations."},
    {"unknown", Verdict::kUnknown, "", "The failure was not classified.",
     "Read this node's log around the slot; report the case so that it gets a code."},
    {"key_not_loaded", Verdict::kSelf, "partials_in",
     "This node had not decrypted the validator's key share yet: it starts serving duties while its keystores "
     "are still being decrypted (the keys of upcoming duties first).",
     "Wait for the log line \"keystores: all … share keys loaded\"; later starts read the keystore cache at once. "
     "Use PBKDF2 keystores (--keystore-kdf pbkdf2, the default) rather than scrypt for a fast first start."},
}};

}  // namespace

const char* to_string(Step s) {
  switch (s) {
    case Step::kScheduled:
      return "scheduled";
    case Step::kFetched:
      return "fetched";
    case Step::kDecided:
      return "decided";
    case Step::kPartialsIn:
      return "partials_in";
    case Step::kAggregated:
      return "aggregated";
    case Step::kBroadcast:
      return "broadcast";
  }
  return "unknown";
}

const char* to_string(Verdict v) {
  switch (v) {
    case Verdict::kNone:
      return "none";
    case Verdict::kSelf:
      return "self";
    case Verdict::kCluster:
      return "cluster";
    case Verdict::kUpstream:
      return "upstream";
    case Verdict::kChain:
      return "chain";
    case Verdict::kConfig:
      return "config";
    case Verdict::kUnknown:
      return "unknown";
  }
  return "unknown";
}

const ReasonInfo& reason_info(Reason r) {
  const auto i = static_cast<std::size_t>(r);
  return i < kReasons.size() ? kReasons[i] : kReasons[static_cast<std::size_t>(Reason::kUnknown)];
}

std::optional<Reason> reason_from_code(std::string_view code) {
  for (std::size_t i = 0; i < kReasons.size(); ++i)
    if (code == kReasons[i].code) return static_cast<Reason>(i);
  return std::nullopt;
}

std::string reasons_markdown() {
  std::string out =
      "# Duty failure reasons\n\n"
      "<!-- Generated from src/core/explain_reasons.cpp; do not edit. Regenerate with\n"
      "     PHX_UPDATE_DOCS=1 ./build/ci/src/core/core_test --gtest_filter='ExplainReasons.*'\n"
      "     (the test fails while this file is stale). -->\n\n"
      "Each failed duty gets one reason code (`GET /api/v1/duties/{slot}/{type}/explain`, `phalanx explain`,\n"
      "the `code` field of `--duty-report-file` lines, and the `reason` label of `phalanx_duty_failures_total`).\n"
      "The verdict says whose fault it is: `self` (this node, its host or its keys), `cluster` (the operators\n"
      "named in the explanation), `upstream` (this node's beacon node or validator client), `chain` (reserved:\n"
      "inclusion is not checked yet), `config` (a known configuration-level cause: an expected failure) or\n"
      "`unknown`. Codes are stable; new ones are only added.\n\n"
      "| # | code | verdict | failed step | what happened | next action |\n"
      "|---|---|---|---|---|---|\n";
  for (std::size_t i = 0; i < kReasons.size(); ++i) {
    const ReasonInfo& r = kReasons[i];
    out += "| " + std::to_string(i) + " | `" + r.code + "` | " + to_string(r.verdict) + " | " +
           (*r.step != 0 ? std::string("`") + r.step + "`" : std::string("-")) + " | " + r.text + " | " +
           r.action + " |\n";
  }
  return out;
}

}  // namespace phx::core
