#include "crypto/keystore/eip2335.hpp"
#include "crypto/keystore/primitives.hpp"

#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <unicode/normalizer2.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <type_traits>

#include "crypto/hash/pbkdf2.hpp"
#include "crypto/hash/random.hpp"
#include "crypto/hash/sha256.hpp"

namespace phx::crypto::keystore {

const char* to_string(Eip2335Error e) {
  switch (e) {
    case Eip2335Error::kOk: return "ok";
    case Eip2335Error::kBadJson: return "malformed keystore JSON";
    case Eip2335Error::kUnsupported: return "unsupported keystore function or version";
    case Eip2335Error::kBadParams: return "keystore KDF parameters out of bounds";
    case Eip2335Error::kWrongPassword: return "wrong keystore password (checksum mismatch)";
    case Eip2335Error::kBadPassword: return "keystore password is not valid UTF-8";
    case Eip2335Error::kBadSecret: return "keystore secret is not a valid BLS secret key";
    case Eip2335Error::kPubkeyMismatch: return "keystore pubkey does not match its secret";
    case Eip2335Error::kCryptoFailure: return "cryptographic library failure";
  }
  return "unknown keystore error";
}

const char* to_string(Kdf kdf) { return kdf == Kdf::kScrypt ? "scrypt" : "pbkdf2"; }

std::optional<Kdf> kdf_from_string(std::string_view name) {
  if (name == "scrypt") return Kdf::kScrypt;
  if (name == "pbkdf2") return Kdf::kPbkdf2;
  return std::nullopt;
}

namespace {

using Json = nlohmann::ordered_json;

// Bounds on untrusted KDF parameters: scrypt N·r·128 bytes of memory, PBKDF2 iterations.
constexpr std::uint64_t kMaxScryptN = 1u << 20;
constexpr std::uint64_t kMaxScryptR = 16;
constexpr std::uint64_t kMaxScryptNR = 1u << 21;  // 128·N·r bytes ≤ 256 MiB (EIP-2335's default N=2^18, r=8)
constexpr std::uint64_t kMaxScryptP = 16;
constexpr std::uint64_t kMaxPbkdf2C = 1u << 24;

bool is_control(UChar32 c) { return c <= 0x1f || (c >= 0x7f && c <= 0x9f); }

}  // namespace

namespace detail {

Result<SecretArray<32>> derive_key(Kdf kdf, ByteSpan password, ByteSpan salt, std::uint64_t n_or_c,
                                   std::uint64_t r, std::uint64_t p) {
  SecretArray<32> dk;
  int ok = 0;
  if (kdf == Kdf::kScrypt) {
    std::uint64_t maxmem = 128 * r * n_or_c + 128 * r * p + (1u << 20);
    ok = EVP_PBE_scrypt(reinterpret_cast<const char*>(password.data()), password.size(), salt.data(), salt.size(),
                        n_or_c, r, p, maxmem, dk.mut_view().data(), 32);
  } else {
    if (n_or_c == 0 || n_or_c > 0xffffffffu) return fail(Eip2335Error::kCryptoFailure);
    hash::pbkdf2_hmac_sha256(password, salt, static_cast<std::uint32_t>(n_or_c), dk.mut_view());
    ok = 1;
  }
  if (ok != 1) return fail(Eip2335Error::kCryptoFailure);
  return dk;
}

/// AES-128-CTR (encryption and decryption are the same operation).
Result<void> aes128_ctr(ByteSpan key16, ByteSpan iv16, ByteSpan in, MutByteSpan out) {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (!ctx) return fail(Eip2335Error::kCryptoFailure);
  int len = 0, fin = 0;
  bool ok = EVP_EncryptInit_ex(ctx, EVP_aes_128_ctr(), nullptr, key16.data(), iv16.data()) == 1 &&
            EVP_EncryptUpdate(ctx, out.data(), &len, in.data(), static_cast<int>(in.size())) == 1 &&
            EVP_EncryptFinal_ex(ctx, out.data() + len, &fin) == 1;
  EVP_CIPHER_CTX_free(ctx);
  if (!ok) return fail(Eip2335Error::kCryptoFailure);
  return {};
}

}  // namespace detail

namespace {

using detail::aes128_ctr;
using detail::derive_key;

hash::Digest checksum(std::span<const std::uint8_t, 32> dk, ByteSpan cipher_message) {
  return hash::sha256(dk.subspan(16, 16), cipher_message);
}

template <class T>
bool get_to(const Json& j, const char* key, T& out) {
  if (!j.is_object() || !j.contains(key)) return false;
  const auto& v = j[key];
  if constexpr (std::is_same_v<T, std::string>) {
    if (!v.is_string()) return false;
  } else {
    if (!v.is_number_unsigned()) return false;
  }
  out = v.get<T>();
  return true;
}

}  // namespace

Result<SecretBytes> process_password(std::string_view password) {
  // Validate UTF-8 first: ICU would silently substitute U+FFFD.
  {
    std::int32_t i = 0;
    const auto len = static_cast<std::int32_t>(password.size());
    const auto* s = reinterpret_cast<const std::uint8_t*>(password.data());
    while (i < len) {
      UChar32 c;
      U8_NEXT(s, i, len, c);
      if (c < 0) return fail(Eip2335Error::kBadPassword);
    }
  }
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfkd = icu::Normalizer2::getNFKDInstance(status);
  if (U_FAILURE(status)) return fail(Eip2335Error::kCryptoFailure);
  icu::UnicodeString in = icu::UnicodeString::fromUTF8(icu::StringPiece(password.data(), static_cast<std::int32_t>(password.size())));
  icu::UnicodeString norm = nfkd->normalize(in, status);
  in.remove();
  if (U_FAILURE(status)) return fail(Eip2335Error::kBadPassword);
  icu::UnicodeString kept;
  for (std::int32_t i = 0; i < norm.length();) {
    UChar32 c = norm.char32At(i);
    if (!is_control(c)) kept.append(c);
    i += U16_LENGTH(c);
  }
  std::string utf8;
  kept.toUTF8String(utf8);
  SecretBytes out(as_bytes(utf8));
  secure_zero(utf8.data(), utf8.size());
  // ICU's internal buffers of `norm`/`kept` are freed without wiping; passwords are short-lived in them.
  norm.remove();
  kept.remove();
  return out;
}

namespace {

/// One keystore to write: its processed password, fresh salt and IV, and (once derived) its key.
struct Sealing {
  SecretBytes password;
  ByteArray<32> salt{};
  ByteArray<16> iv{};
  SecretArray<32> dk;
};

Result<Sealing> start_sealing(std::string_view password) {
  auto pw = process_password(password);
  if (!pw) return std::unexpected(pw.error());
  Sealing s;
  s.password = std::move(*pw);
  if (RAND_bytes(s.salt.data(), 32) != 1 || RAND_bytes(s.iv.data(), 16) != 1) return fail(Eip2335Error::kCryptoFailure);
  return s;
}

/// The version-4 keystore JSON of `sk` under the derived key of `s`.
Result<std::string> seal(const bls::SecretKey& sk, const Sealing& s, const EncryptOptions& o) {
  auto secret = sk.to_bytes();
  ByteArray<32> ct{};
  if (auto r = aes128_ctr(s.dk.view().subspan(0, 16), s.iv, secret.view(), ct); !r) return std::unexpected(r.error());
  Json kdf;
  if (o.kdf == Kdf::kScrypt) {
    kdf = Json{{"function", "scrypt"},
               {"params", Json{{"dklen", 32}, {"n", o.cost}, {"p", 1}, {"r", 8}, {"salt", to_hex(s.salt, false)}}},
               {"message", ""}};
  } else {
    kdf = Json{{"function", "pbkdf2"},
               {"params", Json{{"dklen", 32}, {"c", o.cost}, {"prf", "hmac-sha256"}, {"salt", to_hex(s.salt, false)}}},
               {"message", ""}};
  }
  Json j{{"crypto",
          Json{{"kdf", kdf},
               {"checksum", Json{{"function", "sha256"}, {"params", Json::object()},
                                 {"message", to_hex(checksum(s.dk.view(), ct), false)}}},
               {"cipher", Json{{"function", "aes-128-ctr"}, {"params", Json{{"iv", to_hex(s.iv, false)}}},
                               {"message", to_hex(ct, false)}}}}},
         {"description", o.description},
         {"pubkey", to_hex(sk.public_key().to_bytes(), false)},
         {"path", o.path},
         {"uuid", hash::uuid_v4()},
         {"version", 4}};
  return j.dump(2);
}

}  // namespace

Result<std::string> encrypt(const bls::SecretKey& sk, std::string_view password, const EncryptOptions& o) {
  auto s = start_sealing(password);
  if (!s) return std::unexpected(s.error());
  auto dk = derive_key(o.kdf, s->password.view(), s->salt, o.cost, 8, 1);
  if (!dk) return std::unexpected(dk.error());
  s->dk = std::move(*dk);
  return seal(sk, *s, o);
}

std::vector<Result<std::string>> encrypt_many(std::span<const EncryptJob> jobs, const EncryptOptions& o) {
  std::vector<Result<Sealing>> sealing;
  sealing.reserve(jobs.size());
  for (const auto& j : jobs) sealing.push_back(start_sealing(j.password));
  if (o.kdf == Kdf::kPbkdf2 && o.cost >= 1 && o.cost <= 0xffffffffu) {
    // Every derivation in one interleaved run (hash::kPbkdf2Lanes blocks at a time on this core).
    std::vector<hash::Pbkdf2Job> pbkdf2;
    for (auto& s : sealing)
      if (s) pbkdf2.push_back(hash::Pbkdf2Job{s->password.view(), s->salt, static_cast<std::uint32_t>(o.cost),
                                              s->dk.mut_view()});
    hash::pbkdf2_hmac_sha256_many(pbkdf2);
  } else {
    for (auto& s : sealing) {
      if (!s) continue;
      auto dk = derive_key(o.kdf, s->password.view(), s->salt, o.cost, 8, 1);
      if (!dk) {
        s = std::unexpected(dk.error());
        continue;
      }
      s->dk = std::move(*dk);
    }
  }
  std::vector<Result<std::string>> out;
  out.reserve(jobs.size());
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    if (!sealing[i]) {
      out.push_back(std::unexpected(sealing[i].error()));
      continue;
    }
    out.push_back(seal(*jobs[i].secret, *sealing[i], o));
  }
  return out;
}

Result<ByteArray<48>> keystore_pubkey(std::string_view keystore_json) {
  Json j = Json::parse(keystore_json, nullptr, false);
  std::string pk;
  if (j.is_discarded() || !get_to(j, "pubkey", pk)) return fail(Eip2335Error::kBadJson);
  auto b = from_hex_fixed<48>(pk);
  if (!b) return fail(Eip2335Error::kBadJson);
  return *b;
}

Result<KdfInfo> kdf_info(std::string_view keystore_json) {
  Json j = Json::parse(keystore_json, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("crypto") || !j["crypto"].is_object() ||
      !j["crypto"].contains("kdf") || !j["crypto"]["kdf"].is_object() || !j["crypto"]["kdf"].contains("params"))
    return fail(Eip2335Error::kBadJson);
  const Json& kdf = j["crypto"]["kdf"];
  std::string fn;
  KdfInfo info;
  if (!get_to(kdf, "function", fn)) return fail(Eip2335Error::kBadJson);
  if (fn == "scrypt") {
    info.kdf = Kdf::kScrypt;
    if (!get_to(kdf["params"], "n", info.cost)) return fail(Eip2335Error::kBadJson);
  } else if (fn == "pbkdf2") {
    info.kdf = Kdf::kPbkdf2;
    if (!get_to(kdf["params"], "c", info.cost)) return fail(Eip2335Error::kBadJson);
  } else {
    return fail(Eip2335Error::kUnsupported);
  }
  return info;
}

namespace {

/// A keystore's fields after every check that needs no key derivation, with its processed password.
struct Parsed {
  Kdf kdf = Kdf::kScrypt;
  std::uint64_t cost = 0, r = 8, p = 1;
  Bytes salt, iv, ct, ck;
  SecretBytes password;
  std::string pubkey_hex;
};

Result<Parsed> parse(std::string_view keystore_json, std::string_view password) {
  Json j = Json::parse(keystore_json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail(Eip2335Error::kBadJson);
  std::uint64_t version = 0;
  if (!get_to(j, "version", version)) return fail(Eip2335Error::kBadJson);
  if (version != 4) return fail(Eip2335Error::kUnsupported);
  if (!j.contains("crypto") || !j["crypto"].is_object()) return fail(Eip2335Error::kBadJson);
  const Json& c = j["crypto"];
  for (const char* part : {"kdf", "checksum", "cipher"})
    if (!c.contains(part) || !c[part].is_object() || !c[part].contains("params") || !c[part]["params"].is_object())
      return fail(Eip2335Error::kBadJson);
  std::string kdf_fn, ck_fn, ck_msg, ci_fn, ci_msg, iv_hex, salt_hex;
  if (!get_to(c["kdf"], "function", kdf_fn) || !get_to(c["checksum"], "function", ck_fn) ||
      !get_to(c["checksum"], "message", ck_msg) || !get_to(c["cipher"], "function", ci_fn) ||
      !get_to(c["cipher"], "message", ci_msg) || !get_to(c["cipher"]["params"], "iv", iv_hex) ||
      !get_to(c["kdf"]["params"], "salt", salt_hex))
    return fail(Eip2335Error::kBadJson);
  if (ck_fn != "sha256" || ci_fn != "aes-128-ctr") return fail(Eip2335Error::kUnsupported);
  const Json& kp = c["kdf"]["params"];
  std::uint64_t dklen = 0;
  if (!get_to(kp, "dklen", dklen)) return fail(Eip2335Error::kBadJson);
  if (dklen != 32) return fail(Eip2335Error::kUnsupported);
  Parsed out;
  if (kdf_fn == "scrypt") {
    out.kdf = Kdf::kScrypt;
    if (!get_to(kp, "n", out.cost) || !get_to(kp, "r", out.r) || !get_to(kp, "p", out.p))
      return fail(Eip2335Error::kBadJson);
    if (out.cost < 2 || (out.cost & (out.cost - 1)) != 0 || out.cost > kMaxScryptN || out.r == 0 ||
        out.r > kMaxScryptR || out.p == 0 || out.p > kMaxScryptP || out.cost * out.r > kMaxScryptNR)
      return fail(Eip2335Error::kBadParams);
  } else if (kdf_fn == "pbkdf2") {
    out.kdf = Kdf::kPbkdf2;
    std::string prf;
    if (!get_to(kp, "c", out.cost) || !get_to(kp, "prf", prf)) return fail(Eip2335Error::kBadJson);
    if (prf != "hmac-sha256") return fail(Eip2335Error::kUnsupported);
    if (out.cost == 0 || out.cost > kMaxPbkdf2C) return fail(Eip2335Error::kBadParams);
  } else {
    return fail(Eip2335Error::kUnsupported);
  }
  auto salt = from_hex(salt_hex);
  auto iv = from_hex(iv_hex);
  auto ct = from_hex(ci_msg);
  auto ck = from_hex(ck_msg);
  if (!salt || !iv || !ct || !ck || iv->size() != 16 || ct->size() != 32 || ck->size() != 32)
    return fail(Eip2335Error::kBadJson);
  out.salt = std::move(*salt);
  out.iv = std::move(*iv);
  out.ct = std::move(*ct);
  out.ck = std::move(*ck);
  auto pw = process_password(password);
  if (!pw) return std::unexpected(pw.error());
  out.password = std::move(*pw);
  get_to(j, "pubkey", out.pubkey_hex);
  return out;
}

/// The checksum, the cipher and the secret's checks, given the derived key.
Result<bls::SecretKey> finish(const Parsed& k, const SecretArray<32>& dk) {
  if (!ct_equal(checksum(dk.view(), k.ct), k.ck)) return fail(Eip2335Error::kWrongPassword);
  SecretArray<32> secret;
  if (auto a = aes128_ctr(dk.view().subspan(0, 16), k.iv, k.ct, secret.mut_view()); !a)
    return std::unexpected(a.error());
  auto sk = bls::SecretKey::from_bytes(secret.view());
  if (!sk) return fail(Eip2335Error::kBadSecret);
  if (!k.pubkey_hex.empty()) {
    auto pk = from_hex_fixed<48>(k.pubkey_hex);
    if (!pk || *pk != sk->public_key().to_bytes()) return fail(Eip2335Error::kPubkeyMismatch);
  }
  return sk;
}

}  // namespace

Result<bls::SecretKey> decrypt(std::string_view keystore_json, std::string_view password) {
  auto k = parse(keystore_json, password);
  if (!k) return std::unexpected(k.error());
  auto dk = derive_key(k->kdf, k->password.view(), k->salt, k->cost, k->r, k->p);
  if (!dk) return std::unexpected(dk.error());
  return finish(*k, *dk);
}

std::vector<Result<bls::SecretKey>> decrypt_many(std::span<const DecryptJob> jobs) {
  std::vector<Result<Parsed>> parsed;
  parsed.reserve(jobs.size());
  for (const auto& j : jobs) parsed.push_back(parse(j.keystore_json, j.password));
  // Every PBKDF2 derivation in one interleaved run; scrypt ones (and failures) on their own.
  std::vector<SecretArray<32>> dks(jobs.size());
  std::vector<hash::Pbkdf2Job> pbkdf2;
  for (std::size_t i = 0; i < jobs.size(); ++i)
    if (parsed[i] && parsed[i]->kdf == Kdf::kPbkdf2)
      pbkdf2.push_back(hash::Pbkdf2Job{parsed[i]->password.view(), parsed[i]->salt,
                                       static_cast<std::uint32_t>(parsed[i]->cost), dks[i].mut_view()});
  hash::pbkdf2_hmac_sha256_many(pbkdf2);
  std::vector<Result<bls::SecretKey>> out;
  out.reserve(jobs.size());
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    if (!parsed[i]) {
      out.push_back(std::unexpected(parsed[i].error()));
      continue;
    }
    const Parsed& k = *parsed[i];
    if (k.kdf == Kdf::kScrypt) {
      auto dk = derive_key(k.kdf, k.password.view(), k.salt, k.cost, k.r, k.p);
      if (!dk) {
        out.push_back(std::unexpected(dk.error()));
        continue;
      }
      dks[i] = std::move(*dk);
    }
    out.push_back(finish(k, dks[i]));
  }
  return out;
}

namespace {

/// The results of `batch(jobs.subspan(first, end − first))` over every job, in order: batches of
/// hash::kPbkdf2Lanes on `threads` threads (0: every core), `on_progress(done)` called on this thread about every
/// 50 ms and once at the end.
template <class Job, class Batch>
auto run_batches(std::span<const Job> jobs, unsigned threads, const std::function<void(std::size_t)>& on_progress,
                 Batch&& batch) {
  using Out = typename std::invoke_result_t<Batch&, std::span<const Job>>::value_type;
  const std::size_t n = jobs.size();
  std::vector<std::optional<Out>> slots(n);
  std::atomic<std::size_t> next{0};
  std::atomic<std::size_t> done{0};
  constexpr std::size_t kBatch = hash::kPbkdf2Lanes;
  auto work = [&] {
    for (std::size_t first = next.fetch_add(kBatch); first < n; first = next.fetch_add(kBatch)) {
      const std::size_t end = std::min(n, first + kBatch);
      auto made = batch(jobs.subspan(first, end - first));
      for (std::size_t i = first; i < end; ++i) slots[i].emplace(std::move(made[i - first]));
      done.fetch_add(end - first);
    }
  };
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  const auto workers =
      static_cast<unsigned>(std::max<std::size_t>(1, std::min<std::size_t>(threads, (n + kBatch - 1) / kBatch)));
  {
    std::vector<std::jthread> pool;
    for (unsigned t = 0; t < workers; ++t) pool.emplace_back(work);
    while (done.load() < n) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      if (on_progress) on_progress(done.load());
    }
  }  // joins
  if (on_progress) on_progress(n);
  std::vector<Out> out;
  out.reserve(n);
  for (auto& s : slots) out.push_back(std::move(*s));
  return out;
}

}  // namespace

std::vector<Result<std::string>> encrypt_all(std::span<const EncryptJob> jobs, const EncryptOptions& o,
                                             unsigned threads, const std::function<void(std::size_t)>& on_progress) {
  return run_batches(jobs, threads, on_progress, [&](std::span<const EncryptJob> b) { return encrypt_many(b, o); });
}

std::vector<Result<bls::SecretKey>> decrypt_all(std::span<const DecryptJob> jobs, unsigned threads,
                                                const std::function<void(std::size_t)>& on_progress) {
  return run_batches(jobs, threads, on_progress, [](std::span<const DecryptJob> b) { return decrypt_many(b); });
}

}  // namespace phx::crypto::keystore
