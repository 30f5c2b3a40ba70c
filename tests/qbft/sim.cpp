#include "sim.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <random>
#include <set>

#include "consensus/qbft/instance.hpp"
#include "consensus/qbft/leader.hpp"
#include "consensus/qbft/message.hpp"
#include "crypto/hash/sha256.hpp"
#include "identities.hpp"

namespace phx::consensus::qbft::sim {

namespace {

constexpr std::uint64_t kD = 1'000'000;        // the link delay unit d: 1 ms of simulated time
constexpr std::size_t kMaxSeen = 64;           // messages a Byzantine node remembers for replays
constexpr std::uint32_t kMaxInjections = 400;  // extra messages one Byzantine node may create per schedule

/// Deterministic randomness (no std distributions: their output is implementation-defined).
struct Rng {
  std::mt19937_64 g;
  explicit Rng(std::uint64_t seed) : g(seed * 0x9E3779B97F4A7C15ULL + 0x5148414cULL) {}
  std::uint64_t below(std::uint64_t n) { return n == 0 ? 0 : g() % n; }
  double unit() { return static_cast<double>(g() >> 11) * 0x1.0p-53; }
  bool chance(double p) { return unit() < p; }
  Root root() {
    Root r;
    for (auto& x : r) x = static_cast<std::uint8_t>(g());
    return r;
  }
};

enum class EvKind { kStart, kDeliver, kTimer, kValue, kCrash, kRestart };

struct Event {
  std::uint64_t time = 0;
  std::uint64_t seq = 0;
  EvKind kind = EvKind::kDeliver;
  std::uint32_t node = 0;
  std::uint32_t from = 0;
  Round round = 0;
  std::uint64_t gen = 0;
  std::shared_ptr<const Bytes> bytes;
};

struct Later {
  bool operator()(const Event& a, const Event& b) const {
    return a.time != b.time ? a.time > b.time : a.seq > b.seq;
  }
};

enum class ByzMode { kSilent, kWithhold, kEquivocate, kRandom, kReplay, kMixed, kFastSplit };
constexpr std::uint64_t kByzModes = 7;
const char* mode_name(ByzMode m) {
  switch (m) {
    case ByzMode::kSilent:
      return "silent";
    case ByzMode::kWithhold:
      return "withhold";
    case ByzMode::kEquivocate:
      return "equivocate";
    case ByzMode::kRandom:
      return "random";
    case ByzMode::kReplay:
      return "replay";
    case ByzMode::kMixed:
      return "mixed";
    case ByzMode::kFastSplit:
      return "fast-split";
  }
  return "?";
}

struct Node {
  bool byz = false;
  ByzMode mode = ByzMode::kSilent;
  bool crashes = false;
  bool alive = true;
  std::uint64_t incarnation = 0;
  std::unique_ptr<Instance> inst;
  std::int64_t skew_ns = 0;  // local clock = global + skew
  Value input;
  std::uint64_t value_time = 0;
  std::uint64_t timer_gen = 0;
  bool decided = false;  // current incarnation
  std::uint64_t first_decide_time = 0;
  bool ever_decided = false;
  // Byzantine state
  std::vector<std::shared_ptr<const Bytes>> seen;
  std::set<std::pair<Round, Root>> voted;
  std::map<Root, Bytes> known_values;
  Round observed = 1;
  std::uint32_t injections = 0;
  std::uint32_t fast_target = 0;  // fast-split: the one honest node that gets its round-1 PREPARE
};

class Sim {
 public:
  explicit Sim(const SimConfig& c)
      : cfg_(c), rng_(c.seed), ids_(Identities::make(c.nodes, c.seed, c.real_signatures)) {}

  SimResult run();

 private:
  Config node_config(std::uint32_t i) const {
    Config qc;
    qc.instance_id = instance_id_;
    qc.n = cfg_.nodes;
    qc.self = OperatorIdx{i};
    qc.timer = timer_;
    qc.max_value_bytes = 4096;
    qc.fast_path = cfg_.fast_path;
    return qc;
  }
  std::uint64_t local(std::uint32_t i, std::uint64_t t) const {
    const std::int64_t l = static_cast<std::int64_t>(t) + nodes_[i].skew_ns;
    return l < 0 ? 0 : static_cast<std::uint64_t>(l);
  }
  void push(Event e) {
    e.seq = seq_++;
    queue_.push(std::move(e));
  }
  void fail(std::string why) {
    if (result_.ok) {
      result_.ok = false;
      result_.failure = std::move(why);
    }
  }
  void trace(const char* what, std::uint32_t node, const std::string& detail = {}) const {
    if (cfg_.verbose)
      std::fprintf(stderr, "t=%.3fd node %u: %s %s\n", static_cast<double>(now_) / kD, node, what,
                   detail.c_str());
  }

  void setup();
  void start_node(std::uint32_t i);
  void create_instance(std::uint32_t i);
  void transmit(std::uint32_t from, std::uint32_t to, const std::shared_ptr<const Bytes>& bytes);
  void send(std::uint32_t from, const Outgoing& m);
  void absorb(std::uint32_t i, Outbox out);
  void record_decision(std::uint32_t i, const Decision& d);
  void handle(const Event& e);
  bool all_done() const;
  // Byzantine behaviour
  void byz_emit(std::uint32_t j, const Outgoing& m);
  void byz_receive(std::uint32_t j, const std::shared_ptr<const Bytes>& bytes);
  void byz_inject_random(std::uint32_t j);
  void byz_double_vote(std::uint32_t j, Round r, const Root& h);
  Bytes byz_sign(std::uint32_t j, Message m) const {
    sign(m.body, *ids_.signers[j]);
    return encode(m);
  }
  void byz_send_planned(std::uint32_t j, const Bytes& b, const std::vector<bool>& to_set) {
    auto p = std::make_shared<const Bytes>(b);
    for (std::uint32_t to = 0; to < cfg_.nodes; ++to)
      if (to != j && to_set[to]) transmit(j, to, p);
  }
  void byz_broadcast(std::uint32_t j, Bytes b) {
    auto p = std::make_shared<const Bytes>(std::move(b));
    for (std::uint32_t to = 0; to < cfg_.nodes; ++to)
      if (to != j) transmit(j, to, p);
  }
  Value fresh_value(const char* tag) {
    Bytes b(tag, tag + std::char_traits<char>::length(tag));
    Bytes suffix(16);
    put_le64(suffix.data(), cfg_.seed);
    put_le64(suffix.data() + 8, value_counter_++);
    append(b, suffix);
    Value v = Value::from_bytes(std::move(b));
    proposed_.insert(v.hash);
    return v;
  }

  SimConfig cfg_;
  Rng rng_;
  Identities ids_;
  Bytes instance_id_;
  RoundTimer timer_;
  std::vector<Node> nodes_;
  std::priority_queue<Event, std::vector<Event>, Later> queue_;
  std::uint64_t seq_ = 0;
  std::uint64_t now_ = 0;
  std::uint64_t value_counter_ = 0;
  std::set<Root> proposed_;
  std::map<std::pair<Round, Root>, std::vector<bool>> plan_;  // equivocation: who got which proposal
  std::optional<Value> agreed_;
  std::optional<Value> lie_;
  bool any_fast_ = false, any_later_ = false;
  bool fast_split_ = false;  // some Byzantine node is in fast-split mode (and the network helps it)  // fast-split: the value every Byzantine node claims to have voted for in round 1
  // network
  std::vector<std::vector<std::uint64_t>> base_latency_;
  std::uint64_t jitter_ = 0;
  std::uint64_t gst_ = 0;
  double p_drop_ = 0, p_dup_ = 0;
  std::uint64_t part_start_ = 0, part_end_ = 0;
  std::vector<bool> side_;
  std::uint64_t stable_ = 0;   // all faults over, all values available, all restarts done
  std::uint32_t pending_ = 0;  // start/restart events not yet run for honest nodes
  SimResult result_;
};

void Sim::setup() {
  const std::uint32_t n = cfg_.nodes;
  instance_id_ = Bytes{'d', 'u', 't', 'y', '/'};
  Bytes s(8);
  put_be64(s.data(), cfg_.seed);
  append(instance_id_, s);
  timer_.kind = RoundTimer::Kind::kLinear;
  timer_.first_ns = 20 * kD;
  timer_.increment_ns = 10 * kD;
  nodes_.resize(n);
  result_.delay_unit_ns = kD;

  // Roles: a random choice of Byzantine nodes, then of crashing honest nodes.
  std::vector<std::uint32_t> order(n);
  for (std::uint32_t i = 0; i < n; ++i) order[i] = i;
  for (std::uint32_t i = n; i > 1; --i) std::swap(order[i - 1], order[rng_.below(i)]);
  for (std::uint32_t k = 0; k < cfg_.byzantine; ++k) {
    Node& b = nodes_[order[k]];
    b.byz = true;
    b.mode = static_cast<ByzMode>(cfg_.byzantine_mode >= 0 ? static_cast<std::uint64_t>(cfg_.byzantine_mode)
                                                           : rng_.below(kByzModes));
  }
  // Fast-split nodes all target one honest node (so that it alone may decide fast) and lie about one value.
  if (cfg_.byzantine > 0 && cfg_.byzantine < n) {
    const std::uint32_t target = order[cfg_.byzantine + rng_.below(n - cfg_.byzantine)];
    for (auto& b : nodes_) b.fast_target = target;
    lie_ = fresh_value("fast-split-lie");
  }
  for (std::uint32_t k = 0; k < cfg_.crash; ++k) nodes_[order[cfg_.byzantine + k]].crashes = true;

  // Network.
  base_latency_.assign(n, std::vector<std::uint64_t>(n, kD));
  if (!cfg_.happy) {
    for (std::uint32_t i = 0; i < n; ++i)
      for (std::uint32_t j = 0; j < n; ++j) base_latency_[i][j] = kD / 2 + rng_.below(kD);
    jitter_ = kD / 2;
    // Both round-timer strategies: linear (20d, +10d per round) and, in 20 % of seeds, exponential
    // (20d·2^(r-1)).
    if (rng_.chance(0.2)) timer_.kind = RoundTimer::Kind::kExponential;
    if (!rng_.chance(0.3)) gst_ = rng_.below(timer_.deadline_ns(4));
    const double drops[] = {0.05, 0.2, 0.5};
    const double dups[] = {0.0, 0.05, 0.2};
    p_drop_ = drops[rng_.below(3)];
    p_dup_ = dups[rng_.below(3)];
    if (gst_ > 0 && rng_.chance(0.5)) {
      part_start_ = rng_.below(gst_);
      part_end_ = part_start_ + rng_.below(gst_ - part_start_ + 1);
      side_.resize(n);
      for (std::uint32_t i = 0; i < n; ++i) side_[i] = rng_.chance(0.5);
    }
  }

  // Fast-split schedules: the network works with the adversary until the end of round 6 — round-1 COMMITs are lost,
  // round-1 PREPAREs reach only the target and the target's own messages are lost — so the target alone
  // decides fast and the others must agree through round changes without it (its DECIDED answers arrive
  // only after that).
  for (const auto& nd : nodes_) fast_split_ = fast_split_ || (nd.byz && nd.mode == ByzMode::kFastSplit);
  if (fast_split_ && !cfg_.happy) gst_ = std::max(gst_, timer_.deadline_ns(6));

  // Values: all honest nodes fetch the same data, or each its own.
  const bool common = cfg_.happy || rng_.chance(0.5);
  Value shared = fresh_value("common");
  std::uint64_t last = gst_;
  for (std::uint32_t i = 0; i < n; ++i) {
    Node& nd = nodes_[i];
    nd.input = nd.byz ? fresh_value("byz") : (common ? shared : fresh_value("own"));
    if (!cfg_.happy)
      nd.skew_ns = static_cast<std::int64_t>(rng_.below(kD)) - static_cast<std::int64_t>(kD / 2);
    const std::uint64_t start = cfg_.happy ? 0 : rng_.below(2 * kD);
    nd.value_time = cfg_.happy || !rng_.chance(0.3) ? start : start + rng_.below(timer_.deadline_ns(2));
    last = std::max(last, nd.value_time);
    create_instance(i);
    push(Event{start, 0, EvKind::kStart, i, 0, 0, 0, nullptr});
    if (!nd.byz) ++pending_;
    if (nd.value_time > start) push(Event{nd.value_time, 0, EvKind::kValue, i, 0, 0, 0, nullptr});
    if (nd.crashes) {
      const std::uint64_t crash_at =
          rng_.below(std::max(gst_, timer_.deadline_ns(2)) + timer_.deadline_ns(1));
      push(Event{crash_at, 0, EvKind::kCrash, i, 0, 0, 0, nullptr});
      if (rng_.chance(0.7)) {
        const std::uint64_t back = crash_at + 1 + rng_.below(timer_.deadline_ns(3));
        push(Event{back, 0, EvKind::kRestart, i, 0, 0, 0, nullptr});
        ++pending_;
        last = std::max(last, back);
      }
    }
  }
  stable_ = last;
  if (cfg_.verbose)
    std::fprintf(
        stderr, "seed %llu: gst %.1fd drop %.2f dup %.2f partition [%.1fd, %.1fd) values %s timer %s\n",
        static_cast<unsigned long long>(cfg_.seed), static_cast<double>(gst_) / kD, p_drop_, p_dup_,
        static_cast<double>(part_start_) / kD, static_cast<double>(part_end_) / kD,
        common ? "common" : "distinct", timer_.kind == RoundTimer::Kind::kLinear ? "linear" : "exponential");
}

void Sim::transmit(std::uint32_t from, std::uint32_t to, const std::shared_ptr<const Bytes>& bytes) {
  std::uint64_t lat = base_latency_[from][to] + rng_.below(jitter_ + 1);
  if (fast_split_ && now_ < gst_) {
    const std::uint32_t target = nodes_[from].fast_target;
    if (from == target) return;
    if (auto m = decode(*bytes)) {
      if (m->body.type == MsgType::kCommit && m->body.round == 1) return;
      if (m->body.type == MsgType::kPrepare && m->body.round == 1 && to != target) return;
    }
  }
  if (now_ < gst_) {
    if (rng_.chance(p_drop_)) return;
    if (now_ >= part_start_ && now_ < part_end_ && side_[from] != side_[to]) return;
  }
  push(Event{now_ + lat, 0, EvKind::kDeliver, to, from, 0, 0, bytes});
  if (p_dup_ > 0 && rng_.chance(p_dup_))
    push(Event{now_ + lat + rng_.below(3 * kD), 0, EvKind::kDeliver, to, from, 0, 0, bytes});
}

void Sim::send(std::uint32_t from, const Outgoing& m) {
  if (cfg_.verbose) {
    auto dm = decode(m.bytes);
    if (dm)
      trace("send", from,
            fmt::format("{} r{} hash {}{}", to_string(dm->body.type), dm->body.round,
                        to_hex(dm->body.value_hash).substr(0, 10), m.to ? fmt::format(" to {}", m.to->value) : ""));
  }
  auto p = std::make_shared<const Bytes>(m.bytes);
  if (m.to) {
    transmit(from, m.to->value, p);
    return;
  }
  for (std::uint32_t to = 0; to < cfg_.nodes; ++to)
    if (to != from) transmit(from, to, p);
}

void Sim::absorb(std::uint32_t i, Outbox out) {
  Node& nd = nodes_[i];
  for (const auto& m : out.messages) {
    if (nd.byz) {
      byz_emit(i, m);
    } else {
      send(i, m);
    }
  }
  if (out.timer) {
    ++nd.timer_gen;
    const std::int64_t g = static_cast<std::int64_t>(out.timer->deadline_ns) - nd.skew_ns;
    const std::uint64_t at = std::max<std::uint64_t>(now_, g < 0 ? 0 : static_cast<std::uint64_t>(g));
    push(Event{at, 0, EvKind::kTimer, i, 0, out.timer->round, nd.timer_gen, nullptr});
  }
  if (out.stop_timer) ++nd.timer_gen;
  if (nd.byz) return;
  if (out.rejected) {
    ++result_.rejections;
    ++result_.rejections_by_reason[static_cast<std::size_t>(*out.rejected) %
                                   result_.rejections_by_reason.size()];
    if (cfg_.verbose) trace("rejected", i, to_string(*out.rejected));
  }
  if (out.decision) record_decision(i, *out.decision);
  const std::size_t stored = nd.inst->stored_bytes();
  result_.max_stored_bytes = std::max(result_.max_stored_bytes, stored);
  if (stored > Instance::memory_bound(nd.inst->config()))
    fail(fmt::format("bounded memory: node {} holds {} bytes", i, stored));
}

void Sim::record_decision(std::uint32_t i, const Decision& d) {
  Node& nd = nodes_[i];
  trace("DECIDED", i, fmt::format("round {} value {}", d.round, to_hex(d.value.hash).substr(0, 18)));
  if (nd.decided) fail(fmt::format("node {} decided twice in one incarnation", i));
  nd.decided = true;
  if (!nd.ever_decided) {
    nd.ever_decided = true;
    nd.first_decide_time = now_;
    result_.max_decision_latency_d =
        std::max(result_.max_decision_latency_d, static_cast<double>(now_) / static_cast<double>(kD));
  }
  result_.max_round = std::max(result_.max_round, d.round);
  if (d.fast) ++result_.fast_decisions;
  if (d.fast) any_fast_ = true;
  if (d.round > 1) any_later_ = true;  // decided on a later round's proposal (not on the fast node's DECIDED)
  result_.fast_then_later_round = any_fast_ && any_later_;
  if (crypto::hash::sha256(d.value.data) != d.value.hash)
    fail(fmt::format("validity: node {} decided bytes that do not match the decided hash", i));
  if (!proposed_.contains(d.value.hash))
    fail(fmt::format("validity: node {} decided a value nobody proposed", i));
  if (!agreed_) {
    agreed_ = d.value;
  } else if (agreed_->hash != d.value.hash) {
    fail(fmt::format("agreement: node {} decided {} but another honest node decided {}", i,
                     to_hex(d.value.hash).substr(0, 18), to_hex(agreed_->hash).substr(0, 18)));
  }
}

void Sim::create_instance(std::uint32_t i) {
  // A driver creates the instance when the duty is scheduled or its first message arrives: messages that
  // arrive before on_start are kept. A restart loses all state.
  Node& nd = nodes_[i];
  nd.inst = std::make_unique<Instance>(node_config(i), *ids_.signers[i], *ids_.verifier);
  nd.decided = false;
  ++nd.timer_gen;
}

void Sim::start_node(std::uint32_t i) {
  Node& nd = nodes_[i];
  if (nd.byz && nd.mode == ByzMode::kSilent) return;
  std::optional<Value> v;
  if (nd.value_time <= now_) v = nd.input;
  trace("start", i, nd.byz ? fmt::format("byzantine {}", mode_name(nd.mode)) : std::string("honest"));
  absorb(i, nd.inst->on_start(v, local(i, now_)));
}

void Sim::handle(const Event& e) {
  Node& nd = nodes_[e.node];
  switch (e.kind) {
    case EvKind::kStart:
      if (!nd.byz) --pending_;
      if (nd.alive) start_node(e.node);
      break;
    case EvKind::kRestart:
      --pending_;
      nd.alive = true;
      ++nd.incarnation;
      trace("restart (state lost)", e.node);
      create_instance(e.node);
      start_node(e.node);
      break;
    case EvKind::kCrash:
      trace("crash", e.node);
      nd.alive = false;
      ++nd.timer_gen;
      break;
    case EvKind::kValue:
      if (nd.alive && nd.inst->started() && !(nd.byz && nd.mode == ByzMode::kSilent))
        absorb(e.node, nd.inst->on_value_available(nd.input));
      break;
    case EvKind::kTimer:
      if (nd.alive && e.gen == nd.timer_gen) {
        trace("timeout", e.node, fmt::format("round {}", e.round));
        absorb(e.node, nd.inst->on_timeout(e.round));
      }
      break;
    case EvKind::kDeliver:
      if (!nd.alive) break;  // crashed: the message is lost
      ++result_.deliveries;
      if (nd.byz) {
        byz_receive(e.node, e.bytes);
      } else {
        if (cfg_.verbose) {
          auto m = decode(*e.bytes);
          trace("recv", e.node,
                m ? fmt::format("{} r{} from {} hash {}", to_string(m->body.type), m->body.round,
                                m->body.sender.value, to_hex(m->body.value_hash).substr(0, 10))
                  : std::string("garbage"));
        }
        absorb(e.node, nd.inst->on_message(*e.bytes));
      }
      break;
  }
}

bool Sim::all_done() const {
  if (pending_ > 0) return false;
  for (const auto& nd : nodes_)
    if (!nd.byz && nd.alive && !nd.decided) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------------------------
// Byzantine nodes: an honest "puppet" instance with the node's own key provides plausible messages; the mode
// decides how they are corrupted and what is injected on top. They can sign only with their own key.

void Sim::byz_emit(std::uint32_t j, const Outgoing& m) {
  Node& nd = nodes_[j];
  switch (nd.mode) {
    case ByzMode::kSilent:
      return;
    case ByzMode::kWithhold: {
      auto dm = decode(m.bytes);
      if (dm && dm->body.type == MsgType::kCommit && rng_.chance(0.5)) return;  // withhold commits entirely
      auto p = std::make_shared<const Bytes>(m.bytes);
      for (std::uint32_t to = 0; to < cfg_.nodes; ++to)
        if (to != j && (!m.to || m.to->value == to) && rng_.chance(0.5)) transmit(j, to, p);
      return;
    }
    case ByzMode::kEquivocate:
    case ByzMode::kMixed: {
      auto dm = decode(m.bytes);
      if (dm && dm->body.type == MsgType::kPrePrepare && !m.to) {
        bool has_prepares = false;
        for (const auto& x : dm->justification) has_prepares = has_prepares || x.type == MsgType::kPrepare;
        if (!has_prepares) {
          // Equivocating leader: a second, equally justified proposal with another value for some nodes.
          Message alt = *dm;
          Value v = fresh_value("equivocation");
          alt.value = v.data;
          alt.body.value_hash = v.hash;
          const Round r = alt.body.round;
          trace("equivocates", j, fmt::format("round {}", r));
          auto a = std::make_shared<const Bytes>(byz_sign(j, std::move(alt)));
          auto o = std::make_shared<const Bytes>(m.bytes);
          // Colluding Byzantine nodes see both proposals and later vote for each value only towards the
          // honest nodes that received it (plan_), so that each side can reach a quorum.
          auto& plan_a = plan_[{r, v.hash}];
          auto& plan_o = plan_[{r, dm->body.value_hash}];
          plan_a.assign(cfg_.nodes, false);
          plan_o.assign(cfg_.nodes, false);
          std::uint32_t honest_seen = static_cast<std::uint32_t>(rng_.below(2));
          plan_a[j] = plan_o[j] = true;
          for (std::uint32_t to = 0; to < cfg_.nodes; ++to) {
            if (to == j) continue;
            if (nodes_[to].byz) {
              transmit(j, to, a);
              transmit(j, to, o);
              plan_a[to] = plan_o[to] = true;
            } else {
              const bool alt_side = (honest_seen++ % 2) == 1;  // split the honest nodes in halves
              transmit(j, to, alt_side ? a : o);
              (alt_side ? plan_a : plan_o)[to] = true;
            }
          }
          byz_double_vote(j, r, v.hash);  // and votes for its second value too
          return;
        }
      }
      if (dm && !m.to && (dm->body.type == MsgType::kPrepare || dm->body.type == MsgType::kCommit)) {
        auto it = plan_.find({dm->body.round, dm->body.value_hash});
        if (it != plan_.end()) {
          byz_send_planned(j, m.bytes, it->second);
          return;
        }
      }
      send(j, m);
      return;
    }
    case ByzMode::kRandom:
    case ByzMode::kReplay:
      send(j, m);
      return;
    case ByzMode::kFastSplit: {
      auto dm = decode(m.bytes);
      if (!dm) return;
      if (dm->body.type == MsgType::kCommit) return;  // withheld: the others must rely on a round change
      if (dm->body.type == MsgType::kPrepare && dm->body.round == 1 && !m.to) {
        transmit(j, nd.fast_target, std::make_shared<const Bytes>(m.bytes));  // only the target can decide fast
        return;
      }
      if (dm->body.type == MsgType::kRoundChange && lie_) {
        // Claims no prepared certificate and a round-1 vote for the common lie.
        Message rc;
        rc.body = dm->body;
        rc.body.prepared_round = kNoRound;
        rc.body.value_hash = lie_->hash;
        rc.value = lie_->data;
        trace("lies about its round-1 vote", j, fmt::format("round {}", rc.body.round));
        Bytes b = byz_sign(j, std::move(rc));
        if (m.to) {
          transmit(j, m.to->value, std::make_shared<const Bytes>(std::move(b)));
        } else {
          byz_broadcast(j, std::move(b));
        }
        return;
      }
      send(j, m);
      return;
    }
  }
}

void Sim::byz_receive(std::uint32_t j, const std::shared_ptr<const Bytes>& bytes) {
  Node& nd = nodes_[j];
  if (nd.mode == ByzMode::kSilent) return;
  if (nd.seen.size() < kMaxSeen) {
    nd.seen.push_back(bytes);
  } else {
    nd.seen[rng_.below(kMaxSeen)] = bytes;
  }
  auto dm = decode(*bytes);
  if (dm) {
    nd.observed = std::max(nd.observed, dm->body.round);
    if (dm->value && nd.known_values.size() < 32) nd.known_values[dm->body.value_hash] = *dm->value;
  }
  absorb(j, nd.inst->on_message(*bytes));
  if (nd.injections >= kMaxInjections) return;
  const bool equivocate = nd.mode == ByzMode::kEquivocate || nd.mode == ByzMode::kMixed;
  const bool random = nd.mode == ByzMode::kRandom || nd.mode == ByzMode::kMixed;
  const bool replay = nd.mode == ByzMode::kReplay || nd.mode == ByzMode::kMixed;
  if (equivocate && dm && dm->body.type == MsgType::kPrePrepare && nd.voted.size() < 64 &&
      nd.voted.insert({dm->body.round, dm->body.value_hash}).second) {
    byz_double_vote(j, dm->body.round, dm->body.value_hash);
  }
  if (random && rng_.chance(0.3)) byz_inject_random(j);
  if (replay && rng_.chance(0.2) && !nd.seen.empty()) {
    // Replay an old message (any sender's) to one node, possibly much later.
    auto old = nd.seen[rng_.below(nd.seen.size())];
    const std::uint32_t to = static_cast<std::uint32_t>(rng_.below(cfg_.nodes));
    push(Event{now_ + rng_.below(40 * kD), 0, EvKind::kDeliver, to, j, 0, 0, old});
    ++nd.injections;
  }
}

void Sim::byz_double_vote(std::uint32_t j, Round r, const Root& h) {
  // Double voting: prepare and commit every proposal seen, whatever was voted before.
  for (MsgType t : {MsgType::kPrepare, MsgType::kCommit}) {
    Message v;
    v.body.type = t;
    v.body.instance = instance_id_;
    v.body.sender = OperatorIdx{j};
    v.body.round = r;
    v.body.value_hash = h;
    auto it = plan_.find({r, h});
    if (it != plan_.end()) {
      byz_send_planned(j, byz_sign(j, std::move(v)), it->second);
    } else {
      byz_broadcast(j, byz_sign(j, std::move(v)));
    }
    ++nodes_[j].injections;
  }
}

void Sim::byz_inject_random(std::uint32_t j) {
  Node& nd = nodes_[j];
  ++nd.injections;
  Message m;
  m.body.instance = instance_id_;
  m.body.sender = OperatorIdx{j};
  const Round lo = nd.observed > 1 ? nd.observed - 1 : 1;
  m.body.round = lo + static_cast<Round>(rng_.below(4));
  auto some_hash = [&]() -> Root {
    if (!nd.known_values.empty() && rng_.chance(0.5)) {
      auto it = nd.known_values.begin();
      std::advance(it, static_cast<std::ptrdiff_t>(rng_.below(nd.known_values.size())));
      return it->first;
    }
    return rng_.root();
  };
  auto own_prepare = [&](Round r, const Root& h) {
    SignedBody b;
    b.type = MsgType::kPrepare;
    b.instance = instance_id_;
    b.sender = OperatorIdx{j};
    b.round = r;
    b.value_hash = h;
    sign(b, *ids_.signers[j]);
    return b;
  };
  switch (rng_.below(10)) {
    case 0:
      m.body.type = MsgType::kPrepare;
      m.body.value_hash = some_hash();
      break;
    case 1:
      m.body.type = MsgType::kCommit;
      m.body.value_hash = some_hash();
      break;
    case 2:
      m.body.type = MsgType::kRoundChange;
      m.body.round = std::max<Round>(2, m.body.round);
      break;
    case 3: {  // a proposal, usually from a non-leader or with a junk justification
      Value v = fresh_value("random-proposal");
      m.body.type = MsgType::kPrePrepare;
      m.value = v.data;
      m.body.value_hash = v.hash;
      if (m.body.round > 1) {
        SignedBody rc;
        rc.type = MsgType::kRoundChange;
        rc.instance = instance_id_;
        rc.sender = OperatorIdx{j};
        rc.round = m.body.round;
        sign(rc, *ids_.signers[j]);
        m.justification.assign(cfg_.nodes, rc);  // the same sender n times
      }
      break;
    }
    case 4: {  // garbage bytes
      Bytes g(rng_.below(200));
      for (auto& x : g) x = static_cast<std::uint8_t>(rng_.below(256));
      byz_broadcast(j, std::move(g));
      return;
    }
    case 5:  // wrong instance
      m.body.type = MsgType::kPrepare;
      m.body.instance = Bytes{'o', 't', 'h', 'e', 'r'};
      m.body.value_hash = some_hash();
      break;
    case 6: {  // forged sender: claims to be another node, signed with our key
      m.body.type = rng_.chance(0.5) ? MsgType::kPrepare : MsgType::kCommit;
      m.body.value_hash = some_hash();
      sign(m.body, *ids_.signers[j]);
      m.body.sender = OperatorIdx{static_cast<std::uint32_t>(rng_.below(cfg_.nodes))};
      byz_broadcast(j, encode(m));
      return;
    }
    case 7: {  // round change claiming a prepared value with a junk justification
      m.body.type = MsgType::kRoundChange;
      m.body.round = std::max<Round>(2, m.body.round);
      m.body.prepared_round = m.body.round - 1;
      Value v = fresh_value("fake-prepared");
      m.value = v.data;
      m.body.value_hash = v.hash;
      m.justification.push_back(own_prepare(m.body.prepared_round, v.hash));
      break;
    }
    case 8: {  // DECIDED assembled from observed commits (valid only if a real quorum was seen)
      std::map<std::pair<Round, Root>, std::vector<SignedBody>> commits;
      for (const auto& s : nd.seen) {
        auto d = decode(*s);
        if (d && d->body.type == MsgType::kCommit)
          commits[{d->body.round, d->body.value_hash}].push_back(d->body);
      }
      m.body.type = MsgType::kDecided;
      if (commits.empty()) {
        Value v = fresh_value("fake-decided");
        m.value = v.data;
        m.body.value_hash = v.hash;
        m.justification.push_back(own_prepare(m.body.round, v.hash));
        m.justification.back().type = MsgType::kCommit;
        sign(m.justification.back(), *ids_.signers[j]);
      } else {
        auto& [key, list] = *commits.begin();
        m.body.round = key.first;
        m.body.value_hash = key.second;
        auto it = nd.known_values.find(key.second);
        m.value = it != nd.known_values.end() ? it->second : Bytes{'?'};
        m.justification = list;
      }
      break;
    }
    default: {  // a seen message with one byte flipped
      if (nd.seen.empty()) return;
      Bytes b = *nd.seen[rng_.below(nd.seen.size())];
      if (!b.empty()) b[rng_.below(b.size())] ^= static_cast<std::uint8_t>(1 + rng_.below(255));
      byz_broadcast(j, std::move(b));
      return;
    }
  }
  byz_broadcast(j, byz_sign(j, std::move(m)));
}

SimResult Sim::run() {
  setup();
  // Termination bound: the system is stable from stable_ on (GST passed, partition healed, every value
  // available, every restart done). Leaders rotate, and at most f nodes are Byzantine or crashed for good, so
  // among the f+1 rounds after the first fully stable round one has an honest leader; rounds are already
  // longer than the 4 post-GST delays (ROUND-CHANGE, PRE-PREPARE, PREPARE, COMMIT ≤ 2d each) it needs. Hence
  // every live honest node must have decided by the end of round stable_round + f + 2.
  const Round stable_round = timer_.round_at(stable_ + kD);
  const std::uint64_t limit = timer_.deadline_ns(stable_round + (cfg_.nodes - 1) / 3 + 2) + 20 * kD;
  while (!queue_.empty() && result_.ok) {
    Event e = queue_.top();
    queue_.pop();
    if (e.time > limit) break;
    now_ = e.time;
    handle(e);
    if (all_done()) break;
  }
  if (result_.ok && !all_done()) {
    std::string who;
    for (std::uint32_t i = 0; i < cfg_.nodes; ++i)
      if (!nodes_[i].byz && nodes_[i].alive && !nodes_[i].decided)
        who += fmt::format(" {}(round {})", i, nodes_[i].inst ? nodes_[i].inst->round() : 0);
    fail(fmt::format("termination: honest nodes undecided at t={}d (stable from {}d):{}", limit / kD,
                     stable_ / kD, who));
  }
  return result_;
}

}  // namespace

SimResult run_schedule(const SimConfig& config) {
  Sim s(config);
  return s.run();
}

}  // namespace phx::consensus::qbft::sim
