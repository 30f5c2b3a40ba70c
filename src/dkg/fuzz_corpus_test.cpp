// Writes the seed corpora of the DKG fuzz targets from a real 4-node run with the fuzz targets' parameters.
// Disabled by default; regenerate with (one line):
//   DKG_CORPUS_DIR=fuzz/corpus build/ci/src/dkg/dkg_test --gtest_also_run_disabled_tests
//   --gtest_filter='DkgFuzzCorpus.*'
#include <gtest/gtest.h>

#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>

#include "../../fuzz/dkg_fuzz_common.hpp"
#include "dkg/evidence.hpp"

using namespace dkg_fuzz;

namespace {

void write(const std::filesystem::path& dir, const std::string& name, ByteSpan b) {
  std::filesystem::create_directories(dir);
  std::ofstream f(dir / name, std::ios::binary);
  f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

void chunk(Bytes& out, ByteSpan b) {
  out.push_back(static_cast<std::uint8_t>(b.size() >> 8));
  out.push_back(static_cast<std::uint8_t>(b.size()));
  append(out, b);
}

}  // namespace

TEST(DkgFuzzCorpus, DISABLED_Write) {
  const char* dir_env = std::getenv("DKG_CORPUS_DIR");
  ASSERT_NE(dir_env, nullptr) << "set DKG_CORPUS_DIR";
  const std::filesystem::path dir(dir_env);
  const Params& p = params();
  std::vector<crypto::k1::PublicKey> ids;
  for (std::uint32_t i = 0; i < 4; ++i) ids.push_back(key(i).public_key());
  const K1NodeVerifier verifier(ids);
  const HashingPlanForFuzzing plan;
  std::vector<std::unique_ptr<K1NodeSigner>> signers;
  std::vector<std::unique_ptr<Ceremony>> nodes;
  for (std::uint32_t i = 0; i < 4; ++i) {
    signers.push_back(std::make_unique<K1NodeSigner>(key(i)));
    LocalConfig l;
    l.self = i;
    nodes.push_back(std::make_unique<Ceremony>(p, l, *signers[i], verifier, plan));
  }
  std::deque<std::pair<std::uint32_t, Bytes>> queue;
  std::vector<std::pair<std::uint32_t, Bytes>> to_node0;
  std::vector<JournalRecord> journal0;
  std::map<std::uint8_t, Bytes> one_per_kind;
  std::function<void(std::uint32_t, Outbox)> absorb = [&](std::uint32_t i, Outbox o) {
    if (i == 0) {
      for (auto& r : o.journal) journal0.push_back(JournalRecord{r.type, SecretBytes(r.data.view())});
    }
    for (auto& m : o.messages) {
      auto d = decode_envelope(m.bytes);
      if (d) one_per_kind.emplace(d->envelope.kind, m.bytes);
      queue.emplace_back(i, m.bytes);
    }
    ASSERT_FALSE(o.failure.has_value()) << o.failure->cause;
    if (o.result) absorb(i, nodes[i]->on_artifacts_written({}, 0));
  };
  for (std::uint32_t i = 0; i < 4; ++i) absorb(i, nodes[i]->start(seed(i), 0));
  while (!queue.empty()) {
    auto [from, b] = queue.front();
    queue.pop_front();
    for (std::uint32_t k = 0; k < 4; ++k) {
      if (k == from) continue;
      if (k == 0) to_node0.emplace_back(from, b);
      absorb(k, nodes[k]->on_message(from, b, 0));
    }
  }
  for (auto& n : nodes) ASSERT_TRUE(n->finished());

  // dkg_ceremony_fuzz: everything node 0 received, then "artifacts written"; and prefixes.
  Bytes all;
  std::size_t idx = 0;
  for (const auto& [from, b] : to_node0) {
    Bytes c{static_cast<std::uint8_t>(from)};
    append(c, b);
    chunk(all, c);
    ++idx;
    if (idx == 3) write(dir / "dkg_ceremony_fuzz", "r0", all);
    if (idx == to_node0.size() / 2) write(dir / "dkg_ceremony_fuzz", "half", all);
  }
  chunk(all, Bytes{0, 0});
  write(dir / "dkg_ceremony_fuzz", "full_run", all);
  Bytes timeouts;
  chunk(timeouts, Bytes{200});
  chunk(timeouts, Bytes{250});
  write(dir / "dkg_ceremony_fuzz", "timeouts", timeouts);

  // dkg_envelope_fuzz: one envelope per kind.
  for (const auto& [kind, b] : one_per_kind) write(dir / "dkg_envelope_fuzz", to_string(static_cast<Kind>(kind)), b);

  // dkg_journal_fuzz: single records and node 0's whole journal (u16-prefixed records).
  Bytes whole;
  for (const auto& r : journal0) {
    const SecretBytes e = encode_journal_record(r);
    if (e.size() < 0xffff) chunk(whole, e.view());
  }
  write(dir / "dkg_journal_fuzz", "journal", whole);
  write(dir / "dkg_journal_fuzz", "seed_record", encode_journal_record(journal0.front()).view());
  write(dir / "dkg_journal_fuzz", "sent_record", encode_journal_record(journal0.at(1)).view());

  // dkg_transcript_fuzz: the final transcript.
  write(dir / "dkg_transcript_fuzz", "transcript", nodes[0]->transcript());

  // dkg_evidence_fuzz: a restart (two R0 of participant 1), a bad PoK, a complaint.
  std::vector<Bytes> hellos;
  std::vector<Bytes> r1_of_3;
  Bytes verdict_of_2;
  for (const auto& [from, b] : to_node0) {
    auto d = decode_envelope(b);
    if (!d) continue;
    if (d->envelope.kind == 0x00) hellos.push_back(b);
    if (from == 3 && round_of(static_cast<Kind>(d->envelope.kind)) == 1 && r1_of_3.size() < 2) r1_of_3.push_back(b);
    if (from == 2 && d->envelope.kind == 0x20) verdict_of_2 = b;
  }
  hellos.insert(hellos.begin(), one_per_kind.at(0x00));  // node 0 sent the first R0
  {
    LocalConfig l;
    l.self = 1;
    Ceremony again(p, l, *signers[1], verifier, plan);
    Outbox o = again.start(seed(9), 0);
    std::vector<Bytes> ev{hellos.at(1), o.messages.at(0).bytes};
    write(dir / "dkg_evidence_fuzz", "restart",
          make_evidence(FailureCode::kPeerRestartedWithoutJournal, 1, 0, DealCheck::kNone, ev));
  }
  {
    Envelope e;
    e.kind = static_cast<std::uint8_t>(Kind::kRequest);
    e.sender = 2;
    e.session = p.definition_hash;
    Request r;
    r.wanted.push_back(MessageSlot{0x11, 3, kAllParts});
    r.wanted.push_back(MessageSlot{0x00, 1, 0});
    e.payload = ssz::ByteList<kMaxPayloadBytes>(ssz::serialize(r));
    write(dir / "dkg_envelope_fuzz", "request", encode_envelope(e));
  }
  std::vector<Bytes> deal = hellos;
  deal.insert(deal.end(), r1_of_3.begin(), r1_of_3.end());
  const Bytes bad_deal = make_evidence(FailureCode::kBadDeal, 3, 0, DealCheck::kPok, deal);
  write(dir / "dkg_evidence_fuzz", "bad_deal", bad_deal);
  {
    Envelope e;
    e.kind = static_cast<std::uint8_t>(Kind::kAbort);
    e.sender = 1;
    e.session = p.definition_hash;
    e.payload = ssz::ByteList<kMaxPayloadBytes>(bad_deal);
    write(dir / "dkg_envelope_fuzz", "abort", encode_envelope(e));
  }
  deal.push_back(verdict_of_2);
  write(dir / "dkg_evidence_fuzz", "false_complaint",
        make_evidence(FailureCode::kFalseComplaint, 2, 0, DealCheck::kNone, deal));
}

TEST(DkgFuzzCorpus, CeremonySeedDrivesTheStateMachineToTheEnd) {
  // The recorded run in the seed corpus takes the fuzzed ceremony through R0–R5 (so mutations explore every
  // round, not just the decoders).
  std::ifstream f(std::filesystem::path(PHX_DKG_CORPUS) / "dkg_ceremony_fuzz" / "full_run", std::ios::binary);
  ASSERT_TRUE(f.good());
  const Bytes data((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const AcceptAllVerifierForFuzzing verifier;
  const ZeroSignerForFuzzing signer;
  const HashingPlanForFuzzing plan;
  LocalConfig l;
  Ceremony c(params(), l, signer, verifier, plan);
  (void)c.start(seed(0), 0);
  std::size_t pos = 0;
  while (pos + 2 <= data.size()) {
    const std::size_t len = (std::size_t{data[pos]} << 8) | data[pos + 1];
    pos += 2;
    const ByteSpan ch(data.data() + pos, len);
    pos += len;
    if (len == 2) {
      (void)c.on_artifacts_written({}, 0);
    } else if (len > 2) {
      Outbox o = c.on_message(ch[0], ch.subspan(1), 0);
      EXPECT_FALSE(o.failure.has_value()) << o.failure->cause;
    }
  }
  EXPECT_TRUE(c.finished());
}
