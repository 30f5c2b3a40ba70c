// The DKG runner: the ceremony on a worker thread, the p2p node on the calling thread, journal, artifacts,
// progress and summary.
#include "dkg/runner/runner.hpp"

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <thread>

#include "base/progress.hpp"
#include "cluster/deposit.hpp"
#include "crypto/hash/random.hpp"
#include "crypto/hash/sha256.hpp"
#include "dkg/ceremony.hpp"
#include "dkg/runner/files.hpp"
#include "dkg/runner/journal_file.hpp"
#include "dkg/runner/plan.hpp"
#include "dkg/runner/reshare.hpp"
#include "runtime/runtime.hpp"

namespace phx::dkg::runner {
namespace fs = std::filesystem;
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

std::uint64_t now_ns() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count());
}

std::string mib(std::uint64_t b) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(b) / 1e6);
  return buf;
}

const char* round_title(Round r) {
  switch (r) {
    case Round::kHello:
      return "R0 hello (connect, preflight)";
    case Round::kDeal:
      return "R1 deal";
    case Round::kVerdict:
      return "R2 verdict";
    case Round::kSign:
      return "R3 sign deposits and registrations";
    case Round::kLock:
      return "R4 lock hash";
    case Round::kDone:
      return "R5 done";
  }
  return "?";
}

/// State shared by the network thread and the ceremony thread.
struct Shared {
  std::mutex m;
  std::condition_variable cv;
  std::deque<std::pair<std::uint32_t, Bytes>> inbox;
  std::vector<p2p::PeerMetrics> peers;  // snapshot, refreshed by the network thread
  std::atomic<int> round{0};
  std::atomic<std::uint32_t> done{0}, total{0};
};

/// The ceremony thread: owns the ceremony, the journal and the files.
class Worker {
 public:
  Worker(RunnerConfig& cfg, const cluster::DkgInputs& in, const Params& params, Shared& sh, asio::io_context& io,
         p2p::Node& node, RunReport& report)
      : cfg_(cfg), in_(in), params_(params), sh_(sh), io_(io), node_(node), report_(report) {
    if (cfg.reshare)
      plan_ = std::make_unique<ReshareLockPlan>(cfg.definition, cfg.reshare->old_lock);
    else
      plan_ = std::make_unique<LockPlan>(cfg.definition, in);
  }

  void run();

 private:
  void log(const std::string& line) const { cfg_.log(line); }
  const fs::path& out_dir() const { return cfg_.output_dir.empty() ? cfg_.data_dir : cfg_.output_dir; }
  void execute(Outbox ob);
  void send(const Outgoing& m);
  void on_progress(const Progress& p);
  void stage(CeremonyResult& r);
  void finish();

  RunnerConfig& cfg_;
  const cluster::DkgInputs& in_;
  const Params& params_;
  Shared& sh_;
  asio::io_context& io_;
  p2p::Node& node_;
  RunReport& report_;
  std::unique_ptr<ArtifactPlan> plan_;
  std::unique_ptr<Ceremony> ceremony_;
  std::optional<JournalFile> journal_;
  std::vector<crypto::bls::SecretKey> shares_;  // this node's secret shares, until the keystores are written
  fs::path work_, stage_;
  std::optional<std::uint64_t> timer_;
  std::optional<Clock::time_point> end_at_;
  Clock::time_point start_ = Clock::now(), round_start_ = Clock::now();
  int round_ = -1;
  std::uint32_t rejected_ = 0;
};

void Worker::send(const Outgoing& m) {
  auto bytes = std::make_shared<Bytes>(m.bytes);
  const std::uint32_t self = report_.self;
  const auto n = params_.n();
  std::optional<std::uint32_t> to = m.to;
  asio::post(io_, [this, bytes, to, self, n] {
    for (std::uint32_t p = 0; p < n; ++p) {
      if (p == self || (to && *to != p)) continue;
      (void)node_.send(OperatorIdx{p}, kDkgProtocol, *bytes);  // argument errors cannot happen (size ≤ limit)
    }
  });
}

void Worker::on_progress(const Progress& p) {
  const int r = static_cast<int>(p.round);
  sh_.round = r;
  sh_.done = p.done;
  sh_.total = p.total;
  if (r <= round_) return;
  const auto now = Clock::now();
  if (round_ >= 0)
    report_.round_seconds[static_cast<std::size_t>(round_)] +=
        std::chrono::duration<double>(now - round_start_).count();
  round_ = r;
  round_start_ = now;
  char buf[160];
  std::snprintf(buf, sizeof buf, "[%7.2f s] %s", std::chrono::duration<double>(now - start_).count(),
                round_title(p.round));
  log(buf);
}

void Worker::execute(Outbox ob) {
  if (journal_ && !ob.journal.empty()) {
    if (auto r = journal_->append(ob.journal); !r) {
      journal_.reset();
      execute(ceremony_->on_write_failed(r.error()));
      return;
    }
  }
  for (const auto& m : ob.messages) send(m);
  if (ob.timer_ns) timer_ = ob.timer_ns;
  for (const auto& p : ob.progress) on_progress(p);
  if (ob.rejected) ++rejected_;
  if (ob.result) stage(*ob.result);
  if (ob.failure && !report_.failure) {
    report_.failure = std::move(ob.failure);
    if (!report_.failure->evidence.empty())
      (void)write_file_synced(cfg_.data_dir / "dkg-failure-evidence.ssz", report_.failure->evidence, 0644);
    end_at_ = Clock::now() + std::chrono::seconds(1);  // let the Abort reach the peers
  }
  if (ob.finished && !report_.ok) finish();
}

void Worker::stage(CeremonyResult& r) {
  auto fail_write = [&](const std::string& why) { execute(ceremony_->on_write_failed(why)); };
  std::error_code ec;
  fs::remove_all(stage_, ec);
  // A DKG signs new deposits and registrations; a reshare keeps the old lock's.
  std::vector<std::vector<cluster::DepositData>> deposit_files;
  cluster::LockResult<cluster::Lock> assembled;
  if (cfg_.reshare) {
    assembled = reshared_lock(cfg_.definition, cfg_.reshare->old_lock, r.validators);
    deposit_files = deposits_by_amount(cfg_.reshare->old_lock);
  } else {
    auto results = to_lock_validators(in_, r.validators);
    assembled = cluster::assemble_lock(cfg_.definition, results);
    for (std::size_t a = 0; a < in_.deposit_amounts.size(); ++a) {
      deposit_files.emplace_back();
      for (const auto& v : results) deposit_files.back().push_back(v.deposit_data[a]);
    }
  }
  if (!assembled) return fail_write("cannot assemble the lock: " + assembled.error().message());
  // Not cluster::complete_lock: its verify_lock re-checks every deposit, registration and share one pairing
  // at a time (seconds for V = 1,000), while the ceremony already verified all of them in batch (R3
  // multi-pairing, R4 FastAggregateVerify and node signatures) and R5 compares the lock bytes across
  // operators. `phalanx dkg verify` and `phalanx lock verify` run the per-item checks offline.
  std::optional<cluster::Lock> lock(std::move(*assembled));
  lock->signature_aggregate.assign(r.signature_aggregate.begin(), r.signature_aggregate.end());
  lock->node_signatures.clear();
  if (in_.node_signatures)
    for (const auto& ns : r.node_signatures) lock->node_signatures.emplace_back(ns.begin(), ns.end());
  const std::string json = cluster::write_lock(*lock);
  std::vector<Root> hashes{crypto::hash::sha256(as_bytes(json))};
  if (auto w = write_file_synced(stage_ / "cluster-lock.json", as_bytes(json), 0644); !w)
    return fail_write(w.error());
  for (const auto& deposits : deposit_files) {
    const std::string text = cluster::write_deposit_data_json(deposits, in_.fork_version);
    hashes.push_back(crypto::hash::sha256(as_bytes(text)));
    const auto name = cluster::deposit_data_file_name(deposits.front().amount);
    if (auto w = write_file_synced(stage_ / name, as_bytes(text), 0644); !w) return fail_write(w.error());
  }
  if (auto w = sync_file_system(stage_); !w)
    return fail_write(w.error());  // durable before R5 says "written"
  // Keystores are written after R5 (finish): they are this node's alone, and a standard KDF (seconds per
  // keystore) must not hold up the other operators' R5 deadline.
  shares_ = std::move(r.secret_shares);
  report_.lock_hash = lock->lock_hash;
  char buf[160];
  std::snprintf(buf, sizeof buf, "[%7.2f s] keys ready: %zu validators, lock_hash %s; artifacts staged",
                std::chrono::duration<double>(Clock::now() - start_).count(), lock->validators.size(),
                to_hex(lock->lock_hash).c_str());
  log(buf);
  execute(ceremony_->on_artifacts_written(hashes, now_ns()));
}

void Worker::finish() {
  auto local_error = [&](const std::string& why) {
    report_.error = why + " (the journal is kept: run the same command again to finish)";
    end_at_ = Clock::now();
  };
  const auto r5_end = Clock::now();
  if (round_ >= 0)
    report_.round_seconds[static_cast<std::size_t>(round_)] +=
        std::chrono::duration<double>(r5_end - round_start_).count();
  round_ = 99;
  char buf[160];
  std::snprintf(buf, sizeof buf,
                "[%7.2f s] every operator wrote identical artifacts; encrypting %zu keystores (%s)",
                std::chrono::duration<double>(Clock::now() - start_).count(), shares_.size(),
                cfg_.insecure_keys ? "insecure: test only" : crypto::keystore::to_string(cfg_.keystore_kdf));
  log(buf);
  if (auto w = write_keystores(stage_ / "validator_keys", shares_, cfg_.insecure_keys, cfg_.keystore_kdf); !w)
    return local_error(w.error());
  shares_.clear();  // zeroized
  const Bytes transcript = ceremony_->transcript();
  if (auto w = write_file_synced(stage_ / kTranscriptFile, transcript, 0644); !w)
    return local_error(w.error());
  if (auto w = sync_file_system(stage_); !w) return local_error(w.error());
  if (cfg_.before_publish)
    if (auto b = cfg_.before_publish(report_.lock_hash); !b) return local_error(b.error());
  if (auto p = publish_artifacts(stage_, out_dir()); !p) return local_error(p.error());
  journal_.reset();
  std::error_code ec;
  fs::remove_all(work_, ec);  // the journal is as sensitive as a keystore: gone once the artifacts are out
  const auto now = Clock::now();
  report_.keystore_seconds = std::chrono::duration<double>(now - r5_end).count();
  report_.total_seconds = std::chrono::duration<double>(now - start_).count();
  report_.ok = true;
  end_at_ = now + cfg_.linger;  // answer peers that still miss our R5
}

void Worker::run() {
  work_ = out_dir() / kWorkDir;
  stage_ = work_ / "out";
  const Params& params = params_;
  SecretScalars old_shares;
  if (cfg_.reshare) {
    if (params.participants[report_.self].dealer) {
      if (cfg_.reshare->old_shares.size() != params.validators) {
        report_.error = "this node is an operator of the old lock but holds " +
                        std::to_string(cfg_.reshare->old_shares.size()) + " of its " +
                        std::to_string(params.validators) + " shares";
        return;
      }
      old_shares = SecretScalars(params.validators);
      for (std::size_t v = 0; v < params.validators; ++v) old_shares[v] = cfg_.reshare->old_shares[v].scalar();
    }
    cfg_.reshare->old_shares.clear();  // zeroized; the ceremony holds its copy
  }
  LocalConfig local;
  local.self = report_.self;
  local.connect_timeout_ns =
      static_cast<std::uint64_t>(std::chrono::nanoseconds(cfg_.connect_timeout).count());
  local.round_timeout_ns = static_cast<std::uint64_t>(std::chrono::nanoseconds(cfg_.round_timeout).count());
  const fs::path journal_path = work_ / ("journal-" + to_hex(in_.definition_hash, false).substr(0, 16));
  std::error_code ec;
  const bool have_journal = fs::exists(journal_path, ec);
  const Preflight pf = preflight_data_dir(
      out_dir(),
      estimate_disk_need(params.n(), params.threshold, params.validators, params.roots_per_validator));
  std::vector<JournalRecord> records;
  if (pf.code == PreflightCode::kReady || have_journal) {
    auto j = JournalFile::open(journal_path, cfg_.enr_key, in_.definition_hash, &records);
    if (!j) {
      report_.error = "journal " + j.error() +
                      "; move the journal away to start a new ceremony (every operator must then restart)";
      return;
    }
    journal_.emplace(std::move(*j));
  }
  if (pf.code != PreflightCode::kReady && !have_journal) {
    local.preflight = static_cast<std::uint8_t>(pf.code);
    local.preflight_detail = pf.detail;
    log("preflight: " + pf.detail + " (telling the other operators)");
  }
  const std::vector<crypto::k1::PublicKey> keys = [&] {
    std::vector<crypto::k1::PublicKey> k;
    for (const auto& q : params.participants) k.push_back(q.identity);
    return k;
  }();
  const K1NodeVerifier verifier(keys);
  auto sk = crypto::k1::SecretKey::from_bytes(cfg_.enr_key.bytes());
  const K1NodeSigner signer(std::move(*sk));
  report_.round_seconds.assign(6, 0.0);
  ceremony_ = std::make_unique<Ceremony>(params, local, signer, verifier, *plan_, std::move(old_shares));
  if (records.empty()) {
    Seed seed;
    crypto::hash::random_bytes(seed.mut_view());
    execute(ceremony_->start(std::move(seed), now_ns()));
  } else {
    report_.resumed = true;
    log("resuming the ceremony from its journal (" + std::to_string(records.size()) + " records)");
    execute(ceremony_->resume(records, now_ns()));
    records.clear();
  }
  while (true) {
    std::unique_lock lk(sh_.m);
    if (end_at_ && Clock::now() >= *end_at_) break;
    auto wake = Clock::now() + std::chrono::seconds(1);
    if (timer_) {
      const auto t = Clock::time_point(std::chrono::nanoseconds(*timer_));
      if (t < wake) wake = t;
    }
    if (end_at_ && *end_at_ < wake) wake = *end_at_;
    sh_.cv.wait_until(lk, wake, [&] { return !sh_.inbox.empty(); });
    if (!sh_.inbox.empty()) {
      auto [from, bytes] = std::move(sh_.inbox.front());
      sh_.inbox.pop_front();
      lk.unlock();
      execute(ceremony_->on_message(from, bytes, now_ns()));
      continue;
    }
    lk.unlock();
    if (timer_ && now_ns() >= *timer_) {
      timer_.reset();
      execute(ceremony_->on_timeout(now_ns()));
    }
  }
  if (report_.failure && report_.failure->code == FailureCode::kConnectTimeout) {
    std::lock_guard lk(sh_.m);
    for (auto i : report_.failure->operators)
      if (i < sh_.peers.size())
        report_.failure->cause += "; operator " + std::to_string(i) + ": " +
                                  (sh_.peers[i].connected ? "connected" : "not connected") + ", " +
                                  std::to_string(sh_.peers[i].dial_failures) + " failed dials";
  }
}

runtime::Task<void> status_loop(p2p::Node& node, Shared& sh, const RunnerConfig& cfg, std::uint32_t self) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  int round = -1;  // the round whose count the rate and time left are measured over
  auto round_start = std::chrono::steady_clock::now();
  while (true) {
    timer.expires_after(cfg.progress_interval);
    co_await timer.async_wait(asio::use_awaitable);
    const int r = sh.round.load();
    if (r != round) {
      round = r;
      round_start = std::chrono::steady_clock::now();
    }
    std::string line = "  " + std::string(to_string(static_cast<Round>(r)));
    if (sh.total.load() > 0)  // "R1 deal: deals verified: 120/400 (30 %), 60.0/s, about 5 s left"
      line = "  " + format_progress(line.substr(2) + (r == 1 ? ": deals verified" : ": validators"), sh.done.load(),
                                    sh.total.load(), std::chrono::steady_clock::now() - round_start);
    const auto& m = node.metrics();
    {
      std::lock_guard lk(sh.m);
      sh.peers = m.peers;
    }
    for (std::size_t p = 0; p < m.peers.size(); ++p) {
      if (p == self) continue;
      line += " | op " + std::to_string(p) + (m.peers[p].connected ? " " : " (offline) ") +
              mib(m.peers[p].bytes_in);
    }
    cfg.log(line);
  }
}

}  // namespace

std::string operator_name(const cluster::DkgInputs& in, std::uint32_t i) {
  if (i >= in.operators.size()) return "participant " + std::to_string(i);
  const auto& enr = in.operators[i].enr;
  return "operator " + std::to_string(i) + " (" + enr.substr(0, std::min<std::size_t>(enr.size(), 16)) + "…)";
}

std::string describe_failure(const Failure& f, const cluster::DkgInputs& in) {
  std::string s = std::string(code_name(f.code)) + " in " + to_string(f.round) + ": " + f.cause;
  for (auto i : f.operators) s += "\n  concerns " + operator_name(in, i);
  if (f.validator) s += "\n  validator " + std::to_string(*f.validator);
  s += "\n  next: " + (f.next_action.empty() ? std::string(next_action(f.code)) : f.next_action);
  return s;
}

RunReport run_dkg(RunnerConfig cfg) {
  RunReport report;
  if (!cfg.log) cfg.log = [](const std::string& l) { std::printf("%s\n", l.c_str()), std::fflush(stdout); };
  auto in = cluster::dkg_inputs(cfg.definition);
  if (!in) {
    report.error = "the definition is not ready for a DKG: " + in.error().message();
    return report;
  }
  Params params;
  if (cfg.reshare) {
    auto p = make_reshare_params(*in, cfg.reshare->old_lock, cfg.reshare->leaving_dealers, cfg.chunk_validators);
    if (!p) {
      report.error = p.error();
      return report;
    }
    params = std::move(*p);
  } else {
    params = make_params(*in, cfg.chunk_validators);
  }
  const auto me = cfg.enr_key.public_key();
  std::optional<std::uint32_t> self;
  std::vector<crypto::k1::PublicKey> keys;
  for (std::uint32_t i = 0; i < params.n(); ++i) {
    keys.push_back(params.participants[i].identity);
    if (params.participants[i].identity == me) self = i;
  }
  if (!self) {
    report.error =
        "this node's ENR key is not one of the definition's operators (check charon-enr-private-key in " +
        cfg.data_dir.string() + ")";
    return report;
  }
  report.self = *self;

  asio::io_context io;
  p2p::PeerSetConfig peers;
  peers.lock_hash = crypto::hash::sha256(as_bytes(std::string_view("phalanx/dkg/v1/p2p")));
  peers.operators = keys;
  peers.self = OperatorIdx{*self};
  peers.addresses.resize(keys.size());
  for (std::size_t i = 0; i < keys.size() && i < cfg.peers.size(); ++i)
    if (i != *self) peers.addresses[i] = cfg.peers[i];
  p2p::NodeOptions opts;
  opts.listen = cfg.listen;
  opts.idle_timeout = std::chrono::seconds(30);  // the ceremony thread may be busy, pings still flow
  opts.write_timeout = std::chrono::seconds(30);
  opts.queue_max_bytes = 512u << 20;
  opts.backoff_max = std::chrono::seconds(2);
  // No early replacement of a silent connection during a ceremony: only the idle timeout, as before.
  opts.stall_after = opts.idle_timeout;
  auto id = crypto::k1::SecretKey::from_bytes(cfg.enr_key.bytes());
  auto node = p2p::Node::create(io.get_executor(), std::move(peers), std::move(*id), opts);
  if (!node) {
    report.error = "p2p: " + node.error().message();
    return report;
  }
  Shared sh;
  p2p::ProtocolSpec spec;
  spec.id = kDkgProtocol;
  spec.max_frame = kMaxEnvelopeBytes;
  spec.priority = p2p::Priority::kHigh;
  spec.on_message = [&sh](OperatorIdx from, ByteSpan body) {
    {
      std::lock_guard lk(sh.m);
      sh.inbox.emplace_back(from.value, Bytes(body.begin(), body.end()));
    }
    sh.cv.notify_one();
  };
  if (auto r = (*node)->register_protocol(std::move(spec)); !r) {
    report.error = "p2p: " + r.error().message();
    return report;
  }
  if (auto r = (*node)->start(); !r) {
    report.error = "p2p: cannot listen on " + cfg.listen.to_string() + ": " + r.error().message();
    return report;
  }
  cfg.log((*self < in->operators.size() ? "operator " : "leaving dealer, participant ") + std::to_string(*self) +
          " of " + std::to_string(params.n()) + ", " +
          std::to_string(in->num_validators) + " validators, threshold " + std::to_string(in->threshold) +
          "; listening on " + (*node)->local_endpoint().to_string());
  runtime::TaskGroup group(io.get_executor());
  group.spawn(status_loop(**node, sh, cfg, *self));
  Worker worker(cfg, *in, params, sh, io, **node, report);
  auto guard = asio::make_work_guard(io);
  std::thread t([&] {
    worker.run();
    asio::post(io, [&] {
      group.stop();
      asio::co_spawn(io, (*node)->stop(), [&](std::exception_ptr) { guard.reset(); });
    });
  });
  io.run();
  t.join();
  for (const auto& p : (*node)->metrics().peers) {
    report.bytes_in.push_back(p.bytes_in);
    report.bytes_out.push_back(p.bytes_out);
  }
  return report;
}

}  // namespace phx::dkg::runner
