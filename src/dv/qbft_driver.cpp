#include "dv/qbft_driver.hpp"

#include <algorithm>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/steady_timer.hpp>

#include "base/log.hpp"
#include "consensus/qbft/instance.hpp"

namespace phx::dv {

namespace asio = boost::asio;

namespace {

/// Short metric label of an engine rejection (to_string(Reject) is a sentence, for logs).
const char* reject_label(qbft::Reject r) {
  switch (r) {
    case qbft::Reject::kOk: return "ok";
    case qbft::Reject::kMalformed: return "malformed";
    case qbft::Reject::kWrongInstance: return "wrong_instance";
    case qbft::Reject::kUnknownSender: return "unknown_sender";
    case qbft::Reject::kFromSelf: return "from_self";
    case qbft::Reject::kBadSignature: return "bad_signature";
    case qbft::Reject::kValueTooLarge: return "value_too_large";
    case qbft::Reject::kBadValueHash: return "bad_value_hash";
    case qbft::Reject::kOldRound: return "old_round";
    case qbft::Reject::kFutureRound: return "future_round";
    case qbft::Reject::kNotLeader: return "not_leader";
    case qbft::Reject::kDuplicate: return "duplicate";
    case qbft::Reject::kEquivocation: return "equivocation";
    case qbft::Reject::kBadJustification: return "bad_justification";
    case qbft::Reject::kAlreadyDecided: return "already_decided";
    case qbft::Reject::kStaleTimer: return "stale_timer";
    case qbft::Reject::kAlreadyStarted: return "already_started";
    case qbft::Reject::kNoValueExpected: return "no_value_expected";
    case qbft::Reject::kInvalidValue: return "invalid_value";
    case qbft::Reject::kPeerLimit: return "peer_limit";
    case qbft::Reject::kLocalViewDiffers: return "local_view_differs";
  }
  return "unknown";
}
/// Orders byte strings and lets maps keyed by Bytes be searched with a ByteSpan.
struct BytesLess {
  using is_transparent = void;
  bool operator()(ByteSpan a, ByteSpan b) const {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
  }
};

constexpr std::size_t kRejectCount = static_cast<std::size_t>(qbft::Reject::kLocalViewDiffers) + 1;
static_assert(kRejectCount <= std::tuple_size_v<decltype(QbftDriverMetrics{}.qbft_rejected)>);

/// Largest qbft message carrying a value of at most `max_value_bytes`.
std::size_t max_message_bytes(std::size_t max_value_bytes) {
  return qbft::kMaxMessageBytes - qbft::kMaxValueBytes + max_value_bytes;
}

}  // namespace

struct QbftDriver::Impl : std::enable_shared_from_this<QbftDriver::Impl> {
  using Executor = runtime::Executor;

  struct Live {
    Live(Bytes instance_id, Executor ex) : id(std::move(instance_id)), timer(ex) {}
    Bytes id;
    std::unique_ptr<qbft::Instance> instance;
    asio::steady_timer timer;
    std::uint64_t timer_gen = 0;  // generation of the armed timer (0: none)
    TimePoint duty_start{};
    std::chrono::steady_clock::time_point started_at{};
    std::uint64_t seq = 0;
    bool decided = false;
    std::vector<Bytes> held;  // round-1 PRE-PREPAREs awaiting the round-1 hold (release_held)
  };
  struct Pending {
    std::vector<std::pair<OperatorIdx, Bytes>> messages;  // arrival order
    std::vector<std::size_t> count_by_peer;
    std::vector<std::size_t> bytes_by_peer;
    std::size_t bytes = 0;
    std::uint64_t seq = 0;
  };
  struct Notification {
    Bytes id;
    Bytes value;
    qbft::Round round = 1;
    Duration took{};
  };
  struct Exported {  // registry objects, when a registry is given
    metrics::Histogram* rounds = nullptr;
    metrics::Histogram* duration = nullptr;
  };

  Impl(Executor e, SendFn send, OperatorIdx s, std::uint32_t count, std::shared_ptr<const qbft::Signer> sig,
       std::shared_ptr<const qbft::Verifier> ver, QbftDriverOptions o)
      : ex(e), send_fn(std::move(send)), self(s), n_nodes(count), signer(std::move(sig)), verifier(std::move(ver)),
        opts(o) {}

  Executor ex;
  SendFn send_fn;
  OperatorIdx self;
  std::uint32_t n_nodes;
  std::shared_ptr<const qbft::Signer> signer;
  std::shared_ptr<const qbft::Verifier> verifier;
  QbftDriverOptions opts;
  SystemClock system_clock;

  DecidedFn decided_fn;
  ValidatorFn validator_fn;
  ValidatorFn round1_fn;
  ValidatorFn round1_hold_fn;
  bool stopped = false;

  std::map<Bytes, std::unique_ptr<Live>, BytesLess> live;
  std::map<std::uint64_t, Bytes> live_order;  // seq → id (oldest first)
  std::map<Bytes, Pending, BytesLess> pending;
  std::map<std::uint64_t, Bytes> pending_order;
  std::set<Bytes, BytesLess> expired;
  std::deque<Bytes> expired_order;
  std::uint64_t next_seq = 1;
  std::uint64_t next_timer_gen = 1;
  std::vector<Notification> notifications;
  struct Blame {  // a proven equivocation, reported by flush()
    Bytes id;
    OperatorIdx sender;
  };
  std::vector<Blame> blames;
  MisbehaviourFn misbehaviour_fn;
  QbftDriverMetrics m;
  Exported exported;

  const Clock& clock() const { return opts.clock ? *opts.clock : system_clock; }

  void reject(DvError e) { ++m.frames_rejected[static_cast<std::size_t>(e)]; }

  // ---- incoming frames ----

  void on_frame(OperatorIdx from, ByteSpan body) {
    if (stopped) return;
    ++m.frames_in;
    auto frame = decode_qbft_frame(body, max_message_bytes(opts.max_value_bytes));
    if (!frame) {
      reject(static_cast<DvError>(frame.error().value()));
      return;
    }
    if (from.value >= n_nodes || from == self) {
      reject(DvError::kBadArgument);
      return;
    }
    if (auto it = live.find(frame->instance_id); it != live.end()) {
      feed(*it->second, frame->message);
    } else if (expired.contains(frame->instance_id)) {
      reject(DvError::kExpired);
    } else {
      buffer(from, frame->instance_id, frame->message);
    }
    flush();
  }

  void buffer(OperatorIdx from, ByteSpan id, ByteSpan message) {
    auto it = pending.find(id);
    if (it == pending.end()) {
      if (opts.max_buffered_instances == 0) {
        reject(DvError::kBufferFull);
        return;
      }
      while (pending.size() >= opts.max_buffered_instances) drop_pending(pending_order.begin()->second);
      Pending p;
      p.count_by_peer.assign(n_nodes, 0);
      p.bytes_by_peer.assign(n_nodes, 0);
      p.seq = next_seq++;
      Bytes key(id.begin(), id.end());
      pending_order.emplace(p.seq, key);
      it = pending.emplace(std::move(key), std::move(p)).first;
    }
    Pending& p = it->second;
    const std::size_t peer = from.value;
    if (p.count_by_peer[peer] >= opts.buffer_per_peer ||
        p.bytes_by_peer[peer] + message.size() > opts.buffer_bytes_per_peer) {
      reject(DvError::kBufferFull);
      return;
    }
    ++p.count_by_peer[peer];
    p.bytes_by_peer[peer] += message.size();
    p.bytes += message.size();
    m.buffered_bytes += message.size();
    p.messages.emplace_back(from, Bytes(message.begin(), message.end()));
    ++m.messages_buffered;
    m.buffered_instances = pending.size();
  }

  void drop_pending(const Bytes& id) {
    auto it = pending.find(id);
    if (it == pending.end()) return;
    m.buffered_bytes -= it->second.bytes;
    pending_order.erase(it->second.seq);
    pending.erase(it);
    m.buffered_instances = pending.size();
  }

  void feed(Live& l, ByteSpan message) {
    if (round1_hold_fn && hold(l, message)) return;
    auto out = l.instance->on_message(message);
    if (out.rejected == qbft::Reject::kEquivocation) {
      // The engine verified both signatures: the message's own sender is proven to equivocate.
      if (auto msg = qbft::decode(message)) {
        ++m.equivocations;
        blames.push_back(Blame{l.id, msg->body.sender});
      }
    }
    execute(l, std::move(out));
  }

  /// A round-1 PRE-PREPARE whose round-1 check is still being resolved: kept aside (at most one per node) until
  /// release_held. Others (and undecodable bytes, which the engine rejects) pass.
  bool hold(Live& l, ByteSpan message) {
    auto msg = qbft::decode(message);
    if (!msg || msg->body.type != qbft::MsgType::kPrePrepare || msg->body.round != 1 || !msg->value) return false;
    if (!round1_hold_fn(l.id, *msg->value)) return false;
    if (l.held.size() >= n_nodes) return false;  // more than one per node: not worth waiting for
    l.held.emplace_back(message.begin(), message.end());
    ++m.round1_held;
    return true;
  }

  void release_held(ByteSpan id) {
    if (stopped) return;
    auto it = live.find(Bytes(id.begin(), id.end()));
    if (it == live.end() || it->second->held.empty()) return;
    auto held = std::move(it->second->held);
    it->second->held.clear();
    for (const auto& message : held) {
      auto l = live.find(Bytes(id.begin(), id.end()));  // feeding may have ended the instance
      if (l == live.end()) break;
      feed(*l->second, message);
    }
    flush();
  }

  // ---- outbox execution ----

  void send_frame(std::optional<OperatorIdx> to, const Bytes& frame) {
    auto send_one = [&](OperatorIdx peer) {
      auto r = send_fn(peer, frame);
      if (r) {
        ++m.messages_out;
      } else {
        log::debug("qbft: send to {} failed: {}", peer.value, r.error().message());
      }
    };
    if (to) {
      if (to->value < n_nodes && *to != self) send_one(*to);
      return;
    }
    for (std::uint32_t i = 0; i < n_nodes; ++i) {
      if (i != self.value) send_one(OperatorIdx{i});
    }
  }

  void execute(Live& l, qbft::Outbox out) {
    if (out.rejected) {
      const auto r = static_cast<std::size_t>(*out.rejected);
      if (r < m.qbft_rejected.size()) ++m.qbft_rejected[r];
      reject(*out.rejected == qbft::Reject::kWrongInstance ? DvError::kInstanceMismatch : DvError::kQbftRejected);
    }
    for (const auto& msg : out.messages) {
      if (msg.bytes.empty()) continue;
      if (opts.test_equivocate) send_conflicting(l, msg.to, msg.bytes);
      send_frame(msg.to, encode_qbft_frame(l.id, msg.bytes));
    }
    if (out.stop_timer) {
      l.timer_gen = 0;
      l.timer.cancel();
    }
    if (out.timer) arm(l, out.timer->round, out.timer->deadline_ns);
    if (out.decision && !l.decided) {
      l.decided = true;
      l.timer_gen = 0;
      l.timer.cancel();
      const auto took = std::chrono::duration_cast<Duration>(std::chrono::steady_clock::now() - l.started_at);
      ++m.instances_decided;
      if (out.decision->fast) ++m.decided_fast;
      m.decided_rounds_sum += out.decision->round;
      m.decided_duration_sum += took;
      if (exported.rounds) exported.rounds->observe(out.decision->round);
      if (exported.duration) exported.duration->observe(std::chrono::duration<double>(took).count());
      notifications.push_back(Notification{l.id, out.decision->value.data, out.decision->round, took});
    }
  }

  /// TEST ONLY (QbftDriverOptions::test_equivocate): a validly signed PREPARE / COMMIT for the same round as
  /// `bytes` but another value hash.
  void send_conflicting(Live& l, std::optional<OperatorIdx> to, const Bytes& bytes) {
    auto msg = qbft::decode(bytes);
    if (!msg || (msg->body.type != qbft::MsgType::kPrepare && msg->body.type != qbft::MsgType::kCommit)) return;
    qbft::Message bad;
    bad.body = msg->body;
    bad.body.value_hash[0] ^= 0x5a;
    qbft::sign(bad.body, *signer);
    send_frame(to, encode_qbft_frame(l.id, qbft::encode(bad)));
  }

  std::uint64_t elapsed_ns(const Live& l) const {
    const auto now = clock().now();
    if (now <= l.duty_start) return 0;
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(now - l.duty_start).count());
  }

  void arm(Live& l, qbft::Round round, std::uint64_t deadline_ns) {
    const std::uint64_t now_ns = elapsed_ns(l);
    std::uint64_t wait_ns = deadline_ns > now_ns ? deadline_ns - now_ns : 0;
    // Saturate far deadlines (a saturated RoundTimer) at ~100 years: steady_clock arithmetic must not overflow.
    constexpr std::uint64_t kMaxWaitNs = 100ULL * 365 * 24 * 3600 * 1'000'000'000ULL;
    // A duty that starts in the future (its slot has not begun on our clock): deadlines count from its start.
    const auto now = clock().now();
    if (now < l.duty_start) {
      const auto ahead = std::chrono::duration_cast<std::chrono::nanoseconds>(l.duty_start - now).count();
      wait_ns = std::min(wait_ns, kMaxWaitNs) + std::min(static_cast<std::uint64_t>(ahead), kMaxWaitNs);
    }
    const std::uint64_t gen = next_timer_gen++;
    l.timer_gen = gen;
    l.timer.expires_after(std::chrono::nanoseconds(static_cast<std::int64_t>(std::min(wait_ns, kMaxWaitNs))));
    l.timer.async_wait([weak = weak_from_this(), id = l.id, round, gen](const boost::system::error_code& ec) {
      if (ec) return;
      if (auto self_ptr = weak.lock()) self_ptr->on_timer(id, round, gen);
    });
  }

  void on_timer(const Bytes& id, qbft::Round round, std::uint64_t gen) {
    if (stopped) return;
    auto it = live.find(id);
    if (it == live.end() || it->second->timer_gen != gen) return;  // expired, re-armed or cancelled meanwhile
    Live& l = *it->second;
    l.timer_gen = 0;
    ++m.timeouts;
    execute(l, l.instance->on_timeout(round));
    flush();
  }

  /// Runs decision callbacks once the driver's state is consistent; they may re-enter the driver.
  void flush() {
    while (!notifications.empty() || !blames.empty()) {
      auto batch = std::move(notifications);
      notifications.clear();
      auto blamed = std::move(blames);
      blames.clear();
      for (auto& b : blamed) {
        if (misbehaviour_fn && !stopped) misbehaviour_fn(b.id, b.sender);
      }
      for (auto& n : batch) {
        if (decided_fn && !stopped) decided_fn(n.id, n.value, n.round, n.took);
      }
    }
  }

  // ---- lifecycle ----

  Result<void> propose(ByteSpan id, ByteSpan value, std::optional<TimePoint> duty_start) {
    if (stopped) return fail(DvError::kStopped);
    if (id.empty() || id.size() > qbft::kMaxInstanceIdBytes || value.empty() || value.size() > opts.max_value_bytes)
      return fail(DvError::kBadArgument);
    if (live.contains(id)) return fail(DvError::kAlreadyProposed);
    if (expired.contains(id)) return fail(DvError::kExpired);
    while (!live.empty() && live.size() >= opts.max_instances) {
      const Bytes oldest = live_order.begin()->second;
      erase_live(oldest);
      ++m.instances_evicted;
    }
    qbft::Config cfg;
    cfg.instance_id = Bytes(id.begin(), id.end());
    cfg.n = n_nodes;
    cfg.self = self;
    cfg.timer = opts.timer;
    cfg.max_value_bytes = opts.max_value_bytes;
    cfg.future_rounds = opts.future_rounds;
    if (validator_fn) {
      cfg.is_valid = [fn = validator_fn, iid = cfg.instance_id](const qbft::Value& v) { return fn(iid, v.data); };
    }
    if (round1_fn) {
      cfg.round1_check = [fn = round1_fn, iid = cfg.instance_id](const qbft::Value& v) { return fn(iid, v.data); };
    }
    if (!cfg.valid()) return fail(DvError::kBadArgument);

    auto l = std::make_unique<Live>(cfg.instance_id, ex);
    l->duty_start = duty_start.value_or(clock().now());
    l->started_at = std::chrono::steady_clock::now();
    l->seq = next_seq++;
    l->instance = std::make_unique<qbft::Instance>(std::move(cfg), *signer, *verifier);
    Live& ref = *l;
    live_order.emplace(ref.seq, ref.id);
    live.emplace(ref.id, std::move(l));
    ++m.instances_started;
    m.live_instances = live.size();

    execute(ref, ref.instance->on_start(qbft::Value::from_bytes(Bytes(value.begin(), value.end())), elapsed_ns(ref)));
    // Replay what peers sent before we started, in arrival order (the sender is authenticated by p2p; the
    // signature inside each message is checked by the engine).
    if (auto it = pending.find(id); it != pending.end()) {
      auto messages = std::move(it->second.messages);
      drop_pending(it->first);
      for (const auto& [from, bytes] : messages) {
        ++m.messages_replayed;
        feed(ref, bytes);
      }
    }
    flush();
    return {};
  }

  void erase_live(const Bytes& id) {
    auto it = live.find(id);
    if (it == live.end()) return;
    it->second->timer_gen = 0;
    it->second->timer.cancel();
    live_order.erase(it->second->seq);
    live.erase(it);
    m.live_instances = live.size();
  }

  void expire(ByteSpan id) {
    Bytes key(id.begin(), id.end());
    if (live.contains(key)) {
      erase_live(key);
      ++m.instances_expired;
    }
    drop_pending(key);
    if (opts.expired_memory == 0 || expired.contains(key)) return;
    while (expired_order.size() >= opts.expired_memory) {
      expired.erase(expired_order.front());
      expired_order.pop_front();
    }
    expired.insert(key);
    expired_order.push_back(std::move(key));
  }

  void stop() {
    if (stopped) return;
    stopped = true;
    for (auto& [id, l] : live) {
      l->timer_gen = 0;
      l->timer.cancel();
    }
    live.clear();
    live_order.clear();
    pending.clear();
    pending_order.clear();
    notifications.clear();
    m.live_instances = 0;
    m.buffered_instances = 0;
    m.buffered_bytes = 0;
  }

  std::size_t memory_bytes() const {
    std::size_t total = m.buffered_bytes;
    for (const auto& [id, l] : live) total += l->instance->stored_bytes();
    return total;
  }

  void export_metrics(metrics::Registry& reg) {
    exported.rounds = &reg.histogram("phalanx_qbft_decision_rounds", "Round in which QBFT instances decided.",
                                     metrics::linear_buckets(1, 1, 8));
    exported.duration = &reg.histogram("phalanx_qbft_decision_duration_seconds",
                                       "Time from local start to decision of QBFT instances.",
                                       metrics::exponential_buckets(0.005, 2, 12));
    std::weak_ptr<Impl> weak = weak_from_this();
    auto simple = [weak](auto field) {
      return [weak, field]() -> std::vector<metrics::Sample> {
        auto p = weak.lock();
        if (!p) return {};
        return {metrics::Sample{{}, static_cast<double>(field(p->m))}};
      };
    };
    reg.collect("phalanx_qbft_instances_total", "QBFT instances by lifecycle event.", metrics::MetricType::kCounter,
                {"event"}, [weak]() -> std::vector<metrics::Sample> {
                  auto p = weak.lock();
                  if (!p) return {};
                  const auto& mm = p->m;
                  return {{{"started"}, static_cast<double>(mm.instances_started)},
                          {{"decided"}, static_cast<double>(mm.instances_decided)},
                          {{"decided_fast"}, static_cast<double>(mm.decided_fast)},
                          {{"expired"}, static_cast<double>(mm.instances_expired)},
                          {{"evicted"}, static_cast<double>(mm.instances_evicted)}};
                });
    reg.collect("phalanx_qbft_frames_rejected_total", "QBFT frames and inputs dropped, by reason.",
                metrics::MetricType::kCounter, {"reason"}, [weak]() -> std::vector<metrics::Sample> {
                  auto p = weak.lock();
                  if (!p) return {};
                  std::vector<metrics::Sample> out;
                  for (std::size_t i = 1; i < kDvErrorCount; ++i) {
                    if (p->m.frames_rejected[i] == 0) continue;
                    out.push_back({{to_string(static_cast<DvError>(i))}, static_cast<double>(p->m.frames_rejected[i])});
                  }
                  return out;
                });
    reg.collect("phalanx_qbft_messages_rejected_total", "QBFT messages dropped by the engine, by reason.",
                metrics::MetricType::kCounter, {"reason"}, [weak]() -> std::vector<metrics::Sample> {
                  auto p = weak.lock();
                  if (!p) return {};
                  std::vector<metrics::Sample> out;
                  for (std::size_t i = 1; i < kRejectCount; ++i) {
                    if (p->m.qbft_rejected[i] == 0) continue;
                    out.push_back({{reject_label(static_cast<qbft::Reject>(i))}, static_cast<double>(p->m.qbft_rejected[i])});
                  }
                  return out;
                });
    reg.collect("phalanx_qbft_frames_received_total", "QBFT frames received from peers.",
                metrics::MetricType::kCounter, {}, simple([](const QbftDriverMetrics& mm) { return mm.frames_in; }));
    reg.collect("phalanx_qbft_messages_sent_total", "QBFT messages sent to peers.", metrics::MetricType::kCounter,
                {}, simple([](const QbftDriverMetrics& mm) { return mm.messages_out; }));
    reg.collect("phalanx_qbft_timeouts_total", "QBFT round timers that fired.", metrics::MetricType::kCounter, {},
                simple([](const QbftDriverMetrics& mm) { return mm.timeouts; }));
    reg.collect("phalanx_qbft_live_instances", "Live (started, not expired) QBFT instances.",
                metrics::MetricType::kGauge, {}, simple([](const QbftDriverMetrics& mm) { return mm.live_instances; }));
    reg.collect("phalanx_qbft_buffered_bytes", "Bytes of QBFT messages buffered for instances not started yet.",
                metrics::MetricType::kGauge, {}, simple([](const QbftDriverMetrics& mm) { return mm.buffered_bytes; }));
  }
};

namespace {
bool valid_args(OperatorIdx self, std::uint32_t n, const void* signer, const void* verifier,
                const QbftDriverOptions& o) {
  return n >= 1 && n <= qbft::kMaxNodes && self.value < n && signer && verifier && o.max_instances >= 1 &&
         o.max_value_bytes >= 1 && o.max_value_bytes <= qbft::kMaxValueBytes && o.future_rounds >= 1;
}
}  // namespace

Result<std::unique_ptr<QbftDriver>> QbftDriver::create_with_transport(runtime::Executor ex, OperatorIdx self,
                                                                      std::uint32_t n,
                                                                      std::shared_ptr<const qbft::Signer> signer,
                                                                      std::shared_ptr<const qbft::Verifier> verifier,
                                                                      QbftDriverOptions options, SendFn send) {
  if (!valid_args(self, n, signer.get(), verifier.get(), options) || !send) return fail(DvError::kBadArgument);
  auto impl = std::make_shared<Impl>(ex, std::move(send), self, n, std::move(signer), std::move(verifier), options);
  if (options.registry) impl->export_metrics(*options.registry);
  return std::unique_ptr<QbftDriver>(new QbftDriver(std::move(impl)));
}

Result<std::unique_ptr<QbftDriver>> QbftDriver::create(runtime::Executor ex, p2p::Node& node, OperatorIdx self,
                                                       std::uint32_t n, std::shared_ptr<const qbft::Signer> signer,
                                                       std::shared_ptr<const qbft::Verifier> verifier,
                                                       QbftDriverOptions options) {
  if (!valid_args(self, n, signer.get(), verifier.get(), options)) return fail(DvError::kBadArgument);
  p2p::Node* node_ptr = &node;
  SendFn send = [node_ptr](OperatorIdx to, ByteSpan frame) { return node_ptr->send(to, kQbftProtocol, frame); };
  auto impl = std::make_shared<Impl>(ex, std::move(send), self, n, std::move(signer), std::move(verifier), options);
  const std::size_t max_frame = 2 + qbft::kMaxInstanceIdBytes + max_message_bytes(options.max_value_bytes);
  p2p::ProtocolSpec spec;
  spec.id = kQbftProtocol;
  spec.max_frame = static_cast<std::uint32_t>(max_frame);
  spec.priority = p2p::Priority::kHigh;
  spec.on_message = [weak = std::weak_ptr<Impl>(impl)](OperatorIdx from, ByteSpan body) {
    if (auto p = weak.lock()) p->on_frame(from, body);
  };
  if (auto r = node.register_protocol(std::move(spec)); !r) return std::unexpected(r.error());
  if (options.registry) impl->export_metrics(*options.registry);
  return std::unique_ptr<QbftDriver>(new QbftDriver(std::move(impl)));
}

QbftDriver::QbftDriver(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
QbftDriver::~QbftDriver() {
  if (impl_) impl_->stop();
}

Result<void> QbftDriver::propose(ByteSpan instance_id, ByteSpan value, std::optional<TimePoint> duty_start) {
  return impl_->propose(instance_id, value, duty_start);
}
void QbftDriver::on_decided(DecidedFn fn) { impl_->decided_fn = std::move(fn); }
void QbftDriver::set_validator(ValidatorFn fn) { impl_->validator_fn = std::move(fn); }
void QbftDriver::set_round1_check(ValidatorFn fn) { impl_->round1_fn = std::move(fn); }
void QbftDriver::set_round1_hold(ValidatorFn fn) { impl_->round1_hold_fn = std::move(fn); }
void QbftDriver::release_held(ByteSpan instance_id) { impl_->release_held(instance_id); }
void QbftDriver::on_misbehaviour(MisbehaviourFn fn) { impl_->misbehaviour_fn = std::move(fn); }
void QbftDriver::expire(ByteSpan instance_id) { impl_->expire(instance_id); }
void QbftDriver::stop() { impl_->stop(); }
void QbftDriver::deliver(OperatorIdx from, ByteSpan frame) { impl_->on_frame(from, frame); }

bool QbftDriver::live(ByteSpan instance_id) const { return impl_->live.contains(instance_id); }
bool QbftDriver::decided(ByteSpan instance_id) const {
  auto it = impl_->live.find(instance_id);
  return it != impl_->live.end() && it->second->decided;
}
qbft::Round QbftDriver::round(ByteSpan instance_id) const {
  auto it = impl_->live.find(instance_id);
  return it == impl_->live.end() ? 0 : it->second->instance->round();
}
std::size_t QbftDriver::memory_bytes() const { return impl_->memory_bytes(); }
const QbftDriverMetrics& QbftDriver::metrics() const { return impl_->m; }

}  // namespace phx::dv
