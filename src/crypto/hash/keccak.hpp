#pragma once
/// Keccak-256 as used by Ethereum (the original Keccak padding 0x01, not SHA3-256's 0x06): ENR node ids,
/// EIP-712 typed-data hashes, addresses. Constant time in the data.
#include "base/bytes.hpp"

namespace phx::crypto::hash {

/// Keccak-256(data).
ByteArray<32> keccak256(ByteSpan data);

}  // namespace phx::crypto::hash
