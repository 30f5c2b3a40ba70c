// Tests of the operator API: request decoding, exits.json, POST/GET answers, the record, re-requests at
// start.
#include "app/operator_api.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "app/temp_dir_test.hpp"
#include "base/bytes.hpp"
#include "core/workflow_doubles_test.hpp"

namespace phx::app {
namespace {

namespace fs = std::filesystem;
using core::PubKey;

constexpr std::uint64_t kGenesis = 1'700'000'000;

using testing::TempDir;

/// An operator API over 3 real validators (3-of-4, share 2) with a request_exit test double that records the
/// calls and answers with `answer`.
struct Fixture {
  core::testing::TestKeys keys = core::testing::make_keys(3, 3, 4);
  eth::ChainConfig chain = eth::devnet_config(eth::Fork::kFulu, kGenesis, Root{});
  ManualClock clock{TimePoint(std::chrono::seconds(kGenesis))};
  TempDir dir;
  std::vector<std::pair<PubKey, Epoch>> calls;
  std::function<Result<void>(const PubKey&)> answer = [](const PubKey&) { return Result<void>{}; };
  OperatorApiOptions options;
  std::unique_ptr<OperatorApi> api;

  Fixture() {
    options.exits_file = dir.path / "exits.json";
    options.share_idx = ShareIdx{2};
    make();
  }
  void make() {
    api = std::make_unique<OperatorApi>(
        chain, keys.book, clock,
        [this](const PubKey& pk, Epoch e) {
          calls.emplace_back(pk, e);
          return answer(pk);
        },
        options);
  }
  PubKey pk(std::size_t i) const { return keys.validators[i].pubkey; }
  void at_epoch(std::uint64_t e) {
    clock.set(
        TimePoint(std::chrono::seconds(kGenesis + e * chain.slots_per_epoch * chain.seconds_per_slot + 1)));
  }
  ssz::Json post(const std::string& body, unsigned want_status = 200) {
    auto r = api->post_exits(body);
    EXPECT_EQ(r.status, want_status) << r.body;
    return *ssz::parse_json(r.body);
  }
  ssz::Json entry(const PubKey& p, std::uint64_t epoch) const {
    const ssz::Json all = api->list();
    for (const auto& e : all["data"])
      if (e["pubkey"] == to_hex(p) && e["epoch"] == std::to_string(epoch)) return e;
    return ssz::Json();
  }
};

core::ParSignedData partial_from(std::uint32_t share) {
  return core::ParSignedData{
      core::SignedData{core::ExitMessage{}, crypto::bls::Signature::from_point(crypto::bls::G2{})},
      ShareIdx{share}};
}

TEST(ExitRequest, DecodesPubkeysAllAndEpoch) {
  const std::string pk = "0x" + std::string(96, 'a');
  auto r = parse_exit_request(R"({"pubkeys":[")" + pk + R"("],"epoch":"12"})");
  ASSERT_TRUE(r) << r.error();
  ASSERT_EQ(r->pubkeys.size(), 1u);
  EXPECT_EQ(to_hex(r->pubkeys[0]), pk);
  EXPECT_EQ(r->epoch, Epoch{12});
  auto a = parse_exit_request(R"({"all":true})");
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->all);
  EXPECT_FALSE(a->epoch);
}

TEST(ExitRequest, RefusesBadBodiesWithTheField) {
  const std::string pk = "0x" + std::string(96, 'a');
  auto err = [](std::string_view body) {
    auto r = parse_exit_request(body);
    return r ? std::string("accepted") : r.error();
  };
  EXPECT_NE(err("not json").find("not JSON"), std::string::npos);
  EXPECT_NE(err("[]").find("object"), std::string::npos);
  EXPECT_NE(err("{}").find("no validator"), std::string::npos);
  EXPECT_NE(err(R"({"pubkeys":[]})").find("no validator"), std::string::npos);
  EXPECT_NE(err(R"({"pubkeys":["0x12"]})").find("pubkeys[0]"), std::string::npos);
  EXPECT_NE(err(R"({"pubkeys":[")" + pk + R"("],"all":true})").find("not both"), std::string::npos);
  EXPECT_NE(err(R"({"all":true,"epoch":"-1"})").find("epoch"), std::string::npos);
  EXPECT_NE(err(R"({"all":"yes"})").find("all"), std::string::npos);
  EXPECT_NE(err(R"({"all":true,"pubkey":"x"})").find("unknown field"), std::string::npos);
}

TEST(ExitsFile, RoundTripsAndRefusesMalformedEntries) {
  std::vector<StoredExit> in{{PubKey{}, Epoch{7}, 1234}};
  in[0].pubkey[0] = 0xab;
  auto out = parse_exits_file(exits_file_text(in));
  ASSERT_TRUE(out) << out.error();
  ASSERT_EQ(out->size(), 1u);
  EXPECT_EQ((*out)[0].pubkey, in[0].pubkey);
  EXPECT_EQ((*out)[0].epoch, Epoch{7});
  EXPECT_EQ((*out)[0].requested_at, 1234u);
  EXPECT_FALSE(parse_exits_file("{"));
  EXPECT_FALSE(parse_exits_file(R"({"version":2,"exits":[]})"));
  auto bad = parse_exits_file(R"({"version":1,"exits":[{"pubkey":"0x00","epoch":"1","requested_at":1}]})");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().find("exits[0].pubkey"), std::string::npos);
}

TEST(OperatorApiAccess, LoopbackHosts) {
  EXPECT_TRUE(is_loopback_host("127.0.0.1"));
  EXPECT_TRUE(is_loopback_host("127.1.2.3"));
  EXPECT_TRUE(is_loopback_host("::1"));
  EXPECT_TRUE(is_loopback_host("localhost"));
  EXPECT_FALSE(is_loopback_host("0.0.0.0"));
  EXPECT_FALSE(is_loopback_host("10.0.0.1"));
  EXPECT_FALSE(is_loopback_host("not an address"));
}

TEST(OperatorApi, PostRequestsEachValidatorAtTheCurrentEpochAndPersists) {
  Fixture f;
  f.at_epoch(5);
  const PubKey unknown{};
  auto j = f.post(R"({"pubkeys":[")" + to_hex(f.pk(0)) + R"(",")" + to_hex(unknown) + R"("]})");
  EXPECT_EQ(j["epoch"], "5");
  ASSERT_EQ(j["data"].size(), 2u);
  EXPECT_EQ(j["data"][0]["ok"], true);
  EXPECT_EQ(j["data"][1]["ok"], false);
  EXPECT_EQ(j["data"][1]["error"], "not a validator of this cluster");
  ASSERT_EQ(f.calls.size(), 1u);  // the unknown key never reaches the workflow
  EXPECT_EQ(f.calls[0], (std::pair{f.pk(0), Epoch{5}}));
  // Persisted, owner-only.
  struct stat st {};
  ASSERT_EQ(::stat(f.options.exits_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto e = f.entry(f.pk(0), 5);
  EXPECT_EQ(e["requested"], true);
  EXPECT_EQ(e["partials"], ssz::Json::array({2}));
  EXPECT_EQ(e["status"], "waiting_for_peers");
}

// The same exit requested twice: asked of the workflow again (which ignores an identical own partial), one record
// entry and one exits.json entry, not two.
TEST(OperatorApi, ARepeatedPostRequestsAgainButKeepsOneEntry) {
  Fixture f;
  f.at_epoch(5);
  const std::string body = R"({"pubkeys":[")" + to_hex(f.pk(0)) + R"("]})";
  f.post(body);
  auto j = f.post(body);
  EXPECT_EQ(j["data"][0]["ok"], true);
  ASSERT_EQ(f.calls.size(), 2u);
  EXPECT_EQ(f.calls[1], (std::pair{f.pk(0), Epoch{5}}));
  auto count = [&] {
    const ssz::Json all = f.api->list();
    std::size_t n = 0;
    for (const auto& e : all["data"]) n += e["pubkey"] == to_hex(f.pk(0)) ? 1 : 0;
    return n;
  };
  EXPECT_EQ(count(), 1u);
  // A restart reads one stored exit, not two.
  f.make();
  ASSERT_TRUE(f.api->load());
  EXPECT_EQ(count(), 1u);
}

TEST(OperatorApi, PostAllAndTheWorkflowsRefusalsAreReportedPerValidator) {
  Fixture f;
  f.at_epoch(3);
  f.answer = [&](const PubKey& pk) -> Result<void> {
    if (pk == f.pk(1)) return std::unexpected(make_error_code(core::CoreError::kUnknownPubkey));
    return {};
  };
  auto j = f.post(R"({"all":true,"epoch":2})");
  EXPECT_EQ(j["epoch"], "2");
  ASSERT_EQ(j["data"].size(), 3u);
  int ok = 0;
  for (const auto& d : j["data"]) {
    if (d["ok"] == true) ++ok;
    if (d["pubkey"] == to_hex(f.pk(1))) {
      EXPECT_NE(d["error"].get<std::string>().find("does not list"), std::string::npos);
    }
  }
  EXPECT_EQ(ok, 2);
}

TEST(OperatorApi, PostRefusesFutureEpochsBadBodiesAndVcMode) {
  Fixture f;
  f.at_epoch(3);
  auto j = f.post(R"({"all":true,"epoch":"4"})", 400);
  EXPECT_NE(j["message"].get<std::string>().find("future"), std::string::npos);
  f.post("{", 400);
  f.options.embedded = false;
  f.make();
  j = f.post(R"({"all":true})", 400);
  EXPECT_NE(j["message"].get<std::string>().find("validator client"), std::string::npos);
  EXPECT_TRUE(f.calls.empty());
}

TEST(OperatorApi, RecordFollowsPartialsSubmissionAndFailure) {
  Fixture f;
  f.at_epoch(4);
  f.post(R"({"pubkeys":[")" + to_hex(f.pk(0)) + R"("]})");
  const core::Duty duty{Slot{4 * f.chain.slots_per_epoch}, core::DutyType::kExit};
  f.api->on_partial(duty, f.pk(0), partial_from(1));
  f.api->on_partial(duty, f.pk(0), partial_from(9));  // no such share: ignored
  EXPECT_EQ(f.entry(f.pk(0), 4)["status"], "waiting_for_peers");
  f.api->on_partial(duty, f.pk(0), partial_from(4));
  EXPECT_EQ(f.entry(f.pk(0), 4)["partials"], ssz::Json::array({1, 2, 4}));
  EXPECT_EQ(f.entry(f.pk(0), 4)["status"], "threshold_reached");
  f.api->on_submitted(f.pk(0), Epoch{4}, "");
  EXPECT_EQ(f.entry(f.pk(0), 4)["status"], "submitted");
  EXPECT_EQ(f.entry(f.pk(0), 4)["submitted"], true);
  // A peer's request this node did not make, and its duty failing elsewhere, stay apart.
  f.api->on_partial(duty, f.pk(1), partial_from(3));
  EXPECT_EQ(f.entry(f.pk(1), 4)["status"], "requested_by_peers");
  EXPECT_EQ(f.entry(f.pk(1), 4)["requested"], false);
  f.post(R"({"pubkeys":[")" + to_hex(f.pk(2)) + R"("]})");
  core::DutyResult res;
  res.report.duty = duty;
  res.report.reason = "expired";
  f.api->on_result(res);
  EXPECT_EQ(f.entry(f.pk(2), 4)["status"], "failed");
  EXPECT_EQ(f.entry(f.pk(2), 4)["error"], "expired");
  EXPECT_EQ(f.entry(f.pk(0), 4)["status"], "submitted");
  // Partials of far epochs and of other duty types are not recorded.
  f.api->on_partial(core::Duty{Slot{40 * f.chain.slots_per_epoch}, core::DutyType::kExit}, f.pk(0),
                    partial_from(1));
  f.api->on_partial(core::Duty{duty.slot, core::DutyType::kAttester}, f.pk(1), partial_from(1));
  EXPECT_TRUE(f.entry(f.pk(0), 40).is_null());
  EXPECT_EQ(f.entry(f.pk(1), 4)["partials"], ssz::Json::array({3}));
}

TEST(OperatorApi, RecordIsBounded) {
  Fixture f;
  f.options.max_records = 2;
  f.make();
  f.at_epoch(10);
  for (std::uint64_t e : {9u, 10u, 11u})
    f.api->on_partial(core::Duty{Slot{e * f.chain.slots_per_epoch}, core::DutyType::kExit}, f.pk(0),
                      partial_from(1));
  EXPECT_EQ(f.api->list()["data"].size(), 2u);
  EXPECT_TRUE(f.entry(f.pk(0), 9).is_null());  // the lowest epoch went first
}

TEST(OperatorApi, RestartRequestsStoredExitsAgainOnceTheValidatorsAreKnown) {
  Fixture f;
  f.at_epoch(6);
  f.post(R"({"pubkeys":[")" + to_hex(f.pk(0)) + R"(",")" + to_hex(f.pk(1)) + R"("],"epoch":"5"})");
  f.calls.clear();
  // A restart: a fresh object over the same file. The workflow does not know the validators yet.
  bool resolved = false;
  f.answer = [&](const PubKey&) -> Result<void> {
    if (!resolved) return std::unexpected(make_error_code(core::CoreError::kUnknownPubkey));
    return {};
  };
  f.make();
  ASSERT_TRUE(f.api->load());
  EXPECT_EQ(f.entry(f.pk(0), 5)["status"], "pending_restart");
  EXPECT_EQ(f.api->retry_pending(), 2u);
  resolved = true;
  EXPECT_EQ(f.api->retry_pending(), 0u);
  EXPECT_EQ(f.calls.size(), 4u);
  EXPECT_EQ(f.calls.back().second, Epoch{5});
  EXPECT_EQ(f.entry(f.pk(0), 5)["restored"], true);
  EXPECT_EQ(f.entry(f.pk(0), 5)["status"], "waiting_for_peers");
}

TEST(OperatorApi, RestartDropsExpiredExitsAndRefusesABadFile) {
  Fixture f;
  f.at_epoch(6);
  f.post(R"({"pubkeys":[")" + to_hex(f.pk(0)) + R"("]})");
  f.calls.clear();
  f.at_epoch(8);  // the exit duty of epoch 6 lived until the end of epoch 7
  f.make();
  ASSERT_TRUE(f.api->load());
  EXPECT_EQ(f.api->retry_pending(), 0u);
  EXPECT_TRUE(f.calls.empty());
  EXPECT_EQ(f.entry(f.pk(0), 6)["status"], "not_requested");
  EXPECT_NE(f.entry(f.pk(0), 6)["error"].get<std::string>().find("later --exit-epoch"), std::string::npos);
  std::ofstream(f.options.exits_file) << "{\"version\":1,\"exits\":[{}]}";
  f.make();
  auto bad = f.api->load();
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().find("exits.json"), std::string::npos);
  EXPECT_NE(bad.error().find("exits[0]"), std::string::npos);
  // Above its 16-MiB cap the file is refused before it is read (a sparse file), naming it.
  std::filesystem::resize_file(f.options.exits_file, (16u << 20) + 1);
  f.make();
  auto big = f.api->load();
  ASSERT_FALSE(big);
  EXPECT_NE(big.error().find("exits.json"), std::string::npos) << big.error();
}

TEST(OperatorApi, RoutesAnswer403UnlessLoopbackAnd415WithoutJson) {
  Fixture f;
  beaconapi::http::Router router;
  f.api->add_routes(router);
  boost::asio::io_context io;
  auto run = [&](beaconapi::http::Request req) {
    beaconapi::http::Response out;
    boost::asio::co_spawn(io, router.dispatch(req),
                          [&](std::exception_ptr, beaconapi::http::Response r) { out = r; });
    io.run();
    io.restart();
    return out;
  };
  beaconapi::http::Request post;
  post.method = beaconapi::http::Method::kPost;
  post.path = "/phalanx/v1/exits";
  post.content_type = "text/plain";
  post.body = R"({"all":true})";
  EXPECT_EQ(run(post).status, 415u);
  beaconapi::http::Request get;
  get.path = "/phalanx/v1/exits";
  EXPECT_EQ(run(get).status, 200u);
  f.options.loopback = false;
  f.make();
  beaconapi::http::Router closed;
  f.api->add_routes(closed);
  beaconapi::http::Response r;
  boost::asio::co_spawn(io, closed.dispatch(get),
                        [&](std::exception_ptr, beaconapi::http::Response x) { r = x; });
  io.run();
  EXPECT_EQ(r.status, 403u);
  EXPECT_TRUE(f.calls.empty());
}

// ---------------------------------------------------------------- duties and explanations

core::DutyResult duty_result(std::uint64_t slot, core::DutyType type, bool ok) {
  core::DutyResult r;
  r.report.duty = core::Duty{Slot{slot}, type};
  r.report.success = ok;
  r.report.last_step = ok ? core::Step::kBroadcast : core::Step::kDecided;
  r.report.finished = std::chrono::seconds(5);
  r.validators = 3;
  // Share 2 (this node) and 3 signed; 1 and 4 did not.
  r.report.partials = {core::PartialArrival{ShareIdx{2}, std::chrono::milliseconds(4300), 3, false},
                       core::PartialArrival{ShareIdx{3}, std::chrono::milliseconds(4450), 3, false}};
  if (!ok) {
    r.report.failed_step = core::Step::kPartialsIn;
    r.report.reason = "expired";
    r.report.code = core::Reason::kInsufficientPeerPartials;
    r.report.missing = {ShareIdx{1}, ShareIdx{4}};
  }
  return r;
}

TEST(OperatorApiDuties, ListsFiltersAndExplainsRecentDuties) {
  Fixture f;
  f.api->set_peers([] {
    return std::vector<core::PeerView>{{false, {}, {}}, {true, {}, {}}, {true, 4.0, 2.0}, {true, 9.0, 0.5}};
  });
  for (std::uint64_t s = 1; s <= 4; ++s) f.api->on_result(duty_result(s, core::DutyType::kAttester, s != 3));
  auto list = f.api->list_duties({{"outcome", "failed"}});
  ASSERT_EQ(list.status, 200u) << list.body;
  auto j = *ssz::parse_json(list.body);
  ASSERT_EQ(j["data"].size(), 1u);
  EXPECT_EQ(j["data"][0]["slot"], 3);
  EXPECT_EQ(j["data"][0]["reason"], "insufficient_peer_partials");
  EXPECT_EQ(j["data"][0]["verdict"], "cluster");
  EXPECT_EQ(j["memory"]["duties"], 4);

  auto bad = f.api->list_duties({{"type", "nope"}});
  EXPECT_EQ(bad.status, 400u);
  EXPECT_NE(bad.body.find("type: unknown duty type"), std::string::npos) << bad.body;
  EXPECT_EQ(f.api->list_duties({{"from_slot", "x"}}).status, 400u);

  auto ex = f.api->explain_duty("3", "attester", {});
  ASSERT_EQ(ex.status, 200u) << ex.body;
  j = *ssz::parse_json(ex.body);
  EXPECT_EQ(j["verdict"], "cluster");
  EXPECT_EQ(j["operators_named"], ssz::Json::array({0, 3}));  // shares 1 and 4
  EXPECT_EQ(j["operators"][0]["partial"], "missing");
  EXPECT_EQ(j["operators"][0]["connected"], false);
  EXPECT_EQ(j["operators"][1]["self"], true);
  EXPECT_EQ(j["operators"][2]["delay_ms"], 150.0);
  EXPECT_EQ(j["source"], "memory");
  EXPECT_EQ(f.api->explain_duty("3", "attester", {{"validator", "bad"}}).status, 400u);
  EXPECT_EQ(f.api->explain_duty("3", "attestor", {}).status, 400u);
  auto missing = f.api->explain_duty("99", "attester", {});
  EXPECT_EQ(missing.status, 404u);
  EXPECT_NE(missing.body.find("--duty-report-file"), std::string::npos) << missing.body;

  // A partial of a finished duty arrives: share 4 is late (1.5 s after the duty finished here).
  const core::Duty d2{Slot{2}, core::DutyType::kAttester};
  f.clock.set(TimePoint(std::chrono::seconds(kGenesis + 2 * f.chain.seconds_per_slot)) + std::chrono::milliseconds(6500));
  f.api->on_partial(d2, f.pk(0), partial_from(4));
  j = *ssz::parse_json(f.api->explain_duty("2", "attester", {}).body);
  EXPECT_EQ(j["operators"][3]["partial"], "late");
  EXPECT_EQ(j["operators"][3]["late_ms"], 1500.0);
  EXPECT_EQ(j["operators"][0]["partial"], "missing");
}

TEST(OperatorApiDuties, OlderDutiesComeFromTheReportFile) {
  Fixture f;
  f.options.duty_report_file = f.dir.path / "duties.jsonl";
  f.options.duty_log_capacity = 2;
  f.make();
  {
    std::ofstream out(*f.options.duty_report_file);
    // Lines that do not parse (cut JSON, JSON of another shape, garbage, a torn last line) are skipped.
    for (std::uint64_t s = 1; s <= 5; ++s) {
      out << core::to_json_line(duty_result(s, core::DutyType::kAttester, s != 2)) << "\n";
      if (s == 2) out << "{\"slot\": 3, \"duty\":\n" << "[1,2,3]\n" << "{\"slot\":\"x\",\"duty\":\"attester\"}\n";
    }
    out << "garbage line\n" << "{\"slot\":9";
  }
  for (std::uint64_t s = 4; s <= 5; ++s) f.api->on_result(duty_result(s, core::DutyType::kAttester, true));
  auto list = f.api->list_duties({});
  auto j = *ssz::parse_json(list.body);
  ASSERT_EQ(j["data"].size(), 5u) << list.body;  // 1-3 from the file, 4-5 from memory
  EXPECT_EQ(j["data"][0]["source"], "file");
  EXPECT_EQ(j["from_file"], 3);
  EXPECT_FALSE(j["data"][4].contains("source"));
  j = *ssz::parse_json(f.api->list_duties({{"limit", "2"}}).body);
  EXPECT_EQ(j["data"].size(), 2u);
  EXPECT_EQ(j["data"][0]["slot"], 4);
  auto ex = f.api->explain_duty("2", "attester", {});
  ASSERT_EQ(ex.status, 200u) << ex.body;
  j = *ssz::parse_json(ex.body);
  EXPECT_EQ(j["source"], "file");
  EXPECT_EQ(j["reason"]["code"], "insufficient_peer_partials");
}

TEST(OperatorApiDuties, RoutesAnswerOnAnyMonitoringAddress) {
  Fixture f;
  f.options.loopback = false;  // read-only duty routes are served like /metrics
  f.make();
  f.api->on_result(duty_result(7, core::DutyType::kProposer, false));
  beaconapi::http::Router router;
  f.api->add_routes(router);
  boost::asio::io_context io;
  auto run = [&](std::string path, std::multimap<std::string, std::string> query = {}) {
    beaconapi::http::Request req;
    req.path = std::move(path);
    req.query = std::move(query);
    beaconapi::http::Response out;
    boost::asio::co_spawn(io, router.dispatch(req), [&](std::exception_ptr, beaconapi::http::Response r) { out = r; });
    io.run();
    io.restart();
    return out;
  };
  EXPECT_EQ(run("/api/v1/duties").status, 200u);
  EXPECT_EQ(run("/api/v1/duties/7/proposer/explain").status, 200u);
  EXPECT_EQ(run("/api/v1/duties/7/proposer/explain", {{"validator", "x"}}).status, 400u);
  EXPECT_EQ(run("/api/v1/duties/-1/proposer/explain").status, 400u);
  EXPECT_EQ(run("/phalanx/v1/exits").status, 403u);
}

}  // namespace
}  // namespace phx::app
