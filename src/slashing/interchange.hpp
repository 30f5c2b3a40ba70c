#pragma once
/// EIP-3076 slashing-protection interchange format, version "5": strict JSON reader and writer (pure, no
/// I/O). Spec: https://eips.ethereum.org/EIPS/eip-3076 ; file layout in docs/formats/slashing.md.
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"
#include "eth/types.hpp"
#include "slashing/rules.hpp"

namespace phx::slashing {

/// An error with the JSON path of the offending field, e.g. "data[0].signed_blocks[2].slot: bad decimal".
struct InterchangeProblem {
  SlashingError code = SlashingError::kBadInterchange;
  std::string detail;
};
template <class T>
using InterchangeResult = std::expected<T, InterchangeProblem>;

/// One `data` entry: a validator's pubkey and its signed blocks and attestations (order as in the file).
struct InterchangeRecord {
  eth::BLSPubkey pubkey{};
  std::vector<BlockRecord> signed_blocks;
  std::vector<AttestationRecord> signed_attestations;
};

/// A whole interchange document. Several entries may share a pubkey (EIP-3076 allows it).
struct Interchange {
  Root genesis_validators_root{};
  std::vector<InterchangeRecord> data;
};

/// Parses interchange JSON strictly: version must be "5"; numbers are decimal strings < 2^63 without leading
/// zeros; hex fields are 0x-prefixed with exact lengths; signing_root is optional; unknown fields, missing
/// fields and wrong types are errors naming the path. Untrusted input: never throws, never asserts.
InterchangeResult<Interchange> parse_interchange(std::string_view json);

/// Writes `doc` as interchange JSON v5 (two-space indented). An unknown signing_root is omitted.
/// parse_interchange(write_interchange(d)) == d.
std::string write_interchange(const Interchange& doc);

}  // namespace phx::slashing
