// Tests of the duty explanation: reason codes and verdicts per failure kind, the timeline, the ring buffer,
// the query parsers, report-line round trips and the generated docs/reasons.md.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/explain_log.hpp"
#include "core/tracker.hpp"

namespace phx::core {
namespace {

using namespace std::chrono_literals;

constexpr std::uint32_t kN = 4;
constexpr std::uint32_t kT = 3;

/// A tracker of a 4-operator cluster (this node = share 1) on a manual clock; slot s starts at s × 12 s.
struct Fixture {
  ManualClock clock{TimePoint{}};
  Tracker tracker;
  explicit Fixture(bool vc_mode = false)
      : tracker(TrackerOptions{kN, kT, ShareIdx{1}, vc_mode, &clock,
                               [](Slot s) { return TimePoint{} + std::chrono::seconds(12 * s.value); }}) {}
  void at(Slot s, Duration since_start) { clock.set(TimePoint{} + std::chrono::seconds(12 * s.value) + since_start); }
};

ExplainContext context(bool vc_mode = false) {
  ExplainContext c;
  c.share_count = kN;
  c.threshold = kT;
  c.self = ShareIdx{1};
  c.vc_mode = vc_mode;
  c.peers = {PeerView{true, std::nullopt, std::nullopt}, PeerView{true, 3.5, 1.0}, PeerView{false, {}, {}},
             PeerView{true, 2.0, -450.0}};
  return c;
}

DutyResult result(DutyReport r) {
  DutyResult out;
  out.report = std::move(r);
  out.validators = 2;
  return out;
}

std::vector<std::uint32_t> named(const ssz::Json& j) {
  std::vector<std::uint32_t> out;
  for (const auto& x : j["operators_named"]) out.push_back(x.get<std::uint32_t>());
  return out;
}

TEST(ExplainReasons, CodesAreUniqueAndRoundTrip) {
  for (std::size_t i = 0; i < kReasonCount; ++i) {
    const auto r = static_cast<Reason>(i);
    EXPECT_EQ(reason_from_code(reason_info(r).code), r) << reason_info(r).code;
  }
  EXPECT_FALSE(reason_from_code("no such code"));
  EXPECT_STREQ(reason_info(static_cast<Reason>(200)).code, "unknown");
}

TEST(ExplainReasons, DocsReasonsMdIsGeneratedFromTheTable) {
  const std::string want = reasons_markdown();
  if (const char* update = std::getenv("PHX_UPDATE_DOCS"); update != nullptr && std::string(update) == "1") {
    std::ofstream(PHX_REASONS_MD, std::ios::binary) << want;
  }
  std::ifstream in(PHX_REASONS_MD, std::ios::binary);
  ASSERT_TRUE(in) << PHX_REASONS_MD << " is missing: run with PHX_UPDATE_DOCS=1";
  std::stringstream got;
  got << in.rdbuf();
  EXPECT_EQ(got.str(), want) << "docs/reasons.md is stale: run PHX_UPDATE_DOCS=1 core_test "
                                "--gtest_filter='ExplainReasons.*' and commit the file";
}

TEST(ExplainVerdict, BeaconNodeProduceFailureIsUpstream) {
  Fixture f;
  const Duty d{Slot{5}, DutyType::kProposer};
  f.at(d.slot, 10ms);
  f.tracker.on_step(d, Step::kScheduled);
  f.tracker.on_event(d, Event::kFetchStart);
  f.at(d.slot, 1s);
  f.tracker.on_event(d, Event::kFetchRetry);
  f.at(d.slot, 12s);
  const DutyReport r = f.tracker.on_failure(d, Reason::kFetchBnError, "fetch: beacon node 503");
  EXPECT_EQ(r.code, Reason::kFetchBnError);
  EXPECT_EQ(r.failed_step, Step::kFetched);
  const auto j = explain_duty(result(r), context());
  EXPECT_EQ(j["outcome"], "failed");
  EXPECT_EQ(j["verdict"], "upstream");
  EXPECT_EQ(j["reason"]["code"], "fetch_bn_error");
  EXPECT_EQ(j["reason"]["detail"], "fetch: beacon node 503");
  EXPECT_TRUE(named(j).empty());
  // Timeline: slot start, scheduled (+0.010), fetch start, retry (+1.000), failure (+12.000).
  const auto& tl = j["timeline"];
  ASSERT_EQ(tl.size(), 5u);
  EXPECT_EQ(tl[0]["event"], "slot_start");
  EXPECT_EQ(tl[1]["event"], "scheduled");
  EXPECT_EQ(tl[1]["t"], "+0.010");
  EXPECT_EQ(tl[3]["event"], "fetch_retry");
  EXPECT_EQ(tl[3]["t_ms"], 1000.0);
  EXPECT_EQ(tl[4]["event"], "failure");
  EXPECT_EQ(tl[4]["reason"], "fetch_bn_error");
  // No consensus reached: nobody owed a partial.
  for (const auto& o : j["operators"]) EXPECT_EQ(o["partial"], "not_due");
}

TEST(ExplainVerdict, MissingPeerPartialsNameTheOperators) {
  Fixture f;
  const Duty d{Slot{7}, DutyType::kAttester};
  f.at(d.slot, 4s);
  f.tracker.on_step(d, Step::kScheduled);
  f.tracker.on_step(d, Step::kFetched);
  f.tracker.on_step(d, Step::kDecided);
  f.at(d.slot, 4300ms);
  f.tracker.on_partial(d, ShareIdx{1});
  f.tracker.on_partial(d, ShareIdx{1});
  f.at(d.slot, 4600ms);
  f.tracker.on_partial(d, ShareIdx{2});
  f.at(d.slot, 16s);
  DutyReport r = f.tracker.on_expired(d);
  EXPECT_EQ(r.code, Reason::kInsufficientPeerPartials);
  EXPECT_EQ(r.missing, (std::vector<ShareIdx>{ShareIdx{3}, ShareIdx{4}}));
  const auto j = explain_duty(result(r), context());
  EXPECT_EQ(j["verdict"], "cluster");
  EXPECT_EQ(named(j), (std::vector<std::uint32_t>{2, 3}));
  const std::string action = j["next_action"];
  EXPECT_NE(action.find("2: not connected now"), std::string::npos) << action;
  EXPECT_NE(action.find("3: connected now, rtt 2 ms, clock off by -450 ms"), std::string::npos) << action;
  const auto& ops = j["operators"];
  EXPECT_EQ(ops[0]["partial"], "ok");
  EXPECT_EQ(ops[0]["self"], true);
  EXPECT_EQ(ops[0]["validators"], 2);
  EXPECT_EQ(ops[1]["partial"], "ok");
  EXPECT_EQ(ops[1]["delay_ms"], 300.0);
  EXPECT_EQ(ops[2]["partial"], "missing");
  EXPECT_EQ(ops[2]["connected"], false);
  EXPECT_EQ(ops[3]["partial"], "missing");

  // Only this node's partial: no peer sent anything.
  const Duty d2{Slot{8}, DutyType::kAttester};
  f.tracker.on_step(d2, Step::kDecided);
  f.tracker.on_partial(d2, ShareIdx{1});
  r = f.tracker.on_expired(d2);
  EXPECT_EQ(r.code, Reason::kNoPeerPartials);
  EXPECT_EQ(named(explain_duty(result(r), context())), (std::vector<std::uint32_t>{1, 2, 3}));
}

TEST(ExplainVerdict, BadPeerPartialsBlameTheirOperators) {
  Fixture f;
  const Duty d{Slot{7}, DutyType::kAttester};
  f.tracker.on_step(d, Step::kPartialsIn);
  for (std::uint32_t s = 1; s <= 3; ++s) f.tracker.on_partial(d, ShareIdx{s});
  f.tracker.on_blame(d, ShareIdx{3});
  const DutyReport r = f.tracker.on_expired(d);
  EXPECT_EQ(r.code, Reason::kInvalidPeerPartials);
  const auto j = explain_duty(result(r), context());
  EXPECT_EQ(j["verdict"], "cluster");
  EXPECT_EQ(named(j), std::vector<std::uint32_t>{2});
  EXPECT_EQ(j["operators"][2]["partial"], "blamed");
}

TEST(ExplainVerdict, ValidatorClientThatNeverAskedIsUpstream) {
  Fixture f(/*vc_mode=*/true);
  const Duty d{Slot{9}, DutyType::kAttester};
  f.tracker.on_step(d, Step::kDecided);
  f.tracker.on_partial(d, ShareIdx{2});
  f.tracker.on_partial(d, ShareIdx{3});
  DutyReport r = f.tracker.on_expired(d);
  EXPECT_EQ(r.code, Reason::kVcNeverAsked);
  auto j = explain_duty(result(r), context(true));
  EXPECT_EQ(j["verdict"], "upstream");
  EXPECT_TRUE(named(j).empty());
  EXPECT_EQ(j["operators"][0]["partial"], "missing");

  // It asked, but sent nothing back.
  const Duty d2{Slot{10}, DutyType::kAttester};
  f.tracker.on_step(d2, Step::kDecided);
  f.tracker.on_event(d2, Event::kVcRequest);
  f.tracker.on_event(d2, Event::kVcRequest);  // recorded once
  r = f.tracker.on_expired(d2);
  EXPECT_EQ(r.code, Reason::kNoLocalVcPartial);
  EXPECT_EQ(std::count_if(r.timeline.begin(), r.timeline.end(),
                          [](const TimelineEvent& e) { return e.event == Event::kVcRequest; }),
            1);
  // A RANDAO reveal is signed without asking first: a missing one is "no partial", not "never asked".
  const Duty d3{Slot{11}, DutyType::kRandao};
  f.tracker.on_step(d3, Step::kDecided);
  EXPECT_EQ(f.tracker.on_expired(d3).code, Reason::kNoLocalVcPartial);
  // Embedded mode: this node's own signer is to blame.
  Fixture e;
  e.tracker.on_step(d, Step::kDecided);
  r = e.tracker.on_expired(d);
  EXPECT_EQ(r.code, Reason::kNoOwnPartial);
  EXPECT_EQ(explain_duty(result(r), context())["verdict"], "self");
}

TEST(ExplainVerdict, ConsensusTimeoutNamesTheRoundLeaders) {
  Fixture f;
  const Duty d{Slot{12}, DutyType::kAttester};
  f.tracker.on_step(d, Step::kScheduled);
  f.tracker.on_event(d, Event::kConsensusStart);
  f.tracker.on_step(d, Step::kFetched);
  DutyReport r = f.tracker.on_expired(d);
  EXPECT_EQ(r.code, Reason::kNoConsensus);
  EXPECT_EQ(r.failed_step, Step::kDecided);
  r.round = 3;  // the app adds the round reached
  const auto j = explain_duty(result(r), context());
  EXPECT_EQ(j["verdict"], "cluster");
  ASSERT_EQ(j["consensus"]["rounds"].size(), 3u);
  std::vector<std::uint32_t> want;
  for (std::uint32_t round = 1; round <= 3; ++round) {
    const auto leader = round_leader(d, round, kN).value;
    EXPECT_EQ(j["consensus"]["rounds"][round - 1]["leader"], leader);
    if (leader != 0) want.push_back(leader);
  }
  want.push_back(2);  // not connected
  std::sort(want.begin(), want.end());
  want.erase(std::unique(want.begin(), want.end()), want.end());
  EXPECT_EQ(named(j), want);
  EXPECT_EQ(j["consensus"]["rounds"][2]["outcome"], "current");
  EXPECT_EQ(j["consensus"]["rounds"][0]["outcome"], "timed_out");
  // Round changes on the timeline at the round timer's deadlines (default: 1 s, then +1.25 s, …) after the
  // attester tick (1/3 of a 12 s slot).
  std::vector<std::pair<std::string, std::uint32_t>> changes;
  for (const auto& e : j["timeline"])
    if (e["event"] == "round_change") changes.emplace_back(e["t"].get<std::string>(), e["round"].get<std::uint32_t>());
  EXPECT_EQ(changes, (std::vector<std::pair<std::string, std::uint32_t>>{{"+5.000", 2}, {"+6.250", 3}}));
  EXPECT_EQ(j["consensus"]["rounds"][0]["start"], "+4.000");
  EXPECT_EQ(j["consensus"]["rounds"][1]["start"], "+5.000");
  EXPECT_EQ(j["consensus"]["rounds"][1]["timeout"], "+6.250");
  // Leaders rotate: every operator leads once in n consecutive rounds.
  std::set<std::uint32_t> leaders;
  for (std::uint32_t round = 1; round <= kN; ++round) leaders.insert(round_leader(d, round, kN).value);
  EXPECT_EQ(leaders.size(), kN);
}

TEST(ExplainVerdict, DeadlinePassedBeforeOrDuringTheFetch) {
  Fixture f;
  const Duty d{Slot{3}, DutyType::kAttester};
  f.tracker.on_step(d, Step::kScheduled);
  DutyReport r = f.tracker.on_expired(d);
  EXPECT_EQ(r.code, Reason::kDeadlineBeforeStart);
  EXPECT_EQ(explain_duty(result(r), context())["verdict"], "self");
  EXPECT_EQ(r.timeline.back().event, Event::kDeadline);

  f.tracker.on_step(d, Step::kScheduled);
  f.tracker.on_event(d, Event::kFetchStart);
  r = f.tracker.on_expired(d);
  EXPECT_EQ(r.code, Reason::kFetchTimeout);
  EXPECT_EQ(explain_duty(result(r), context())["verdict"], "upstream");

  f.tracker.on_step(d, Step::kAggregated);
  f.tracker.on_event(d, Event::kSubmit);
  EXPECT_EQ(f.tracker.on_expired(d).code, Reason::kSubmitTimeout);
}

TEST(ExplainVerdict, ExpectedFailureWithoutDvtSelectionsIsConfig) {
  DutyReport r;
  r.duty = Duty{Slot{4}, DutyType::kAggregator};
  r.failed_step = Step::kPartialsIn;
  r.expected = true;
  r.code = Reason::kVcWithoutDvtSelections;
  const auto j = explain_duty(result(r), context(true));
  EXPECT_EQ(j["outcome"], "expected");
  EXPECT_EQ(j["verdict"], "config");
  EXPECT_TRUE(named(j).empty());
}

TEST(ExplainTimeline, IsBoundedAndKeepsTheFinalEvent) {
  Fixture f;
  const Duty d{Slot{1}, DutyType::kAttester};
  f.tracker.on_step(d, Step::kFetched);
  for (int i = 0; i < 200; ++i) f.tracker.on_event(d, Event::kFetchRetry);
  const DutyReport r = f.tracker.on_expired(d);
  EXPECT_EQ(r.timeline.size(), Tracker::kMaxEvents);
  EXPECT_EQ(r.timeline.back().event, Event::kDeadline);
  EXPECT_EQ(f.tracker.size(), 0u);
}

TEST(ExplainTimeline, StaleEntriesOfUnreportedDutiesAreDropped) {
  Fixture f;
  f.tracker.on_event(Duty{Slot{1}, DutyType::kAttester}, Event::kVcRequest);  // never reaches the deadliner
  EXPECT_EQ(f.tracker.size(), 1u);
  (void)f.tracker.on_expired(Duty{Slot{1 + Tracker::kStaleSlots + 1}, DutyType::kAttester});
  EXPECT_EQ(f.tracker.size(), 0u);
}

DutyResult make(std::uint64_t slot, DutyType type, bool ok, Reason code = Reason::kNone) {
  DutyResult r;
  r.report.duty = Duty{Slot{slot}, type};
  r.report.success = ok;
  r.report.last_step = ok ? Step::kBroadcast : Step::kDecided;
  if (!ok) {
    r.report.failed_step = Step::kPartialsIn;
    r.report.code = code;
    r.report.reason = "expired";
  }
  return r;
}

TEST(DutyLog, RingBufferIsBoundedAndCountsFailuresByReason) {
  DutyLog log(3);
  for (std::uint64_t s = 1; s <= 5; ++s) log.add(make(s, DutyType::kAttester, s % 2 == 0, Reason::kNoConsensus));
  EXPECT_EQ(log.size(), 3u);
  EXPECT_EQ(log.oldest_slot(), Slot{3});
  EXPECT_EQ(log.find(Duty{Slot{2}, DutyType::kAttester}), nullptr);
  ASSERT_NE(log.find(Duty{Slot{5}, DutyType::kAttester}), nullptr);
  EXPECT_EQ(log.failures(DutyType::kAttester, Reason::kNoConsensus), 3u);  // slots 1, 3, 5 (life-long)
  // Re-adding a held duty replaces it and does not evict anything.
  log.add(make(5, DutyType::kAttester, true));
  EXPECT_EQ(log.size(), 3u);
  EXPECT_TRUE(log.find(Duty{Slot{5}, DutyType::kAttester})->report.success);
  // A late partial is recorded once per share.
  EXPECT_TRUE(log.on_late_partial(Duty{Slot{4}, DutyType::kAttester}, ShareIdx{4}, 20s));
  EXPECT_FALSE(log.on_late_partial(Duty{Slot{4}, DutyType::kAttester}, ShareIdx{4}, 21s));
  EXPECT_FALSE(log.on_late_partial(Duty{Slot{1}, DutyType::kAttester}, ShareIdx{4}, 21s));
  const auto& late = log.find(Duty{Slot{4}, DutyType::kAttester})->report.partials;
  ASSERT_EQ(late.size(), 1u);
  EXPECT_TRUE(late[0].late);
  EXPECT_EQ(late[0].count, 2u);
}

TEST(DutyLog, QueryFiltersBySlotTypeOutcomeAndReasonAndKeepsTheNewest) {
  DutyLog log(100);
  for (std::uint64_t s = 1; s <= 10; ++s) {
    log.add(make(s, DutyType::kAttester, s != 4 && s != 7, Reason::kInsufficientPeerPartials));
    log.add(make(s, DutyType::kProposer, s != 7, Reason::kFetchBnError));
  }
  auto run = [&](std::multimap<std::string, std::string> p) {
    auto q = parse_duty_query(p);
    EXPECT_TRUE(q.has_value()) << q.error();
    std::vector<std::string> out;
    for (const auto* r : log.query(*q)) out.push_back(to_string(r->report.duty));
    return out;
  };
  EXPECT_EQ(run({{"outcome", "failed"}}),
            (std::vector<std::string>{"attester/4", "proposer/7", "attester/7"}));
  EXPECT_EQ(run({{"from_slot", "6"}, {"to_slot", "7"}, {"type", "proposer"}}),
            (std::vector<std::string>{"proposer/6", "proposer/7"}));
  EXPECT_EQ(run({{"reason", "fetch_bn_error"}}), std::vector<std::string>{"proposer/7"});
  EXPECT_EQ(run({{"limit", "2"}}), (std::vector<std::string>{"proposer/10", "attester/10"}));
  EXPECT_EQ(run({{"to_slot", "1"}}), (std::vector<std::string>{"proposer/1", "attester/1"}));
  EXPECT_EQ(run({{"outcome", "expected"}}).size(), 0u);
}

TEST(DutyQueryParser, BadParametersGetAClearMessage) {
  auto err = [](std::multimap<std::string, std::string> p) {
    auto q = parse_duty_query(p);
    EXPECT_FALSE(q.has_value());
    return q ? std::string() : q.error();
  };
  EXPECT_EQ(err({{"from_slot", "-1"}}), "from_slot: expected a decimal slot number, got \"-1\"");
  EXPECT_EQ(err({{"to_slot", "12x"}}), "to_slot: expected a decimal slot number, got \"12x\"");
  EXPECT_EQ(err({{"from_slot", "9"}, {"to_slot", "3"}}), "from_slot 9 is after to_slot 3");
  EXPECT_NE(err({{"type", "attestor"}}).find("type: unknown duty type (known: proposer, attester"), std::string::npos);
  EXPECT_EQ(err({{"outcome", "ok"}}), "outcome: expected success, failed or expected");
  EXPECT_EQ(err({{"limit", "0"}}), "limit: expected 1..4096");
  EXPECT_EQ(err({{"type", "attester"}, {"type", "proposer"}}), "type: given more than once");
  EXPECT_NE(err({{"slot", "1"}}).find("unknown query parameter \"slot\""), std::string::npos);
  EXPECT_TRUE(parse_duty_query({}).has_value());
}

TEST(DutyQueryParser, ExplainPathAndValidator) {
  auto r = parse_explain_request("42", "sync_contribution", {{"subcommittee", "2"}});
  ASSERT_TRUE(r.has_value()) << r.error();
  EXPECT_EQ(r->duty, (Duty{Slot{42}, DutyType::kSyncContribution, 2}));
  EXPECT_EQ(parse_explain_request("x", "attester", {}).error(), "slot: expected a decimal slot number, got \"x\"");
  EXPECT_NE(parse_explain_request("1", "nope", {}).error().find("type: unknown duty type \"nope\""), std::string::npos);
  EXPECT_EQ(parse_explain_request("1", "attester", {{"subcommittee", "1"}}).error(),
            "subcommittee: only for sync-contribution duties");
  EXPECT_EQ(parse_explain_request("1", "attester", {{"validator", "0x12"}}).error(),
            "validator: expected a validator index or a 0x-prefixed 48-byte pubkey");
  EXPECT_TRUE(parse_explain_request("1", "attester", {{"validator", "438450"}}).has_value());
  EXPECT_TRUE(parse_explain_request("1", "attester", {{"validator", "0x" + std::string(96, 'a')}}).has_value());
}

TEST(DutyReportLine, RoundTripsTheExplanationFields) {
  Fixture f;
  const Duty d{Slot{6}, DutyType::kSyncContribution, 3};
  f.at(d.slot, 8s);
  f.tracker.on_step(d, Step::kDecided);
  f.tracker.on_partial(d, ShareIdx{1});
  f.at(d.slot, 8250ms);
  f.tracker.on_partial(d, ShareIdx{3});
  f.at(d.slot, 16s);
  DutyResult in = result(f.tracker.on_expired(d));
  in.report.round = 2;
  in.report.round_decided = true;
  in.consensus = 1500us;
  in.report.partials.push_back(PartialArrival{ShareIdx{4}, 17s, 1, true});
  auto out = parse_duty_line(to_json_line(in));
  ASSERT_TRUE(out.has_value()) << out.error();
  EXPECT_EQ(out->report.duty, d);
  EXPECT_EQ(out->report.code, Reason::kInsufficientPeerPartials);
  EXPECT_EQ(out->report.timeline, in.report.timeline);
  EXPECT_EQ(out->report.partials, in.report.partials);
  EXPECT_EQ(out->report.finished, 16s);
  EXPECT_EQ(out->report.round, 2u);
  EXPECT_TRUE(out->report.round_decided);
  EXPECT_EQ(out->report.missing, in.report.missing);
  EXPECT_EQ(out->validators, 2u);
  EXPECT_EQ(out->consensus, Duration(1500us));
  // The explanation from the file equals the one from memory.
  EXPECT_EQ(explain_duty(*out, context()), explain_duty(in, context()));
  // Lines written before the explanation fields still decode (code unknown for failures).
  auto old = parse_duty_line(R"({"duty":"attester","slot":3,"success":false,"last_step":"decided",)"
                             R"("failed_step":"partials_in","reason":"expired","missing":[4],"blamed":[]})");
  ASSERT_TRUE(old.has_value()) << old.error();
  EXPECT_EQ(old->report.code, Reason::kUnknown);
  EXPECT_EQ(parse_duty_line(R"({"duty":"attester","slot":3})").error(), "success: expected true or false");
  EXPECT_EQ(parse_duty_line(R"({"duty":"attester","slot":-3,"success":true})").error(), "slot: expected a slot number");
  EXPECT_FALSE(parse_duty_line(R"({"duty":"attester","slot":3,"success":true,"timeline":[{"t_ms":1}]})"));
  EXPECT_FALSE(parse_duty_line("not json"));
}

TEST(ExplainLate, LatePartialIsReportedWithItsLateness) {
  DutyResult r = make(2, DutyType::kAttester, true);
  r.report.finished = 5s;
  r.report.partials = {PartialArrival{ShareIdx{1}, 4s, 1, false}, PartialArrival{ShareIdx{2}, 4100ms, 1, false},
                       PartialArrival{ShareIdx{3}, 4200ms, 1, false}, PartialArrival{ShareIdx{4}, 6500ms, 1, true}};
  const auto j = explain_duty(r, context());
  EXPECT_EQ(j["outcome"], "success");
  EXPECT_EQ(j["verdict"], "none");
  EXPECT_EQ(j["operators"][3]["partial"], "late");
  EXPECT_EQ(j["operators"][3]["late_ms"], 1500.0);
  EXPECT_EQ(j["operators"][2]["delay_ms"], 200.0);
  EXPECT_EQ(j["timeline"].back()["late"], true);
}

}  // namespace
}  // namespace phx::core
