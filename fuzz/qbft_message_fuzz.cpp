// Fuzz target for QBFT message decoding and Instance::on_message (issue 4).
// 1. The whole input is decoded; whatever decodes must re-encode to the same bytes (canonical encoding).
// 2. The input is split into chunks (u16 big-endian length + bytes) fed to a 4-node instance: 1-byte chunks
// fire
//    the round timer, longer ones go to on_message. Signatures are accepted unchecked
//    (AcceptAllVerifierForFuzzing), so forged quorums reach the deepest state-machine paths; the instance
//    must never crash or assert and must stay within its memory bound.
#include <cstdint>
#include <cstdlib>

#include "consensus/qbft/instance.hpp"
#include "consensus/qbft/message.hpp"

namespace {

using namespace phx::consensus::qbft;

/// Test double: every signature is "valid". Only for fuzzing the logic behind signature checks.
class AcceptAllVerifierForFuzzing final : public Verifier {
 public:
  bool verify(phx::OperatorIdx, const phx::Root&, const Signature&) const override { return true; }
};

/// Test double: a constant signature.
class ZeroSignerForFuzzing final : public Signer {
 public:
  Signature sign(const phx::Root&) const override { return Signature{}; }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const phx::ByteSpan in(data, size);
  if (auto m = decode(in)) {
    const phx::Bytes again = encode(*m);
    if (again.size() != size || !std::equal(again.begin(), again.end(), data)) std::abort();
  }

  static const AcceptAllVerifierForFuzzing verifier;
  static const ZeroSignerForFuzzing signer;
  Config cfg;
  cfg.instance_id = phx::Bytes{'f', 'u', 'z', 'z'};
  cfg.n = 4;
  cfg.self = phx::OperatorIdx{0};
  cfg.max_value_bytes = 256;
  Instance inst(cfg, signer, verifier);
  const std::size_t bound = Instance::memory_bound(cfg);
  bool started = false;
  std::size_t pos = 0;
  while (pos + 2 <= size) {
    const std::size_t len = (std::size_t{data[pos]} << 8) | data[pos + 1];
    pos += 2;
    if (len > size - pos) break;
    const phx::ByteSpan chunk(data + pos, len);
    pos += len;
    if (!started && len <= 1) {
      // Empty chunk: start in round 1 with "value-1" (node 0 leads round 1 of "fuzz"); one byte: start late.
      if (len == 0) {
        inst.on_start(Value::from_bytes(phx::Bytes{'v', 'a', 'l', 'u', 'e', '-', '1'}), 0);
      } else {
        inst.on_start(std::nullopt, std::uint64_t{chunk[0]} * 1'000'000'000ULL);
      }
      started = true;
    } else if (len == 1) {
      if (chunk[0] & 1) {
        inst.on_timeout(inst.round());
      } else {
        inst.on_value_available(Value::from_bytes(phx::Bytes{chunk[0]}));
      }
    } else {
      inst.on_message(chunk);
    }
    if (inst.stored_bytes() > bound) std::abort();
  }
  return 0;
}
