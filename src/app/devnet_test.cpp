#include "app/devnet.hpp"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace phx::app {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

TEST(DevnetOptions, DefaultsAreValid) { EXPECT_TRUE(validate(DevnetOptions{})); }

TEST(DevnetOptions, RejectsBadCombinations) {
  auto bad = [](auto mutate, const std::string& needle) {
    DevnetOptions o;
    mutate(o);
    auto r = validate(o);
    ASSERT_FALSE(r) << needle;
    EXPECT_NE(r.error().find(needle), std::string::npos) << r.error();
  };
  bad([](DevnetOptions& o) { o.nodes = 0; }, "--nodes");
  bad([](DevnetOptions& o) { o.threshold = 5; }, "--threshold 5 must be between 1 and --nodes (4)");
  bad([](DevnetOptions& o) { o.threshold = 2; }, "not a majority");
  bad([](DevnetOptions& o) { o.validators = 0; }, "--validators");
  bad([](DevnetOptions& o) { o.slots = 0; }, "--slots");
  bad([](DevnetOptions& o) { o.slot_duration = milliseconds(100); }, "at least 500ms");
  bad([](DevnetOptions& o) { o.slot_duration = milliseconds(1500); }, "whole number of seconds");
  bad(
      [](DevnetOptions& o) {
        o.nodes = 3;
        o.threshold = 3;
        o.fault = DevnetFault::kCrashOne;
      },
      "leaves 2 honest nodes");
  bad(
      [](DevnetOptions& o) {
        o.builder = true;
        o.fork = eth::Fork::kAltair;
      },
      "--builder needs");
}

TEST(DutyLines, ParsesTheDocumentedFormat) {
  auto d = parse_duty_line(
      R"({"slot":"17","duty":"attester","success":false,"last_step":"decided","failed_step":"partials_in",)"
      R"("reason":"expired","missing":[4],"blamed":[2,3],"validators":7,"consensus_ms":12.5,"e2e_ms":80,"extra":1})");
  ASSERT_TRUE(d) << d.error();
  EXPECT_EQ(d->slot, 17u);
  EXPECT_EQ(d->duty, "attester");
  EXPECT_FALSE(d->success);
  EXPECT_EQ(d->reason, "expired");
  EXPECT_EQ(d->blamed, (std::vector<std::uint32_t>{2, 3}));
  EXPECT_EQ(d->validators, 7u);
  EXPECT_DOUBLE_EQ(*d->consensus_ms, 12.5);
  EXPECT_DOUBLE_EQ(*d->e2e_ms, 80.0);
  auto n = parse_duty_line(R"({"slot":3,"duty":"proposer","success":true})");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->slot, 3u);
  EXPECT_FALSE(n->consensus_ms);
}

TEST(DutyLines, TakesTheBroadcastTimeFromTheTimelineAndTimesEachDutyType) {
  auto d = parse_duty_line(
      R"({"slot":5,"duty":"attester","success":true,"consensus_ms":300,"timeline":[{"t_ms":12,"event":"scheduled"},)"
      R"({"t_ms":"x","event":"broadcast"},{"event":"broadcast"},7,{"t_ms":1420.5,"event":"broadcast"}]})");
  ASSERT_TRUE(d) << d.error();
  ASSERT_TRUE(d->broadcast_ms);  // malformed timeline entries are skipped, not fatal
  EXPECT_DOUBLE_EQ(*d->broadcast_ms, 1420.5);
  EXPECT_FALSE(parse_duty_line(R"({"slot":5,"duty":"attester","success":true,"timeline":{}})")->broadcast_ms);

  ReportInputs in;
  in.expected = {{"attestation", {1, true}}};
  in.accepted = {{"attestation", 4}};
  in.node_lines.resize(4);
  in.node_faulty.assign(4, false);
  for (std::size_t n = 0; n < 4; ++n) {
    DutyLine l = *d;
    l.consensus_ms = 100.0 * static_cast<double>(n + 1);
    l.broadcast_ms = 1000.0 + static_cast<double>(n);
    l.validators = 1;
    in.node_lines[n].push_back(l);
  }
  auto r = build_report(in);
  ASSERT_TRUE(r.timing.contains("attester"));
  EXPECT_EQ(r.timing["attester"].consensus_ms.count, 4u);
  EXPECT_DOUBLE_EQ(r.timing["attester"].consensus_ms.p50, 200.0);
  EXPECT_DOUBLE_EQ(r.timing["attester"].broadcast_ms.max, 1003.0);
  r.link_delay_ms = 100;
  const auto table = render_table(r);
  EXPECT_NE(table.find("2.00 /"), std::string::npos) << table;  // 200 ms = 2 d
  EXPECT_EQ(report_to_json(r)["timing_by_duty"]["attester"]["broadcast_in_slot_ms"]["p50"].get<double>(), 1001.0);
}

TEST(DutyLines, TimesConsensusFromTheLastNodesStartPerDutyInstance) {
  auto d = parse_duty_line(
      R"({"slot":5,"duty":"sync_contribution","subcommittee":2,"success":true,"consensus_ms":300,)"
      R"("timeline":[{"t_ms":10,"event":"consensus_start"},{"t_ms":150,"event":"decided"}]})");
  ASSERT_TRUE(d) << d.error();
  EXPECT_EQ(d->subcommittee, 2u);
  ASSERT_TRUE(d->consensus_start_ms && d->decided_ms);
  EXPECT_DOUBLE_EQ(*d->consensus_start_ms, 10.0);
  EXPECT_DOUBLE_EQ(*d->decided_ms, 150.0);

  ReportInputs in;
  in.expected = {{"sync_contribution", {2, true}}};
  in.accepted = {{"sync_contribution", 2}};
  in.node_lines.resize(4);
  in.node_faulty.assign(4, false);
  const double starts[4] = {10, 50, 30, 20}, decided[4] = {150, 160, 170, 155};
  for (std::size_t n = 0; n < 4; ++n) {
    DutyLine l = *d;
    l.consensus_start_ms = starts[n];
    l.decided_ms = decided[n];
    in.node_lines[n].push_back(l);
    l.subcommittee = 3;  // another instance of the same slot: its own last start (0 → decided 40 at every node)
    l.consensus_start_ms = 0;
    l.decided_ms = 40;
    in.node_lines[n].push_back(l);
  }
  auto r = build_report(in);
  const auto& t = r.timing["sync_contribution"].after_last_start_ms;
  EXPECT_EQ(t.count, 8u);
  EXPECT_DOUBLE_EQ(t.p50, 40.0);   // 40 ×4, then 100, 105, 110, 120 (decided − 50)
  EXPECT_DOUBLE_EQ(t.max, 120.0);
  EXPECT_DOUBLE_EQ(r.after_last_start_ms.p90, 120.0);  // nearest rank: the 8th of 8
  EXPECT_EQ(report_to_json(r)["latency_ms"]["consensus_after_last_start"]["max"].get<double>(), 120.0);
}

TEST(DutyLines, RejectsMalformedLines) {
  for (const char* bad : {"", "{", "[]", R"({"duty":"attester","success":true})",
                          R"({"slot":-1,"duty":"attester","success":true})",
                          R"({"slot":"1x","duty":"attester","success":true})", R"({"slot":1,"success":true})",
                          R"({"slot":1,"duty":"","success":true})", R"({"slot":1,"duty":"attester","success":"yes"})"})
    EXPECT_FALSE(parse_duty_line(bad)) << bad;
  std::size_t bad_lines = 0;
  auto lines = parse_duty_lines(
      "{\"slot\":1,\"duty\":\"attester\",\"success\":true}\n\ngarbage\n{\"slot\":2,\"duty\":\"attester\","
      "\"success\":true}\n{\"slot\":3,\"duty\"",
      &bad_lines);
  EXPECT_EQ(lines.size(), 2u);
  EXPECT_EQ(bad_lines, 2u);  // "garbage" and the torn last line (a node killed mid-write)
}

TEST(Percentiles, NearestRank) {
  std::vector<double> v;
  for (int i = 100; i >= 1; --i) v.push_back(i);
  auto p = percentiles(v);
  EXPECT_EQ(p.count, 100u);
  EXPECT_DOUBLE_EQ(p.p50, 50);
  EXPECT_DOUBLE_EQ(p.p90, 90);
  EXPECT_DOUBLE_EQ(p.p99, 99);
  EXPECT_DOUBLE_EQ(p.max, 100);
  auto one = percentiles({7});
  EXPECT_DOUBLE_EQ(one.p50, 7);
  EXPECT_DOUBLE_EQ(one.p99, 7);
  EXPECT_EQ(percentiles({}).count, 0u);
}

DutyLine line(std::uint64_t slot, std::string duty, bool ok, std::string reason = "", double c = 10, double e = 100,
              std::uint64_t validators = 1) {
  DutyLine d;
  d.slot = slot;
  d.duty = std::move(duty);
  d.success = ok;
  d.reason = std::move(reason);
  d.consensus_ms = c;
  d.e2e_ms = e;
  d.validators = validators;
  return d;
}

/// Four honest nodes that each broadcast: 2 slots × 32 attesters, 2 proposals, 3 aggregators.
ReportInputs healthy_inputs() {
  ReportInputs in;
  in.expected = {{"attestation", {64, true}}, {"proposal", {2, true}}, {"aggregation", {8, false}}};
  in.accepted = {{"attestation", 4 * 64}, {"proposal", 4 * 2}, {"aggregation", 4 * 3}};
  in.node_lines.resize(4);
  for (std::size_t n = 0; n < 4; ++n) {
    for (std::uint64_t s = 0; s < 2; ++s) {
      in.node_lines[n].push_back(line(s, "attester", true, "", 10.0 + static_cast<double>(n), 100, 32));
      in.node_lines[n].push_back(line(s, "proposer", true, "", 10.0 + static_cast<double>(n), 100));
      in.node_lines[n].push_back(line(s, "randao", true));
    }
    in.node_lines[n].push_back(line(1, "aggregator", true, "", 10, 100, 3));
  }
  in.node_faulty.assign(4, false);
  return in;
}

TEST(DevnetReport, AllCompletedIsOk) {
  auto r = build_report(healthy_inputs());
  EXPECT_TRUE(r.ok) << render_table(r);
  ASSERT_EQ(r.rows.size(), 3u);
  EXPECT_EQ(r.rows[0].duty, "aggregation");  // map order
  EXPECT_FALSE(r.rows[0].exact);
  EXPECT_EQ(r.rows[0].completed, 3u);
  EXPECT_EQ(r.rows[0].failed, 0u);  // an upper bound is not a shortfall
  EXPECT_EQ(r.rows[1].completed, 64u);  // validators of distinct (slot, duty), not once per node
  EXPECT_EQ(r.rows[1].sim_accepted, 256u);
  EXPECT_EQ(r.rows[2].completed, 2u);
  // 4 nodes x (2 attester + 2 proposer + 1 aggregator); randao (an internal step) is not sampled.
  EXPECT_EQ(r.consensus_ms.count, 20u);
  EXPECT_DOUBLE_EQ(r.consensus_ms.max, 13);
}

TEST(DevnetReport, FailuresOfAWarnOnlyKindAreWarnings) {
  auto in = healthy_inputs();
  in.node_lines[0].push_back(line(0, "aggregator", false, "expired"));  // aggregation is a bounded row here
  EXPECT_FALSE(build_report(in).ok);
  in.failures_warn_only.insert("aggregation");
  auto r = build_report(in);
  EXPECT_TRUE(r.ok) << render_table(r);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings[0].find("aggregation: an honest node reported 1 failed duties"), std::string::npos);
}

TEST(DevnetReport, ShortfallFailsWithTheNodesReason) {
  auto in = healthy_inputs();
  for (auto& lines : in.node_lines) lines.erase(lines.begin());  // slot 0 attester missing everywhere
  in.node_lines[0].push_back(line(0, "attester", false, "expired at partials_in, missing shares 3,4"));
  in.node_lines[1].push_back(line(0, "attester", false, "expired at partials_in, missing shares 3,4"));
  auto r = build_report(in);
  EXPECT_FALSE(r.ok);
  const auto& att = r.rows[1];
  EXPECT_EQ(att.duty, "attestation");
  EXPECT_EQ(att.completed, 32u);
  EXPECT_EQ(att.failed, 32u);
  ASSERT_EQ(att.reasons.size(), 1u);  // de-duplicated across nodes
  ASSERT_FALSE(r.problems.empty());
  EXPECT_NE(r.problems[0].find("32 of 64 not completed (slot 0 attester: expired at partials_in"), std::string::npos)
      << r.problems[0];
  auto table = render_table(r);
  EXPECT_NE(table.find("FAILED"), std::string::npos);
  EXPECT_NE(table.find("attestation"), std::string::npos);
}

TEST(DevnetReport, AShortfallWithinTheToleranceIsAWarning) {
  auto in = healthy_inputs();
  for (auto& lines : in.node_lines) lines.erase(lines.begin());  // slot 0 attester (32 validators) missing
  in.missing_tolerance = 0.01;  // 32 of 66 exact duties: far above 1 %
  EXPECT_FALSE(build_report(in).ok);
  in.missing_tolerance = 0.5;
  auto r = build_report(in);
  EXPECT_TRUE(r.ok) << render_table(r);
  EXPECT_EQ(r.rows[1].failed, 32u) << "still counted";
  bool listed = false;
  for (const auto& w : r.warnings) listed = listed || w.find("within the tolerance") != std::string::npos;
  EXPECT_TRUE(listed);
}

TEST(DevnetReport, FaultyNodesAreIgnoredButRejectionsAndOverclaimsAreNot) {
  auto in = healthy_inputs();
  in.node_faulty[3] = true;
  in.node_lines[3].push_back(line(1, "proposer", false, "killed"));
  in.node_lines[3].push_back(line(7, "proposer", true));  // a faulty node's claims do not count either
  EXPECT_TRUE(build_report(in).ok) << render_table(build_report(in));
  in.rejected["proposal"] = 1;
  auto r = build_report(in);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.problems.at(0).find("rejected by the beacon simulator"), std::string::npos);
  auto in2 = healthy_inputs();
  in2.node_lines[0].push_back(line(5, "proposer", true));  // more than expected
  auto r2 = build_report(in2);
  EXPECT_FALSE(r2.ok);
  EXPECT_NE(r2.problems.at(0).find("only 2 were expected"), std::string::npos) << r2.problems.at(0);
  auto in3 = healthy_inputs();
  in3.node_lines[2].push_back(line(1, "prepare_aggregator", false, "no quorum"));
  auto r3 = build_report(in3);
  EXPECT_FALSE(r3.ok);  // an internal step failing on an honest node is a problem too
  EXPECT_NE(r3.problems.at(0).find("prepare_aggregator"), std::string::npos);
  auto in4 = healthy_inputs();
  in4.accepted["proposal"] = 1;  // the nodes claim 2 proposals, the simulator saw 1
  auto r4 = build_report(in4);
  EXPECT_FALSE(r4.ok);
  EXPECT_NE(r4.problems.at(0).find("accepted only 1"), std::string::npos) << r4.problems.at(0);
  auto in6 = healthy_inputs();
  in6.node_lines[1].push_back(line(1, "proposer", false, "submit: refused"));  // node 0 completed slot 1's
  auto r6 = build_report(in6);
  EXPECT_TRUE(r6.ok) << render_table(r6);
  ASSERT_EQ(r6.warnings.size(), 1u);
  EXPECT_NE(r6.warnings[0].find("node 1: slot 1 proposer: submit: refused (another node completed it)"),
            std::string::npos)
      << r6.warnings[0];
  EXPECT_NE(render_table(r6).find("warnings (1)"), std::string::npos);
  auto in5 = healthy_inputs();
  in5.accepted["aggregation"] = 2;  // bounded row: the nodes' count may include unselected validators
  EXPECT_TRUE(build_report(in5).ok);
}

TEST(DevnetReport, JsonHasRowsLatenciesAndExtras) {
  auto r = build_report(healthy_inputs());
  r.extra["options"] = {{"nodes", 4}};
  auto j = report_to_json(r);
  EXPECT_TRUE(j["ok"].get<bool>());
  ASSERT_EQ(j["duties"].size(), 3u);
  EXPECT_EQ(j["duties"][1]["duty"], "attestation");
  EXPECT_EQ(j["duties"][1]["completed"], 64);
  EXPECT_EQ(j["duties"][1]["sim_accepted"], 256);
  EXPECT_EQ(j["latency_ms"]["end_to_end"]["p50"], 100.0);
  EXPECT_EQ(j["options"]["nodes"], 4);
}

TEST(DevnetReport, DutyKinds) {
  EXPECT_EQ(sim_kind_of_duty("attester"), "attestation");
  EXPECT_EQ(sim_kind_of_duty("builder_proposer"), "proposal");
  EXPECT_EQ(sim_kind_of_duty("sync_contribution"), "sync_contribution");
  EXPECT_EQ(sim_kind_of_duty("randao"), "");
  EXPECT_EQ(sim_kind_of_duty("prepare_sync_contribution"), "");
}

fs::path temp_file(const std::string& name) {
  return fs::temp_directory_path() / ("phx_devnet_test_" + std::to_string(::getpid()) + "_" + name);
}

std::string slurp(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

TEST(ChildProcess, RunsToCompletionWithLogAndEnv) {
  auto log = temp_file("log1");
  std::vector<std::string> argv = {"/bin/sh", "-c", "echo out-$PHX_TEST_VAR; echo err >&2; exit 3"};
  std::vector<std::string> env = {"PHX_TEST_VAR=42"};
  auto c = ChildProcess::spawn(argv, log, env);
  ASSERT_TRUE(c) << c.error();
  while (c->running()) std::this_thread::sleep_for(milliseconds(5));
  ASSERT_TRUE(c->exit_status());
  EXPECT_EQ(describe_status(*c->exit_status()), "exited 3");
  EXPECT_EQ(slurp(log), "out-42\nerr\n");
  fs::remove(log);
}

TEST(ChildProcess, InheritsNoDescriptorButStdio) {
  // An open descriptor of the parent (not close-on-exec, like Asio's sockets) must not reach the child.
  auto log = temp_file("log5");
  int fd = ::open("/dev/null", O_RDONLY);
  ASSERT_GE(fd, 3);
  std::vector<std::string> argv = {"/bin/sh", "-c", "[ -e /proc/self/fd/" + std::to_string(fd) + " ] && echo leaked || echo closed"};
  auto c = ChildProcess::spawn(argv, log);
  ASSERT_TRUE(c) << c.error();
  while (c->running()) std::this_thread::sleep_for(milliseconds(5));
  ::close(fd);
  EXPECT_EQ(slurp(log), "closed\n");
  fs::remove(log);
}

TEST(ChildProcess, StopEscalatesFromTermToKill) {
  auto log = temp_file("log2");
  // Ignores SIGTERM: stop() must fall back to SIGKILL after the grace period.
  std::vector<std::string> argv = {"/bin/sh", "-c", "trap '' TERM; echo ready; while :; do sleep 0.05; done"};
  auto c = ChildProcess::spawn(argv, log);
  ASSERT_TRUE(c) << c.error();
  for (int i = 0; i < 200 && slurp(log).find("ready") == std::string::npos; ++i)
    std::this_thread::sleep_for(milliseconds(10));
  EXPECT_TRUE(c->running());
  int st = c->stop(milliseconds(200));
  EXPECT_EQ(describe_status(st), "killed by SIGKILL");
  EXPECT_FALSE(c->running());
  fs::remove(log);
}

TEST(ChildProcess, GracefulStopAndDestructorKill) {
  auto log = temp_file("log3");
  std::vector<std::string> argv = {"/bin/sleep", "30"};
  auto a = ChildProcess::spawn(argv, log);
  ASSERT_TRUE(a);
  EXPECT_EQ(describe_status(a->stop(milliseconds(2000))), "killed by SIGTERM");
  pid_t pid = 0;
  {
    auto b = ChildProcess::spawn(argv, log);
    ASSERT_TRUE(b);
    pid = b->pid();
    EXPECT_EQ(::kill(pid, 0), 0);
  }
  EXPECT_NE(::kill(pid, 0), 0);  // killed and reaped by the destructor
  fs::remove(log);
}

TEST(ChildProcess, DiesWithItsParent) {
  // A middle process spawns a grandchild through ChildProcess and is then SIGKILLed (no destructor runs):
  // PR_SET_PDEATHSIG must take the grandchild down.
  auto log = temp_file("log4");
  auto pidfile = temp_file("pid4");
  int pipefd[2];
  ASSERT_EQ(::pipe(pipefd), 0);
  pid_t middle = ::fork();
  ASSERT_GE(middle, 0);
  if (middle == 0) {
    std::vector<std::string> argv = {"/bin/sleep", "30"};
    auto c = ChildProcess::spawn(argv, log);
    pid_t p = c ? c->pid() : -1;
    [[maybe_unused]] auto w = ::write(pipefd[1], &p, sizeof p);
    while (true) ::pause();
  }
  pid_t grandchild = -1;
  ASSERT_EQ(::read(pipefd[0], &grandchild, sizeof grandchild), static_cast<ssize_t>(sizeof grandchild));
  ASSERT_GT(grandchild, 0);
  ::kill(middle, SIGKILL);
  ::waitpid(middle, nullptr, 0);
  bool gone = false;
  for (int i = 0; i < 200 && !gone; ++i) {
    // The grandchild is re-parented to init (or a subreaper) and reaped there; a zombie counts as gone too.
    std::ifstream stat("/proc/" + std::to_string(grandchild) + "/stat");
    std::string s;
    std::getline(stat, s);
    gone = s.empty() || s.find(") Z") != std::string::npos;
    if (!gone) std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_TRUE(gone);
  ::close(pipefd[0]);
  ::close(pipefd[1]);
  fs::remove(log);
}

TEST(ChildProcess, ExecFailureIsReported) {
  auto log = temp_file("log5");
  std::vector<std::string> argv = {"/nonexistent/binary"};
  auto c = ChildProcess::spawn(argv, log);
  ASSERT_TRUE(c);
  while (c->running()) std::this_thread::sleep_for(milliseconds(5));
  EXPECT_EQ(describe_status(*c->exit_status()), "exited 127");
  EXPECT_NE(slurp(log).find("exec failed"), std::string::npos);
  EXPECT_FALSE(ChildProcess::spawn(argv, "/nonexistent/dir/log"));
  fs::remove(log);
}

}  // namespace
}  // namespace phx::app

namespace phx::app {
namespace {

TEST(RunDevnet, SupervisesChildrenAndReportsMissingDuties) {
  // A stand-in for the phalanx binary that records its arguments and then idles: the devnet must create the
  // cluster, start N nodes and N VCs with the right flags, stop them all at the end, and fail the report
  // because nothing was done.
  auto dir = temp_file("run");
  fs::remove_all(dir);
  fs::create_directories(dir / "bin");
  auto fake = dir / "bin" / "phalanx";
  std::ofstream(fake) << "#!/bin/sh\necho \"$@\" > \"$PHX_FAKE_ARGS_DIR/args-$$\"\nexec sleep 60\n";
  fs::permissions(fake, fs::perms::owner_all);
  ::setenv("PHX_FAKE_ARGS_DIR", (dir / "bin").c_str(), 1);
  DevnetOptions o;
  o.nodes = 3;
  o.threshold = 2;
  o.validators = 2;
  o.slots = 1;
  o.slot_duration = milliseconds(1000);
  o.genesis_delay = std::chrono::seconds(2);
  o.dir = dir / "work";
  o.report_file = dir / "report.json";
  o.phalanx_binary = fake;
  EXPECT_EQ(run_devnet(o), 1);
  // Cluster folders (kept after a failure).
  for (int i = 0; i < 3; ++i) {
    auto nd = dir / "work" / ("node" + std::to_string(i));
    EXPECT_TRUE(fs::exists(nd / "cluster-lock.json")) << nd;
    EXPECT_TRUE(fs::exists(nd / "charon-enr-private-key"));
    EXPECT_TRUE(fs::exists(nd / "validator_keys" / "keystore-1.json"));
    EXPECT_TRUE(fs::exists(nd / "validator_keys" / "keystore-1.txt"));
  }
  // Children and their flags.
  std::size_t runs = 0, vcs = 0;
  for (const auto& e : fs::directory_iterator(dir / "bin")) {
    if (e.path().filename().string().rfind("args-", 0) != 0) continue;
    auto args = slurp(e.path());
    if (args.rfind("run ", 0) == 0) {
      ++runs;
      EXPECT_NE(args.find("--duty-report-file"), std::string::npos) << args;
      EXPECT_NE(args.find("--p2p-peers 127.0.0.1:"), std::string::npos) << args;
      EXPECT_NE(args.find("--beacon-node-endpoints http://127.0.0.1:"), std::string::npos) << args;
      EXPECT_NE(args.find("--signer vc"), std::string::npos) << args;
    } else if (args.rfind("vc-sim ", 0) == 0) {
      ++vcs;
      EXPECT_NE(args.find("--last-slot 0"), std::string::npos) << args;
      EXPECT_NE(args.find("--keystores-dir"), std::string::npos) << args;
    }
  }
  EXPECT_EQ(runs, 3u);
  EXPECT_EQ(vcs, 3u);
  // The report: nothing completed, every child stopped.
  auto j = ssz::parse_json(slurp(dir / "report.json"));
  ASSERT_TRUE(j);
  EXPECT_FALSE((*j)["ok"].get<bool>());
  ASSERT_FALSE((*j)["problems"].empty());
  ASSERT_EQ((*j)["exit_status"].size(), 6u);
  for (const auto& [name, st] : (*j)["exit_status"].items())
    EXPECT_EQ(st.get<std::string>(), "killed by SIGTERM") << name;
  EXPECT_EQ((*j)["options"]["nodes"], 3);
  EXPECT_EQ((*j)["resources"].size(), 6u);  // CPU and peak RSS of every child, sampled before the stop
  EXPECT_GT((*j)["resources"]["node 0"]["peak_rss_mb"].get<double>(), 0.0);
  ::unsetenv("PHX_FAKE_ARGS_DIR");
  fs::remove_all(dir);
}

TEST(RunDevnet, SetupErrorsExitTwo) {
  DevnetOptions o;
  o.threshold = 9;
  EXPECT_EQ(run_devnet(o), 2);
  DevnetOptions missing;
  missing.phalanx_binary = "/nonexistent/phalanx";
  missing.dir = temp_file("missing");
  EXPECT_EQ(run_devnet(missing), 2);
  fs::remove_all(*missing.dir);
}

}  // namespace
}  // namespace phx::app
