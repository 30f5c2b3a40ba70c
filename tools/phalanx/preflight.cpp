// `phalanx test` suites (see preflight.hpp): each check measured over real connections, judged by thresholds.
#include "preflight.hpp"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <sys/timex.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <fmt/format.h>
#include <fstream>
#include <thread>

#include "app/cluster_setup.hpp"
#include "base/bytes.hpp"
#include "dv/frame.hpp"
#include "beaconapi/http/client.hpp"
#include "node_http.hpp"
#include "p2p/node.hpp"
#include "p2p/wire.hpp"
#include "runtime/runtime.hpp"

namespace phx::tools::preflight {

namespace http = beaconapi::http;
using ssz::Json;
using std::chrono::duration_cast;
using std::chrono::milliseconds;

const char* to_string(Verdict v) {
  switch (v) {
    case Verdict::kOk:
      return "ok";
    case Verdict::kWarn:
      return "warn";
    case Verdict::kFail:
      return "FAIL";
    case Verdict::kSkip:
      return "skip";
  }
  return "?";
}

namespace {

std::string ms(Duration d) {
  return fmt::format("{:.1f} ms", std::chrono::duration<double, std::milli>(d).count());
}

/// One timed HTTP exchange.
struct Timed {
  std::optional<http::ClientResponse> response;  ///< nullopt: no answer (error says why)
  std::string error;
  Duration latency{};
};

Timed timed(const http::Endpoint& ep, http::Method method, std::string target, std::string body, Duration timeout) {
  http::ClientRequest req;
  req.method = method;
  req.target = std::move(target);
  req.body = std::move(body);
  const auto t0 = std::chrono::steady_clock::now();
  auto r = blocking_request(ep, req, timeout);
  Timed out;
  out.latency = duration_cast<Duration>(std::chrono::steady_clock::now() - t0);
  if (r)
    out.response = std::move(*r);
  else
    out.error = r.error().message();
  return out;
}

/// The `data` object of a 2xx JSON answer, or nullopt.
std::optional<Json> data_of(const Timed& t) {
  if (!t.response || t.response->status / 100 != 2) return std::nullopt;
  auto j = ssz::parse_json(t.response->body);
  if (!j || !j->is_object() || !j->contains("data")) return std::nullopt;
  return (*j)["data"];
}

std::string why(const Timed& t) {
  if (!t.response) return t.error;
  return "HTTP " + std::to_string(t.response->status) + ": " + t.response->body.substr(0, 120);
}

std::optional<std::uint64_t> u64_field(const Json& j, const char* key) {
  if (!j.is_object() || !j.contains(key)) return std::nullopt;
  const Json& v = j[key];
  if (v.is_number_unsigned()) return v.get<std::uint64_t>();
  if (v.is_string()) {
    auto n = ssz::dec_to_u64(v.get<std::string>());
    if (n) return *n;
  }
  return std::nullopt;
}

/// A latency check: three calls, the median judged against `max`.
Check latency_check(std::string suite, std::string target, std::string name, const http::Endpoint& ep,
                    http::Method method, const std::string& path, const std::string& body, const Options& o) {
  Check c{std::move(suite), std::move(target), std::move(name), Verdict::kOk, "", ""};
  std::vector<Duration> seen;
  for (int i = 0; i < 3; ++i) {
    Timed t = timed(ep, method, path, body, o.timeout);
    if (!t.response || t.response->status / 100 != 2) {
      c.verdict = Verdict::kFail;
      c.detail = path + ": " + why(t);
      return c;
    }
    seen.push_back(t.latency);
  }
  std::sort(seen.begin(), seen.end());
  c.measured = ms(seen[1]);
  if (seen[1] > o.max_latency) {
    c.verdict = Verdict::kFail;
    c.detail = "median above " + ms(o.max_latency) + " (--max-latency)";
  }
  return c;
}

}  // namespace

// ---- beacon ----

std::vector<Check> test_beacon(const Options& o) {
  std::vector<Check> out;
  if (o.node.beacon_node_endpoints.empty())
    return {{"beacon", "-", "endpoints", Verdict::kFail, "", "no --beacon-node-endpoints given"}};
  for (const auto& url : o.node.beacon_node_endpoints) {
    auto ep = http::Endpoint::parse(url);
    if (!ep) {
      out.push_back({"beacon", url, "reachable", Verdict::kFail, "", "not an http://host:port URL"});
      continue;
    }
    Timed v = timed(*ep, http::Method::kGet, "/eth/v1/node/version", "", o.timeout);
    auto vd = data_of(v);
    if (!vd) {
      out.push_back({"beacon", url, "reachable", Verdict::kFail, "", "GET /eth/v1/node/version: " + why(v)});
      continue;
    }
    out.push_back({"beacon", url, "reachable", Verdict::kOk, ms(v.latency), ""});
    out.push_back({"beacon", url, "version", Verdict::kOk, vd->value("version", std::string("?")), ""});
    Timed s = timed(*ep, http::Method::kGet, "/eth/v1/node/syncing", "", o.timeout);
    auto sd = data_of(s);
    std::uint64_t head = 0;
    if (!sd) {
      out.push_back({"beacon", url, "synced", Verdict::kFail, "", "GET /eth/v1/node/syncing: " + why(s)});
    } else {
      head = u64_field(*sd, "head_slot").value_or(0);
      const auto distance = u64_field(*sd, "sync_distance").value_or(0);
      const bool syncing = sd->value("is_syncing", true);
      const bool optimistic = sd->value("is_optimistic", false);
      Check c{"beacon", url, "synced", Verdict::kOk, fmt::format("head {} distance {}", head, distance), ""};
      if (syncing) {
        c.verdict = Verdict::kFail;
        c.detail = "the beacon node is syncing: duties fail until it is done";
      } else if (optimistic) {
        c.verdict = Verdict::kFail;
        c.detail = "optimistic: its execution client is not synced";
      }
      out.push_back(c);
    }
    Timed p = timed(*ep, http::Method::kGet, "/eth/v1/node/peer_count", "", o.timeout);
    if (auto pd = data_of(p)) {
      const auto n = u64_field(*pd, "connected").value_or(0);
      Check c{"beacon", url, "peers", Verdict::kOk, fmt::format("{} peers", n), ""};
      if (n < o.min_bn_peers) {
        c.verdict = Verdict::kFail;
        c.detail = fmt::format("fewer than {} (--min-beacon-peers): attestations and blocks propagate late", o.min_bn_peers);
      }
      out.push_back(c);
    } else {
      out.push_back({"beacon", url, "peers", Verdict::kSkip, "", "GET /eth/v1/node/peer_count: " + why(p)});
    }
    // The duty endpoints a node calls every slot or epoch.
    Timed sp = timed(*ep, http::Method::kGet, "/eth/v1/config/spec", "", o.timeout);
    std::uint64_t spe = 32;
    if (auto spd = data_of(sp)) spe = std::max<std::uint64_t>(1, u64_field(*spd, "SLOTS_PER_EPOCH").value_or(32));
    const std::uint64_t epoch = head / spe;
    out.push_back(latency_check("beacon", url, "latency attester duties", *ep, http::Method::kPost,
                                "/eth/v1/validator/duties/attester/" + std::to_string(epoch), "[\"0\"]", o));
    out.push_back(latency_check("beacon", url, "latency proposer duties", *ep, http::Method::kGet,
                                "/eth/v1/validator/duties/proposer/" + std::to_string(epoch), "", o));
    out.push_back(latency_check("beacon", url, "latency attestation data", *ep, http::Method::kGet,
                                "/eth/v1/validator/attestation_data?slot=" + std::to_string(head) +
                                    "&committee_index=0",
                                "", o));
  }
  return out;
}

// ---- mev ----

std::vector<Check> test_mev(const Options& o) {
  if (o.builder_endpoints.empty())
    return {{"mev", "-", "builder", Verdict::kSkip, "", "no --builder-endpoints given (no MEV-boost/builder)"}};
  std::vector<Check> out;
  for (const auto& url : o.builder_endpoints) {
    auto ep = http::Endpoint::parse(url);
    if (!ep) {
      out.push_back({"mev", url, "reachable", Verdict::kFail, "", "not an http://host:port URL"});
      continue;
    }
    Timed t = timed(*ep, http::Method::kGet, "/eth/v1/builder/status", "", o.timeout);
    if (!t.response || t.response->status / 100 != 2) {
      out.push_back({"mev", url, "reachable", Verdict::kFail, "", "GET /eth/v1/builder/status: " + why(t)});
      continue;
    }
    out.push_back({"mev", url, "reachable", Verdict::kOk, ms(t.latency), ""});
    out.push_back(latency_check("mev", url, "latency status", *ep, http::Method::kGet, "/eth/v1/builder/status", "", o));
  }
  return out;
}

// ---- validator ----

std::vector<Check> test_validator(const Options& o) {
  const std::string target = o.monitoring_address;
  auto ep = http::Endpoint::parse("http://" + o.monitoring_address);
  if (!ep) return {{"validator", target, "node", Verdict::kFail, "", "--monitoring-address: expected host:port"}};
  Timed t = timed(*ep, http::Method::kGet, "/metrics", "", o.timeout);
  if (!t.response || t.response->status != 200)
    return {{"validator", target, "node", Verdict::kFail, "",
             "GET /metrics: " + why(t) + " (is `phalanx run` running with this --monitoring-address?)"}};
  // The samples of the node's VC metrics (absent without a validator API: embedded signer).
  std::map<std::string, double> m;
  bool family = false;
  std::string_view text = t.response->body;
  while (!text.empty()) {
    const auto end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (line.find("phalanx_vc_requests_total") != std::string_view::npos) family = true;
    if (line.empty() || line[0] == '#' || !line.starts_with("phalanx_vc_")) continue;
    const auto sp = line.find(' ');
    if (sp == std::string_view::npos) continue;
    try {
      m[std::string(line.substr(0, sp))] = std::stod(std::string(line.substr(sp + 1)));
    } catch (const std::exception&) {
    }
  }
  std::vector<Check> out{{"validator", target, "node", Verdict::kOk, ms(t.latency), ""}};
  if (!family)
    return {{"validator", target, "node", Verdict::kFail, "", "no phalanx_vc_* metrics: not a Phalanx node (or older)"}};
  if (!m.contains("phalanx_vc_requests_total")) {
    out.push_back({"validator", target, "vc connection", Verdict::kSkip, "",
                   "the node signs itself (--signer embedded): no validator client"});
    return out;
  }
  const double requests = m["phalanx_vc_requests_total"];
  const double last = m["phalanx_vc_last_request_timestamp_seconds"];
  const double now = std::chrono::duration<double>(SystemClock().now().time_since_epoch()).count();
  Check c{"validator", target, "vc connection", Verdict::kOk, fmt::format("{:.0f} requests", requests), ""};
  if (requests == 0 || last == 0) {
    c.verdict = Verdict::kFail;
    c.detail = "no request from a validator client yet: is it pointed at this node's --validator-api-address?";
  } else if (now - last > std::chrono::duration<double>(o.max_vc_idle).count()) {
    c.verdict = Verdict::kFail;
    c.detail = fmt::format("the last request was {:.0f} s ago: the validator client stopped or lost the node", now - last);
  } else {
    c.measured += fmt::format(", last {:.0f} s ago", std::max(0.0, now - last));
  }
  out.push_back(c);
  const double sel = m["phalanx_vc_selection_requests_total"];
  Check d{"validator", target, "dvt selections", Verdict::kOk, fmt::format("{:.0f} requests", sel), ""};
  if (sel == 0) {
    d.verdict = Verdict::kWarn;
    d.detail = "the validator client has not called beacon_committee_selections / sync_committee_selections: without "
               "its distributed (DVT) mode aggregation duties fail (may also mean no aggregation duty yet)";
  }
  out.push_back(d);
  return out;
}

// ---- infra ----

std::vector<Check> test_infra(const Options& o) {
  std::vector<Check> out;
  const std::filesystem::path dir = o.node.data_dir;
  const std::string host = "this machine";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  {
    const auto file = dir / ".phalanx-disk-test";
    std::vector<std::uint8_t> block(1u << 20, 0xa5);
    Check c{"infra", dir.string(), "disk write", Verdict::kOk, "", ""};
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) {
      c.verdict = Verdict::kFail;
      c.detail = "cannot create a file in " + dir.string() + ": " + std::strerror(errno);
    } else {
      const auto t0 = std::chrono::steady_clock::now();
      bool ok = true;
      for (std::uint64_t i = 0; i < o.disk_test_mib && ok; ++i)
        ok = ::write(fd, block.data(), block.size()) == static_cast<ssize_t>(block.size());
      ok = ok && ::fsync(fd) == 0;
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      ::close(fd);
      std::filesystem::remove(file, ec);
      const double mbps = static_cast<double>(o.disk_test_mib) * 1.048576 / std::max(secs, 1e-6);
      c.measured = fmt::format("{:.0f} MB/s", mbps);
      if (!ok) {
        c.verdict = Verdict::kFail;
        c.detail = std::string("write failed: ") + std::strerror(errno);
      } else if (mbps < o.min_disk_mbps) {
        c.verdict = Verdict::kFail;
        c.detail = fmt::format("below {:.0f} MB/s (--min-disk-mbps): the slashing database fsyncs every signature",
                               o.min_disk_mbps);
      }
    }
    out.push_back(c);
  }
  {
    struct statvfs st {};
    Check c{"infra", dir.string(), "free space", Verdict::kOk, "", ""};
    if (::statvfs(dir.c_str(), &st) != 0) {
      c.verdict = Verdict::kFail;
      c.detail = std::strerror(errno);
    } else {
      const double gib = static_cast<double>(st.f_bavail) * static_cast<double>(st.f_frsize) / (1u << 30);
      c.measured = fmt::format("{:.1f} GiB", gib);
      if (gib < o.min_free_gib) {
        c.verdict = Verdict::kFail;
        c.detail = fmt::format("below {:.0f} GiB (--min-free-gib)", o.min_free_gib);
      }
    }
    out.push_back(c);
  }
  {
    const unsigned n = std::thread::hardware_concurrency();
    Check c{"infra", host, "cpus", Verdict::kOk, std::to_string(n), ""};
    if (n < o.min_cpus) {
      c.verdict = Verdict::kFail;
      c.detail = fmt::format("fewer than {} (--min-cpus)", o.min_cpus);
    }
    out.push_back(c);
  }
  {
    std::ifstream f("/proc/meminfo");
    std::string key;
    std::uint64_t kb = 0;
    std::string unit;
    while (f >> key >> kb >> unit)
      if (key == "MemTotal:") break;
    const double gib = static_cast<double>(kb) / (1u << 20);
    Check c{"infra", host, "memory", Verdict::kOk, fmt::format("{:.1f} GiB", gib), ""};
    if (kb == 0) {
      c.verdict = Verdict::kSkip;
      c.detail = "/proc/meminfo unreadable";
    } else if (gib < o.min_memory_gib) {
      c.verdict = Verdict::kFail;
      c.detail = fmt::format("below {:.0f} GiB (--min-memory-gib)", o.min_memory_gib);
    }
    out.push_back(c);
  }
  {
    struct timex tx {};
    const int state = ::ntp_adjtime(&tx);
    Check c{"infra", host, "clock sync", Verdict::kOk, "", ""};
    if (state == -1) {
      c.verdict = Verdict::kSkip;
      c.detail = std::string("ntp_adjtime: ") + std::strerror(errno);
    } else if (state == TIME_ERROR || (tx.status & STA_UNSYNC) != 0) {
      c.verdict = Verdict::kWarn;
      c.detail = "the kernel reports the clock as not synchronised (no NTP/chrony?): duties are timed by it";
    } else {
      c.measured = fmt::format("max error {} us", tx.maxerror);
    }
    out.push_back(c);
  }
  return out;
}

// ---- peers ----

std::vector<Check> test_peers(const Options& o) {
  auto key = app::load_operator_key(o.node.private_key_file);
  if (!key) return {{"peers", "-", "setup", Verdict::kFail, "", key.error()}};
  auto setup = app::load_cluster(o.node, *key);
  if (!setup) return {{"peers", "-", "setup", Verdict::kFail, "", setup.error()}};
  auto listen = p2p::Endpoint::parse(o.p2p_listen);
  if (!listen) return {{"peers", "-", "setup", Verdict::kFail, "", "--p2p-tcp-address: expected host:port"}};
  boost::asio::io_context io;
  p2p::PeerSetConfig peers{setup->lock.lock_hash, setup->operators, setup->self, setup->addresses};
  p2p::NodeOptions nopts;
  nopts.listen = *listen;
  nopts.connect_timeout = o.timeout;
  nopts.backoff_max = std::chrono::seconds(1);
  auto node = p2p::Node::create(io.get_executor(), peers, std::move(*key), nopts);
  if (!node) return {{"peers", "-", "setup", Verdict::kFail, "", "p2p: " + node.error().message()}};
  // The peers send this operator their consensus and partial-signature traffic: accepted and ignored (a node
  // closes a connection that carries an unknown protocol).
  for (const p2p::ProtocolId id : {dv::kQbftProtocol, dv::kParSigProtocol}) {
    p2p::ProtocolSpec spec;
    spec.id = id;
    spec.max_frame = p2p::kMaxFrameLimit;
    spec.on_message = [](OperatorIdx, ByteSpan) {};
    if (auto r = (*node)->register_protocol(std::move(spec)); !r)
      return {{"peers", "-", "setup", Verdict::kFail, "", "p2p: " + r.error().message()}};
  }
  if (auto ok = (*node)->start(); !ok)
    return {{"peers", "-", "setup", Verdict::kFail, "", "p2p: cannot listen on " + o.p2p_listen + ": " + ok.error().message()}};
  std::vector<Check> out;
  const std::size_t n = setup->operators.size();
  auto all = run_blocking(io, [&]() -> runtime::Task<std::vector<Check>> {
    std::vector<Check> checks;
    // Every peer is dialed at once by the node; wait for each within the same overall timeout.
    const auto deadline = std::chrono::steady_clock::now() + o.timeout;
    for (std::uint32_t i = 0; i < n; ++i) {
      if (i == setup->self.value) continue;
      const OperatorIdx peer{i};
      const auto& addr = setup->addresses[i];
      const std::string target = fmt::format("operator {} ({})", i, addr ? addr->to_string() : "no address");
      const auto left = std::max<Duration>(Duration::zero(), duration_cast<Duration>(deadline - std::chrono::steady_clock::now()));
      if (!co_await (*node)->wait_connected(peer, left)) {
        const auto& m = (*node)->metrics();
        std::string reason = !addr ? "no address for it (ENR without ip/tcp, no --p2p-peers)"
                             : m.peers[i].dial_failures > 0
                                 ? fmt::format("cannot connect to {} ({} TCP attempts failed)", addr->to_string(),
                                               m.peers[i].dial_failures)
                                 : "connected, but the TLS handshake or hello failed (identity, lock or version)";
        for (std::size_t e = 1; e < m.handshake_failures.size(); ++e)
          if (m.handshake_failures[e] > 0)
            reason += fmt::format("; handshake failures: {} × {}",
                                  m.handshake_failures[e], make_error_code(static_cast<p2p::P2PError>(e)).message());
        checks.push_back({"peers", target, "connect", Verdict::kFail, "", reason});
        continue;
      }
      checks.push_back({"peers", target, "connect", Verdict::kOk, "",
                        "authenticated: TLS identity is the lock's ENR key"});
      std::vector<Duration> rtts;
      for (int k = 0; k < 3; ++k)
        if (auto r = co_await (*node)->ping(peer, o.timeout)) rtts.push_back(*r);
      if (rtts.empty()) {
        checks.push_back({"peers", target, "rtt", Verdict::kFail, "", "no answer to ping"});
      } else {
        std::sort(rtts.begin(), rtts.end());
        const Duration med = rtts[rtts.size() / 2];
        Check c{"peers", target, "rtt", Verdict::kOk, ms(med), ""};
        if (med > o.max_rtt) {
          c.verdict = Verdict::kFail;
          c.detail = "above " + ms(o.max_rtt) + " (--max-rtt): consensus rounds slow down";
        }
        checks.push_back(c);
      }
      auto info = co_await (*node)->peer_info(peer, o.timeout);
      if (!info) {
        checks.push_back({"peers", target, "info", Verdict::kFail, "", "peer-info: " + info.error().message()});
        continue;
      }
      const Duration off = info->clock_offset < Duration::zero() ? -info->clock_offset : info->clock_offset;
      Check clock{"peers", target, "clock offset", Verdict::kOk, ms(info->clock_offset), ""};
      if (off > o.max_clock_offset) {
        clock.verdict = Verdict::kFail;
        clock.detail = "above " + ms(o.max_clock_offset) + " (--max-clock-offset): fix NTP on one side";
      }
      checks.push_back(clock);
      checks.push_back({"peers", target, "version", info->version == p2p::kProtocolVersion ? Verdict::kOk : Verdict::kFail,
                        std::to_string(info->version),
                        info->version == p2p::kProtocolVersion ? "" : "another p2p protocol version: upgrade one side"});
      const bool same = info->lock_hash == setup->lock.lock_hash;
      checks.push_back({"peers", target, "lock hash", same ? Verdict::kOk : Verdict::kFail,
                        to_hex(info->lock_hash).substr(0, 18) + "…",
                        same ? "" : "the peer runs another cluster lock"});
    }
    co_await (*node)->stop();
    co_return checks;
  }());
  if (!all) return {{"peers", "-", "setup", Verdict::kFail, "", "internal error"}};
  return std::move(*all);
}

// ---- report ----

std::string table(const std::vector<Check>& checks) {
  std::size_t wt = 6, wn = 5;
  for (const auto& c : checks) {
    wt = std::max(wt, c.target.size());
    wn = std::max(wn, c.name.size());
  }
  std::string out = fmt::format("{:<9} {:<{}}  {:<{}}  {:<6} {:<22} {}\n", "SUITE", "TARGET", wt, "CHECK", wn, "RESULT",
                                "MEASURED", "DETAIL");
  for (const auto& c : checks)
    out += fmt::format("{:<9} {:<{}}  {:<{}}  {:<6} {:<22} {}\n", c.suite, c.target, wt, c.name, wn,
                       to_string(c.verdict), c.measured, c.detail);
  return out;
}

ssz::Json report_json(const std::vector<Check>& checks) {
  Json arr = Json::array();
  for (const auto& c : checks) {
    Json o = Json::object();
    o["suite"] = c.suite;
    o["target"] = c.target;
    o["check"] = c.name;
    o["result"] = c.verdict == Verdict::kOk ? "ok" : c.verdict == Verdict::kWarn ? "warn"
                                                 : c.verdict == Verdict::kFail ? "fail"
                                                                                 : "skip";
    o["measured"] = c.measured;
    o["detail"] = c.detail;
    arr.push_back(std::move(o));
  }
  Json j = Json::object();
  j["ok"] = all_ok(checks);
  j["checks"] = std::move(arr);
  return j;
}

bool all_ok(const std::vector<Check>& checks) {
  return std::none_of(checks.begin(), checks.end(), [](const Check& c) { return c.verdict == Verdict::kFail; });
}

}  // namespace phx::tools::preflight
