#include "crypto/keystore/eip2333.hpp"

#include <charconv>

#include "crypto/hash/sha256.hpp"
#include "base/secret.hpp"

namespace phx::crypto::keystore {

const char* to_string(KeystoreError e) {
  switch (e) {
    case KeystoreError::kOk:
      return "ok";
    case KeystoreError::kSeedTooShort:
      return "EIP-2333 seed must be at least 32 bytes";
    case KeystoreError::kPathEmpty:
      return "derivation path is empty";
    case KeystoreError::kPathNoMasterPrefix:
      return "derivation path must start with \"m\"";
    case KeystoreError::kPathEmptyComponent:
      return "derivation path has an empty component";
    case KeystoreError::kPathBadDigit:
      return "derivation path component is not a decimal number";
    case KeystoreError::kPathLeadingZero:
      return "derivation path component has a leading zero";
    case KeystoreError::kPathIndexTooLarge:
      return "derivation path index does not fit in 32 bits";
    case KeystoreError::kPathTooDeep:
      return "derivation path has too many components";
  }
  return "unknown keystore error";
}

SecretBytes ikm_to_lamport_sk(ByteSpan ikm, ByteSpan salt) {
  SecretArray<32> prk = hash::hkdf_extract(salt, ikm);
  SecretBytes okm(kLamportChunks * kLamportChunkBytes);
  hash::hkdf_expand(prk.view(), {}, okm.mut_view());
  return okm;
}

SecretArray<32> parent_sk_to_lamport_pk(std::span<const std::uint8_t, 32> parent_sk_be, std::uint32_t index) {
  std::uint8_t salt[4];
  put_be32(salt, index);
  SecretArray<32> not_ikm;
  for (std::size_t i = 0; i < 32; ++i) not_ikm.mut_view()[i] = static_cast<std::uint8_t>(~parent_sk_be[i]);

  // lamport_PK = SHA256(lamport_0[0]) || … || SHA256(lamport_0[254]) || SHA256(lamport_1[0]) || …; it is fed
  // straight into one running SHA-256 (compressed_lamport_PK = SHA256(lamport_PK)), so it is never stored.
  hash::Sha256 outer;
  for (int half = 0; half < 2; ++half) {
    SecretBytes lamport =
        half == 0 ? ikm_to_lamport_sk(parent_sk_be, salt) : ikm_to_lamport_sk(not_ikm.view(), salt);
    for (std::size_t c = 0; c < kLamportChunks; ++c) {
      hash::Digest chunk_pk =
          hash::sha256(lamport.view().subspan(c * kLamportChunkBytes, kLamportChunkBytes));
      outer.update(chunk_pk);
      secure_zero(chunk_pk.data(), chunk_pk.size());
    }
  }
  hash::Digest compressed = outer.finish();
  SecretArray<32> out{std::span<const std::uint8_t, 32>(compressed)};
  secure_zero(compressed.data(), compressed.size());
  return out;
}

bls::SecretKey hkdf_mod_r(ByteSpan ikm, ByteSpan key_info) {
  constexpr std::size_t kL = 48;  // ceil((3 * ceil(log2(r))) / 16)
  static constexpr std::string_view kSalt0 = "BLS-SIG-KEYGEN-SALT-";

  SecretBytes ikm0(ikm.size() + 1);  // IKM || I2OSP(0, 1)
  for (std::size_t i = 0; i < ikm.size(); ++i) ikm0.mut_view()[i] = ikm[i];
  ikm0.mut_view()[ikm.size()] = 0;

  Bytes info(key_info.begin(), key_info.end());  // key_info || I2OSP(L, 2)
  info.push_back(0);
  info.push_back(static_cast<std::uint8_t>(kL));

  hash::Digest salt = hash::sha256(as_bytes(kSalt0));
  for (;;) {
    SecretArray<32> prk = hash::hkdf_extract(salt, ikm0.view());
    SecretArray<kL> okm;
    hash::hkdf_expand(prk.view(), info, okm.mut_view());
    bls::Fr sk = bls::Fr::from_bytes_be_reduce(okm.view());
    // Only whether SK = 0 (probability ~2^-255) is revealed; the value is not.
    if (!::phx::declassify(sk.is_zero())) return bls::SecretKey::from_scalar(std::move(sk));
    salt = hash::sha256(salt);
  }
}

Result<bls::SecretKey> derive_master_sk(ByteSpan seed) {
  if (seed.size() < 32) return fail(KeystoreError::kSeedTooShort);
  return hkdf_mod_r(seed);
}

bls::SecretKey derive_child_sk(const bls::SecretKey& parent, std::uint32_t index) {
  SecretArray<32> parent_be = parent.to_bytes();
  SecretArray<32> lamport_pk = parent_sk_to_lamport_pk(parent_be.view(), index);
  return hkdf_mod_r(lamport_pk.view());
}

Result<std::vector<std::uint32_t>> parse_path(std::string_view path) {
  if (path.empty()) return fail(KeystoreError::kPathEmpty);
  if (path[0] != 'm') return fail(KeystoreError::kPathNoMasterPrefix);
  std::vector<std::uint32_t> out;
  std::string_view rest = path.substr(1);
  if (rest.empty()) return out;
  if (rest[0] != '/') return fail(KeystoreError::kPathNoMasterPrefix);
  rest.remove_prefix(1);
  for (;;) {
    const std::size_t slash = rest.find('/');
    const std::string_view comp = rest.substr(0, slash);
    if (comp.empty()) return fail(KeystoreError::kPathEmptyComponent);
    for (char ch : comp) {
      if (ch < '0' || ch > '9') return fail(KeystoreError::kPathBadDigit);
    }
    if (comp.size() > 1 && comp[0] == '0') return fail(KeystoreError::kPathLeadingZero);
    std::uint32_t v = 0;
    const auto [ptr, ec] = std::from_chars(comp.data(), comp.data() + comp.size(), v);
    if (ec == std::errc::result_out_of_range) return fail(KeystoreError::kPathIndexTooLarge);
    if (ec != std::errc{} || ptr != comp.data() + comp.size()) return fail(KeystoreError::kPathBadDigit);
    if (out.size() == kMaxPathDepth) return fail(KeystoreError::kPathTooDeep);
    out.push_back(v);
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  return out;
}

Result<bls::SecretKey> derive_path(ByteSpan seed, std::string_view path) {
  auto indices = parse_path(path);
  if (!indices) return std::unexpected(indices.error());
  auto key = derive_master_sk(seed);
  if (!key) return std::unexpected(key.error());
  bls::SecretKey sk = std::move(*key);
  for (std::uint32_t index : *indices) sk = derive_child_sk(sk, index);
  return sk;
}

std::string signing_key_path(std::uint32_t i) {
  return "m/12381/3600/" + std::to_string(i) + "/0/0";
}

}  // namespace phx::crypto::keystore
