#include <gtest/gtest.h>

#include <deque>
#include <memory>

#include "consensus/qbft/instance.hpp"
#include "consensus/qbft/leader.hpp"
#include "consensus/qbft/message.hpp"
#include "consensus/qbft/signer_doubles_test.hpp"

namespace phx::consensus::qbft {
namespace {

Bytes str_bytes(std::string_view s) {
  return Bytes(s.begin(), s.end());
}
/// prefix followed by the decimal digits of i (avoids g++ 12's bogus -Wrestrict on string concatenation).
Bytes numbered(std::string_view prefix, unsigned i) {
  Bytes b = str_bytes(prefix);
  Bytes digits;
  do {
    digits.insert(digits.begin(), static_cast<std::uint8_t>('0' + i % 10));
    i /= 10;
  } while (i);
  append(b, digits);
  return b;
}

/// n test identities (deterministic keys 1..n; the fast HMAC double, secp256k1 is tested in dv_test).
struct Keys {
  std::vector<std::unique_ptr<FakeSignerForTests>> signers;
  std::unique_ptr<FakeVerifierForTests> verifier;
  explicit Keys(std::uint32_t n) {
    std::vector<ByteArray<32>> keys;
    for (std::uint32_t i = 0; i < n; ++i) {
      ByteArray<32> sk{};
      sk[31] = static_cast<std::uint8_t>(i + 1);
      sk[0] = 0x42;
      keys.push_back(sk);
      signers.push_back(std::make_unique<FakeSignerForTests>(sk));
    }
    verifier = std::make_unique<FakeVerifierForTests>(keys);
  }
};

Config make_config(std::uint32_t n, std::uint32_t self, std::string_view id = "duty-1", bool fast_path = true) {
  Config c;
  c.fast_path = fast_path;
  c.instance_id = str_bytes(id);
  c.n = n;
  c.self = OperatorIdx{self};
  c.timer.first_ns = 1000;
  c.timer.increment_ns = 500;
  return c;
}

/// A synchronous in-memory cluster: FIFO delivery, optional filter to drop messages.
struct Cluster {
  Keys keys;
  std::vector<std::unique_ptr<Instance>> nodes;
  std::deque<std::pair<std::uint32_t, Outgoing>> queue;  // (from, message)
  std::vector<std::optional<TimerRequest>> timers;
  std::vector<std::optional<Decision>> decided;
  std::vector<Reject> rejections;
  std::function<bool(std::uint32_t from, std::uint32_t to, const Bytes&)> drop;
  std::vector<bool> crashed;

  explicit Cluster(std::uint32_t n, std::string_view id = "duty-1", bool fast_path = true) : keys(n) {
    for (std::uint32_t i = 0; i < n; ++i)
      nodes.push_back(
          std::make_unique<Instance>(make_config(n, i, id, fast_path), *keys.signers[i], *keys.verifier));
    timers.resize(n);
    decided.resize(n);
    crashed.assign(n, false);
  }
  std::uint32_t n() const { return static_cast<std::uint32_t>(nodes.size()); }
  void absorb(std::uint32_t from, Outbox out) {
    for (auto& m : out.messages) queue.emplace_back(from, std::move(m));
    if (out.timer) timers[from] = out.timer;
    if (out.stop_timer) timers[from].reset();
    if (out.decision) decided[from] = out.decision;
    if (out.rejected) rejections.push_back(*out.rejected);
  }
  void start_all(const std::vector<std::optional<Value>>& values) {
    for (std::uint32_t i = 0; i < n(); ++i)
      if (!crashed[i]) absorb(i, nodes[i]->on_start(values[i]));
  }
  void run() {
    while (!queue.empty()) {
      auto [from, m] = std::move(queue.front());
      queue.pop_front();
      for (std::uint32_t to = 0; to < n(); ++to) {
        if (to == from || crashed[to]) continue;
        if (m.to && m.to->value != to) continue;
        if (drop && drop(from, to, m.bytes)) continue;
        absorb(to, nodes[to]->on_message(m.bytes));
      }
    }
  }
  void fire_timers() {
    for (std::uint32_t i = 0; i < n(); ++i)
      if (!crashed[i] && timers[i]) {
        auto t = *timers[i];
        absorb(i, nodes[i]->on_timeout(t.round));
      }
  }
};

Message decoded(const Bytes& b) {
  return *decode(b);
}

// --------------------------------------------------------------------------------------------------------------

TEST(QbftConfig, QuorumIsTwoFPlusOneForThreeFPlusOne) {
  for (std::uint32_t f = 0; f <= 10; ++f) {
    Config c;
    c.n = 3 * f + 1;
    EXPECT_EQ(c.f(), f);
    EXPECT_EQ(c.quorum(), 2 * f + 1);
  }
  Config c;
  c.n = 5;  // f = 1, ⌈(5+1+1)/2⌉ = 4
  EXPECT_EQ(c.quorum(), 4u);
}

TEST(QbftLeader, EveryNodeLeadsOnceInNConsecutiveRoundsAndDependsOnInstance) {
  const auto id = str_bytes("slot-7/attester");
  for (std::uint32_t n : {4u, 7u, 13u}) {
    std::vector<int> seen(n, 0);
    for (Round r = 5; r < 5 + n; ++r) ++seen[leader(id, r, n).value];
    for (int s : seen) EXPECT_EQ(s, 1);
  }
  std::set<std::uint32_t> firsts;
  for (int i = 0; i < 20; ++i)
    firsts.insert(leader(numbered("duty-", static_cast<unsigned>(i)), 1, 13).value);
  EXPECT_GT(firsts.size(), 3u);
}

TEST(QbftRoundTimer, LinearDeadlinesAreAbsoluteSumsOfGrowingRounds) {
  RoundTimer t;
  t.first_ns = 1000;
  t.increment_ns = 100;
  EXPECT_EQ(t.deadline_ns(1), 1000u);
  EXPECT_EQ(t.deadline_ns(2), 1000u + 1100u);
  EXPECT_EQ(t.deadline_ns(3), 1000u + 1100u + 1200u);
  EXPECT_EQ(t.round_at(0), 1u);
  EXPECT_EQ(t.round_at(999), 1u);
  EXPECT_EQ(t.round_at(1000), 2u);
  EXPECT_EQ(t.round_at(2099), 2u);
  EXPECT_EQ(t.round_at(2100), 3u);
  EXPECT_EQ(t.round_at(~0ULL), kMaxRound);
}

TEST(QbftRoundTimer, ExponentialDoublesAndSaturates) {
  RoundTimer t;
  t.kind = RoundTimer::Kind::kExponential;
  t.first_ns = 10;
  EXPECT_EQ(t.deadline_ns(1), 10u);
  EXPECT_EQ(t.deadline_ns(3), 70u);
  EXPECT_EQ(t.deadline_ns(200), ~0ULL);
  EXPECT_EQ(t.round_at(69), 3u);
  EXPECT_EQ(t.round_at(70), 4u);
}

TEST(QbftMessage, EncodeDecodeRoundTripsEveryKind) {
  Keys keys(4);
  Message pp;
  pp.body.type = MsgType::kPrePrepare;
  pp.body.instance = str_bytes("d");
  pp.body.sender = OperatorIdx{2};
  pp.body.round = 2;
  pp.value = str_bytes("value");
  pp.body.value_hash = Value::from_bytes(*pp.value).hash;
  SignedBody rc;
  rc.type = MsgType::kRoundChange;
  rc.instance = pp.body.instance;
  rc.round = 2;
  sign(rc, *keys.signers[0]);
  pp.justification = {rc, rc};
  sign(pp.body, *keys.signers[2]);
  auto bytes = encode(pp);
  auto back = decode(bytes);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, pp);
  EXPECT_TRUE(verify_signature(back->body, *keys.verifier));
  EXPECT_FALSE(verify_signature(back->justification[0], *keys.verifier) == false);
  back->body.round = 3;
  EXPECT_FALSE(verify_signature(back->body, *keys.verifier));

  Message p;
  p.body.type = MsgType::kPrepare;
  p.body.instance = str_bytes("d");
  auto pb = encode(p);
  EXPECT_EQ(*decode(pb), p);
}

TEST(QbftMessage, DecodeRejectsStructuralErrorsWithReasons) {
  Message p;
  p.body.type = MsgType::kCommit;
  p.body.instance = str_bytes("d");
  Bytes good = encode(p);
  ASSERT_TRUE(decode(good).has_value());
  auto err = [](const Bytes& b) { return decode(b).error(); };
  for (std::size_t cut = 0; cut < good.size(); ++cut)
    EXPECT_EQ(err(Bytes(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(cut))),
              make_error_code(DecodeError::kTruncated));
  Bytes b = good;
  b.push_back(0);
  EXPECT_EQ(err(b), make_error_code(DecodeError::kTrailingBytes));
  b = good;
  b[0] = 2;
  EXPECT_EQ(err(b), make_error_code(DecodeError::kBadVersion));
  b = good;
  b[1] = 9;
  EXPECT_EQ(err(b), make_error_code(DecodeError::kBadType));
  b = good;
  b[2] = 0;
  EXPECT_EQ(err(b), make_error_code(DecodeError::kBadInstanceLength));

  Message c = p;
  c.value = str_bytes("x");
  EXPECT_EQ(err(encode(c)), make_error_code(DecodeError::kUnexpectedValue));
  c = p;
  c.body.round = 0;
  EXPECT_EQ(err(encode(c)), make_error_code(DecodeError::kBadRound));
  c = p;
  c.body.prepared_round = 1;
  EXPECT_EQ(err(encode(c)), make_error_code(DecodeError::kBadPreparedRound));
  Message rc = p;
  rc.body.type = MsgType::kRoundChange;
  rc.body.round = 3;
  rc.body.prepared_round = 3;
  EXPECT_EQ(err(encode(rc)), make_error_code(DecodeError::kBadPreparedRound));
  rc.body.prepared_round = 2;
  EXPECT_EQ(err(encode(rc)), make_error_code(DecodeError::kMissingValue));
  // Unprepared: a non-zero value_hash (the round-1 vote) comes with its bytes, a zero one without.
  rc.body.prepared_round = kNoRound;
  rc.body.value_hash = Value::from_bytes(str_bytes("vote")).hash;
  EXPECT_EQ(err(encode(rc)), make_error_code(DecodeError::kMissingValue));
  rc.value = str_bytes("vote");
  EXPECT_TRUE(decode(encode(rc)).has_value());
  rc.body.value_hash = Root{};
  EXPECT_EQ(err(encode(rc)), make_error_code(DecodeError::kUnexpectedValue));
  Message pp = p;
  pp.body.type = MsgType::kPrePrepare;
  pp.value = str_bytes("v");
  pp.body.round = 2;
  EXPECT_EQ(err(encode(pp)), make_error_code(DecodeError::kMissingJustification));
  pp.justification.push_back(p.body);  // a COMMIT cannot justify a pre-prepare
  EXPECT_EQ(err(encode(pp)), make_error_code(DecodeError::kNestedDecided));
}

TEST(QbftInstance, DecidesAfterQuorumOfCommitsInRoundOne) {
  for (std::uint32_t n : {1u, 4u, 7u}) {
    Cluster c(n);
    std::vector<std::optional<Value>> values;
    for (std::uint32_t i = 0; i < n; ++i)
      values.push_back(Value::from_bytes(numbered("v", static_cast<unsigned>(i))));
    c.start_all(values);
    c.run();
    const auto lead = leader(str_bytes("duty-1"), 1, n).value;
    for (std::uint32_t i = 0; i < n; ++i) {
      ASSERT_TRUE(c.decided[i].has_value()) << "n=" << n << " node " << i;
      EXPECT_EQ(c.decided[i]->round, 1u);
      EXPECT_EQ(c.decided[i]->value, *values[lead]);
      EXPECT_LE(c.nodes[i]->stored_bytes(), Instance::memory_bound(c.nodes[i]->config()));
    }
  }
}

TEST(QbftInstance, LeaderWithoutValueProposesWhenValueArrives) {
  Cluster c(4);
  const auto lead = leader(str_bytes("duty-1"), 1, 4).value;
  std::vector<std::optional<Value>> values(4, Value::from_bytes(str_bytes("x")));
  values[lead].reset();
  c.start_all(values);
  c.run();
  for (auto& d : c.decided) EXPECT_FALSE(d.has_value());
  c.absorb(lead, c.nodes[lead]->on_value_available(Value::from_bytes(str_bytes("late"))));
  c.run();
  for (auto& d : c.decided) {
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(d->value.data, str_bytes("late"));
  }
}

TEST(QbftInstance, NodesWithoutValueStillPrepareCommitAndDecide) {
  Cluster c(4);
  const auto lead = leader(str_bytes("duty-1"), 1, 4).value;
  std::vector<std::optional<Value>> values(4, std::nullopt);
  values[lead] = Value::from_bytes(str_bytes("only-the-leader-has-it"));
  c.start_all(values);
  c.run();
  for (auto& d : c.decided) {
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(d->value, *values[lead]);
  }
}

TEST(QbftInstance, MessagesBeforeStartAreKeptAndUsedOnStart) {
  Cluster c(4);
  const auto lead = leader(str_bytes("duty-1"), 1, 4).value;
  const std::uint32_t late = (lead + 1) % 4;
  std::vector<std::optional<Value>> values(4, Value::from_bytes(str_bytes("v")));
  for (std::uint32_t i = 0; i < 4; ++i)
    if (i != late) c.absorb(i, c.nodes[i]->on_start(values[i]));
  // The late node receives the proposal and the prepares (not the commits) before its own start.
  c.drop = [&](std::uint32_t, std::uint32_t to, const Bytes& b) {
    return to == late && decoded(b).body.type == MsgType::kCommit;
  };
  c.run();
  EXPECT_FALSE(c.decided[late].has_value());
  auto out = c.nodes[late]->on_start(values[late]);
  std::vector<MsgType> sent;
  for (const auto& m : out.messages) sent.push_back(decoded(m.bytes).body.type);
  EXPECT_EQ(sent, (std::vector<MsgType>{MsgType::kPrepare, MsgType::kCommit}));
}

TEST(QbftInstance, TimerRequestsAreAbsoluteDeadlinesFromDutyStart) {
  Keys keys(4);
  auto cfg = make_config(4, 0);
  Instance node(cfg, *keys.signers[0], *keys.verifier);
  auto out = node.on_start(std::nullopt);
  ASSERT_TRUE(out.timer.has_value());
  EXPECT_EQ(out.timer->round, 1u);
  EXPECT_EQ(out.timer->deadline_ns, cfg.timer.deadline_ns(1));
  out = node.on_timeout(1);
  ASSERT_TRUE(out.timer.has_value());
  EXPECT_EQ(out.timer->round, 2u);
  EXPECT_EQ(out.timer->deadline_ns, cfg.timer.deadline_ns(2));  // not "now + duration(2)"
  ASSERT_EQ(out.messages.size(), 1u);
  EXPECT_EQ(decoded(out.messages[0].bytes).body.type, MsgType::kRoundChange);
  EXPECT_FALSE(out.messages[0].to.has_value());
  // Starting after the deadline of round 3 has passed joins round 4 directly.
  Instance late(make_config(4, 1), *keys.signers[1], *keys.verifier);
  out = late.on_start(std::nullopt, cfg.timer.deadline_ns(3) + 1);
  EXPECT_EQ(late.round(), 4u);
  EXPECT_EQ(out.timer->deadline_ns, cfg.timer.deadline_ns(4));
}

TEST(QbftSigner, SignaturesBindSenderAndBody) {
  Keys keys(3);
  SignedBody b;
  b.instance = str_bytes("x");
  b.sender = OperatorIdx{1};
  sign(b, *keys.signers[1]);
  EXPECT_TRUE(verify_signature(b, *keys.verifier));
  b.sender = OperatorIdx{2};
  EXPECT_FALSE(verify_signature(b, *keys.verifier));
  b.sender = OperatorIdx{7};
  EXPECT_FALSE(verify_signature(b, *keys.verifier));  // unknown sender
}

TEST(QbftInstance, InvalidProposalIsRejectedAndNotPrepared) {
  Keys keys(4);
  const auto lead = leader(str_bytes("duty-1"), 1, 4).value;
  const std::uint32_t self = (lead + 1) % 4;
  auto cfg = make_config(4, self);
  cfg.is_valid = [](const Value& v) { return !v.data.empty() && v.data[0] == 'o'; };
  Instance node(cfg, *keys.signers[self], *keys.verifier);
  node.on_start(std::nullopt);
  Message pp;
  pp.body.type = MsgType::kPrePrepare;
  pp.body.instance = str_bytes("duty-1");
  pp.body.sender = OperatorIdx{lead};
  pp.value = str_bytes("bad");
  pp.body.value_hash = Value::from_bytes(*pp.value).hash;
  sign(pp.body, *keys.signers[lead]);
  auto out = node.on_message(encode(pp));
  EXPECT_EQ(out.rejected, Reject::kInvalidValue);
  EXPECT_TRUE(out.messages.empty());
  pp.value = str_bytes("ok");
  pp.body.value_hash = Value::from_bytes(*pp.value).hash;
  sign(pp.body, *keys.signers[lead]);
  out = node.on_message(encode(pp));
  EXPECT_FALSE(out.rejected.has_value());
  ASSERT_EQ(out.messages.size(), 1u);
  EXPECT_EQ(decoded(out.messages[0].bytes).body.type, MsgType::kPrepare);
}

TEST(QbftInstance, CrashedLeaderIsReplacedAfterRoundChange) {
  Cluster c(4);
  const auto lead1 = leader(str_bytes("duty-1"), 1, 4).value;
  c.crashed[lead1] = true;
  std::vector<std::optional<Value>> values;
  for (int i = 0; i < 4; ++i) values.push_back(Value::from_bytes(numbered("v", static_cast<unsigned>(i))));
  c.start_all(values);
  c.run();
  c.fire_timers();  // round 1 expires everywhere
  c.run();
  const auto lead2 = leader(str_bytes("duty-1"), 2, 4).value;
  for (std::uint32_t i = 0; i < 4; ++i) {
    if (i == lead1) continue;
    ASSERT_TRUE(c.decided[i].has_value());
    EXPECT_EQ(c.decided[i]->round, 2u);
    EXPECT_EQ(c.decided[i]->value, *values[lead2]);
  }
}

TEST(QbftInstance, PreparedValueIsReproposedAfterRoundChange) {
  // Round 1: every node prepares the leader's value but all commits are lost. Round 2's leader must propose
  // the prepared value, not its own input. (Without the fast path, which would decide on the n prepares.)
  Cluster c(4, "duty-1", /*fast_path=*/false);
  const auto lead1 = leader(str_bytes("duty-1"), 1, 4).value;
  const auto lead2 = leader(str_bytes("duty-1"), 2, 4).value;
  ASSERT_NE(lead1, lead2);
  std::vector<std::optional<Value>> values;
  for (int i = 0; i < 4; ++i) values.push_back(Value::from_bytes(numbered("v", static_cast<unsigned>(i))));
  c.drop = [](std::uint32_t, std::uint32_t, const Bytes& b) {
    return decoded(b).body.type == MsgType::kCommit;
  };
  c.start_all(values);
  c.run();
  for (auto& d : c.decided) EXPECT_FALSE(d.has_value());
  c.drop = nullptr;
  c.fire_timers();
  c.run();
  for (auto& d : c.decided) {
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(d->round, 2u);
    EXPECT_EQ(d->value, *values[lead1]);
  }
}

TEST(QbftInstance, LateNodeFinishesWithDecidedAnswerToItsRoundChange) {
  Cluster c(4);
  std::vector<std::optional<Value>> values(4, Value::from_bytes(str_bytes("v")));
  const std::uint32_t late = (leader(str_bytes("duty-1"), 1, 4).value + 1) % 4;
  c.crashed[late] = true;
  c.start_all(values);
  c.run();
  c.crashed[late] = false;
  // It starts after round 1 ended: it joins round 2 with a ROUND-CHANGE, which the others answer with
  // DECIDED.
  c.absorb(late, c.nodes[late]->on_start(values[late], 1200));
  EXPECT_EQ(c.nodes[late]->round(), 2u);
  c.run();
  ASSERT_TRUE(c.decided[late].has_value());
  EXPECT_EQ(c.decided[late]->value.data, str_bytes("v"));
}

TEST(QbftInstance, FPlusOneRoundChangesPullANodeUp) {
  Cluster c(4);
  std::vector<std::optional<Value>> values(4, std::nullopt);  // no values: nobody proposes
  c.start_all(values);
  c.run();
  // Nodes 0 and 1 time out twice (to round 3); f+1 = 2 round changes for round 3 pull 2 and 3 up.
  for (int k = 0; k < 2; ++k)
    for (std::uint32_t i : {0u, 1u}) c.absorb(i, c.nodes[i]->on_timeout(c.nodes[i]->round()));
  c.run();
  for (auto& node : c.nodes) EXPECT_EQ(node->round(), 3u);
}

/// Sends crafted messages from peer 1 to node 0 of a 4-node cluster and checks the rejection reason.
struct QbftCrafted : ::testing::Test {
  Keys keys{4};
  Instance node{make_config(4, 0), *keys.signers[0], *keys.verifier};
  Message make(MsgType t, std::uint32_t sender, Round r, std::string_view value = "") {
    Message m;
    m.body.type = t;
    m.body.instance = str_bytes("duty-1");
    m.body.sender = OperatorIdx{sender};
    m.body.round = r;
    if (!value.empty()) {
      m.value = str_bytes(value);
      m.body.value_hash = Value::from_bytes(*m.value).hash;
    }
    return m;
  }
  Message signed_(Message m, std::uint32_t key) {
    sign(m.body, *keys.signers[key]);
    return m;
  }
  std::optional<Reject> feed(const Message& m) { return node.on_message(encode(m)).rejected; }
};

// A value above Config::max_value_bytes (1 MiB by default; lowered here) is refused before its hash is checked
// or anything is stored; one at the limit is taken.
TEST_F(QbftCrafted, ValueAboveTheConfiguredLimitIsRejected) {
  Config cfg = make_config(4, 0);
  cfg.max_value_bytes = 16;
  Instance small{cfg, *keys.signers[0], *keys.verifier};
  small.on_start(std::nullopt);
  const std::uint32_t lead1 = leader(str_bytes("duty-1"), 1, 4).value;
  if (lead1 == 0) GTEST_SKIP() << "round-1 leader is the node under test";
  auto big = make(MsgType::kPrePrepare, lead1, 1, std::string(17, 'x'));
  EXPECT_EQ(small.on_message(encode(signed_(big, lead1))).rejected, Reject::kValueTooLarge);
  auto fits = make(MsgType::kPrePrepare, lead1, 1, std::string(16, 'x'));
  EXPECT_NE(small.on_message(encode(signed_(fits, lead1))).rejected, Reject::kValueTooLarge);
}

TEST_F(QbftCrafted, RejectsWithReasons) {
  node.on_start(std::nullopt);
  const std::uint32_t lead1 = leader(str_bytes("duty-1"), 1, 4).value;
  const std::uint32_t other = lead1 == 1 ? 2 : 1;
  EXPECT_EQ(node.on_message(Bytes{1, 2, 3}).rejected, Reject::kMalformed);
  auto prep = make(MsgType::kPrepare, 1, 1);
  prep.body.value_hash[0] = 7;
  EXPECT_EQ(feed(signed_(prep, 2)), Reject::kBadSignature);  // signed by the wrong key
  EXPECT_EQ(feed(signed_(prep, 1)), std::nullopt);
  EXPECT_EQ(feed(signed_(prep, 1)), Reject::kDuplicate);
  auto resigned = signed_(prep, 1);
  resigned.body.signature = signed_(prep, 3).body.signature;  // same body, someone else's signature
  EXPECT_EQ(feed(resigned), Reject::kBadSignature);           // not a cache hit: the signature differs
  auto prep2 = prep;
  prep2.body.value_hash[0] = 8;
  EXPECT_EQ(feed(signed_(prep2, 1)), Reject::kEquivocation);
  auto wrong = make(MsgType::kPrepare, 1, 1);
  wrong.body.instance = str_bytes("duty-2");
  EXPECT_EQ(feed(signed_(wrong, 1)), Reject::kWrongInstance);
  EXPECT_EQ(feed(signed_(make(MsgType::kPrepare, 0, 1), 0)), Reject::kFromSelf);
  auto unknown = make(MsgType::kCommit, 9, 1);
  EXPECT_EQ(feed(signed_(unknown, 1)), Reject::kUnknownSender);
  EXPECT_EQ(feed(signed_(make(MsgType::kCommit, 1, 10), 1)), Reject::kFutureRound);
  EXPECT_EQ(feed(signed_(make(MsgType::kPrePrepare, other, 1, "v"), other)), Reject::kNotLeader);
  auto badhash = make(MsgType::kPrePrepare, lead1, 1, "v");
  badhash.body.value_hash[0] ^= 1;
  EXPECT_EQ(feed(signed_(badhash, lead1)), Reject::kBadValueHash);
  // A round-2 pre-prepare justified by only one round change (quorum is 3).
  const std::uint32_t lead2 = leader(str_bytes("duty-1"), 2, 4).value;
  if (lead2 != 0) {
    auto pp = make(MsgType::kPrePrepare, lead2, 2, "v2");
    auto rc = make(MsgType::kRoundChange, lead2, 2);
    pp.justification.push_back(signed_(rc, lead2).body);
    EXPECT_EQ(feed(signed_(pp, lead2)), Reject::kBadJustification);
  }
  // A round change claiming a prepared value without a quorum of prepares.
  auto rc = make(MsgType::kRoundChange, 1, 2, "v");
  rc.body.prepared_round = 1;
  rc.justification.push_back(signed_(prep, 1).body);
  EXPECT_EQ(feed(signed_(rc, 1)), Reject::kBadJustification);
  EXPECT_EQ(node.on_timeout(5).rejected, Reject::kStaleTimer);
  EXPECT_EQ(node.on_start(std::nullopt).rejected, Reject::kAlreadyStarted);
}

TEST_F(QbftCrafted, OldRoundsAreRejectedAfterMovingOn) {
  node.on_start(std::nullopt);
  node.on_timeout(1);
  node.on_timeout(2);
  node.on_timeout(3);
  ASSERT_EQ(node.round(), 4u);
  EXPECT_EQ(feed(signed_(make(MsgType::kCommit, 1, 2), 1)), Reject::kOldRound);
  EXPECT_EQ(feed(signed_(make(MsgType::kCommit, 1, 3), 1)), std::nullopt);
}

TEST_F(QbftCrafted, FloodingPeerStaysWithinMemoryBound) {
  node.on_start(std::nullopt);
  const std::size_t bound = Instance::memory_bound(node.config());
  for (Round r = 1; r <= 40; ++r) {
    for (int k = 0; k < 5; ++k) {
      auto m = make(k % 2 ? MsgType::kCommit : MsgType::kPrepare, 1, r);
      m.body.value_hash[0] = static_cast<std::uint8_t>(k);
      feed(signed_(m, 1));
    }
    EXPECT_LE(node.stored_bytes(), bound);
    if (r % 4 == 0) node.on_timeout(node.round());
  }
}

TEST_F(QbftCrafted, ForgedDecidedIsRejectedAndValidOneDecides) {
  node.on_start(std::nullopt);
  auto d = make(MsgType::kDecided, 1, 1, "val");
  for (std::uint32_t s : {1u, 2u}) {
    auto c = make(MsgType::kCommit, s, 1);
    c.body.value_hash = d.body.value_hash;
    d.justification.push_back(signed_(c, s).body);
  }
  EXPECT_EQ(feed(signed_(d, 1)), Reject::kBadJustification);  // 2 commits < quorum 3
  auto c3 = make(MsgType::kCommit, 3, 1);
  c3.body.value_hash = d.body.value_hash;
  d.justification.push_back(signed_(c3, 1).body);  // commit "from 3" signed by 1: forged
  EXPECT_EQ(feed(signed_(d, 1)), Reject::kBadJustification);
  EXPECT_EQ(feed(signed_(d, 1)), Reject::kPeerLimit);  // in round 1 a peer gets two attempts
  d.body.sender = OperatorIdx{2};
  d.justification.back() = signed_(c3, 3).body;
  auto out = node.on_message(encode(signed_(d, 2)));
  ASSERT_TRUE(out.decision.has_value());
  EXPECT_EQ(out.decision->value.data, str_bytes("val"));
  EXPECT_TRUE(out.stop_timer);
}

// ---------------------------------------------------------------------------------------------------------------
// Fast path (docs/formats/qbft.md §Fast path)

TEST(QbftFastPath, PreparesFromAllNodesDecideInRoundOneWithoutCommits) {
  for (std::uint32_t n : {4u, 7u}) {
    for (bool fast : {true, false}) {
      Cluster c(n, "duty-1", fast);
      std::vector<std::optional<Value>> values(n, Value::from_bytes(str_bytes("v")));
      // Drop every COMMIT: only the fast path can decide.
      c.drop = [](std::uint32_t, std::uint32_t, const Bytes& b) { return decoded(b).body.type == MsgType::kCommit; };
      c.start_all(values);
      c.run();
      for (std::uint32_t i = 0; i < n; ++i) {
        if (!fast) {
          EXPECT_FALSE(c.decided[i].has_value());
          continue;
        }
        ASSERT_TRUE(c.decided[i].has_value()) << "n=" << n << " node " << i;
        EXPECT_TRUE(c.decided[i]->fast);
        EXPECT_EQ(c.decided[i]->round, 1u);
        EXPECT_EQ(c.decided[i]->value, *values[0]);
      }
    }
  }
}

TEST(QbftFastPath, AMissingPrepareFallsBackToTheCommitQuorum) {
  Cluster c(4);
  const std::uint32_t lead = leader(str_bytes("duty-1"), 1, 4).value;
  const std::uint32_t a = (lead + 1) % 4, b = (lead + 2) % 4;
  std::vector<std::optional<Value>> values(4, Value::from_bytes(str_bytes("v")));
  c.drop = [&](std::uint32_t from, std::uint32_t to, const Bytes& m) {
    return from == a && to == b && decoded(m).body.type == MsgType::kPrepare;
  };
  c.start_all(values);
  c.run();
  for (std::uint32_t i = 0; i < 4; ++i) {
    ASSERT_TRUE(c.decided[i].has_value());
    EXPECT_EQ(c.decided[i]->fast, i != b) << i;  // b misses a's PREPARE: it decides on commits
    EXPECT_EQ(c.decided[i]->value, *values[0]);
  }
}

TEST(QbftFastPath, AFastDecisionBindsTheNextLeader) {
  // Round 1: only node `a` receives the PREPAREs (all n: it decides fast), every COMMIT is lost, so nobody
  // else is prepared. `a` then crashes. The other three move to round 2 reporting their round-1 vote; round 2's
  // leader has its own, different input, yet must propose the value `a` decided.
  Cluster c(4);
  const std::uint32_t lead1 = leader(str_bytes("duty-1"), 1, 4).value;
  const std::uint32_t lead2 = leader(str_bytes("duty-1"), 2, 4).value;
  std::uint32_t a = 0;
  while (a == lead2) ++a;
  std::vector<std::optional<Value>> values;
  for (std::uint32_t i = 0; i < 4; ++i) values.push_back(Value::from_bytes(numbered("v", i)));
  c.drop = [&](std::uint32_t, std::uint32_t to, const Bytes& m) {
    const MsgType t = decoded(m).body.type;
    return t == MsgType::kCommit || (t == MsgType::kPrepare && to != a);
  };
  c.start_all(values);
  c.run();
  ASSERT_TRUE(c.decided[a].has_value());
  EXPECT_TRUE(c.decided[a]->fast);
  const Value decided = c.decided[a]->value;
  EXPECT_EQ(decided, *values[lead1]);
  ASSERT_NE(*values[lead2], decided);
  for (std::uint32_t i = 0; i < 4; ++i)
    if (i != a) {
      EXPECT_FALSE(c.decided[i].has_value());
    }
  c.crashed[a] = true;
  c.drop = nullptr;
  c.fire_timers();
  c.run();
  for (std::uint32_t i = 0; i < 4; ++i) {
    if (i == a) continue;
    ASSERT_TRUE(c.decided[i].has_value()) << i;
    EXPECT_EQ(c.decided[i]->round, 2u);
    EXPECT_EQ(c.decided[i]->value, decided) << "round 2's leader proposed another value than the fast decision";
  }
}

TEST_F(QbftCrafted, AProposalIgnoringFPlusOneRoundOneVotesIsRejected) {
  node.on_start(std::nullopt);
  // Move node 0 to the first round >= 2 that another node leads.
  Round r = 2;
  while (leader(str_bytes("duty-1"), r, 4).value == 0) ++r;
  while (node.round() < r) node.on_timeout(node.round());
  const std::uint32_t lead = leader(str_bytes("duty-1"), r, 4).value;
  const Value voted = Value::from_bytes(str_bytes("voted"));
  auto proposal = [&](std::string_view value, std::uint32_t votes) {
    Message pp = make(MsgType::kPrePrepare, lead, r, value);
    std::uint32_t k = 0;
    for (std::uint32_t s = 1; s < 4; ++s) {
      Message rc = make(MsgType::kRoundChange, s, r);
      if (k++ < votes) rc.body.value_hash = voted.hash;  // unprepared, voted `voted` in round 1
      pp.justification.push_back(signed_(rc, s).body);
    }
    return signed_(pp, lead);
  };
  // Two of three round changes (f+1 = 2) voted `voted`: another value may have lost a fast decision.
  EXPECT_EQ(feed(proposal("other", 2)), Reject::kBadJustification);
  // One vote is not enough to bind the leader (it cannot have been decided fast).
  EXPECT_EQ(feed(proposal("other", 1)), std::nullopt);
}

TEST_F(QbftCrafted, DecidedCarryingPreparesFromAllNodesDecidesFast) {
  node.on_start(std::nullopt);
  auto d = make(MsgType::kDecided, 1, 1, "val");
  for (std::uint32_t s = 0; s < 3; ++s) {
    auto p = make(MsgType::kPrepare, s, 1);
    p.body.value_hash = d.body.value_hash;
    d.justification.push_back(signed_(p, s).body);
  }
  EXPECT_EQ(feed(signed_(d, 1)), Reject::kBadJustification);  // 3 of 4 prepares: not a fast certificate
  auto p3 = make(MsgType::kPrepare, 3, 1);
  p3.body.value_hash = d.body.value_hash;
  d.justification.push_back(signed_(p3, 3).body);
  d.body.sender = OperatorIdx{2};
  auto out = node.on_message(encode(signed_(d, 2)));
  ASSERT_TRUE(out.decision.has_value());
  EXPECT_TRUE(out.decision->fast);
  EXPECT_EQ(out.decision->value.data, str_bytes("val"));
}

}  // namespace
}  // namespace phx::consensus::qbft
