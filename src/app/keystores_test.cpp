// Start-up key loading: parallel decryption, the keystore cache (use, invalidation when a keystore changes,
// corruption and failed verification → decrypting again), the membership checks, and keys arriving while the
// node runs (start_share_keys: a key not decrypted yet makes the signer answer kKeyNotLoaded).
#include "app/keystores.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <sys/stat.h>

#include <fstream>

#include "app/fs.hpp"
#include "app/signer.hpp"
#include "cluster/create.hpp"
#include "crypto/keystore/cache.hpp"
#include "crypto/keystore/eip2335.hpp"

namespace phx::app {
namespace {

namespace fs = std::filesystem;

/// A cluster of `validators` (4 by default), node 0's keystores (scrypt N=16) in a fresh folder, and the key book.
struct Fixture {
  fs::path dir;
  std::optional<core::KeyBook> book;
  std::vector<crypto::threshold::KeyShare> shares;

  explicit Fixture(std::size_t validators = 4) {
    dir = fs::temp_directory_path() / ("phx-keystores-" + std::to_string(::getpid()) + "-" +
                                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir / "keys");
    cluster::CreateParams p;
    p.num_validators = static_cast<std::uint32_t>(validators);
    p.withdrawal_addresses = {"0x000000000000000000000000000000000000dEaD"};
    p.fee_recipient_addresses = {"0x1111111111111111111111111111111111111111"};
    auto c = cluster::create_cluster(std::move(p));
    EXPECT_TRUE(c.has_value());
    std::vector<core::LockValidator> vals;
    for (const auto& v : c->lock.validators) {
      core::LockValidator lv;
      lv.distributed_public_key.assign(v.distributed_public_key.begin(), v.distributed_public_key.end());
      for (const auto& s : v.public_shares) lv.public_shares.emplace_back(s.begin(), s.end());
      vals.push_back(std::move(lv));
    }
    book.emplace(*core::KeyBook::from_lock(vals, static_cast<std::uint32_t>(c->lock.definition.threshold)));
    shares = std::move(c->nodes[0].shares);
    for (std::size_t v = 0; v < shares.size(); ++v) write_keystore(v, "password-" + std::to_string(v));
  }
  ~Fixture() { fs::remove_all(dir); }

  void write_keystore(std::size_t v, const std::string& pw,
                      crypto::keystore::Kdf kdf = crypto::keystore::Kdf::kScrypt, std::uint64_t cost = 16) {
    crypto::keystore::EncryptOptions opts;
    opts.kdf = kdf;
    opts.cost = cost;
    auto json = crypto::keystore::encrypt(shares[v].secret, pw, opts);
    ASSERT_TRUE(json.has_value());
    const fs::path base = dir / "keys" / ("keystore-" + std::to_string(v));
    ASSERT_TRUE(write_file_atomic(fs::path(base.string() + ".json"), as_bytes(*json), 0600, true).has_value());
    ASSERT_TRUE(write_file_atomic(fs::path(base.string() + ".txt"), as_bytes(pw + "\n"), 0600, true).has_value());
  }

  KeyLoadOptions options() const {
    KeyLoadOptions o;
    o.cache_file = dir / "data" / "keystore-cache";
    o.threads = 2;
    o.progress_interval = Duration{0};  // a progress line at every poll
    return o;
  }

  Result<ShareKeys, std::string> load(KeyLoadReport& rep) const {
    return load_share_keys(dir / "keys", *book, ShareIdx{1}, options(), &rep);
  }

  /// Every loaded key is node 0's share of its validator.
  void expect_right(const ShareKeys& keys) const {
    ASSERT_EQ(keys.size(), shares.size());
    for (const auto& [dv, sk] : keys) {
      auto ref = book->by_pubshare(sk.public_key().to_bytes());
      ASSERT_TRUE(ref.has_value());
      EXPECT_EQ(ref->pubkey, dv);
      EXPECT_EQ(ref->share_idx, ShareIdx{1});
    }
  }
};

TEST(KeystoreLoading, FirstStartDecryptsAndWritesTheCacheLaterStartsUseIt) {
  Fixture f;
  KeyLoadReport rep;
  auto first = f.load(rep);
  ASSERT_TRUE(first.has_value()) << first.error();
  f.expect_right(*first);
  EXPECT_FALSE(rep.from_cache);
  EXPECT_EQ(rep.cache_note, "none yet");
  EXPECT_TRUE(rep.cache_written);
  struct stat st{};
  ASSERT_EQ(::stat(f.options().cache_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto second = f.load(rep);
  ASSERT_TRUE(second.has_value()) << second.error();
  f.expect_right(*second);
  EXPECT_TRUE(rep.from_cache);
  EXPECT_FALSE(rep.cache_written);
}

// The cache's KDF: PBKDF2 at the largest c when every keystore is PBKDF2 (no 256 MiB scrypt at each start), scrypt
// as soon as one keystore uses scrypt; either way the next start loads from it.
TEST(KeystoreLoading, ACacheOfPbkdf2KeystoresUsesPbkdf2AndAMixUsesScrypt) {
  namespace ks = crypto::keystore;
  Fixture f;
  for (std::size_t v = 0; v < f.shares.size(); ++v)
    f.write_keystore(v, "password-" + std::to_string(v), ks::Kdf::kPbkdf2, v == 2 ? 3000 : 2000);
  KeyLoadReport rep;
  ASSERT_TRUE(f.load(rep).has_value());
  ASSERT_TRUE(rep.cache_written);
  auto header = [&] { return *ks::parse_cache_header(*read_file(f.options().cache_file)); };
  EXPECT_EQ(header().kdf, ks::Kdf::kPbkdf2);
  EXPECT_EQ(header().cost, 3000u);
  auto again = f.load(rep);
  ASSERT_TRUE(again.has_value()) << again.error();
  EXPECT_TRUE(rep.from_cache);
  f.expect_right(*again);
  f.write_keystore(1, "password-1", ks::Kdf::kScrypt, 32);
  ASSERT_TRUE(f.load(rep).has_value());
  ASSERT_TRUE(rep.cache_written);
  EXPECT_EQ(header().kdf, ks::Kdf::kScrypt);
  EXPECT_EQ(header().cost, 1u << 18);  // PBKDF2 keystores count as EIP-2335's default N
}

TEST(KeystoreLoading, AChangedKeystoreInvalidatesTheCache) {
  Fixture f;
  KeyLoadReport rep;
  ASSERT_TRUE(f.load(rep).has_value());
  f.write_keystore(2, "a new password");  // same key, new file and password
  auto keys = f.load(rep);
  ASSERT_TRUE(keys.has_value()) << keys.error();
  f.expect_right(*keys);
  EXPECT_FALSE(rep.from_cache);
  EXPECT_EQ(rep.cache_note, "keystore files changed");
  EXPECT_TRUE(rep.cache_written);
  ASSERT_TRUE(f.load(rep).has_value());
  EXPECT_TRUE(rep.from_cache);
}

TEST(KeystoreLoading, ACorruptedOrUnverifiableCacheFallsBackToDecrypting) {
  Fixture f;
  KeyLoadReport rep;
  ASSERT_TRUE(f.load(rep).has_value());
  const fs::path cache = f.options().cache_file;
  auto bytes = *read_file(cache);
  // A flipped ciphertext byte: the HMAC fails as with other passwords.
  auto flipped = bytes;
  flipped[crypto::keystore::kCacheHeaderSize + 1] ^= 0x20;
  ASSERT_TRUE(write_file_atomic(cache, flipped, 0600, true).has_value());
  auto keys = f.load(rep);
  ASSERT_TRUE(keys.has_value()) << keys.error();
  f.expect_right(*keys);
  EXPECT_FALSE(rep.from_cache);
  EXPECT_NE(rep.cache_note.find("does not verify"), std::string::npos) << rep.cache_note;
  // A truncated file.
  ASSERT_TRUE(write_file_atomic(cache, ByteSpan(bytes.data(), 50), 0600, true).has_value());
  keys = f.load(rep);
  ASSERT_TRUE(keys.has_value()) << keys.error();
  EXPECT_FALSE(rep.from_cache);
  EXPECT_NE(rep.cache_note.find("not a keystore cache"), std::string::npos) << rep.cache_note;
  // Rewritten: used again.
  ASSERT_TRUE(f.load(rep).has_value());
  EXPECT_TRUE(rep.from_cache);
}

TEST(KeystoreLoading, AWrongPasswordFileNamesTheKeystoreAndNeverThePassword) {
  Fixture f;
  const fs::path pw = f.dir / "keys" / "keystore-1.txt";
  ASSERT_TRUE(write_file_atomic(pw, as_bytes("not-the-password"), 0600, true).has_value());
  KeyLoadReport rep;
  auto keys = f.load(rep);
  ASSERT_FALSE(keys.has_value());
  EXPECT_NE(keys.error().find("keystore-1.json"), std::string::npos) << keys.error();
  EXPECT_EQ(keys.error().find("not-the-password"), std::string::npos);
  EXPECT_FALSE(rep.cache_written);
}

// The file caps at the call site: a keystore above 1 MiB or a password file above 4 KiB is refused naming the file,
// before anything is parsed or derived; the same files within the caps load.
TEST(KeystoreLoading, OversizedKeystoreOrPasswordFilesAreRefusedNamingTheFile) {
  Fixture f;
  const fs::path json = f.dir / "keys" / "keystore-2.json";
  const fs::path pw = f.dir / "keys" / "keystore-3.txt";
  const auto good_json = *read_file(json);
  std::string padded(good_json.begin(), good_json.end());
  padded.append((1u << 20) + 1 - padded.size(), ' ');  // valid JSON with trailing spaces, one byte over 1 MiB
  ASSERT_TRUE(write_file_atomic(json, as_bytes(padded), 0600, true).has_value());
  KeyLoadReport rep;
  auto keys = f.load(rep);
  ASSERT_FALSE(keys.has_value());
  EXPECT_NE(keys.error().find("keystore-2.json"), std::string::npos) << keys.error();
  ASSERT_TRUE(write_file_atomic(json, ByteSpan(good_json.data(), good_json.size()), 0600, true).has_value());
  ASSERT_TRUE(write_file_atomic(pw, as_bytes(std::string(4097, 'p')), 0600, true).has_value());
  keys = f.load(rep);
  ASSERT_FALSE(keys.has_value());
  EXPECT_NE(keys.error().find("keystore-3.txt"), std::string::npos) << keys.error();
  f.write_keystore(3, "password-3");
  keys = f.load(rep);
  EXPECT_TRUE(keys.has_value()) << keys.error();
}

TEST(KeystoreLoading, StartedLoadingMakesEveryKeyUsableThenWritesTheCache) {
  Fixture f;
  auto live = start_share_keys(f.dir / "keys", *f.book, ShareIdx{1}, f.options());
  ASSERT_TRUE(live.has_value()) << live.error();
  EXPECT_EQ((*live)->size(), f.shares.size());
  // Duties may arrive at any time while the threads decrypt (here: every validator attests at slot 3).
  core::EpochDuties duties;
  for (const auto& [pk, v] : f.book->validators()) duties.attesters[Slot{3}][pk] = core::DutyDefinition{};
  (*live)->on_duties(duties, Slot{0});
  (*live)->wait();
  EXPECT_TRUE((*live)->done());
  EXPECT_EQ((*live)->loaded_count(), f.shares.size());
  EXPECT_EQ((*live)->failed_count(), 0u);
  for (const auto& [pk, v] : f.book->validators()) {
    const crypto::bls::SecretKey* sk = (*live)->find(pk);
    ASSERT_NE(sk, nullptr);
    auto ref = f.book->by_pubshare(sk->public_key().to_bytes());
    ASSERT_TRUE(ref.has_value());
    EXPECT_EQ(ref->pubkey, pk);
  }
  EXPECT_EQ((*live)->find(core::PubKey{}), nullptr);
  EXPECT_FALSE((*live)->known(core::PubKey{}));
  live->reset();
  // The next start reads the cache the loader wrote: everything at once.
  KeyLoadReport rep;
  ASSERT_TRUE(f.load(rep).has_value());
  EXPECT_TRUE(rep.from_cache);
  auto again = start_share_keys(f.dir / "keys", *f.book, ShareIdx{1}, f.options());
  ASSERT_TRUE(again.has_value()) << again.error();
  EXPECT_TRUE((*again)->done());
  EXPECT_EQ((*again)->loaded_count(), f.shares.size());
}

// The keys of upcoming duties are decrypted first: on one thread, with slow (PBKDF2) keystores, the validators
// that attest soonest are loaded before the rest, and a duty whose slot has passed no longer counts.
TEST(KeystoreLoading, KeysOfUpcomingDutiesAreDecryptedFirstAndPassedDutiesWait) {
  namespace ks = crypto::keystore;
  Fixture f(18);
  // ~0.3 s per batch of six: the duties below arrive while the thread is on its first batch.
  for (std::size_t v = 0; v < f.shares.size(); ++v)
    f.write_keystore(v, "password-" + std::to_string(v), ks::Kdf::kPbkdf2, 300'000);
  auto dv = [&](std::size_t v) { return f.book->by_pubshare(f.shares[v].secret.public_key().to_bytes())->pubkey; };
  KeyLoadOptions o = f.options();
  o.threads = 1;
  auto live = start_share_keys(f.dir / "keys", *f.book, ShareIdx{1}, o);
  ASSERT_TRUE(live.has_value()) << live.error();
  (*live)->set_current_slot([] { return Slot{10}; });
  // Files sort by name: keystore-0, -1, -10 … -17, -2 … -9. The first batch (0, 1, 10 … 13) is under way.
  // Validators 4 … 9 (the last six files) attest at slot 12; 2 and 3 attested at slot 9, which is over.
  core::EpochDuties duties;
  for (std::size_t v = 4; v <= 9; ++v) duties.attesters[Slot{12}][dv(v)] = core::DutyDefinition{};
  for (std::size_t v = 2; v <= 3; ++v) duties.attesters[Slot{9}][dv(v)] = core::DutyDefinition{};
  (*live)->on_duties(duties, Slot{0});
  while ((*live)->loaded_count() < 12) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  for (std::size_t v = 4; v <= 9; ++v) EXPECT_NE((*live)->find(dv(v)), nullptr) << v;  // the second batch
  for (std::size_t v = 2; v <= 3; ++v) EXPECT_EQ((*live)->find(dv(v)), nullptr) << v;  // behind 14 … 17
  (*live)->wait();
  EXPECT_EQ((*live)->loaded_count(), 18u);
}

TEST(KeystoreLoading, AKeyThatDoesNotDecryptStaysUnloadedTheSignerSaysKeyNotLoaded) {
  Fixture f;
  ASSERT_TRUE(write_file_atomic(f.dir / "keys" / "keystore-2.txt", as_bytes("not-the-password"), 0600, true));
  auto live = start_share_keys(f.dir / "keys", *f.book, ShareIdx{1}, f.options());
  ASSERT_TRUE(live.has_value()) << live.error();  // membership is checked up front from the pubkey fields
  (*live)->wait();
  EXPECT_EQ((*live)->loaded_count(), f.shares.size() - 1);
  EXPECT_EQ((*live)->failed_count(), 1u);
  EXPECT_FALSE(fs::exists(f.options().cache_file));  // never a cache with a key missing
  const core::PubKey missing = f.book->by_pubshare(f.shares[2].secret.public_key().to_bytes())->pubkey;
  const eth::ChainConfig config = eth::devnet_config(eth::Fork::kFulu, 1'000'000, Root{});
  ShareSigner signer(config, std::shared_ptr<const LiveShareKeys>(*live), ShareIdx{1});
  EXPECT_FALSE(signer.ready(missing));
  EXPECT_TRUE(signer.ready(core::PubKey{}));  // not ours at all: the sign call says which
  const core::Duty duty{Slot{1}, core::DutyType::kRandao};
  std::vector<core::SignItem> items;
  for (const auto& [pk, v] : f.book->validators()) items.push_back(core::SignItem{pk, core::SignedMessage{core::RandaoMessage{Epoch{0}}}});
  items.push_back(core::SignItem{core::PubKey{}, core::SignedMessage{core::RandaoMessage{Epoch{0}}}});
  auto out = signer.sign_batch(duty, items);
  ASSERT_EQ(out.size(), items.size());
  for (std::size_t i = 0; i + 1 < items.size(); ++i) {
    if (items[i].pubkey == missing) {
      ASSERT_FALSE(out[i].has_value());
      EXPECT_EQ(out[i].error(), make_error_code(core::CoreError::kKeyNotLoaded));
    } else {
      EXPECT_TRUE(out[i].has_value());
    }
  }
  EXPECT_EQ(out.back().error(), make_error_code(core::CoreError::kUnknownPubkey));
}

TEST(KeystoreLoading, AnotherNodesShareIsRefused) {
  Fixture f;
  KeyLoadReport rep;
  auto keys = load_share_keys(f.dir / "keys", *f.book, ShareIdx{2}, f.options(), &rep);
  ASSERT_FALSE(keys.has_value());
  EXPECT_NE(keys.error().find("this node is share 2"), std::string::npos) << keys.error();
  EXPECT_FALSE(rep.cache_written);
}

}  // namespace
}  // namespace phx::app
