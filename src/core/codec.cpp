#include "core/codec.hpp"

#include <cstring>
#include <type_traits>

#include "ssz/codec.hpp"

namespace phx::core {

const char* to_string(CodecError e) {
  switch (e) {
    case CodecError::kOk:
      return "ok";
    case CodecError::kTruncated:
      return "bytes end inside a field";
    case CodecError::kTrailing:
      return "trailing bytes after the last field";
    case CodecError::kBadDutyType:
      return "unknown duty type";
    case CodecError::kBadKind:
      return "unknown data kind or kind not allowed for the duty type";
    case CodecError::kBadFork:
      return "unknown fork or the container does not exist in that fork";
    case CodecError::kBadSsz:
      return "SSZ container does not decode";
    case CodecError::kTooMany:
      return "too many entries";
    case CodecError::kTooLarge:
      return "item too large";
    case CodecError::kNotCanonical:
      return "public keys not strictly ascending";
    case CodecError::kBadSignature:
      return "signature is not a valid G2 point";
    case CodecError::kBadShare:
      return "share index 0";
  }
  return "unknown codec error";
}

namespace {

template <class T>
inline constexpr bool kIsVersioned = requires(const T& t) { t.value.index(); t.fork(); };

void put_u8(Bytes& out, std::uint8_t v) { out.push_back(v); }
void put_u32(Bytes& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
void put_u64(Bytes& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
void put_bytes(Bytes& out, ByteSpan b) { out.insert(out.end(), b.begin(), b.end()); }

/// A bounds-checked reader over untrusted bytes.
class Reader {
 public:
  explicit Reader(ByteSpan b) : b_(b) {}
  Result<std::uint8_t> u8() {
    if (left() < 1) return fail(CodecError::kTruncated);
    return b_[pos_++];
  }
  Result<std::uint32_t> u32() {
    if (left() < 4) return fail(CodecError::kTruncated);
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= static_cast<std::uint32_t>(b_[pos_ + static_cast<std::size_t>(i)]) << (8 * i);
    pos_ += 4;
    return v;
  }
  Result<std::uint64_t> u64() {
    if (left() < 8) return fail(CodecError::kTruncated);
    const std::uint64_t v = get_le64(b_.data() + pos_);
    pos_ += 8;
    return v;
  }
  Result<ByteSpan> take(std::size_t n) {
    if (left() < n) return fail(CodecError::kTruncated);
    ByteSpan s = b_.subspan(pos_, n);
    pos_ += n;
    return s;
  }
  template <std::size_t N>
  Result<ByteArray<N>> array() {
    auto s = take(N);
    if (!s) return std::unexpected(s.error());
    ByteArray<N> a{};
    std::memcpy(a.data(), s->data(), N);
    return a;
  }
  std::size_t left() const { return b_.size() - pos_; }

 private:
  ByteSpan b_;
  std::size_t pos_ = 0;
};

/// Length-prefixed payload: u32 length ‖ bytes.
void put_item(Bytes& out, ByteSpan item) {
  put_u32(out, static_cast<std::uint32_t>(item.size()));
  put_bytes(out, item);
}
Result<ByteSpan> take_item(Reader& r, const CodecLimits& limits) {
  auto len = r.u32();
  if (!len) return std::unexpected(len.error());
  if (*len > limits.max_item_bytes) return fail(CodecError::kTooLarge);
  return r.take(*len);
}

/// SSZ of a versioned value's held container.
template <class V>
Bytes versioned_bytes(const V& v) {
  return eth::encode_versioned_ssz(v);
}
template <class V>
Result<V> versioned_from(std::uint8_t fork, ByteSpan bytes) {
  if (fork >= eth::kForkCount) return fail(CodecError::kBadFork);
  auto v = eth::decode_versioned_ssz<V>(static_cast<eth::Fork>(fork), bytes);
  if (!v) return fail(CodecError::kBadSsz);
  return v;
}
template <class T>
Result<T> ssz_from(ByteSpan bytes) {
  auto v = ssz::deserialize<T>(bytes);
  if (!v) return fail(CodecError::kBadSsz);
  return v;
}

// ---- unsigned data payloads ----

/// fork byte and payload of one unsigned data entry.
std::pair<std::uint8_t, Bytes> unsigned_payload(const UnsignedData& u) {
  return std::visit(
      [](const auto& v) -> std::pair<std::uint8_t, Bytes> {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, AttesterData>) {
          Bytes b;
          put_u64(b, v.committee_index);
          put_bytes(b, ssz::serialize(v.data));
          return {0, b};
        } else if constexpr (std::is_same_v<T, ProposalData> || std::is_same_v<T, BlindedProposalData>) {
          return {static_cast<std::uint8_t>(v.block.fork()), versioned_bytes(v.block)};
        } else if constexpr (std::is_same_v<T, AggregatedAttestationData>) {
          return {static_cast<std::uint8_t>(v.attestation.fork()), versioned_bytes(v.attestation)};
        } else if constexpr (std::is_same_v<T, SyncBlockRootData>) {
          return {0, Bytes(v.beacon_block_root.begin(), v.beacon_block_root.end())};
        } else {
          return {0, ssz::serialize(v.contribution)};
        }
      },
      u);
}

Result<UnsignedData> unsigned_from(std::uint8_t kind, std::uint8_t fork, ByteSpan p) {
  switch (kind) {
    case 0: {  // AttesterData
      if (fork != 0) return fail(CodecError::kBadFork);
      if (p.size() < 8) return fail(CodecError::kTruncated);
      auto data = ssz_from<eth::phase0::AttestationData>(p.subspan(8));
      if (!data) return std::unexpected(data.error());
      return UnsignedData{AttesterData{*data, get_le64(p.data())}};
    }
    case 1: {
      auto b = versioned_from<eth::VersionedProducedBlock>(fork, p);
      if (!b) return std::unexpected(b.error());
      return UnsignedData{ProposalData{std::move(*b)}};
    }
    case 2: {
      auto b = versioned_from<eth::VersionedBlindedBeaconBlock>(fork, p);
      if (!b) return std::unexpected(b.error());
      return UnsignedData{BlindedProposalData{std::move(*b)}};
    }
    case 3: {
      auto a = versioned_from<eth::VersionedAttestation>(fork, p);
      if (!a) return std::unexpected(a.error());
      return UnsignedData{AggregatedAttestationData{std::move(*a)}};
    }
    case 4: {
      if (fork != 0) return fail(CodecError::kBadFork);
      if (p.size() != 32) return fail(CodecError::kBadSsz);
      SyncBlockRootData d{};
      std::memcpy(d.beacon_block_root.data(), p.data(), 32);
      return UnsignedData{d};
    }
    case 5: {
      if (fork != 0) return fail(CodecError::kBadFork);
      auto c = ssz_from<eth::altair::SyncCommitteeContribution>(p);
      if (!c) return std::unexpected(c.error());
      return UnsignedData{SyncContributionData{*c}};
    }
    default:
      return fail(CodecError::kBadKind);
  }
}

// ---- signed message payloads ----

std::pair<std::uint8_t, Bytes> message_payload(const SignedMessage& m) {
  return std::visit(
      [](const auto& v) -> std::pair<std::uint8_t, Bytes> {
        using T = std::decay_t<decltype(v)>;
        Bytes b;
        if constexpr (kIsVersioned<T>) {
          return {static_cast<std::uint8_t>(v.fork()), versioned_bytes(v)};
        } else if constexpr (std::is_same_v<T, RandaoMessage>) {
          put_u64(b, v.epoch.value);
        } else if constexpr (std::is_same_v<T, SelectionProofMessage>) {
          put_u64(b, v.slot.value);
        } else if constexpr (std::is_same_v<T, SyncMessage>) {
          put_u64(b, v.slot.value);
          put_bytes(b, v.beacon_block_root);
        } else if constexpr (std::is_same_v<T, ExitMessage>) {
          put_u64(b, v.current_epoch.value);
          put_bytes(b, ssz::serialize(v.exit));
        } else {
          b = ssz::serialize(v);
        }
        return {0, b};
      },
      m);
}

Result<SignedMessage> message_from(std::uint8_t kind, std::uint8_t fork, ByteSpan p) {
  const bool versioned = kind == 1 || kind == 2 || kind == 5;
  if (!versioned && fork != 0) return fail(CodecError::kBadFork);
  auto wrap = [](auto r) -> Result<SignedMessage> {
    if (!r) return std::unexpected(r.error());
    return SignedMessage{std::move(*r)};
  };
  switch (kind) {
    case 0:
      return wrap(ssz_from<eth::phase0::AttestationData>(p));
    case 1:
      return wrap(versioned_from<eth::VersionedBeaconBlock>(fork, p));
    case 2:
      return wrap(versioned_from<eth::VersionedBlindedBeaconBlock>(fork, p));
    case 3:
      if (p.size() != 8) return fail(CodecError::kBadSsz);
      return SignedMessage{RandaoMessage{Epoch{get_le64(p.data())}}};
    case 4:
      if (p.size() != 8) return fail(CodecError::kBadSsz);
      return SignedMessage{SelectionProofMessage{Slot{get_le64(p.data())}}};
    case 5:
      return wrap(versioned_from<eth::VersionedAggregateAndProof>(fork, p));
    case 6: {
      if (p.size() != 40) return fail(CodecError::kBadSsz);
      SyncMessage s{Slot{get_le64(p.data())}, {}};
      std::memcpy(s.beacon_block_root.data(), p.data() + 8, 32);
      return SignedMessage{s};
    }
    case 7:
      return wrap(ssz_from<eth::altair::SyncAggregatorSelectionData>(p));
    case 8:
      return wrap(ssz_from<eth::altair::ContributionAndProof>(p));
    case 9:
      return wrap(ssz_from<eth::phase0::ValidatorRegistrationV1>(p));
    case 10: {
      if (p.size() < 8) return fail(CodecError::kTruncated);
      auto exit = ssz_from<eth::phase0::VoluntaryExit>(p.subspan(8));
      if (!exit) return std::unexpected(exit.error());
      return SignedMessage{ExitMessage{*exit, Epoch{get_le64(p.data())}}};
    }
    default:
      return fail(CodecError::kBadKind);
  }
}

Result<Duty> read_duty(Reader& r) {
  auto slot = r.u64();
  if (!slot) return std::unexpected(slot.error());
  auto type = r.u8();
  if (!type) return std::unexpected(type.error());
  if (!is_valid_duty_type(*type)) return fail(CodecError::kBadDutyType);
  auto sub = r.u8();
  if (!sub) return std::unexpected(sub.error());
  const auto t = static_cast<DutyType>(*type);
  // Only per-subcommittee types carry one, below SYNC_COMMITTEE_SUBNET_COUNT: one encoding per duty.
  if (is_per_subcommittee(t) ? *sub >= kSyncSubcommitteeCount : *sub != 0) return fail(CodecError::kBadDutyType);
  return Duty{Slot{*slot}, t, *sub};
}

}  // namespace

Bytes encode_duty(const Duty& duty) {
  Bytes out;
  put_u64(out, duty.slot.value);
  put_u8(out, static_cast<std::uint8_t>(duty.type));
  put_u8(out, static_cast<std::uint8_t>(duty.subcommittee));
  return out;
}

Result<Duty> decode_duty(ByteSpan bytes) {
  Reader r(bytes);
  auto d = read_duty(r);
  if (!d) return d;
  if (r.left() != 0) return fail(CodecError::kTrailing);
  return d;
}

Bytes encode_unsigned_set(const UnsignedDataSet& set) {
  Bytes out;
  put_u32(out, static_cast<std::uint32_t>(set.size()));
  for (const auto& [pk, u] : set) {  // std::map: ascending pubkeys
    put_bytes(out, pk);
    put_u8(out, static_cast<std::uint8_t>(u.index()));
    auto [fork, payload] = unsigned_payload(u);
    put_u8(out, fork);
    put_item(out, payload);
  }
  return out;
}

Result<UnsignedDataSet> decode_unsigned_set(DutyType duty_type, ByteSpan bytes, const CodecLimits& limits) {
  Reader r(bytes);
  auto count = r.u32();
  if (!count) return std::unexpected(count.error());
  if (*count > limits.max_entries) return fail(CodecError::kTooMany);
  UnsignedDataSet set;
  std::optional<PubKey> prev;
  for (std::uint32_t i = 0; i < *count; ++i) {
    auto pk = r.array<48>();
    if (!pk) return std::unexpected(pk.error());
    if (prev && !(*prev < *pk)) return fail(CodecError::kNotCanonical);
    prev = *pk;
    auto kind = r.u8();
    if (!kind) return std::unexpected(kind.error());
    auto fork = r.u8();
    if (!fork) return std::unexpected(fork.error());
    auto payload = take_item(r, limits);
    if (!payload) return std::unexpected(payload.error());
    auto u = unsigned_from(*kind, *fork, *payload);
    if (!u) return std::unexpected(u.error());
    if (duty_type_of(*u) != duty_type) return fail(CodecError::kBadKind);
    set.emplace_hint(set.end(), *pk, std::move(*u));
  }
  if (r.left() != 0) return fail(CodecError::kTrailing);
  return set;
}

Bytes encode_partials(const Duty& duty, std::span<const std::pair<PubKey, ParSignedData>> partials) {
  std::vector<const std::pair<PubKey, ParSignedData>*> sorted;
  sorted.reserve(partials.size());
  for (const auto& p : partials) sorted.push_back(&p);
  std::sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) { return a->first < b->first; });
  Bytes out = encode_duty(duty);
  put_u32(out, static_cast<std::uint32_t>(sorted.size()));
  for (const auto* p : sorted) {
    put_bytes(out, p->first);
    put_u32(out, p->second.share_idx.value);
    put_bytes(out, p->second.data.signature.to_bytes());
    put_u8(out, static_cast<std::uint8_t>(p->second.data.message.index()));
    auto [fork, payload] = message_payload(p->second.data.message);
    put_u8(out, fork);
    put_item(out, payload);
  }
  return out;
}

Result<std::pair<Duty, std::vector<std::pair<PubKey, ParSignedData>>>> decode_partials(
    ByteSpan bytes, const CodecLimits& limits) {
  Reader r(bytes);
  auto duty = read_duty(r);
  if (!duty) return std::unexpected(duty.error());
  auto count = r.u32();
  if (!count) return std::unexpected(count.error());
  if (*count > limits.max_entries) return fail(CodecError::kTooMany);
  std::vector<std::pair<PubKey, ParSignedData>> out;
  std::optional<PubKey> prev;
  for (std::uint32_t i = 0; i < *count; ++i) {
    auto pk = r.array<48>();
    if (!pk) return std::unexpected(pk.error());
    if (prev && !(*prev < *pk)) return fail(CodecError::kNotCanonical);
    prev = *pk;
    auto share = r.u32();
    if (!share) return std::unexpected(share.error());
    if (*share == 0) return fail(CodecError::kBadShare);
    auto sig_bytes = r.array<96>();
    if (!sig_bytes) return std::unexpected(sig_bytes.error());
    auto kind = r.u8();
    if (!kind) return std::unexpected(kind.error());
    auto fork = r.u8();
    if (!fork) return std::unexpected(fork.error());
    auto payload = take_item(r, limits);
    if (!payload) return std::unexpected(payload.error());
    auto msg = message_from(*kind, *fork, *payload);
    if (!msg) return std::unexpected(msg.error());
    if (!fits(*duty, *msg)) return fail(CodecError::kBadKind);
    auto sig = crypto::bls::Signature::from_bytes(*sig_bytes);
    if (!sig) return fail(CodecError::kBadSignature);
    out.emplace_back(*pk, ParSignedData{SignedData{std::move(*msg), *sig}, ShareIdx{*share}});
  }
  if (r.left() != 0) return fail(CodecError::kTrailing);
  return std::pair{*duty, std::move(out)};
}

}  // namespace phx::core
