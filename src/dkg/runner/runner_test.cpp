// Tests of the DKG runner's parts: the sealed journal file, the data-directory preflight, the lock plan
// driven by a real in-memory ceremony, the offline verification of its outputs (tampering is caught), and the
// reshare's operator sets, derived definition and lock.
#include <gtest/gtest.h>
#include <unistd.h>

#include <deque>
#include <filesystem>
#include <fstream>

#include "cluster/create.hpp"
#include "cluster/deposit.hpp"
#include "cluster/lock_verify.hpp"
#include "cluster/enr.hpp"
#include "crypto/hash/sha256.hpp"
#include "dkg/ceremony.hpp"
#include "dkg/runner/files.hpp"
#include "dkg/runner/journal_file.hpp"
#include "dkg/runner/plan.hpp"
#include "dkg/runner/reshare.hpp"
#include "dkg/runner/verify.hpp"

namespace phx::dkg::runner {
namespace {
namespace fs = std::filesystem;

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/phx-dkg-runner-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

JournalRecord rec(JournalType t, std::uint8_t fill, std::size_t n) {
  Bytes b(n, fill);
  return JournalRecord{t, SecretBytes(b)};
}

Bytes read_all(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(f), {});
}

TEST(JournalFile, RoundTripsAppendsAcrossReopenAndIs0600) {
  TempDir d;
  auto key = crypto::k1::SecretKey::generate();
  Root def{};
  def.fill(7);
  const auto path = d.path / "w" / "journal";
  std::vector<JournalRecord> got;
  {
    auto j = JournalFile::open(path, key, def, &got);
    ASSERT_TRUE(j) << j.error();
    EXPECT_TRUE(got.empty());
    std::vector<JournalRecord> recs;
    recs.push_back(rec(JournalType::kSeed, 0x11, 32));
    recs.push_back(rec(JournalType::kSent, 0x22, 300));
    ASSERT_TRUE(j->append(recs));
  }
  EXPECT_EQ(fs::status(path).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
  // The seed is sealed: its bytes do not appear in the file.
  const Bytes raw = read_all(path);
  EXPECT_EQ(std::search(raw.begin(), raw.end(), Bytes(32, 0x11).begin(), Bytes(32, 0x11).end()), raw.end());
  {
    auto j = JournalFile::open(path, key, def, &got);
    ASSERT_TRUE(j) << j.error();
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].type, JournalType::kSeed);
    EXPECT_EQ(Bytes(got[1].data.view().begin(), got[1].data.view().end()), Bytes(300, 0x22));
    std::vector<JournalRecord> more;
    more.push_back(rec(JournalType::kReceived, 0x33, 10));
    ASSERT_TRUE(j->append(more));
  }
  auto j = JournalFile::open(path, key, def, &got);
  ASSERT_TRUE(j);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[2].type, JournalType::kReceived);
}

TEST(JournalFile, DropsATornTailAndRefusesAnotherKeyDefinitionOrEdit) {
  TempDir d;
  auto key = crypto::k1::SecretKey::generate();
  Root def{};
  def.fill(9);
  const auto path = d.path / "journal";
  {
    auto j = JournalFile::open(path, key, def, nullptr);
    ASSERT_TRUE(j);
    std::vector<JournalRecord> recs;
    recs.push_back(rec(JournalType::kSeed, 1, 32));
    recs.push_back(rec(JournalType::kSent, 2, 100));
    ASSERT_TRUE(j->append(recs));
  }
  Bytes file = read_all(path);
  bool torn = false;
  auto all = decode_journal_file(file, key, def, &torn);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 2u);
  EXPECT_FALSE(torn);
  Bytes cut(file.begin(), file.end() - 7);
  auto part = decode_journal_file(cut, key, def, &torn);
  ASSERT_TRUE(part);
  EXPECT_EQ(part->size(), 1u);
  EXPECT_TRUE(torn);
  EXPECT_FALSE(decode_journal_file(file, crypto::k1::SecretKey::generate(), def));
  Root other = def;
  other[0] ^= 1;
  EXPECT_FALSE(decode_journal_file(file, key, other));
  Bytes edited = file;
  edited[kJournalHeaderSize + 10] ^= 1;
  EXPECT_FALSE(decode_journal_file(edited, key, def));
  // Reopening a torn file cuts the tail and continues after the last good record.
  {
    std::ofstream(path, std::ios::binary | std::ios::trunc)
        .write(reinterpret_cast<const char*>(cut.data()), static_cast<std::streamsize>(cut.size()));
  }
  std::vector<JournalRecord> got;
  auto j = JournalFile::open(path, key, def, &got);
  ASSERT_TRUE(j) << j.error();
  EXPECT_EQ(got.size(), 1u);
  std::vector<JournalRecord> more;
  more.push_back(rec(JournalType::kSent, 3, 5));
  ASSERT_TRUE(j->append(more));
  auto again = decode_journal_file(read_all(path), key, def, &torn);
  ASSERT_TRUE(again) << again.error();
  EXPECT_EQ(again->size(), 2u);
  EXPECT_FALSE(torn);
}

TEST(Preflight, NamesArtifactsLeftOverAndMissingSpace) {
  TempDir d;
  EXPECT_EQ(preflight_data_dir(d.path, 1).code, PreflightCode::kReady);
  EXPECT_EQ(preflight_data_dir(d.path / "absent", 1).code, PreflightCode::kNotWritable);
  EXPECT_EQ(preflight_data_dir(d.path, ~std::uint64_t{0} >> 2).code, PreflightCode::kDiskSpace);
  fs::create_directories(d.path / "validator_keys");
  EXPECT_EQ(preflight_data_dir(d.path, 1).code, PreflightCode::kReady);  // an empty folder is fine
  std::ofstream(d.path / "validator_keys" / "keystore-0.json") << "{}";
  auto p = preflight_data_dir(d.path, 1);
  EXPECT_EQ(p.code, PreflightCode::kArtifactsExist);
  EXPECT_NE(p.detail.find("validator_keys"), std::string::npos);
  fs::remove_all(d.path / "validator_keys");
  std::ofstream(d.path / "deposit-data-1eth.json") << "[]";
  EXPECT_EQ(preflight_data_dir(d.path, 1).code, PreflightCode::kArtifactsExist);
}

/// A whole ceremony in memory (FIFO delivery) over a real v1.11 definition with LockPlan, assembled into a
/// lock the way the runner does it.
// Runs `nodes` to the end over a lossless in-order network (node i's seed from i): `on_result(i, result)` writes
// node i's artifacts and returns their hashes for R5. Every node must finish; returns node 0's transcript.
Bytes run_to_end(std::vector<std::unique_ptr<Ceremony>>& nodes,
                 const std::function<std::vector<Root>(std::uint32_t, CeremonyResult&)>& on_result) {
  const auto n = static_cast<std::uint32_t>(nodes.size());
  std::deque<std::tuple<std::uint32_t, std::uint32_t, Bytes>> q;  // from, to, bytes
  std::vector<bool> finished(n, false);
  std::function<void(std::uint32_t, Outbox)> exec = [&](std::uint32_t i, Outbox ob) {
    ASSERT_FALSE(ob.failure) << code_name(ob.failure->code) << ": " << ob.failure->cause;
    for (auto& m : ob.messages)
      for (std::uint32_t to = 0; to < n; ++to)
        if (to != i && (!m.to || *m.to == to)) q.emplace_back(i, to, m.bytes);
    if (ob.result) exec(i, nodes[i]->on_artifacts_written(on_result(i, *ob.result), 0));
    if (ob.finished) finished[i] = true;
  };
  for (std::uint32_t i = 0; i < n; ++i) {
    Seed seed;
    seed.mut_view()[0] = static_cast<std::uint8_t>(i + 1);
    seed.mut_view()[1] = 0x5a;
    exec(i, nodes[i]->start(std::move(seed), 0));
  }
  while (!q.empty()) {
    auto [from, to, bytes] = std::move(q.front());
    q.pop_front();
    exec(to, nodes[to]->on_message(from, bytes, 0));
  }
  for (std::uint32_t i = 0; i < n; ++i) EXPECT_TRUE(finished[i]) << "node " << i;
  return nodes[0]->transcript();
}

// Signs `lock` with the result's aggregate and node signatures (complete_lock verifies it), checks that every node
// writes the same JSON (`lock_json` holds the first) and appends the lock file's hash to `hashes` (R5).
bool complete_and_hash(cluster::LockResult<cluster::Lock> lock, const CeremonyResult& r, std::string& lock_json,
                       std::vector<Root>& hashes) {
  EXPECT_TRUE(lock) << lock.error().message();
  if (!lock) return false;
  auto done = cluster::complete_lock(*lock, r.signature_aggregate, r.node_signatures);
  EXPECT_TRUE(done) << done.error().message();
  if (!done) return false;
  const std::string json = cluster::write_lock(*done);
  if (lock_json.empty()) lock_json = json;
  EXPECT_EQ(json, lock_json);
  hashes.push_back(crypto::hash::sha256(as_bytes(json)));
  return true;
}

struct LockCeremony {
  std::vector<crypto::k1::SecretKey> keys;
  cluster::Definition def;
  cluster::DkgInputs in;
  std::string lock_json;
  std::vector<DepositFile> deposits;
  Bytes transcript;
  std::vector<std::vector<crypto::bls::SecretKey>> shares;  // [operator][validator]

  void run(std::uint32_t n, std::uint32_t validators) {
    cluster::CreateDkgParams p;
    for (std::uint32_t i = 0; i < n; ++i) {
      keys.push_back(crypto::k1::SecretKey::generate());
      p.operator_enrs.push_back(cluster::Enr::create(keys.back()).to_text());
    }
    p.num_validators = validators;
    p.network = "hoodi";
    p.withdrawal_addresses = {"0x000000000000000000000000000000000000dEaD"};
    p.fee_recipient_addresses = {"0x1111111111111111111111111111111111111111"};
    def = *cluster::create_dkg_definition(p);
    in = *cluster::dkg_inputs(def);
    const Params params = make_params(in);
    const LockPlan plan(def, in);
    std::vector<crypto::k1::PublicKey> ids;
    for (const auto& k : keys) ids.push_back(k.public_key());
    const K1NodeVerifier verifier(ids);
    std::vector<std::unique_ptr<K1NodeSigner>> signers;
    std::vector<std::unique_ptr<Ceremony>> nodes;
    for (std::uint32_t i = 0; i < n; ++i) {
      signers.push_back(std::make_unique<K1NodeSigner>(*crypto::k1::SecretKey::from_bytes(keys[i].bytes())));
      LocalConfig local;
      local.self = i;
      nodes.push_back(std::make_unique<Ceremony>(params, local, *signers[i], verifier, plan));
    }
    shares.resize(n);
    transcript = run_to_end(nodes, [&](std::uint32_t i, CeremonyResult& r) {
      std::vector<Root> hashes;
      auto results = to_lock_validators(in, r.validators);
      if (!complete_and_hash(cluster::assemble_lock(def, results), r, lock_json, hashes)) return hashes;
      const bool first = deposits.empty();
      for (std::size_t a = 0; a < in.deposit_amounts.size(); ++a) {
        std::vector<cluster::DepositData> dd;
        for (const auto& v : results) dd.push_back(v.deposit_data[a]);
        DepositFile f{cluster::deposit_data_file_name(in.deposit_amounts[a]),
                      cluster::write_deposit_data_json(dd, in.fork_version)};
        hashes.push_back(crypto::hash::sha256(as_bytes(f.text)));
        if (first) deposits.push_back(std::move(f));
      }
      shares[i] = std::move(r.secret_shares);
      return hashes;
    });
  }
};

TEST(LockPlan, CeremonyOutputsMakeAVerifiedLockAndVerifyOffline) {
  LockCeremony c;
  c.run(4, 3);
  ASSERT_FALSE(HasFatalFailure());
  auto lines = verify_outputs(c.lock_json, c.transcript, c.deposits);
  ASSERT_TRUE(lines) << lines.error();
  EXPECT_GE(lines->size(), 5u);
  // Every operator's shares belong to the lock's public shares.
  auto lock = *cluster::parse_lock(c.lock_json);
  for (std::size_t op = 0; op < 4; ++op)
    for (std::size_t v = 0; v < 3; ++v)
      EXPECT_EQ(c.shares[op][v].public_key().to_bytes(), lock.validators[v].public_shares[op]);
}

TEST(VerifyOutputs, CatchesAnotherLockATruncatedTranscriptAndAnEditedDepositFile) {
  LockCeremony a, b;
  a.run(4, 2);
  b.run(4, 2);
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_FALSE(verify_outputs(b.lock_json, a.transcript, a.deposits));  // another ceremony's lock
  Bytes cut(a.transcript.begin(), a.transcript.end() - 1);
  EXPECT_FALSE(verify_outputs(a.lock_json, cut, a.deposits));
  auto edited = a.deposits;
  auto pos = edited[0].text.find("\"amount\": ");
  ASSERT_NE(pos, std::string::npos);
  edited[0].text.replace(pos, 10, "\"amount\":  ");  // same content, other bytes: not what R5 signed
  auto r = verify_outputs(a.lock_json, a.transcript, edited);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("R5"), std::string::npos);
  auto other = b.deposits;  // valid deposits of another cluster
  EXPECT_FALSE(verify_outputs(a.lock_json, a.transcript, other));
  std::string lock_ws = a.lock_json + "\n";  // a lock file that is not the one every operator wrote
  EXPECT_FALSE(verify_outputs(lock_ws, a.transcript, a.deposits));
}

// ---------------------------------------------------------------------------------------------------------
// Reshare (issue 15): operator sets per mode, the derived definition, and an in-memory reshare into a lock that
// verifies against the old one.

std::string enr_of(const crypto::k1::SecretKey& k) { return cluster::Enr::create(k).to_text(); }

ReshareRequest rq(ReshareMode mode, std::vector<std::string> enrs, std::optional<std::uint32_t> t,
                  std::vector<std::string> participating = {}) {
  ReshareRequest r;
  r.mode = mode;
  r.enrs = std::move(enrs);
  r.new_threshold = t;
  r.participating = std::move(participating);
  return r;
}

TEST(ReshareOperatorSet, IndexRulesDefaultsAndErrors) {
  LockCeremony old;
  old.run(4, 1);
  ASSERT_FALSE(HasFatalFailure());
  auto lock = *cluster::parse_lock(old.lock_json);
  const auto& ops = lock.definition.operators;
  auto k5 = crypto::k1::SecretKey::generate(), k6 = crypto::k1::SecretKey::generate();
  // add appends, default threshold ⌈2·6/3⌉ = 4
  auto add = new_operator_set(lock, rq(ReshareMode::kAddOperators, {enr_of(k5), enr_of(k6)}, {}));
  ASSERT_TRUE(add) << add.error();
  ASSERT_EQ(add->enrs.size(), 6u);
  EXPECT_EQ(add->enrs[3], ops[3].enr);
  EXPECT_EQ(add->enrs[5], enr_of(k6));
  EXPECT_EQ(add->threshold, 4u);
  // remove compacts, default threshold ⌈2·3/3⌉ = 2
  auto rm = new_operator_set(lock, rq(ReshareMode::kRemoveOperators, {ops[1].enr}, {}));
  ASSERT_TRUE(rm) << rm.error();
  EXPECT_EQ(rm->enrs, (std::vector<std::string>{ops[0].enr, ops[2].enr, ops[3].enr}));
  EXPECT_EQ(rm->threshold, 2u);
  // replace keeps the position and the threshold
  auto rp = new_operator_set(lock, rq(ReshareMode::kReplaceOperator, {ops[2].enr, enr_of(k5)}, {}));
  ASSERT_TRUE(rp) << rp.error();
  EXPECT_EQ(rp->enrs[2], enr_of(k5));
  EXPECT_EQ(rp->threshold, lock.definition.threshold);
  // recreate with a threshold change
  auto rc = new_operator_set(lock, rq(ReshareMode::kRecreatePrivateKeys, {}, 4));
  ASSERT_TRUE(rc) << rc.error();
  EXPECT_EQ(rc->threshold, 4u);
  // errors
  auto err = [&](ReshareRequest r, const char* what) {
    auto x = new_operator_set(lock, r);
    ASSERT_FALSE(x) << what;
    EXPECT_NE(x.error().find(what), std::string::npos) << x.error();
  };
  err(rq(ReshareMode::kAddOperators, {ops[0].enr}, {}), "already an operator");
  err(rq(ReshareMode::kAddOperators, {enr_of(k5), enr_of(k5)}, {}), "already an operator");
  err(rq(ReshareMode::kAddOperators, {"enr:bogus"}, {}), "not a valid ENR");
  err(rq(ReshareMode::kRemoveOperators, {enr_of(k5)}, {}), "not an operator of the old lock");
  err(rq(ReshareMode::kRemoveOperators, {ops[0].enr, ops[1].enr}, {}), "fewer than the old threshold");
  err(rq(ReshareMode::kReplaceOperator, {ops[0].enr, ops[1].enr}, {}), "already an operator");
  err(rq(ReshareMode::kRecreatePrivateKeys, {}, 5), "threshold must be 1..4");
  err(rq(ReshareMode::kRecreatePrivateKeys, {enr_of(k5)}, {}), "takes no ENRs");
  err(rq(ReshareMode::kRemoveOperators, {ops[0].enr, ops[1].enr}, {}, {enr_of(k5)}), "participating ENR 1 is not");
  // Removed operators may deal: two of four leave, one of them takes part (3 dealers = the old threshold).
  auto rm2 = new_operator_set(lock, rq(ReshareMode::kRemoveOperators, {ops[0].enr, ops[1].enr}, {},
                                       {ops[1].enr, ops[3].enr}));
  ASSERT_TRUE(rm2) << rm2.error();
  EXPECT_EQ(rm2->enrs, (std::vector<std::string>{ops[2].enr, ops[3].enr}));
  EXPECT_EQ(rm2->leaving_dealers, (std::vector<std::string>{ops[1].enr}));  // a staying one listed is ignored
}

TEST(ReshareDefinition, IsDeterministicAndChangesOnlyOperatorsThresholdAndUuid) {
  LockCeremony old;
  old.run(4, 2);
  ASSERT_FALSE(HasFatalFailure());
  auto lock = *cluster::parse_lock(old.lock_json);
  auto k5 = crypto::k1::SecretKey::generate();
  auto ops = *new_operator_set(lock, rq(ReshareMode::kAddOperators, {enr_of(k5)}, {}));
  auto a = reshare_definition(lock, ops), b = reshare_definition(lock, ops);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->definition_hash, b->definition_hash);
  EXPECT_EQ(a->uuid, b->uuid);
  EXPECT_NE(a->uuid, lock.definition.uuid);
  EXPECT_EQ(a->name, lock.definition.name);
  EXPECT_EQ(a->timestamp, lock.definition.timestamp);
  EXPECT_EQ(a->version, lock.definition.version);
  EXPECT_EQ(a->validators.size(), lock.definition.validators.size());
  EXPECT_EQ(a->operators.size(), 5u);
  ASSERT_TRUE(cluster::dkg_inputs(*a));
  ops.threshold = 3;
  EXPECT_NE(reshare_definition(lock, ops)->definition_hash, a->definition_hash);
}

// Runs a reshare of `old` to `ops` in memory (old operators deal their shares) and builds the new lock.
struct ReshareCeremony {
  cluster::Definition def;
  std::string lock_json;
  Bytes transcript;
  std::vector<DepositFile> deposits;

  void run(const LockCeremony& old, const cluster::Lock& old_lock, const NewOperators& ops,
           const std::vector<crypto::k1::SecretKey>& new_keys) {
    def = *reshare_definition(old_lock, ops);
    auto in = *cluster::dkg_inputs(def);
    auto params = make_reshare_params(in, old_lock, ops.leaving_dealers);
    ASSERT_TRUE(params) << params.error();
    const ReshareLockPlan plan(def, old_lock);
    const auto n = params->n();
    std::vector<crypto::k1::PublicKey> ids;
    for (const auto& q : params->participants) ids.push_back(q.identity);
    const K1NodeVerifier verifier(ids);
    std::vector<std::unique_ptr<K1NodeSigner>> signers;
    std::vector<std::unique_ptr<Ceremony>> nodes;
    for (std::uint32_t i = 0; i < n; ++i) {
      const auto& q = params->participants[i];
      const crypto::k1::SecretKey* key = nullptr;
      for (const auto& k : new_keys)
        if (k.public_key() == q.identity) key = &k;
      ASSERT_NE(key, nullptr);
      signers.push_back(std::make_unique<K1NodeSigner>(*crypto::k1::SecretKey::from_bytes(key->bytes())));
      SecretScalars olds;
      if (q.dealer) {
        olds = SecretScalars(params->validators);
        for (std::uint32_t v = 0; v < params->validators; ++v) olds[v] = old.shares[q.dealer_x - 1][v].scalar();
      }
      LocalConfig local;
      local.self = i;
      nodes.push_back(std::make_unique<Ceremony>(*params, local, *signers[i], verifier, plan, std::move(olds)));
    }
    transcript = run_to_end(nodes, [&](std::uint32_t, CeremonyResult& r) {
      std::vector<Root> hashes;
      auto lock = reshared_lock(def, old_lock, r.validators);
      if (lock) {
        EXPECT_EQ(lock->lock_hash, r.lock_hash);
      }
      if (!complete_and_hash(std::move(lock), r, lock_json, hashes)) return hashes;
      const bool first = deposits.empty();
      for (const auto& dd : deposits_by_amount(old_lock)) {
        DepositFile f{cluster::deposit_data_file_name(dd.front().amount),
                      cluster::write_deposit_data_json(dd, in.fork_version)};
        hashes.push_back(crypto::hash::sha256(as_bytes(f.text)));
        if (first) deposits.push_back(std::move(f));
      }
      return hashes;
    });
  }
};

TEST(ReshareLockPlan, ReshareMakesAVerifiedLockThatVerifiesAgainstTheOldLockOnly) {
  LockCeremony old, other;
  old.run(4, 2);
  other.run(4, 2);
  ASSERT_FALSE(HasFatalFailure());
  auto old_lock = *cluster::parse_lock(old.lock_json);
  auto k5 = crypto::k1::SecretKey::generate();
  std::vector<crypto::k1::SecretKey> keys;
  for (const auto& k : old.keys) keys.push_back(*crypto::k1::SecretKey::from_bytes(k.bytes()));
  keys.push_back(*crypto::k1::SecretKey::from_bytes(k5.bytes()));
  auto ops = *new_operator_set(old_lock, rq(ReshareMode::kAddOperators, {enr_of(k5)}, 3));
  ReshareCeremony r;
  r.run(old, old_lock, ops, keys);
  ASSERT_FALSE(HasFatalFailure());
  auto lock = *cluster::parse_lock(r.lock_json);
  EXPECT_TRUE(cluster::verify_lock(lock));
  for (std::size_t v = 0; v < 2; ++v) {
    EXPECT_EQ(lock.validators[v].distributed_public_key, old_lock.validators[v].distributed_public_key);
    EXPECT_EQ(lock.validators[v].public_shares.size(), 5u);
    EXPECT_NE(lock.validators[v].public_shares[0], old_lock.validators[v].public_shares[0]);  // fresh polynomial
  }
  auto ok = verify_outputs(r.lock_json, r.transcript, r.deposits, old.lock_json);
  ASSERT_TRUE(ok) << ok.error();
  EXPECT_FALSE(verify_outputs(r.lock_json, r.transcript, r.deposits, old.lock_json, ops.enrs));  // not old operators
  EXPECT_FALSE(verify_outputs(r.lock_json, r.transcript, r.deposits));  // not a DKG transcript
  auto wrong = verify_outputs(r.lock_json, r.transcript, r.deposits, other.lock_json);
  ASSERT_FALSE(wrong);  // a reshare of another lock
  EXPECT_NE(wrong.error().find("definition"), std::string::npos) << wrong.error();
}

TEST(ReshareLockPlan, RemovedOperatorThatTakesPartDealsAndTheLockVerifiesWithItNamed) {
  LockCeremony old;
  old.run(4, 2);  // t = 3
  ASSERT_FALSE(HasFatalFailure());
  auto old_lock = *cluster::parse_lock(old.lock_json);
  const auto& enrs = old.def.operators;
  std::vector<crypto::k1::SecretKey> keys;
  for (const auto& k : old.keys) keys.push_back(*crypto::k1::SecretKey::from_bytes(k.bytes()));
  auto ops = *new_operator_set(old_lock, rq(ReshareMode::kRemoveOperators, {enrs[0].enr, enrs[1].enr}, 2, {enrs[0].enr}));
  ReshareCeremony r;
  r.run(old, old_lock, ops, keys);
  ASSERT_FALSE(HasFatalFailure());
  auto lock = *cluster::parse_lock(r.lock_json);
  EXPECT_TRUE(cluster::verify_lock(lock));
  EXPECT_EQ(lock.validators[0].distributed_public_key, old_lock.validators[0].distributed_public_key);
  EXPECT_EQ(lock.definition.operators.size(), 2u);
  auto ok = verify_outputs(r.lock_json, r.transcript, r.deposits, old.lock_json, ops.leaving_dealers);
  ASSERT_TRUE(ok) << ok.error();
  EXPECT_FALSE(verify_outputs(r.lock_json, r.transcript, r.deposits, old.lock_json));  // the dealer set differs
}

}  // namespace
}  // namespace phx::dkg::runner

namespace phx::dkg::runner {
namespace {

// The fuzz corpus of dkg_journal_file_fuzz (key 0x00…2a, definition hash 0x42…): a journal with a seed and
// two envelopes, and its header alone. Rewritten when PHX_WRITE_CORPUS is set; otherwise the stored seed must
// decode.
TEST(JournalFile, FuzzCorpusDecodes) {
  ByteArray<32> kb{};
  kb[31] = 0x2a;
  auto key = *crypto::k1::SecretKey::from_bytes(kb);
  Root def{};
  def.fill(0x42);
  const fs::path dir = PHX_DKG_RUNNER_CORPUS;
  if (std::getenv("PHX_WRITE_CORPUS")) {
    TempDir d;
    auto j = JournalFile::open(d.path / "j", key, def, nullptr);
    ASSERT_TRUE(j);
    std::vector<JournalRecord> recs;
    recs.push_back(rec(JournalType::kSeed, 7, 32));
    recs.push_back(rec(JournalType::kSent, 8, 40));
    recs.push_back(rec(JournalType::kReceived, 9, 40));
    ASSERT_TRUE(j->append(recs));
    fs::create_directories(dir);
    fs::copy_file(d.path / "j", dir / "journal", fs::copy_options::overwrite_existing);
    const Bytes all = read_all(d.path / "j");
    std::ofstream(dir / "header", std::ios::binary)
        .write(reinterpret_cast<const char*>(all.data()), static_cast<std::streamsize>(kJournalHeaderSize));
  }
  auto got = decode_journal_file(read_all(dir / "journal"), key, def);
  ASSERT_TRUE(got) << got.error();
  EXPECT_EQ(got->size(), 3u);
}

}  // namespace
}  // namespace phx::dkg::runner
