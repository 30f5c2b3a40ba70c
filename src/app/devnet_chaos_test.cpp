// Tests of the devnet chaos harness: the schedule, the disruption count, the verdict and the faulty BN proxy.
#include "app/devnet_chaos.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <set>

#include "beaconapi/http/client.hpp"

namespace phx::app {
namespace {

using std::chrono::milliseconds;
namespace http = beaconapi::http;

ChaosPlanOptions plan_options(std::uint64_t seed, std::uint32_t n, std::uint32_t t, std::uint64_t slots) {
  ChaosPlanOptions o;
  o.seed = seed;
  o.nodes = n;
  o.threshold = t;
  o.slots = slots;
  return o;
}

TEST(ChaosPlan, IsAPureFunctionOfTheSeed) {
  auto a = plan_chaos(plan_options(7, 4, 3, 60));
  auto b = plan_chaos(plan_options(7, 4, 3, 60));
  auto c = plan_chaos(plan_options(8, 4, 3, 60));
  ASSERT_FALSE(a.empty());
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

TEST(ChaosPlan, NeverDisruptsMoreThanFNodesAtOnceIncludingRecovery) {
  for (auto [n, t] : {std::pair{4u, 3u}, {7u, 5u}, {10u, 7u}}) {
    for (std::uint64_t seed = 1; seed <= 200; ++seed) {
      auto o = plan_options(seed, n, t, 80);
      auto plan = plan_chaos(o);
      ASSERT_FALSE(plan.empty());
      const auto slot = o.slot_duration;
      const auto rest = slot * static_cast<std::int64_t>(o.recovery_slots);
      for (std::size_t i = 0; i < plan.size(); ++i) {
        const auto& a = plan[i];
        EXPECT_GE(a.start, slot * static_cast<std::int64_t>(o.warmup_slots));
        EXPECT_GT(a.end, a.start);
        EXPECT_LE(a.end + rest + slot, slot * static_cast<std::int64_t>(o.slots))
            << "ends before the last slot";
        EXPECT_EQ(a.node % (n - t), a.lane);
        if (i > 0) {
          EXPECT_LE(plan[i - 1].start, a.start) << "sorted";
        }
        // Faults that overlap (with their rest) are on distinct nodes of distinct lanes, at most f at a time.
        std::size_t at_start = 0;
        for (const auto& b : plan) {
          if (b.start <= a.start && a.start < b.end + rest) ++at_start;
          if (&b == &a || !(b.start < a.end + rest && a.start < b.end + rest)) continue;
          EXPECT_NE(b.lane, a.lane);
          EXPECT_NE(b.node, a.node);
        }
        EXPECT_LE(at_start, n - t);
      }
    }
  }
}

TEST(ChaosPlan, DealsEveryKindOnceBeforeRepeatingAndKeepsLengthsInBounds) {
  auto o = plan_options(3, 4, 3, 200);
  auto plan = plan_chaos(o);
  ASSERT_GE(plan.size(), std::size(kAllChaosKinds));
  std::set<ChaosKind> first;
  for (std::size_t i = 0; i < std::size(kAllChaosKinds); ++i) first.insert(plan[i].kind);
  EXPECT_EQ(first.size(), std::size(kAllChaosKinds));
  std::optional<std::uint32_t> prev;
  for (const auto& f : plan) {
    const auto len = f.end - f.start;
    if (f.kind == ChaosKind::kKill) {
      EXPECT_GE(len, milliseconds(1000));
      EXPECT_LT(len, milliseconds(3000));
    } else {
      EXPECT_GE(len, milliseconds(2000));
      EXPECT_LT(len, milliseconds(5000));
    }
    if (f.kind == ChaosKind::kClockSkew) {
      EXPECT_TRUE(f.clock_offset == milliseconds(500) || f.clock_offset == milliseconds(-500) ||
                  f.clock_offset == milliseconds(2000) || f.clock_offset == milliseconds(-2000));
    } else {
      EXPECT_EQ(f.clock_offset, milliseconds(0));
    }
    if (prev) {
      EXPECT_NE(f.node, *prev) << "a different node each time in a lane of several";
    }
    prev = f.node;
  }
}

TEST(ChaosPlan, EmptyWithoutAFaultToSpareOrWhenNothingFits) {
  EXPECT_TRUE(plan_chaos(plan_options(1, 4, 4, 100)).empty());
  EXPECT_TRUE(plan_chaos(plan_options(1, 1, 1, 100)).empty());
  EXPECT_TRUE(plan_chaos(plan_options(1, 4, 3, 4)).empty());
  auto only = plan_options(1, 4, 3, 60);
  only.kinds = {ChaosKind::kFreeze};
  for (const auto& f : plan_chaos(only)) EXPECT_EQ(f.kind, ChaosKind::kFreeze);
}

TEST(ChaosKinds, ParseListsAndRefusesUnknownOrRepeatedNames) {
  EXPECT_EQ(parse_chaos_kinds("all").value().size(), std::size(kAllChaosKinds));
  EXPECT_EQ(parse_chaos_kinds("kill,bn-slow").value(),
            (std::vector<ChaosKind>{ChaosKind::kKill, ChaosKind::kBnSlow}));
  for (auto k : kAllChaosKinds) EXPECT_EQ(chaos_kind_from_string(to_string(k)), k);
  EXPECT_FALSE(parse_chaos_kinds("kill,kill"));
  EXPECT_FALSE(parse_chaos_kinds("kill,"));
  EXPECT_FALSE(parse_chaos_kinds(""));
  auto bad = parse_chaos_kinds("kill,meteor");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().find("meteor"), std::string::npos);
}

ChaosEpisode episode(std::uint32_t node, std::optional<std::int64_t> began,
                     std::optional<std::int64_t> lifted, std::optional<std::int64_t> recovered) {
  ChaosEpisode e;
  e.fault.node = node;
  if (began) e.began = milliseconds(*began);
  if (lifted) e.lifted = milliseconds(*lifted);
  if (recovered) e.recovered = milliseconds(*recovered);
  return e;
}

TEST(ChaosVerdict, CountsANodeFromItsFaultToTheSlotAfterItRecovered) {
  const milliseconds slot(2000);
  // Node 1: slots 2..5 (recovered in slot 4, plus one); node 2: slot 5 to the end (never recovered); node 3
  // never began.
  std::vector<ChaosEpisode> eps = {episode(1, 4500, 7000, 8100), episode(2, 10100, 11000, std::nullopt),
                                   episode(3, std::nullopt, std::nullopt, std::nullopt)};
  auto d = disrupted_per_slot(eps, 8, slot);
  EXPECT_EQ(d, (std::vector<std::uint32_t>{0, 0, 1, 1, 1, 2, 1, 1}));
}

TEST(ChaosVerdict, MissingDutiesFailOnlyInSlotsWithAtMostFDisrupted) {
  ChaosInputs in;
  in.slots = 8;
  in.nodes = 4;
  in.threshold = 3;
  // Two nodes disrupted in slots 5-6: those slots are not covered.
  in.episodes = {episode(0, 10000, 11000, 11500), episode(1, 10500, 12000, 12500)};
  in.expected_per_slot["proposal"] = {0, 1, 1, 1, 1, 1, 1, 1};
  in.node_lines.resize(4);
  for (std::uint64_t s = 1; s < 8; ++s) {
    if (s == 6) continue;  // missing in an uncovered slot: counted, not a problem
    DutyLine l;
    l.slot = s;
    l.duty = "proposer";
    l.success = true;
    in.node_lines[2].push_back(l);
    if (s >= 7) in.node_lines[0].push_back(l);  // node 0 is back in slot 7 (lifted in slot 5)
  }
  auto r = summarize_chaos(in);
  EXPECT_EQ(r.covered, (std::vector<bool>{true, true, true, true, true, false, false, true}));
  EXPECT_EQ(r.covered_slots, 6u);
  EXPECT_TRUE(r.problems.empty()) << r.problems[0];
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.rows[0].expected_all, 7u);
  EXPECT_EQ(r.rows[0].completed_all, 6u);
  EXPECT_EQ(r.rows[0].expected_covered, 5u);
  EXPECT_EQ(r.rows[0].completed_covered, 5u);
  ASSERT_EQ(r.recovery_slots.size(), 2u);
  EXPECT_EQ(r.recovery_slots[0], std::optional<std::uint64_t>(2));  // lifted in slot 5, first success slot 7
  EXPECT_EQ(r.recovery_slots[1], std::nullopt);                     // node 1 reported nothing afterwards
  EXPECT_EQ(r.faults_by_kind.at("kill"), 2u);
  EXPECT_EQ(r.json["covered_slots"], 6);

  // A covered slot's missing proposal fails the run, and so does a failed action.
  in.node_lines[2].erase(in.node_lines[2].begin());  // slot 1
  in.episodes[0].error = "restart: exec failed";
  auto bad = summarize_chaos(in);
  ASSERT_EQ(bad.problems.size(), 2u);
  EXPECT_NE(bad.problems[0].find("slots 1"), std::string::npos) << bad.problems[0];
  EXPECT_NE(bad.problems[1].find("exec failed"), std::string::npos);
}

TEST(ChaosKinds, NetworkKindsOnlyWithChaosNet) {
  EXPECT_EQ(parse_chaos_kinds("all", true).value().size(), std::size(kAllChaosKinds) + std::size(kNetChaosKinds));
  EXPECT_EQ(parse_chaos_kinds("isolate,split").value(),
            (std::vector<ChaosKind>{ChaosKind::kIsolate, ChaosKind::kSplit}));
  for (auto k : kNetChaosKinds) {
    EXPECT_TRUE(is_net_kind(k));
    EXPECT_EQ(chaos_kind_from_string(to_string(k)), k);
  }
  for (auto k : kAllChaosKinds) EXPECT_FALSE(is_net_kind(k));
  DevnetOptions o;
  o.chaos = true;
  o.chaos_faults = "kill,isolate";
  auto v = validate(o);
  ASSERT_FALSE(v);
  EXPECT_NE(v.error().find("isolate needs --chaos-net"), std::string::npos) << v.error();
  o.chaos_net = true;
  EXPECT_TRUE(validate(o));
  o.chaos = false;
  o.chaos_faults = "all";
  EXPECT_FALSE(validate(o)) << "--chaos-net without --chaos";
}

TEST(ChaosPlan, IsolationsLastSeveralSlotsAndSplitsNameTheCluster) {
  auto o = plan_options(5, 4, 3, 300);
  o.kinds = {ChaosKind::kIsolate, ChaosKind::kSplit, ChaosKind::kKill};
  auto plan = plan_chaos(o);
  std::set<ChaosKind> seen;
  for (const auto& f : plan) {
    seen.insert(f.kind);
    if (f.kind == ChaosKind::kIsolate) {
      EXPECT_GE(f.end - f.start, milliseconds(4000));
      EXPECT_LT(f.end - f.start, milliseconds(8000));
    }
    EXPECT_EQ(f.cluster_nodes, f.kind == ChaosKind::kSplit ? 4u : 0u);
  }
  EXPECT_EQ(seen.size(), 3u);
}

// The fast CTest phalanx_devnet_chaos runs seed 3 with --chaos-net over 40 slots (devnet_chaos_test.sh): its
// schedule must hold an isolation and a split besides the process and beacon-node faults.
TEST(ChaosPlan, TheCiSeedWithNetworkFaultsDealsAnIsolationAndASplit) {
  auto o = plan_options(3, 4, 3, 40);
  o.kinds = parse_chaos_kinds("all", true).value();
  std::set<ChaosKind> seen;
  for (const auto& f : plan_chaos(o)) seen.insert(f.kind);
  EXPECT_TRUE(seen.contains(ChaosKind::kIsolate));
  EXPECT_TRUE(seen.contains(ChaosKind::kSplit));
  EXPECT_GE(seen.size(), 7u);
}

TEST(ChaosVerdict, ASplitDisruptsEveryNodeAndItsRecoveryCountsAnyNodesDuty) {
  ChaosInputs in;
  in.slots = 8;
  in.nodes = 4;
  in.threshold = 3;
  auto e = episode(2, 4500, 7000, 7100);  // slots 2..4 (recovered in slot 3, plus one)
  e.fault.kind = ChaosKind::kSplit;
  e.fault.cluster_nodes = 4;
  in.episodes = {e};
  EXPECT_EQ(disrupted_per_slot(in.episodes, 8, milliseconds(2000)),
            (std::vector<std::uint32_t>{0, 0, 4, 4, 4, 0, 0, 0}));
  in.expected_per_slot["proposal"] = {0, 1, 1, 1, 1, 1, 1, 1};
  in.node_lines.resize(4);
  for (std::uint64_t s : {1, 4, 5, 6, 7}) {  // nothing during the split; node 0 succeeds from slot 4 on
    DutyLine l;
    l.slot = s;
    l.duty = "proposer";
    l.success = true;
    in.node_lines[0].push_back(l);
  }
  auto r = summarize_chaos(in);
  EXPECT_TRUE(r.problems.empty()) << r.problems[0];
  EXPECT_EQ(r.covered_slots, 5u);
  ASSERT_EQ(r.recovery_slots.size(), 1u);
  EXPECT_EQ(r.recovery_slots[0], std::optional<std::uint64_t>(1));  // lifted in slot 3, node 0's duty in slot 4
  EXPECT_EQ(r.recovery_slots_by_kind.at("split"), (std::vector<std::uint64_t>{1}));
  EXPECT_NE(r.text.find("after split heals"), std::string::npos) << r.text;
}

TEST(ChaosVerdict, AShortfallWithinTheToleranceIsAWarning) {
  ChaosInputs in;
  in.slots = 4;
  in.nodes = 4;
  in.threshold = 3;
  in.expected_per_slot["sync_message"] = {50, 50, 0, 0};
  in.node_lines.resize(4);
  DutyLine l;
  l.slot = 0;
  l.duty = "sync_message";
  l.success = true;
  l.validators = 50;
  in.node_lines[0].push_back(l);
  l.slot = 1;
  l.validators = 49;  // one of 100 missing
  in.node_lines[1].push_back(l);
  EXPECT_EQ(summarize_chaos(in).problems.size(), 1u);
  in.missing_tolerance = 0.01;
  auto r = summarize_chaos(in);
  EXPECT_TRUE(r.problems.empty());
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings[0].find("slots 1"), std::string::npos) << r.warnings[0];
}

TEST(ChaosVerdict, ExcusesADutyWhoseRound1LeaderWasDisruptedWhenARoundChangeIsTooLate) {
  ChaosInputs in;
  in.slots = 6;
  in.nodes = 4;
  in.threshold = 3;
  in.episodes = {episode(2, 4100, 5000, 5200)};  // node 2 disrupted in slots 2-3
  in.expected_per_slot["proposal"] = {0, 1, 1, 1, 1, 1};
  in.round1_leaders["proposal"] = {{0}, {1}, {2},
                                   {3}, {2}, {0}};  // slot 2's leader is node 2; slot 4's is back
  in.node_lines.resize(4);
  for (std::uint64_t s : {1, 3, 5}) {
    DutyLine l;
    l.slot = s;
    l.duty = "proposer";
    l.success = true;
    in.node_lines[0].push_back(l);
  }
  auto r = summarize_chaos(in);
  EXPECT_FALSE(r.asserts("proposal", 2));
  EXPECT_TRUE(r.asserts("proposal", 3));
  EXPECT_TRUE(r.asserts("attestation", 2)) << "kinds without leaders are asserted in every covered slot";
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.rows[0].excused, 1u);
  EXPECT_EQ(r.rows[0].expected_covered, 4u);
  ASSERT_EQ(r.problems.size(), 1u) << "slot 4's proposal, led by a recovered node, must complete";
  EXPECT_NE(r.problems[0].find("slots 4"), std::string::npos) << r.problems[0];
}

TEST(ChaosVerdict, ARoundChangeIsTooLateForMostDutiesOf2sSlotsButForNoneOf12sSlots) {
  auto chain = eth::devnet_config(eth::Fork::kFulu, 1'000'000, Root{}, 0x00);
  chain.seconds_per_slot = 2;
  auto late = round1_leaders_of_late_kinds(chain, 4, 3);
  std::set<std::string> kinds;
  for (const auto& [k, v] : late) kinds.insert(k);
  // Attestations have until a slot after theirs: 1/3 slot + 2.25 s + 0.5 s fits in 2 1/3 slots.
  EXPECT_EQ(kinds, (std::set<std::string>{"aggregation", "proposal", "sync_contribution", "sync_message"}));
  ASSERT_EQ(late["proposal"].size(), 3u);
  EXPECT_EQ(late["proposal"][1].size(), 1u);
  EXPECT_EQ(late["aggregation"][1].size(), 2u);        // its own instance and the slot's attestation
  EXPECT_EQ(late["sync_contribution"][1].size(), 5u);  // four subcommittees and the slot's sync message
  for (const auto& [k, v] : late)
    for (const auto& slot : v)
      for (auto l : slot) EXPECT_LT(l, 4u);
  chain.seconds_per_slot = 12;
  EXPECT_TRUE(round1_leaders_of_late_kinds(chain, 4, 3).empty());
}

template <class F>
void run(F f) {
  boost::asio::io_context io;
  boost::asio::co_spawn(io, f(io), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  io.run();
}

http::Handler answer(std::string body) {
  return [body](const http::Request&, const http::PathParams&) -> runtime::Task<http::Response> {
    http::Response r;
    r.body = body;
    co_return r;
  };
}

TEST(BnFaultProxy, PassesThroughUntilAFaultSaysOtherwise) {
  http::Router upstream;
  upstream.add(http::Method::kGet, "/eth/v1/node/syncing",
               answer(R"({"data":{"head_slot":"5","sync_distance":"0","is_syncing":false}})"));
  const std::string root = "0x" + std::string(64, '1');
  upstream.add(http::Method::kGet, "/eth/v1/validator/attestation_data",
               answer(R"({"data":{"slot":"5","target":{"epoch":"0","root":")" + root + R"("}}})"));
  run([&](boost::asio::io_context& io) -> runtime::Task<void> {
    BnFaultProxy proxy(io.get_executor(), upstream, 0);
    EXPECT_TRUE(proxy.start());
    http::Endpoint ep;
    ep.port = proxy.port();
    auto get = [&](std::string target) -> runtime::Task<Result<http::ClientResponse>> {
      http::ClientRequest req;
      req.target = std::move(target);
      co_return co_await http::send_request(ep, req, std::chrono::seconds(2));
    };
    auto ok = co_await get("/eth/v1/node/syncing");
    EXPECT_TRUE(ok && ok->status == 200 && ok->body.find("\"is_syncing\":false") != std::string::npos);

    EXPECT_TRUE(co_await proxy.set_mode(BnMode::kErrors));
    auto err = co_await get("/eth/v1/node/syncing");
    EXPECT_TRUE(err && err->status == 503);

    EXPECT_TRUE(co_await proxy.set_mode(BnMode::kSyncing));
    auto sync = co_await get("/eth/v1/node/syncing");
    EXPECT_TRUE(sync && sync->status == 200);
    if (!sync || sync->status != 200) co_return;
    EXPECT_EQ(ssz::parse_json(sync->body).value()["data"]["is_syncing"], true);
    auto duty = co_await get("/eth/v1/validator/attestation_data?slot=5&committee_index=0");
    EXPECT_TRUE(duty && duty->status == 503);

    EXPECT_TRUE(co_await proxy.set_mode(BnMode::kLying));
    auto lie = co_await get("/eth/v1/validator/attestation_data?slot=5&committee_index=0");
    EXPECT_TRUE(lie && lie->status == 200);
    if (!lie || lie->status != 200) co_return;
    auto lied = ssz::parse_json(lie->body).value()["data"]["target"]["root"].get<std::string>();
    EXPECT_EQ(lied.size(), root.size());
    EXPECT_NE(lied, root);

    const auto port = proxy.port();
    EXPECT_TRUE(co_await proxy.set_mode(BnMode::kDown));
    auto down = co_await get("/eth/v1/node/syncing");
    EXPECT_FALSE(down);  // connection refused
    EXPECT_TRUE(co_await proxy.set_mode(BnMode::kHealthy));
    EXPECT_EQ(proxy.port(), port);
    auto back = co_await get("/eth/v1/validator/attestation_data?slot=5&committee_index=0");
    EXPECT_TRUE(back && back->status == 200);
    if (!back || back->status != 200) co_return;
    EXPECT_NE(back->body.find(root), std::string::npos);
    EXPECT_GE(proxy.counts().at("healthy"), 2u);
    co_await proxy.stop();
  });
}

}  // namespace
}  // namespace phx::app
