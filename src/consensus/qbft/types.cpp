#include "consensus/qbft/types.hpp"

#include <limits>

#include "consensus/qbft/leader.hpp"
#include "crypto/hash/sha256.hpp"

namespace phx::consensus::qbft {

Value Value::from_bytes(Bytes data) {
  Value v;
  v.hash = crypto::hash::sha256(data);
  v.data = std::move(data);
  return v;
}

const char* to_string(Reject r) {
  switch (r) {
    case Reject::kOk:
      return "ok";
    case Reject::kMalformed:
      return "malformed message";
    case Reject::kWrongInstance:
      return "message for another instance";
    case Reject::kUnknownSender:
      return "unknown sender index";
    case Reject::kFromSelf:
      return "message signed with our own index came from the network";
    case Reject::kBadSignature:
      return "bad signature";
    case Reject::kValueTooLarge:
      return "value too large";
    case Reject::kBadValueHash:
      return "value does not match its hash";
    case Reject::kOldRound:
      return "round too old";
    case Reject::kFutureRound:
      return "round too far in the future";
    case Reject::kNotLeader:
      return "pre-prepare not from the round's leader";
    case Reject::kDuplicate:
      return "duplicate message";
    case Reject::kEquivocation:
      return "conflicting message from the same sender";
    case Reject::kBadJustification:
      return "invalid justification";
    case Reject::kAlreadyDecided:
      return "instance already decided";
    case Reject::kStaleTimer:
      return "timeout for a round that is not current";
    case Reject::kAlreadyStarted:
      return "instance already started";
    case Reject::kNoValueExpected:
      return "value already given";
    case Reject::kInvalidValue:
      return "proposed value is not valid";
    case Reject::kLocalViewDiffers:
      return "round-1 proposal differs from this node's own view: not prepared";
    case Reject::kPeerLimit:
      return "peer exceeded its message budget";
  }
  return "unknown qbft rejection";
}

namespace {
constexpr std::uint64_t kMax64 = std::numeric_limits<std::uint64_t>::max();
std::uint64_t sat_add(std::uint64_t a, std::uint64_t b) {
  return a > kMax64 - b ? kMax64 : a + b;
}
std::uint64_t sat_mul(std::uint64_t a, std::uint64_t b) {
  if (a == 0 || b == 0) return 0;
  return a > kMax64 / b ? kMax64 : a * b;
}
std::uint64_t duration_ns(const RoundTimer& t, Round r) {
  if (t.kind == RoundTimer::Kind::kExponential) {
    const Round shift = r - 1;
    if (shift >= 63) return kMax64;
    return sat_mul(t.first_ns, std::uint64_t{1} << shift);
  }
  return sat_add(t.first_ns, sat_mul(t.increment_ns, r - 1));
}
}  // namespace

std::uint64_t RoundTimer::deadline_ns(Round r) const {
  if (r > kMaxRound) r = kMaxRound;
  if (kind == Kind::kLinear) {
    // r·first + increment·r(r-1)/2, saturating.
    const std::uint64_t rr = r;
    return sat_add(sat_mul(rr, first_ns), sat_mul(increment_ns, rr * (rr - 1) / 2));
  }
  std::uint64_t total = 0;
  for (Round i = 1; i <= r && total != kMax64; ++i) total = sat_add(total, duration_ns(*this, i));
  return total;
}

Round RoundTimer::round_at(std::uint64_t elapsed_ns) const {
  // Smallest r with T(r) > elapsed; T is monotonic, so binary search over [1, kMaxRound].
  Round lo = 1;
  Round hi = kMaxRound;
  while (lo < hi) {
    const Round mid = lo + (hi - lo) / 2;
    if (deadline_ns(mid) > elapsed_ns) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo;
}

bool Config::valid() const {
  return !instance_id.empty() && instance_id.size() <= kMaxInstanceIdBytes && n >= 1 && n <= kMaxNodes &&
         self.value < n && timer.first_ns > 0 && max_value_bytes <= kMaxValueBytes && future_rounds >= 1;
}

std::uint32_t leader_offset(ByteSpan instance_id, std::uint32_t n) {
  const auto h = crypto::hash::sha256(instance_id);
  return static_cast<std::uint32_t>(get_be64(h.data()) % n);
}

OperatorIdx leader(ByteSpan instance_id, Round round, std::uint32_t n) {
  return leader_from_offset(leader_offset(instance_id, n), round, n);
}

}  // namespace phx::consensus::qbft
