#pragma once
/// RFC 9380 hashing to G2: BLS12381G2_XMD:SHA-256_SSWU_RO_.
#include <string_view>

#include "base/bytes.hpp"
#include "crypto/bls/fp.hpp"
#include "crypto/bls/g2.hpp"

namespace phx::crypto::bls {

/// The Ethereum proof-of-possession ciphersuite's DST.
inline constexpr std::string_view kEthDst = "BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_";

/// expand_message_xmd with SHA-256 (RFC 9380 §5.3.1). Fills `out` (≤ 255·32 bytes, PHX_ASSERT otherwise);
/// a DST longer than 255 bytes is first hashed as in §5.3.3.
void expand_message_xmd(ByteSpan msg, std::string_view dst, MutByteSpan out);

/// hash_to_field(msg, 2) for Fp2 with L = 64 (RFC 9380 §5.2).
void hash_to_field_fp2(ByteSpan msg, std::string_view dst, Fp2 out[2]);

/// map_to_curve: simplified SWU on the 3-isogenous curve E2' followed by the 3-isogeny map to E2
/// (RFC 9380 §6.6.2, Appendix E.3). Constant time. Result is on E2 but not yet in G2.
G2 map_to_curve_g2(const Fp2& u);

/// hash_to_curve for G2 (RFC 9380 §3, random-oracle variant): two field elements, two maps, add,
/// clear_cofactor. Constant time in msg (apart from its length) up to clear_cofactor, whose additions branch
/// on their exceptional cases (the point is public: it is the hash of a public message).
G2 hash_to_g2(ByteSpan msg, std::string_view dst = kEthDst);

}  // namespace phx::crypto::bls
