#include "cluster/enr.hpp"

#include "base/base64.hpp"
#include "cluster/rlp.hpp"
#include "crypto/hash/keccak.hpp"

namespace phx::cluster {

const char* to_string(EnrError e) {
  switch (e) {
    case EnrError::kOk: return "ok";
    case EnrError::kMissingPrefix: return "ENR text must start with \"enr:\"";
    case EnrError::kBadBase64: return "ENR text is not valid base64url";
    case EnrError::kTooLong: return "ENR is longer than 300 bytes";
    case EnrError::kBadRlp: return "ENR is not a well-formed RLP record";
    case EnrError::kKeysNotSorted: return "ENR keys are not sorted and unique";
    case EnrError::kUnsupportedScheme: return "ENR identity scheme is missing or not v4";
    case EnrError::kBadPublicKey: return "ENR secp256k1 key is missing or invalid";
    case EnrError::kBadSignature: return "ENR signature does not verify";
    case EnrError::kBadField: return "ENR ip/tcp/udp field has the wrong size";
  }
  return "unknown ENR error";
}

namespace {

constexpr std::size_t kMaxRecordSize = 300;

Bytes content_rlp(std::uint64_t seq, const std::map<std::string, Bytes>& pairs) {
  std::vector<Bytes> items;
  items.push_back(rlp::encode_uint(seq));
  for (const auto& [k, v] : pairs) {
    items.push_back(rlp::encode_bytes(as_bytes(k)));
    items.push_back(rlp::encode_bytes(v));
  }
  return rlp::encode_list(items);
}

Bytes port_bytes(std::uint16_t p) {
  // Minimal big-endian integer, as RLP integers are encoded.
  if (p == 0) return {};
  if (p < 256) return {static_cast<std::uint8_t>(p)};
  return {static_cast<std::uint8_t>(p >> 8), static_cast<std::uint8_t>(p)};
}

}  // namespace

Enr Enr::create(const crypto::k1::SecretKey& key, std::uint64_t seq, std::optional<ByteArray<4>> ip,
                std::optional<std::uint16_t> tcp, std::optional<std::uint16_t> udp) {
  Enr e;
  e.seq_ = seq;
  e.pubkey_ = key.public_key();
  auto pk = e.pubkey_.to_compressed();
  e.pairs_["id"] = Bytes{'v', '4'};
  e.pairs_["secp256k1"] = Bytes(pk.begin(), pk.end());
  if (ip) e.pairs_["ip"] = Bytes(ip->begin(), ip->end());
  if (tcp) e.pairs_["tcp"] = port_bytes(*tcp);
  if (udp) e.pairs_["udp"] = port_bytes(*udp);
  e.signature_ = key.sign(crypto::hash::keccak256(content_rlp(seq, e.pairs_)));
  std::vector<Bytes> items{rlp::encode_bytes(e.signature_), rlp::encode_uint(seq)};
  for (const auto& [k, v] : e.pairs_) {
    items.push_back(rlp::encode_bytes(as_bytes(k)));
    items.push_back(rlp::encode_bytes(v));
  }
  e.rlp_ = rlp::encode_list(items);
  return e;
}

Result<Enr> Enr::parse(std::string_view text) {
  if (!text.starts_with("enr:")) return fail(EnrError::kMissingPrefix);
  text.remove_prefix(4);
  if (text.size() > (kMaxRecordSize * 4 + 2) / 3) return fail(EnrError::kTooLong);
  auto raw = base64url_decode(text);
  if (!raw) return fail(EnrError::kBadBase64);
  return decode(*raw);
}

Result<Enr> Enr::decode(ByteSpan in) {
  if (in.size() > kMaxRecordSize) return fail(EnrError::kTooLong);
  auto top = rlp::decode(in);
  if (!top || !top->is_list || top->items.size() < 2 || top->items.size() % 2 != 0) return fail(EnrError::kBadRlp);
  const auto& items = top->items;
  if (items[0].is_list || items[0].bytes.size() != 64) return fail(EnrError::kBadSignature);
  auto seq = rlp::as_uint(items[1]);
  if (!seq) return fail(EnrError::kBadRlp);
  Enr e;
  e.seq_ = *seq;
  std::copy(items[0].bytes.begin(), items[0].bytes.end(), e.signature_.begin());
  std::string prev;
  for (std::size_t i = 2; i < items.size(); i += 2) {
    if (items[i].is_list) return fail(EnrError::kBadRlp);
    std::string key(items[i].bytes.begin(), items[i].bytes.end());
    if (i > 2 && key <= prev) return fail(EnrError::kKeysNotSorted);
    prev = key;
    const auto& v = items[i + 1];
    // List-valued keys are not used by Phalanx: the key is kept with an empty value (the signature still
    // covers the original bytes).
    e.pairs_[key] = v.is_list ? Bytes{} : Bytes(v.bytes.begin(), v.bytes.end());
  }
  auto id = e.pairs_.find("id");
  if (id == e.pairs_.end() || id->second != Bytes{'v', '4'}) return fail(EnrError::kUnsupportedScheme);
  auto pk = e.pairs_.find("secp256k1");
  if (pk == e.pairs_.end() || pk->second.size() != 33) return fail(EnrError::kBadPublicKey);
  auto parsed = crypto::k1::PublicKey::from_bytes(pk->second);
  if (!parsed) return fail(EnrError::kBadPublicKey);
  e.pubkey_ = *parsed;
  // The signature covers rlp([seq, k, v, …]) exactly as encoded: re-wrap the original bytes after the
  // signature item (canonical RLP fixes both headers: the outer list header, then 0xb8 0x40 ‖ 64 bytes).
  std::size_t outer_header = in[0] <= 0xf7 ? 1 : 1 + (in[0] - 0xf7u);
  ByteSpan rest = in.subspan(outer_header + 66);
  Bytes content = rlp::encode_list({Bytes(rest.begin(), rest.end())});
  if (!crypto::k1::verify(e.pubkey_, crypto::hash::keccak256(content), e.signature_))
    return fail(EnrError::kBadSignature);
  for (const char* k : {"tcp", "udp"}) {
    auto it = e.pairs_.find(k);
    if (it != e.pairs_.end() && it->second.size() > 2) return fail(EnrError::kBadField);
  }
  auto ip = e.pairs_.find("ip");
  if (ip != e.pairs_.end() && ip->second.size() != 4) return fail(EnrError::kBadField);
  e.rlp_ = Bytes(in.begin(), in.end());
  return e;
}

std::string Enr::to_text() const { return "enr:" + base64url_encode(rlp_); }

ByteArray<32> Enr::node_id() const {
  auto u = pubkey_.to_uncompressed();
  return crypto::hash::keccak256(ByteSpan(u.data() + 1, 64));
}

const Bytes* Enr::get(const std::string& key) const {
  auto it = pairs_.find(key);
  return it == pairs_.end() ? nullptr : &it->second;
}

std::optional<ByteArray<4>> Enr::ip() const {
  auto v = get("ip");
  if (!v) return std::nullopt;
  ByteArray<4> out{};
  std::copy(v->begin(), v->end(), out.begin());
  return out;
}

namespace {
std::optional<std::uint16_t> port(const Bytes* v) {
  if (!v) return std::nullopt;
  std::uint16_t p = 0;
  for (auto b : *v) p = static_cast<std::uint16_t>((p << 8) | b);
  return p;
}
}  // namespace

std::optional<std::uint16_t> Enr::tcp() const { return port(get("tcp")); }
std::optional<std::uint16_t> Enr::udp() const { return port(get("udp")); }

}  // namespace phx::cluster
