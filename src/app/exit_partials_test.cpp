// Tests of partial exits: the file formats, ExitBook's verification, recombination and bounds, and the operator
// API keeping every operator's partial across a restart (DATA_DIR/exit-partials.json).
#include "app/exit_partials.hpp"

#include <gtest/gtest.h>

#include <set>
#include <sys/stat.h>

#include "app/fs.hpp"
#include "app/operator_api.hpp"
#include "app/temp_dir_test.hpp"
#include "base/bytes.hpp"
#include "core/workflow_doubles_test.hpp"

namespace phx::app {
namespace {

namespace fs = std::filesystem;
namespace bls = crypto::bls;
using core::PubKey;
using eth::phase0::VoluntaryExit;

constexpr std::uint64_t kGenesis = 1'700'000'000;

struct Keys {
  core::testing::TestKeys keys = core::testing::make_keys(2, 3, 4);
  eth::ChainConfig chain = eth::devnet_config(eth::Fork::kFulu, kGenesis, Root{});

  PubKey pk(std::size_t v) const { return keys.validators[v].pubkey; }
  /// The partial of validator `v`'s exit by share `share` (1-based), signed with `signer`'s share (default: the same).
  PartialExit partial(std::size_t v, std::uint32_t share, VoluntaryExit exit, std::uint32_t signer = 0) const {
    const auto& s = keys.validators[v].shares[(signer == 0 ? share : signer) - 1];
    return PartialExit{pk(v), exit, ShareIdx{share}, s.secret.sign(exit_signing_root(chain, exit)).to_bytes()};
  }
};

TEST(PartialExitsFile, RoundTripsAndNamesTheBadField) {
  Keys k;
  PartialExitsFile f{Root{}, {k.partial(0, 1, VoluntaryExit{Epoch{3}, ValidatorIndex{7}})}};
  f.lock_hash->fill(0x11);
  auto back = parse_partial_exits(partial_exits_text(f));
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(back->lock_hash, f.lock_hash);
  ASSERT_EQ(back->partials.size(), 1u);
  EXPECT_EQ(back->partials[0].pubkey, f.partials[0].pubkey);
  EXPECT_EQ(back->partials[0].exit, f.partials[0].exit);
  EXPECT_EQ(back->partials[0].share_idx, ShareIdx{1});
  EXPECT_EQ(back->partials[0].signature, f.partials[0].signature);
  auto err = [](std::string_view text) {
    auto r = parse_partial_exits(text);
    return r ? std::string("accepted") : r.error();
  };
  EXPECT_NE(err("nope").find("not JSON"), std::string::npos);
  EXPECT_NE(err(R"({"version":2,"partials":[]})").find("version"), std::string::npos);
  EXPECT_NE(err(R"({"message":{},"signature":"0x"})").find("partial-exits file"), std::string::npos);
  EXPECT_NE(err(R"({"version":1,"partials":[{"pubkey":"0x12"}]})").find("partials[0]: missing"), std::string::npos);
  const std::string pk = "\"0x" + std::string(96, 'a') + "\"";
  const std::string good = R"({"version":1,"partials":[{"pubkey":)" + pk +
                           R"(,"epoch":"1","validator_index":"2","share_idx":SHARE,"signature":SIG}]})";
  auto with = [&](std::string share, std::string sig) {
    std::string t = good;
    t.replace(t.find("SHARE"), 5, share);
    t.replace(t.find("SIG"), 3, sig);
    return err(t);
  };
  EXPECT_EQ(with("1", "\"0x" + std::string(192, 'b') + "\""), "accepted");
  EXPECT_NE(with("0", "\"0x" + std::string(192, 'b') + "\"").find("partials[0].share_idx"), std::string::npos);
  EXPECT_NE(with("1", "\"0x12\"").find("partials[0].signature"), std::string::npos);
}

TEST(SignedExitFile, RoundTripsAndVerifiesAgainstKeyAndDomain) {
  Keys k;
  const bls::SecretKey sk = bls::SecretKey::from_scalar(bls::Fr::random());
  const PubKey pk = sk.public_key().to_bytes();
  eth::phase0::SignedVoluntaryExit e{VoluntaryExit{Epoch{5}, ValidatorIndex{9}}, {}};
  e.signature = sk.sign(exit_signing_root(k.chain, e.message)).to_bytes();
  auto back = parse_signed_exit(signed_exit_text(e));
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(*back, e);
  EXPECT_TRUE(verify_full_exit(k.chain, pk, e));
  auto wrong_index = e;
  wrong_index.message.validator_index = ValidatorIndex{10};
  EXPECT_NE(verify_full_exit(k.chain, pk, wrong_index).error().find("does not verify"), std::string::npos);
  EXPECT_FALSE(verify_full_exit(k.chain, k.pk(0), e));  // another validator's key
  auto other_chain = k.chain;
  other_chain.genesis_validators_root[0] ^= 1;
  EXPECT_FALSE(verify_full_exit(other_chain, pk, e));
  EXPECT_FALSE(parse_signed_exit(R"({"version":1,"partials":[]})"));
  EXPECT_FALSE(parse_signed_exit(R"({"message":{"epoch":"x","validator_index":"1"},"signature":"0x00"})"));
}

TEST(ExitBook, RecombinesOnceThresholdPartialsAgreeAndNeverBefore) {
  Keys k;
  ExitBook book(k.chain, k.keys.book);
  const VoluntaryExit exit{Epoch{2}, ValidatorIndex{4}};
  EXPECT_EQ(book.add(k.partial(0, 1, exit)).value(), ExitBook::Added::kNew);
  EXPECT_EQ(book.add(k.partial(0, 1, exit)).value(), ExitBook::Added::kKnown);
  EXPECT_EQ(book.add(k.partial(0, 4, exit)).value(), ExitBook::Added::kNew);
  // t-1 partials, and a third share's partial of another message, never make an exit.
  EXPECT_EQ(book.add(k.partial(0, 2, VoluntaryExit{Epoch{3}, ValidatorIndex{4}})).value(), ExitBook::Added::kNew);
  EXPECT_FALSE(book.full_exit(k.pk(0)));
  EXPECT_FALSE(book.find(k.pk(0), Epoch{2})->full);
  EXPECT_EQ(book.add(k.partial(0, 3, exit)).value(), ExitBook::Added::kReady);
  auto full = book.full_exit(k.pk(0));
  ASSERT_TRUE(full);
  EXPECT_EQ(full->message, exit);
  EXPECT_TRUE(verify_full_exit(k.chain, k.pk(0), *full));
  EXPECT_EQ(book.find(k.pk(0), Epoch{2})->partials.size(), 3u);
  EXPECT_EQ(book.add(k.partial(0, 2, exit)).value(), ExitBook::Added::kNew);  // a fourth: kept, same exit
  EXPECT_EQ(book.partials().size(), 5u);
  EXPECT_FALSE(book.full_exit(k.pk(1)));
}

TEST(ExitBook, RefusesWrongPartialsWithTheReason) {
  Keys k;
  ExitBook book(k.chain, k.keys.book);
  const VoluntaryExit exit{Epoch{2}, ValidatorIndex{4}};
  // Share 2's signature presented as share 1's: does not verify against share 1's public share.
  auto wrong = book.add(k.partial(0, 1, exit, 2));
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().find("does not verify against the lock's public share"), std::string::npos);
  EXPECT_NE(wrong.error().find("share 1"), std::string::npos);
  // Another validator's share signing this validator's exit.
  auto p = k.partial(1, 1, exit);
  p.pubkey = k.pk(0);
  EXPECT_FALSE(book.add(p));
  auto stranger = k.partial(0, 1, exit);
  stranger.pubkey[5] ^= 1;
  EXPECT_NE(book.add(stranger).error().find("not a validator of this cluster"), std::string::npos);
  EXPECT_NE(book.add(k.partial(0, 5, exit, 1)).error().find("shares 1..4"), std::string::npos);
  auto garbage = k.partial(0, 1, exit);
  garbage.signature.fill(0xff);
  EXPECT_NE(book.add(garbage).error().find("encoding"), std::string::npos);
  EXPECT_TRUE(book.partials().empty());
}

TEST(ExitBook, LazyPartialsAreCheckedWhenRecombinedAndWrongOnesDropped) {
  Keys k;
  ExitBook book(k.chain, k.keys.book);
  const VoluntaryExit exit{Epoch{2}, ValidatorIndex{4}};
  EXPECT_TRUE(book.add(k.partial(0, 1, exit), false));
  EXPECT_TRUE(book.add(k.partial(0, 2, exit, 4), false));  // wrong, not noticed yet
  // The third completes t: the result does not verify, share 2 is found and dropped (reported by take_rejections).
  EXPECT_EQ(book.add(k.partial(0, 3, exit), false).value(), ExitBook::Added::kNew);
  auto why = book.take_rejections();
  ASSERT_EQ(why.size(), 1u);
  EXPECT_NE(why[0].find("share 2"), std::string::npos);
  EXPECT_FALSE(book.full_exit(k.pk(0)));
  // Share 2's right partial completes it; a wrong one that completes a set is refused itself.
  auto wrong = book.add(k.partial(0, 4, exit, 1), false);
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().find("share 4"), std::string::npos);
  EXPECT_TRUE(book.take_rejections().empty());
  EXPECT_EQ(book.add(k.partial(0, 2, exit), false).value(), ExitBook::Added::kReady);
  EXPECT_TRUE(verify_full_exit(k.chain, k.pk(0), *book.full_exit(k.pk(0))));
  EXPECT_EQ(book.find(k.pk(0), Epoch{2})->verified, (std::set<std::uint32_t>{1, 2, 3}));
}

TEST(ExitBook, BoundsTheMessagesOfEachShare) {
  Keys k;
  ExitBook book(k.chain, k.keys.book, 2);
  EXPECT_TRUE(book.add(k.partial(0, 1, VoluntaryExit{Epoch{1}, ValidatorIndex{4}})));
  EXPECT_TRUE(book.add(k.partial(0, 1, VoluntaryExit{Epoch{2}, ValidatorIndex{4}})));
  auto third = book.add(k.partial(0, 1, VoluntaryExit{Epoch{3}, ValidatorIndex{4}}));
  ASSERT_FALSE(third);
  EXPECT_NE(third.error().find("already signed 2"), std::string::npos);
  // Another share, and the same share for another validator, are unaffected.
  EXPECT_TRUE(book.add(k.partial(0, 2, VoluntaryExit{Epoch{3}, ValidatorIndex{4}})));
  EXPECT_TRUE(book.add(k.partial(1, 1, VoluntaryExit{Epoch{3}, ValidatorIndex{5}})));
}

core::ParSignedData as_parsig(const PartialExit& p) {
  return core::ParSignedData{
      core::SignedData{core::ExitMessage{p.exit, p.exit.epoch}, *crypto::bls::Signature::from_bytes(p.signature)},
      p.share_idx};
}

/// An operator API holding share 2, its files in a fresh temporary folder, its clock 1 s into `epoch`.
struct OperatorApiAt {
  OperatorApiAt(const Keys& k, const char* dir_name, std::uint64_t epoch)
      : keys(k),
        dir(dir_name),
        clock{TimePoint(std::chrono::seconds(kGenesis + epoch * 32 * k.chain.seconds_per_slot + 1))} {
    o.exits_file = dir.path / "exits.json";
    o.partials_file = dir.path / "exit-partials.json";
    o.share_idx = ShareIdx{2};
  }
  /// A new API over the same files and options (a restart).
  std::unique_ptr<OperatorApi> make() {
    return std::make_unique<OperatorApi>(keys.chain, keys.keys.book, clock,
                                         [](const PubKey&, Epoch) { return Result<void>{}; }, o);
  }

  const Keys& keys;
  testing::TempDir dir;
  ManualClock clock;
  OperatorApiOptions o;
};

TEST(OperatorApiPartials, KeepsOwnAndPeersPartialsAcrossARestart) {
  Keys k;
  OperatorApiAt at(k, "phx-exitparts", 3);
  const OperatorApiOptions& o = at.o;
  auto make = [&] { return at.make(); };
  auto api = make();
  const VoluntaryExit exit{Epoch{3}, ValidatorIndex{4}};
  const core::Duty duty{Slot{3 * k.chain.slots_per_epoch}, core::DutyType::kExit};
  api->on_sent(duty, k.pk(0), as_parsig(k.partial(0, 2, exit)));  // own
  api->on_partial(duty, k.pk(0), as_parsig(k.partial(0, 1, exit)));
  // A wrong partial (share 3 claims share 4's signature) and a partial on a slot that is not the exit's epoch
  // start are not kept.
  api->on_partial(duty, k.pk(0), as_parsig(k.partial(0, 3, exit, 4)));
  api->on_partial(core::Duty{Slot{duty.slot.value + 1}, core::DutyType::kExit}, k.pk(0),
                  as_parsig(k.partial(0, 4, exit)));
  api->save_partials();  // what run_background() does within a second
  ASSERT_TRUE(fs::exists(o.partials_file));
  struct stat st {};
  ASSERT_EQ(::stat(o.partials_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(api->exit_book().partials().size(), 2u);

  // Restart: the new process holds shares 1 and 2 without anyone signing again; share 3 completes the exit.
  api = make();
  ASSERT_TRUE(api->load());
  ssz::Json e;
  auto entry = [&] {
    const ssz::Json all = api->list();
    for (const auto& x : all["data"])
      if (x["pubkey"] == to_hex(k.pk(0)) && x["epoch"] == "3") return x;
    return ssz::Json();
  };
  e = entry();
  EXPECT_EQ(e["signers"], ssz::Json::array({1, 2}));
  EXPECT_EQ(e["ready"], false);
  api->on_partial(duty, k.pk(0), as_parsig(k.partial(0, 3, exit)));
  e = entry();
  EXPECT_EQ(e["signers"], ssz::Json::array({1, 2, 3}));
  EXPECT_EQ(e["ready"], true);
  EXPECT_EQ(e["status"], "ready");
  EXPECT_EQ(e["validator_index"], "4");
  auto full = ssz::from_json<eth::phase0::SignedVoluntaryExit>(e["signed_exit"]);
  ASSERT_TRUE(full);
  EXPECT_TRUE(verify_full_exit(k.chain, k.pk(0), *full));
  api->on_submitted(k.pk(0), Epoch{3}, "");
  EXPECT_EQ(entry()["status"], "submitted");

  // A malformed file stops the start with its name; a partial that no longer verifies is dropped.
  {
    auto text = partial_exits_text(PartialExitsFile{std::nullopt, {k.partial(0, 1, exit, 2), k.partial(0, 2, exit)}});
    ASSERT_TRUE(write_file_atomic(o.partials_file, as_bytes(text), 0600, true));
    api = make();
    ASSERT_TRUE(api->load());
    // Not checked yet (fewer than t); a third partial makes the node recombine, find share 1's wrong and drop it.
    EXPECT_EQ(api->exit_book().partials().size(), 2u);
    api->on_partial(duty, k.pk(0), as_parsig(k.partial(0, 3, exit)));
    EXPECT_EQ(api->exit_book().partials().size(), 2u);
    EXPECT_FALSE(api->exit_book().full_exit(k.pk(0)));
    api->on_partial(duty, k.pk(0), as_parsig(k.partial(0, 1, exit)));  // the right one replaces nothing: recombined
    EXPECT_TRUE(api->exit_book().full_exit(k.pk(0)));
  }
  ASSERT_TRUE(write_file_atomic(o.partials_file, as_bytes(std::string("{oops")), 0600, true));
  api = make();
  auto bad = api->load();
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().find("exit-partials.json"), std::string::npos);
}

// What peers can make a node remember about exits is bounded: a partial for an exit epoch beyond the next one is
// neither kept nor listed; a past epoch's partial is kept and listed (an exit stays valid after its epoch); and the
// exit record (what GET /phalanx/v1/exits lists) holds at most max_records entries, dropping the lowest epoch first.
TEST(OperatorApiPartials, TheExitRecordIsBoundedInEpochAndSize) {
  Keys k;
  const std::uint64_t now = 10;
  OperatorApiAt at(k, "phx-exitwindow", now);
  at.o.max_records = 3;
  auto owned = at.make();
  OperatorApi& api = *owned;
  ASSERT_TRUE(api.load());
  auto listed = [&]() {
    std::set<std::uint64_t> out;
    const ssz::Json all = api.list();  // a named value: a range-for over a temporary's member dangles
    for (const auto& x : all["data"])
      if (x["pubkey"] == to_hex(k.pk(0))) out.insert(std::stoull(x["epoch"].get<std::string>()));
    return out;
  };
  auto partial = [&](std::uint64_t epoch) {
    const VoluntaryExit exit{Epoch{epoch}, ValidatorIndex{4}};
    const core::Duty duty{Slot{epoch * k.chain.slots_per_epoch}, core::DutyType::kExit};
    api.on_partial(duty, k.pk(0), as_parsig(k.partial(0, 1, exit)));
  };
  for (std::uint64_t epoch : {now - 3, now, now + 2}) partial(epoch);
  EXPECT_EQ(listed(), (std::set<std::uint64_t>{now - 3, now}));
  partial(now + 1);
  EXPECT_EQ(listed(), (std::set<std::uint64_t>{now - 3, now, now + 1}));
  partial(now - 1);  // a fourth record: the lowest epoch other than the new one goes
  EXPECT_EQ(listed(), (std::set<std::uint64_t>{now - 1, now, now + 1}));
  std::set<std::uint64_t> kept;
  for (const auto& p : api.exit_book().partials()) kept.insert(p.exit.epoch.value);
  EXPECT_EQ(kept.count(now + 2), 0u);
  EXPECT_EQ(kept.count(now + 1), 1u);
}

// exit-partials.json is refused at start above 64 MiB (before it is read: a sparse file) and above 65,536 entries,
// naming the file; nothing of it is loaded.
TEST(OperatorApiPartials, AFileAboveItsSizeOrEntryCapIsRefusedNamingIt) {
  Keys k;
  OperatorApiAt at(k, "phx-exitcaps", 3);
  const OperatorApiOptions& o = at.o;
  auto make = [&] { return at.make(); };
  EXPECT_EQ(kMaxPartialExitsInFile, 65'536u);
  std::string many = R"({"version":1,"partials":[{})";
  for (std::size_t i = 0; i < kMaxPartialExitsInFile; ++i) many += ",{}";
  many += "]}";
  ASSERT_TRUE(write_file_atomic(o.partials_file, as_bytes(many), 0600, true));
  auto api = make();
  auto r = api->load();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("exit-partials.json"), std::string::npos) << r.error();
  EXPECT_NE(r.error().find("too many entries"), std::string::npos) << r.error();
  EXPECT_TRUE(api->exit_book().partials().empty());
  std::filesystem::resize_file(o.partials_file, (std::uintmax_t{64} << 20) + 1);
  api = make();
  r = api->load();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("exit-partials.json"), std::string::npos) << r.error();
  EXPECT_NE(r.error().find("larger than allowed"), std::string::npos) << r.error();
}

}  // namespace
}  // namespace phx::app
