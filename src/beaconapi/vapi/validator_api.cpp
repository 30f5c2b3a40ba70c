#include "beaconapi/vapi/validator_api.hpp"

#include <algorithm>
#include <cctype>
#include <boost/asio/as_tuple.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <functional>
#include <map>
#include <tuple>

#include "base/log.hpp"
#include "beaconapi/vapi/codec.hpp"
#include "beaconapi/vapi/proxy.hpp"
#include "eth/duty_signing.hpp"

namespace phx::beaconapi::vapi {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;
using runtime::Task;
using ssz::Json;

const char* to_string(PartialKind k) {
  switch (k) {
    case PartialKind::kAttestation: return "attestation";
    case PartialKind::kBlock: return "block";
    case PartialKind::kBlindedBlock: return "blinded_block";
    case PartialKind::kAggregateAndProof: return "aggregate_and_proof";
    case PartialKind::kSyncMessage: return "sync_message";
    case PartialKind::kContributionAndProof: return "contribution_and_proof";
    case PartialKind::kRegistration: return "registration";
    case PartialKind::kExit: return "exit";
  }
  return "unknown";
}

// ---- Backend defaults: no duty knowledge (the VAPI's own caches answer first) ----

Task<ApiResult<eth::BLSPubkey>> Backend::pubkey_by_index(ValidatorIndex index) {
  co_return std::unexpected(ApiError{404, "unknown validator index " + std::to_string(index.value)});
}

Task<ApiResult<AttesterRef>> Backend::attester_at(Slot slot, eth::CommitteeIndex committee_index,
                                                  std::uint64_t validator_committee_index) {
  co_return std::unexpected(ApiError{404, "no cluster attester at slot " + std::to_string(slot.value) +
                                              ", committee " + std::to_string(committee_index) + ", position " +
                                              std::to_string(validator_committee_index)});
}

Task<ApiResult<eth::BLSPubkey>> Backend::proposer_of(Slot slot) {
  co_return std::unexpected(ApiError{404, "no cluster proposer known for slot " + std::to_string(slot.value)});
}

namespace {

BeastResponse make_response(unsigned status, std::string_view content_type, std::string body) {
  BeastResponse res{static_cast<bhttp::status>(status), 11};
  res.set(bhttp::field::server, "phalanx");
  if (!content_type.empty()) res.set(bhttp::field::content_type, content_type);
  res.body() = std::move(body);
  return res;
}

BeastResponse json_response(const Json& j, unsigned status = 200) {
  return make_response(status, http::kJson, j.dump(-1, ' ', false, ssz::Json::error_handler_t::replace));
}

BeastResponse error_response(unsigned status, std::string_view message) {
  Json j = Json::object();
  j["code"] = status;
  j["message"] = std::string(message);
  return json_response(j, status);
}

BeastResponse error_response(const ApiError& e) {
  unsigned status = (e.status >= 400 && e.status <= 599) ? e.status : 500;
  return error_response(status, e.message);
}

BeastResponse ssz_response(const Bytes& bytes) {
  return make_response(200, http::kOctetStream, std::string(bytes.begin(), bytes.end()));
}

Json data_body(Json data) {
  Json j = Json::object();
  j["data"] = std::move(data);
  return j;
}

/// A request as the handlers see it.
struct Ctx {
  const BeastRequest& msg;   ///< the original (for proxying)
  http::Request req;         ///< parsed view (path, query, headers, body)
  http::PathParams params;   ///< bound path segments
};

Result<http::Request, std::string> parse_view(const BeastRequest& msg) {
  http::Request req;
  switch (msg.method()) {
    case bhttp::verb::get: req.method = http::Method::kGet; break;
    case bhttp::verb::post: req.method = http::Method::kPost; break;
    default: return std::unexpected(std::string("unsupported method"));
  }
  std::string_view target(msg.target().data(), msg.target().size());
  if (target.empty() || target.front() != '/') return std::unexpected(std::string("bad request target"));
  auto q = target.find('?');
  req.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) req.query = http::parse_query(target.substr(q + 1));
  auto lower = [](std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    while (!out.empty() && (out.back() == ' ' || out.back() == '\t')) out.pop_back();
    while (!out.empty() && (out.front() == ' ' || out.front() == '\t')) out.erase(out.begin());
    return out;
  };
  if (auto it = msg.find(bhttp::field::content_type); it != msg.end()) {
    std::string_view ct(it->value().data(), it->value().size());
    req.content_type = lower(ct.substr(0, ct.find(';')));
  }
  if (auto it = msg.find(bhttp::field::accept); it != msg.end()) {
    req.accept = std::string(it->value().data(), it->value().size());
  }
  if (auto it = msg.find("Eth-Consensus-Version"); it != msg.end()) {
    req.consensus_version = lower(std::string_view(it->value().data(), it->value().size()));
  }
  req.keep_alive = msg.keep_alive();
  req.body = msg.body();
  return req;
}

/// Percent-encodes a query key or value (RFC 3986 unreserved characters and ',' stay as they are).
std::string url_encode(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : s) {
    if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~' || ch == ',') {
      out.push_back(static_cast<char>(ch));
    } else {
      out.push_back('%');
      out.push_back(kHex[ch >> 4]);
      out.push_back(kHex[ch & 15]);
    }
  }
  return out;
}

std::vector<std::string> split_path(std::string_view p) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < p.size()) {
    if (p[i] == '/') {
      ++i;
      continue;
    }
    auto j = p.find('/', i);
    if (j == std::string_view::npos) j = p.size();
    out.emplace_back(p.substr(i, j - i));
    i = j;
  }
  return out;
}

/// A required decimal query value.
Result<std::uint64_t, std::string> query_u64(const http::Request& req, std::string_view key) {
  auto v = req.query_value(key);
  if (!v) return std::unexpected(std::string(key) + ": missing query parameter");
  auto n = http::parse_u64(*v);
  if (!n) return std::unexpected(std::string(key) + ": expected a decimal number");
  return *n;
}

template <std::size_t N>
Result<ByteArray<N>, std::string> query_hex(const http::Request& req, std::string_view key) {
  auto v = req.query_value(key);
  if (!v) return std::unexpected(std::string(key) + ": missing query parameter");
  auto b = from_hex_fixed<N>(*v);
  if (!b) return std::unexpected(std::string(key) + ": expected 0x-prefixed hex of " + std::to_string(N) + " bytes");
  return *b;
}

/// The `graffiti` query value: the spec's 0x-prefixed bytes32, or (as Lodestar 1.5.1's VC sends and its BN
/// accepts) UTF-8 text of at most 32 bytes, zero padded.
Result<Root, std::string> parse_graffiti(std::string_view v) {
  if (v.size() == 66 && v.starts_with("0x")) {
    if (auto b = from_hex_fixed<32>(v); b) return *b;
  }
  if (v.size() > 32) return std::unexpected(std::string("graffiti: more than 32 bytes"));
  Root out{};
  std::copy(v.begin(), v.end(), out.begin());
  return out;
}

/// One item of a submission waiting for verification.
struct Candidate {
  std::size_t index = 0;
  eth::BLSPubkey dv_pubkey{};
  ValidatorIndex validator_index{};
  eth::CommitteeIndex committee_index = 0;
  PartialMessage message;
  Root signing_root{};
  eth::BLSSignature signature{};
};

using Failures = std::vector<std::pair<std::size_t, std::string>>;

/// Whether each set verifies: one randomised batch check (sets over the same signing root share a pairing),
/// and only when it fails, each set alone to find the bad ones.
std::vector<bool> verify_sets(const std::vector<crypto::bls::SignatureSet>& sets) {
  std::vector<bool> valid(sets.size(), true);
  if (sets.empty() || (sets.size() > 1 && crypto::bls::batch_verify(sets))) return valid;
  for (std::size_t i = 0; i < sets.size(); ++i)
    valid[i] = crypto::bls::verify(sets[i].pubkey, sets[i].message, sets[i].signature);
  return valid;
}

template <class V>
Root block_root_of(const eth::ChainConfig& config, const V& block) {
  return std::visit(
      [&config](const auto& b) -> Root {
        if constexpr (std::is_same_v<std::remove_cvref_t<decltype(b)>, std::monostate>) {
          return Root{};
        } else {
          return eth::block_signing_root(config, b);
        }
      },
      block.value);
}

template <class V>
Slot block_slot_of(const V& block) {
  return std::visit(
      [](const auto& b) -> Slot {
        if constexpr (std::is_same_v<std::remove_cvref_t<decltype(b)>, std::monostate>) {
          return Slot{};
        } else {
          return b.slot;
        }
      },
      block.value);
}

template <class V>
ValidatorIndex block_proposer_of(const V& block) {
  return std::visit(
      [](const auto& b) -> ValidatorIndex {
        if constexpr (std::is_same_v<std::remove_cvref_t<decltype(b)>, std::monostate>) {
          return ValidatorIndex{};
        } else {
          return b.proposer_index;
        }
      },
      block.value);
}

/// The unsigned AggregateAndProof of a signed one (same fork) and its signature.
std::pair<VersionedAggregateAndProof, eth::BLSSignature> split_aggregate(const VersionedSignedAggregateAndProof& s) {
  eth::BLSSignature sig{};
  VersionedAggregateAndProof out;
  std::visit(
      [&](const auto& x) {
        sig = x.signature;
        using M = std::remove_cvref_t<decltype(x.message)>;
        // Same index in both families: rebuild the variant at the signed value's index.
        [&]<std::size_t... I>(std::index_sequence<I...>) {
          (
              [&] {
                if (s.value.index() == I) {
                  if constexpr (std::is_same_v<std::variant_alternative_t<I, VersionedAggregateAndProof::Variant>,
                                               M>) {
                    out.value.template emplace<I>(x.message);
                  }
                }
              }(),
              ...);
        }(std::make_index_sequence<eth::kForkCount>{});
      },
      s.value);
  return {std::move(out), sig};
}

Root aggregate_root_of(const eth::ChainConfig& config, const VersionedAggregateAndProof& a) {
  return std::visit([&config](const auto& m) { return eth::aggregate_and_proof_signing_root(config, m); },
                    a.value);
}

/// Versioned JSON of a produced block with the produceBlockV3 metadata.
Json produce_v3_json(const ProduceBlockV3Response& r) {
  Json out = Json::object();
  Json inner = std::visit([](const auto& b) { return encode_versioned_json(b); }, r.block);
  out["version"] = inner["version"];
  out["execution_payload_blinded"] = r.blinded();
  out["execution_payload_value"] = ssz::u256_to_dec(r.execution_payload_value);
  out["consensus_block_value"] = ssz::u256_to_dec(r.consensus_block_value);
  out["data"] = std::move(inner["data"]);
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------------

struct ValidatorApi::Impl {
  using Handler = std::function<Task<BeastResponse>(Impl&, const Ctx&)>;
  struct Route {
    http::Method method;
    std::vector<std::string> segments;
    Handler handler;
  };
  struct SessionState {
    beast::tcp_stream* stream = nullptr;
    bool busy = false;
  };

  Impl(runtime::Executor ex, Backend& backend, Options options, const Clock& clock)
      : ex_(ex),
        backend_(backend),
        options_(std::move(options)),
        clock_(clock),
        proxy_(options_.beacon_nodes, options_.proxy_timeout, options_.recheck_after, options_.proxy_body_limit),
        acceptor_(ex),
        accept_group_(ex),
        sessions_group_(ex),
        sessions_(std::make_shared<std::map<std::uint64_t, SessionState*>>()) {
    add_routes();
  }

  runtime::Executor ex_;
  Backend& backend_;
  Options options_;
  const Clock& clock_;
  BnProxy proxy_;
  tcp::acceptor acceptor_;
  runtime::TaskGroup accept_group_;
  runtime::TaskGroup sessions_group_;
  std::shared_ptr<std::map<std::uint64_t, SessionState*>> sessions_;
  std::uint64_t next_id_ = 0;
  std::uint16_t port_ = 0;
  bool stopping_ = false;
  Stats stats_;
  std::vector<Route> routes_;

  // Learnt from proxied duty and validator answers (bounded: old slots are pruned).
  std::map<ValidatorIndex, eth::BLSPubkey> index_to_dv_;
  std::map<std::tuple<std::uint64_t, std::uint64_t, std::uint64_t>, AttesterRef> attesters_;
  std::map<std::uint64_t, eth::BLSPubkey> proposers_;
  std::map<eth::BLSPubkey, std::pair<crypto::bls::PublicKey, eth::BLSPubkey>> shares_;

  // ---- keys ----

  /// This node's public share of `dv` (decoded and compressed), cached.
  /// Only keys the backend knows are cached (a backend may learn keys later; unknown keys are asked again).
  const std::pair<crypto::bls::PublicKey, eth::BLSPubkey>* own_share(const eth::BLSPubkey& dv) {
    auto it = shares_.find(dv);
    if (it == shares_.end()) {
      auto s = backend_.share_of(dv);
      if (!s) return nullptr;
      it = shares_.emplace(dv, std::make_pair(*s, s->to_bytes())).first;
    }
    return &it->second;
  }

  std::map<eth::BLSPubkey, crypto::bls::PublicKey> dv_keys_;

  /// The decoded DV key (cached), or null when it does not decode.
  const crypto::bls::PublicKey* dv_key(const eth::BLSPubkey& dv) {
    auto it = dv_keys_.find(dv);
    if (it == dv_keys_.end()) {
      auto k = crypto::bls::PublicKey::from_bytes(dv);
      if (!k) return nullptr;
      it = dv_keys_.emplace(dv, *k).first;
    }
    return &it->second;
  }

  /// Checks the selection proof inside an aggregate / contribution: the cluster's combined proof (valid for
  /// the DV key) passes; a proof that verifies only with this node's share comes from a VC without the DVT
  /// selection endpoints (e.g. Lodestar 1.5.1): its message can never be combined with the other operators',
  /// so it is refused with a reason and logged. Returns the failure reason, or nullopt.
  std::optional<std::string> check_selection_proof(const eth::BLSPubkey& dv, const Root& root,
                                                   const eth::BLSSignature& proof, std::string_view what) {
    auto sig = crypto::bls::Signature::from_bytes(proof);
    if (!sig) return std::string("malformed selection_proof");
    const auto* key = dv_key(dv);
    if (key != nullptr && crypto::bls::verify(*key, root, *sig)) return std::nullopt;
    const auto* share = own_share(dv);
    if (share != nullptr && crypto::bls::verify(share->first, root, *sig)) {
      log::warn("validator API: {} from a VC without DVT selection endpoints carries a partial selection proof "
                "(this node's share); dropped: it cannot be combined with the other operators'",
                what);
      return "partial selection proof (signed with this node's share, not the cluster's combined proof): the VC "
             "must use the DVT selection endpoints; dropped";
    }
    return std::string("invalid selection_proof: neither the cluster's combined proof nor this node's partial");
  }

  KeyMap share_to_dv() {
    return [this](const eth::BLSPubkey& k) -> std::optional<eth::BLSPubkey> {
      auto r = backend_.dv_of(k);
      if (r && r->own) return r->dv_pubkey;
      return std::nullopt;
    };
  }

  KeyMap dv_to_share() {
    return [this](const eth::BLSPubkey& k) -> std::optional<eth::BLSPubkey> {
      if (const auto* s = own_share(k)) return s->second;
      return std::nullopt;
    };
  }

  Epoch current_epoch() const {
    const auto& c = backend_.chain_config();
    auto secs = std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
    if (secs < 0 || static_cast<std::uint64_t>(secs) < c.genesis_time || c.seconds_per_slot == 0 ||
        c.slots_per_epoch == 0) {
      return Epoch{0};
    }
    auto slot = (static_cast<std::uint64_t>(secs) - c.genesis_time) / c.seconds_per_slot;
    return Epoch{slot / c.slots_per_epoch};
  }

  // ---- backend calls with the deadline ----

  template <class T>
  Task<ApiResult<T>> guarded(Task<ApiResult<T>> t) {
    auto r = co_await runtime::with_timeout(std::move(t), options_.backend_timeout);
    if (!r) co_return std::unexpected(ApiError{503, "timed out waiting for the cluster"});
    co_return std::move(*r);
  }

  Task<ApiResult<eth::BLSPubkey>> dv_by_index(ValidatorIndex i) {
    if (auto it = index_to_dv_.find(i); it != index_to_dv_.end()) co_return it->second;
    auto r = co_await guarded(backend_.pubkey_by_index(i));
    if (r) index_to_dv_[i] = *r;
    co_return r;
  }

  Task<ApiResult<AttesterRef>> attester(Slot slot, std::uint64_t ci, std::uint64_t vci) {
    if (auto it = attesters_.find({slot.value, ci, vci}); it != attesters_.end()) co_return it->second;
    co_return co_await guarded(backend_.attester_at(slot, ci, vci));
  }

  Task<ApiResult<eth::BLSPubkey>> proposer(Slot slot) {
    if (auto it = proposers_.find(slot.value); it != proposers_.end()) co_return it->second;
    co_return co_await guarded(backend_.proposer_of(slot));
  }

  void prune(std::uint64_t newest_slot) {
    auto spe = std::max<std::uint64_t>(backend_.chain_config().slots_per_epoch, 1);
    if (newest_slot < 4 * spe) return;
    auto keep_from = newest_slot - 4 * spe;
    attesters_.erase(attesters_.begin(), attesters_.lower_bound({keep_from, 0, 0}));
    proposers_.erase(proposers_.begin(), proposers_.lower_bound(keep_from));
  }

  /// Records what a duties / validators answer (with DV keys) says about this cluster's validators.
  void learn(const Json& body) {
    auto it = body.find("data");
    if (it == body.end()) return;
    auto one = [this](const Json& e) {
      if (!e.is_object()) return;
      auto str = [&e](const char* key) -> const std::string* {
        auto f = e.find(key);
        return (f != e.end() && f->is_string()) ? &f->get_ref<const std::string&>() : nullptr;
      };
      const std::string* pk = str("pubkey");
      if (pk == nullptr) {
        if (auto v = e.find("validator"); v != e.end() && v->is_object()) {
          if (auto p = v->find("pubkey"); p != v->end() && p->is_string()) pk = &p->get_ref<const std::string&>();
        }
      }
      if (pk == nullptr) return;
      auto key = from_hex_fixed<48>(*pk);
      if (!key || own_share(*key) == nullptr) return;
      const std::string* idx = str("validator_index");
      if (idx == nullptr) idx = str("index");
      if (idx == nullptr) return;
      auto vi = ssz::dec_to_u64(*idx);
      if (!vi) return;
      index_to_dv_[ValidatorIndex{*vi}] = *key;
      const std::string* slot = str("slot");
      if (slot == nullptr) return;
      auto s = ssz::dec_to_u64(*slot);
      if (!s) return;
      const std::string* ci = str("committee_index");
      const std::string* vci = str("validator_committee_index");
      if (ci != nullptr && vci != nullptr) {
        auto c = ssz::dec_to_u64(*ci);
        auto v = ssz::dec_to_u64(*vci);
        if (c && v) attesters_[{*s, *c, *v}] = AttesterRef{*key, ValidatorIndex{*vi}};
      } else {
        proposers_[*s] = *key;
      }
      prune(*s);
    };
    if (it->is_array()) {
      for (const auto& e : *it) one(e);
    } else {
      one(*it);
    }
  }

  // ---- verification and hand-over of partial signatures ----

  Task<BeastResponse> finish(PartialKind kind, std::vector<Candidate> cands, Failures failures) {
    std::vector<std::size_t> keep;
    std::vector<crypto::bls::SignatureSet> sets;
    std::vector<Candidate> ok;
    for (auto& c : cands) {
      const auto* share = own_share(c.dv_pubkey);
      if (share == nullptr) {
        failures.emplace_back(c.index, "unknown validator: not a validator of this cluster");
        continue;
      }
      auto sig = crypto::bls::Signature::from_bytes(c.signature);
      if (!sig) {
        failures.emplace_back(c.index, "malformed signature: " + sig.error().message());
        continue;
      }
      sets.push_back(crypto::bls::SignatureSet{share->first, Bytes(c.signing_root.begin(), c.signing_root.end()), *sig});
      ok.push_back(std::move(c));
    }
    const std::vector<bool> valid = verify_sets(sets);
    std::vector<PartialSignature> good;
    for (std::size_t i = 0; i < ok.size(); ++i) {
      if (!valid[i]) {
        failures.emplace_back(ok[i].index, "invalid signature: does not verify against this node's public share");
        continue;
      }
      good.push_back(PartialSignature{ok[i].dv_pubkey, ok[i].validator_index, ok[i].committee_index,
                                      std::move(ok[i].message), sets[i].signature});
    }
    stats_.partials_rejected += failures.size();
    if (!good.empty()) {
      stats_.partials_accepted += good.size();
      auto r = co_await guarded(backend_.submit_partials(kind, std::move(good)));
      if (!r) co_return error_response(r.error());
    }
    if (failures.empty()) co_return make_response(200, "", "");
    std::sort(failures.begin(), failures.end());
    co_return make_response(400, http::kJson,
                            indexed_error_body(400, std::string("some ") + to_string(kind) +
                                                        " items failed validation",
                                               failures));
  }

  // ---- routes ----

  void add(http::Method m, std::string_view path, Handler h) {
    routes_.push_back(Route{m, split_path(path), std::move(h)});
  }

  const Route* match(http::Method m, std::string_view path, http::PathParams& params) const {
    auto segs = split_path(path);
    const Route* best = nullptr;
    int best_literals = -1;
    for (const auto& r : routes_) {
      if (r.method != m || r.segments.size() != segs.size()) continue;
      http::PathParams p;
      int literals = 0;
      bool ok = true;
      for (std::size_t i = 0; i < segs.size() && ok; ++i) {
        const auto& t = r.segments[i];
        if (t.size() >= 2 && t.front() == '{' && t.back() == '}') {
          p[t.substr(1, t.size() - 2)] = segs[i];
        } else if (t == segs[i]) {
          ++literals;
        } else {
          ok = false;
        }
      }
      if (ok && literals > best_literals) {
        best = &r;
        best_literals = literals;
        params = std::move(p);
      }
    }
    return best;
  }

  void add_routes();

  // Handlers (defined below).
  Task<BeastResponse> attestation_data(const Ctx& c);
  Task<BeastResponse> produce_block(const Ctx& c, int version);
  Task<BeastResponse> aggregate_attestation(const Ctx& c, bool v2);
  Task<BeastResponse> sync_contribution(const Ctx& c);
  template <class Selection>
  Task<BeastResponse> selections(const Ctx& c);
  Task<BeastResponse> submit_attestations(const Ctx& c, bool v2);
  Task<BeastResponse> submit_block(const Ctx& c, bool blinded);
  Task<BeastResponse> submit_aggregates(const Ctx& c, bool v2);
  Task<BeastResponse> submit_sync_messages(const Ctx& c);
  Task<BeastResponse> submit_contributions(const Ctx& c);
  Task<BeastResponse> submit_registrations(const Ctx& c);
  Task<BeastResponse> submit_exit(const Ctx& c);
  Task<BeastResponse> proxy_rewrite(const Ctx& c, BeastRequest up, bool learn_answer);
  Task<BeastResponse> duties(const Ctx& c);
  Task<BeastResponse> validators_get(const Ctx& c);
  Task<BeastResponse> validators_post(const Ctx& c);
  Task<BeastResponse> validator_by_id(const Ctx& c);
  Task<BeastResponse> proxy(const BeastRequest& msg);

  // Server.
  Result<void> start();
  Task<void> accept_loop();
  Task<void> session(tcp::socket socket, std::uint64_t id);
  Task<void> stop();
};

void ValidatorApi::Impl::add_routes() {
  using M = http::Method;
  add(M::kGet, "/eth/v1/validator/attestation_data", [](Impl& s, const Ctx& c) { return s.attestation_data(c); });
  add(M::kGet, "/eth/v3/validator/blocks/{slot}", [](Impl& s, const Ctx& c) { return s.produce_block(c, 3); });
  add(M::kGet, "/eth/v2/validator/blocks/{slot}", [](Impl& s, const Ctx& c) { return s.produce_block(c, 2); });
  add(M::kGet, "/eth/v1/validator/blocks/{slot}", [](Impl& s, const Ctx& c) { return s.produce_block(c, 0); });
  add(M::kGet, "/eth/v1/validator/blinded_blocks/{slot}",
      [](Impl& s, const Ctx& c) { return s.produce_block(c, 1); });
  add(M::kGet, "/eth/v1/validator/aggregate_attestation",
      [](Impl& s, const Ctx& c) { return s.aggregate_attestation(c, false); });
  add(M::kGet, "/eth/v2/validator/aggregate_attestation",
      [](Impl& s, const Ctx& c) { return s.aggregate_attestation(c, true); });
  add(M::kGet, "/eth/v1/validator/sync_committee_contribution",
      [](Impl& s, const Ctx& c) { return s.sync_contribution(c); });
  add(M::kPost, "/eth/v1/validator/beacon_committee_selections",
      [](Impl& s, const Ctx& c) { return s.selections<BeaconCommitteeSelection>(c); });
  add(M::kPost, "/eth/v1/validator/sync_committee_selections",
      [](Impl& s, const Ctx& c) { return s.selections<SyncCommitteeSelection>(c); });
  add(M::kPost, "/eth/v1/beacon/pool/attestations",
      [](Impl& s, const Ctx& c) { return s.submit_attestations(c, false); });
  add(M::kPost, "/eth/v2/beacon/pool/attestations",
      [](Impl& s, const Ctx& c) { return s.submit_attestations(c, true); });
  add(M::kPost, "/eth/v1/beacon/blocks", [](Impl& s, const Ctx& c) { return s.submit_block(c, false); });
  add(M::kPost, "/eth/v2/beacon/blocks", [](Impl& s, const Ctx& c) { return s.submit_block(c, false); });
  add(M::kPost, "/eth/v1/beacon/blinded_blocks", [](Impl& s, const Ctx& c) { return s.submit_block(c, true); });
  add(M::kPost, "/eth/v2/beacon/blinded_blocks", [](Impl& s, const Ctx& c) { return s.submit_block(c, true); });
  add(M::kPost, "/eth/v1/validator/aggregate_and_proofs",
      [](Impl& s, const Ctx& c) { return s.submit_aggregates(c, false); });
  add(M::kPost, "/eth/v2/validator/aggregate_and_proofs",
      [](Impl& s, const Ctx& c) { return s.submit_aggregates(c, true); });
  add(M::kPost, "/eth/v1/beacon/pool/sync_committees",
      [](Impl& s, const Ctx& c) { return s.submit_sync_messages(c); });
  add(M::kPost, "/eth/v1/validator/contribution_and_proofs",
      [](Impl& s, const Ctx& c) { return s.submit_contributions(c); });
  add(M::kPost, "/eth/v1/validator/register_validator",
      [](Impl& s, const Ctx& c) { return s.submit_registrations(c); });
  add(M::kPost, "/eth/v1/beacon/pool/voluntary_exits", [](Impl& s, const Ctx& c) { return s.submit_exit(c); });
  // Proxied with public keys rewritten (DV keys → this node's shares in answers, shares → DV keys in requests).
  add(M::kPost, "/eth/v1/validator/duties/attester/{epoch}", [](Impl& s, const Ctx& c) { return s.duties(c); });
  add(M::kGet, "/eth/v1/validator/duties/proposer/{epoch}", [](Impl& s, const Ctx& c) { return s.duties(c); });
  add(M::kGet, "/eth/v2/validator/duties/proposer/{epoch}", [](Impl& s, const Ctx& c) { return s.duties(c); });
  add(M::kPost, "/eth/v1/validator/duties/sync/{epoch}", [](Impl& s, const Ctx& c) { return s.duties(c); });
  add(M::kGet, "/eth/v1/beacon/states/{state_id}/validators",
      [](Impl& s, const Ctx& c) { return s.validators_get(c); });
  add(M::kPost, "/eth/v1/beacon/states/{state_id}/validators",
      [](Impl& s, const Ctx& c) { return s.validators_post(c); });
  add(M::kGet, "/eth/v1/beacon/states/{state_id}/validators/{validator_id}",
      [](Impl& s, const Ctx& c) { return s.validator_by_id(c); });
  add(M::kGet, "/eth/v1/beacon/states/{state_id}/validator_balances",
      [](Impl& s, const Ctx& c) { return s.validators_get(c); });
  add(M::kPost, "/eth/v1/beacon/states/{state_id}/validator_balances",
      [](Impl& s, const Ctx& c) { return s.validators_post(c); });
}

// ---- produce endpoints ----

Task<BeastResponse> ValidatorApi::Impl::attestation_data(const Ctx& c) {
  auto slot = query_u64(c.req, "slot");
  if (!slot) co_return error_response(400, slot.error());
  auto ci = query_u64(c.req, "committee_index");
  if (!ci) co_return error_response(400, ci.error());
  auto r = co_await guarded(backend_.attestation_data(Slot{*slot}, *ci));
  if (!r) co_return error_response(r.error());
  if (c.req.wants_ssz()) co_return ssz_response(ssz::serialize(*r));
  co_return json_response(data_body(ssz::to_json(*r)));
}

Task<BeastResponse> ValidatorApi::Impl::produce_block(const Ctx& c, int version) {
  auto slot_n = http::parse_u64(c.params.at("slot"));
  if (!slot_n) co_return error_response(400, "slot: expected a decimal number");
  Slot slot{*slot_n};
  auto randao = query_hex<96>(c.req, "randao_reveal");
  if (!randao) co_return error_response(400, randao.error());
  Root graffiti{};
  if (auto gv = c.req.query_value("graffiti"); gv) {
    auto g = parse_graffiti(*gv);
    if (!g) co_return error_response(400, g.error());
    graffiti = *g;
  }
  if (auto skip = c.req.query_value("skip_randao_verification"); skip && *skip != "false") {
    co_return error_response(400, "skip_randao_verification is not supported: a DV node needs the partial RANDAO reveal");
  }
  std::optional<std::uint64_t> boost;
  if (c.req.query_value("builder_boost_factor")) {
    auto b = query_u64(c.req, "builder_boost_factor");
    if (!b) co_return error_response(400, b.error());
    boost = *b;
  }
  auto dv = co_await proposer(slot);
  if (!dv) co_return error_response(dv.error());
  const auto* share = own_share(*dv);
  if (share == nullptr) co_return error_response(404, "unknown validator: the proposer is not a validator of this cluster");
  auto sig = crypto::bls::Signature::from_bytes(*randao);
  if (!sig) co_return error_response(400, "randao_reveal: malformed signature");
  const auto& config = backend_.chain_config();
  auto root = eth::randao_signing_root(config, config.epoch_at(slot));
  if (!crypto::bls::verify(share->first, root, *sig)) {
    ++stats_.partials_rejected;
    co_return error_response(400, "randao_reveal: invalid signature (does not verify against this node's public share)");
  }
  ++stats_.partials_accepted;
  BlockPreference pref = BlockPreference::kAny;
  if (version == 2 || version == 0) pref = BlockPreference::kFull;
  if (version == 1) pref = BlockPreference::kBlinded;
  BlockRequest breq{slot, *dv, *sig, graffiti, boost, pref};
  auto r = co_await guarded(backend_.produce_block(std::move(breq)));
  if (!r) co_return error_response(r.error());
  const auto& res = *r;
  if ((version == 2 || version == 0) && res.blinded()) {
    co_return error_response(500, "the cluster decided a blinded block; use v3");
  }
  if (version == 0 && res.fork() != eth::Fork::kPhase0) {
    co_return error_response(400, "produceBlock v1 serves phase0 only; use v2 or v3");
  }
  if (version == 1 && !res.blinded()) co_return error_response(500, "the cluster decided a full block; use v3 or v2");
  std::string fork_name(eth::fork_name(res.fork()));
  BeastResponse out;
  if (c.req.wants_ssz()) {
    Bytes b = std::visit([](const auto& blk) { return encode_versioned_ssz(blk); }, res.block);
    out = ssz_response(b);
  } else if (version == 3) {
    out = json_response(produce_v3_json(res));
  } else {
    // v1/v2 (pre-v3) answers: Lodestar 1.5.1's client requires `block_value` (it calls BigInt on it) although
    // spec v2.4.2 does not list it; its own BN sends the execution payload value there.
    Json j = std::visit([](const auto& blk) { return encode_versioned_json(blk); }, res.block);
    if (version == 0) j.erase("version");
    j["block_value"] = ssz::u256_to_dec(res.execution_payload_value);
    out = json_response(j);
  }
  out.set("Eth-Consensus-Version", fork_name);
  if (version == 3) {
    out.set("Eth-Execution-Payload-Blinded", res.blinded() ? "true" : "false");
    out.set("Eth-Execution-Payload-Value", ssz::u256_to_dec(res.execution_payload_value));
    out.set("Eth-Consensus-Block-Value", ssz::u256_to_dec(res.consensus_block_value));
  }
  co_return out;
}

Task<BeastResponse> ValidatorApi::Impl::aggregate_attestation(const Ctx& c, bool v2) {
  auto root = query_hex<32>(c.req, "attestation_data_root");
  if (!root) co_return error_response(400, root.error());
  auto slot = query_u64(c.req, "slot");
  if (!slot) co_return error_response(400, slot.error());
  std::optional<eth::CommitteeIndex> ci;
  if (v2) {
    auto v = query_u64(c.req, "committee_index");
    if (!v) co_return error_response(400, v.error());
    ci = *v;
  }
  auto r = co_await guarded(backend_.aggregate_attestation(Slot{*slot}, *root, ci));
  if (!r) co_return error_response(r.error());
  if (!v2) {
    if (r->fork() >= eth::Fork::kElectra) {
      co_return error_response(400, "electra aggregate: use /eth/v2/validator/aggregate_attestation");
    }
    const eth::phase0::Attestation* att = std::visit(
        [](const auto& a) -> const eth::phase0::Attestation* {
          if constexpr (std::is_same_v<std::remove_cvref_t<decltype(a)>, eth::phase0::Attestation>) {
            return &a;
          } else {
            return nullptr;
          }
        },
        r->value);
    if (att == nullptr) co_return error_response(500, "unexpected aggregate layout");
    if (c.req.wants_ssz()) co_return ssz_response(ssz::serialize(*att));
    co_return json_response(data_body(ssz::to_json(*att)));
  }
  BeastResponse out;
  if (c.req.wants_ssz()) {
    out = ssz_response(encode_versioned_ssz(*r));
  } else {
    out = json_response(encode_versioned_json(*r));
  }
  out.set("Eth-Consensus-Version", std::string(eth::fork_name(r->fork())));
  co_return out;
}

Task<BeastResponse> ValidatorApi::Impl::sync_contribution(const Ctx& c) {
  auto slot = query_u64(c.req, "slot");
  if (!slot) co_return error_response(400, slot.error());
  auto sub = query_u64(c.req, "subcommittee_index");
  if (!sub) co_return error_response(400, sub.error());
  auto root = query_hex<32>(c.req, "beacon_block_root");
  if (!root) co_return error_response(400, root.error());
  auto r = co_await guarded(backend_.sync_contribution(Slot{*slot}, *sub, *root));
  if (!r) co_return error_response(r.error());
  if (c.req.wants_ssz()) co_return ssz_response(ssz::serialize(*r));
  co_return json_response(data_body(ssz::to_json(*r)));
}

// ---- DVT selections ----

/// Both DVT selection endpoints: verify each partial selection proof against this node's share (per-item
/// failures), then exchange them through the backend and answer with the combined proofs.
template <class Selection>
Task<BeastResponse> ValidatorApi::Impl::selections(const Ctx& c) {
  constexpr bool kSync = std::is_same_v<Selection, SyncCommitteeSelection>;
  auto items = decode_items<Selection>(c.req.body, false);
  if (!items) co_return error_response(400, items.error());
  if (items->empty()) co_return error_response(400, "empty selection list");
  const auto& config = backend_.chain_config();
  Failures failures;
  std::vector<VerifiedSelection<Selection>> good, checked;
  std::vector<crypto::bls::SignatureSet> sets;
  std::vector<std::size_t> positions;
  for (std::size_t i = 0; i < items->size(); ++i) {
    const auto& s = (*items)[i];
    auto dv = co_await dv_by_index(s.validator_index);
    if (!dv) {
      failures.emplace_back(i, "unknown validator: " + dv.error().message);
      continue;
    }
    const auto* share = own_share(*dv);
    if (share == nullptr) {
      failures.emplace_back(i, "unknown validator: not a validator of this cluster");
      continue;
    }
    auto sig = crypto::bls::Signature::from_bytes(s.selection_proof);
    if (!sig) {
      failures.emplace_back(i, "malformed selection_proof");
      continue;
    }
    Root root{};
    if constexpr (kSync) {
      const eth::altair::SyncAggregatorSelectionData data{s.slot, s.subcommittee_index};
      root = eth::sync_selection_proof_signing_root(config, data);
    } else {
      root = eth::selection_proof_signing_root(config, s.slot);
    }
    sets.push_back(crypto::bls::SignatureSet{share->first, Bytes(root.begin(), root.end()), *sig});
    checked.push_back(VerifiedSelection<Selection>{*dv, s, *sig});
    positions.push_back(i);
  }
  const std::vector<bool> valid = verify_sets(sets);
  for (std::size_t k = 0; k < checked.size(); ++k) {
    if (valid[k]) {
      good.push_back(std::move(checked[k]));
    } else {
      failures.emplace_back(positions[k],
                            "invalid selection_proof: does not verify against this node's public share");
    }
  }
  stats_.partials_rejected += failures.size();
  if (!failures.empty()) {
    co_return make_response(400, http::kJson, indexed_error_body(400, "some selections failed validation", failures));
  }
  stats_.partials_accepted += good.size();
  ApiResult<std::vector<Selection>> r;
  if constexpr (kSync)
    r = co_await guarded(backend_.sync_committee_selections(std::move(good)));
  else
    r = co_await guarded(backend_.beacon_committee_selections(std::move(good)));
  if (!r) co_return error_response(r.error());
  Json arr = Json::array();
  for (const auto& sel : *r) arr.push_back(ssz::to_json(sel));
  co_return json_response(data_body(std::move(arr)));
}

// ---- submissions ----

Task<BeastResponse> ValidatorApi::Impl::submit_attestations(const Ctx& c, bool v2) {
  const auto& config = backend_.chain_config();
  bool electra = false;
  if (v2) {
    if (c.req.consensus_version.empty()) co_return error_response(400, "missing Eth-Consensus-Version header");
    auto f = eth::fork_from_name(c.req.consensus_version);
    if (!f) co_return error_response(400, "unknown Eth-Consensus-Version \"" + c.req.consensus_version + "\"");
    electra = *f >= eth::Fork::kElectra;
  }
  std::vector<Candidate> cands;
  Failures failures;
  if (electra) {
    auto items = decode_items<eth::electra::SingleAttestation>(c.req.body, c.req.body_is_ssz());
    if (!items) co_return error_response(400, items.error());
    if (items->empty()) co_return error_response(400, "empty attestation list");
    for (std::size_t i = 0; i < items->size(); ++i) {
      const auto& a = (*items)[i];
      auto dv = co_await dv_by_index(a.attester_index);
      if (!dv) {
        failures.emplace_back(i, "unknown validator: " + dv.error().message);
        continue;
      }
      cands.push_back(Candidate{i, *dv, a.attester_index, a.committee_index, a.data,
                                eth::attestation_signing_root(config, a.data), a.signature});
    }
  } else {
    auto items = decode_items<eth::phase0::Attestation>(c.req.body, c.req.body_is_ssz());
    if (!items) co_return error_response(400, items.error());
    if (items->empty()) co_return error_response(400, "empty attestation list");
    for (std::size_t i = 0; i < items->size(); ++i) {
      const auto& a = (*items)[i];
      std::optional<std::size_t> pos;
      std::size_t set = 0;
      for (std::size_t b = 0; b < a.aggregation_bits.size(); ++b) {
        if (a.aggregation_bits.get(b)) {
          ++set;
          pos = b;
        }
      }
      if (set != 1) {
        failures.emplace_back(i, "aggregation_bits must have exactly one bit set");
        continue;
      }
      auto ref = co_await attester(a.data.slot, a.data.index, *pos);
      if (!ref) {
        failures.emplace_back(i, "unknown validator: " + ref.error().message);
        continue;
      }
      cands.push_back(Candidate{i, ref->dv_pubkey, ref->validator_index, a.data.index, a.data,
                                eth::attestation_signing_root(config, a.data), a.signature});
    }
  }
  co_return co_await finish(PartialKind::kAttestation, std::move(cands), std::move(failures));
}

Task<BeastResponse> ValidatorApi::Impl::submit_block(const Ctx& c, bool blinded) {
  const auto& config = backend_.chain_config();
  Candidate cand;
  ValidatorIndex proposer_index{};
  Slot slot{};
  if (blinded) {
    auto b = decode_signed_blinded_block(c.req.body, c.req.body_is_ssz(), c.req.consensus_version, config);
    if (!b) co_return error_response(400, b.error());
    auto [block, sig] = split_signed_blinded_block(*b);
    slot = block_slot_of(block);
    proposer_index = block_proposer_of(block);
    cand.signing_root = block_root_of(config, block);
    cand.signature = sig;
    cand.message = std::move(block);
  } else {
    auto b = decode_signed_block(c.req.body, c.req.body_is_ssz(), c.req.consensus_version, config);
    if (!b) co_return error_response(400, b.error());
    auto [block, sig] = split_signed_block(*b);
    slot = block_slot_of(block);
    proposer_index = block_proposer_of(block);
    cand.signing_root = block_root_of(config, block);
    cand.signature = sig;
    cand.message = std::move(block);
  }
  Failures failures;
  auto dv = co_await dv_by_index(proposer_index);
  if (!dv) dv = co_await proposer(slot);
  if (!dv) {
    co_return error_response(400, "unknown validator: " + dv.error().message);
  }
  cand.dv_pubkey = *dv;
  cand.validator_index = proposer_index;
  std::vector<Candidate> cands;
  cands.push_back(std::move(cand));
  auto res = co_await finish(blinded ? PartialKind::kBlindedBlock : PartialKind::kBlock, std::move(cands),
                             std::move(failures));
  co_return res;
}

Task<BeastResponse> ValidatorApi::Impl::submit_aggregates(const Ctx& c, bool v2) {
  const auto& config = backend_.chain_config();
  auto items = decode_aggregates(c.req.body, c.req.body_is_ssz(), v2, c.req.consensus_version, config);
  if (!items) co_return error_response(400, items.error());
  if (items->empty()) co_return error_response(400, "empty aggregate list");
  std::vector<Candidate> cands;
  Failures failures;
  for (std::size_t i = 0; i < items->size(); ++i) {
    auto [msg, sig] = split_aggregate((*items)[i]);
    auto agg_index = std::visit([](const auto& m) { return m.aggregator_index; }, msg.value);
    // Electra moved the committee out of data.index into committee_bits (one bit for an aggregate).
    auto ci = std::visit(
        [](const auto& m) -> eth::CommitteeIndex {
          if constexpr (requires { m.aggregate.committee_bits; }) {
            for (std::size_t b = 0; b < m.aggregate.committee_bits.size(); ++b) {
              if (m.aggregate.committee_bits.get(b)) return b;
            }
            return 0;
          } else {
            return m.aggregate.data.index;
          }
        },
        msg.value);
    auto dv = co_await dv_by_index(agg_index);
    if (!dv) {
      failures.emplace_back(i, "unknown validator: " + dv.error().message);
      continue;
    }
    auto [sel_slot, sel_proof] = std::visit(
        [](const auto& m) { return std::make_pair(m.aggregate.data.slot, m.selection_proof); }, msg.value);
    if (auto why = check_selection_proof(*dv, eth::selection_proof_signing_root(config, sel_slot), sel_proof,
                                         "aggregate-and-proof")) {
      failures.emplace_back(i, std::move(*why));
      continue;
    }
    Root root = aggregate_root_of(config, msg);
    cands.push_back(Candidate{i, *dv, agg_index, ci, std::move(msg), root, sig});
  }
  co_return co_await finish(PartialKind::kAggregateAndProof, std::move(cands), std::move(failures));
}

Task<BeastResponse> ValidatorApi::Impl::submit_sync_messages(const Ctx& c) {
  const auto& config = backend_.chain_config();
  auto items = decode_items<eth::altair::SyncCommitteeMessage>(c.req.body, c.req.body_is_ssz());
  if (!items) co_return error_response(400, items.error());
  if (items->empty()) co_return error_response(400, "empty sync committee message list");
  std::vector<Candidate> cands;
  Failures failures;
  for (std::size_t i = 0; i < items->size(); ++i) {
    const auto& m = (*items)[i];
    auto dv = co_await dv_by_index(m.validator_index);
    if (!dv) {
      failures.emplace_back(i, "unknown validator: " + dv.error().message);
      continue;
    }
    cands.push_back(Candidate{i, *dv, m.validator_index, 0, SyncMessage{m.slot, m.beacon_block_root},
                              eth::sync_committee_message_signing_root(config, m.slot, m.beacon_block_root),
                              m.signature});
  }
  co_return co_await finish(PartialKind::kSyncMessage, std::move(cands), std::move(failures));
}

Task<BeastResponse> ValidatorApi::Impl::submit_contributions(const Ctx& c) {
  const auto& config = backend_.chain_config();
  auto items = decode_items<eth::altair::SignedContributionAndProof>(c.req.body, c.req.body_is_ssz());
  if (!items) co_return error_response(400, items.error());
  if (items->empty()) co_return error_response(400, "empty contribution list");
  std::vector<Candidate> cands;
  Failures failures;
  for (std::size_t i = 0; i < items->size(); ++i) {
    const auto& s = (*items)[i];
    auto dv = co_await dv_by_index(s.message.aggregator_index);
    if (!dv) {
      failures.emplace_back(i, "unknown validator: " + dv.error().message);
      continue;
    }
    eth::altair::SyncAggregatorSelectionData sel{};
    sel.slot = s.message.contribution.slot;
    sel.subcommittee_index = s.message.contribution.subcommittee_index;
    if (auto why = check_selection_proof(*dv, eth::sync_selection_proof_signing_root(config, sel),
                                         s.message.selection_proof, "contribution-and-proof")) {
      failures.emplace_back(i, std::move(*why));
      continue;
    }
    cands.push_back(Candidate{i, *dv, s.message.aggregator_index, 0, s.message,
                              eth::contribution_and_proof_signing_root(config, s.message), s.signature});
  }
  co_return co_await finish(PartialKind::kContributionAndProof, std::move(cands), std::move(failures));
}

Task<BeastResponse> ValidatorApi::Impl::submit_registrations(const Ctx& c) {
  const auto& config = backend_.chain_config();
  auto items = decode_items<eth::phase0::SignedValidatorRegistrationV1>(c.req.body, c.req.body_is_ssz());
  if (!items) co_return error_response(400, items.error());
  if (items->empty()) co_return error_response(400, "empty registration list");
  std::vector<Candidate> cands;
  Failures failures;
  for (std::size_t i = 0; i < items->size(); ++i) {
    const auto& s = (*items)[i];
    // The VC names itself by its share key, or by the DV key when it overrides the registration's public key
    // (Teku / Lighthouse DVT options).
    eth::BLSPubkey dv{};
    if (auto ref = backend_.dv_of(s.message.pubkey); ref) {
      if (!ref->own) {
        failures.emplace_back(i, "public share of another operator of the cluster, not this node's");
        continue;
      }
      dv = ref->dv_pubkey;
    } else if (own_share(s.message.pubkey) != nullptr) {
      dv = s.message.pubkey;
    } else {
      failures.emplace_back(i, "unknown validator: neither a public share nor a DV key of this cluster");
      continue;
    }
    // The cluster registers the DV key: every operator signs the message with the DV key in it.
    auto msg = s.message;
    msg.pubkey = dv;
    Root root = eth::registration_signing_root(config, msg);
    cands.push_back(Candidate{i, dv, ValidatorIndex{}, 0, msg, root, s.signature});
  }
  co_return co_await finish(PartialKind::kRegistration, std::move(cands), std::move(failures));
}

Task<BeastResponse> ValidatorApi::Impl::submit_exit(const Ctx& c) {
  const auto& config = backend_.chain_config();
  auto s = decode_one<eth::phase0::SignedVoluntaryExit>(c.req.body, c.req.body_is_ssz());
  if (!s) co_return error_response(400, s.error());
  auto dv = co_await dv_by_index(s->message.validator_index);
  if (!dv) co_return error_response(400, "unknown validator: " + dv.error().message);
  Epoch now = current_epoch();
  std::vector<Candidate> cands;
  cands.push_back(Candidate{0, *dv, s->message.validator_index, 0, ExitMessage{s->message, now},
                            eth::voluntary_exit_signing_root(config, s->message, now), s->signature});
  co_return co_await finish(PartialKind::kExit, std::move(cands), Failures{});
}

// ---- proxied with key rewriting ----

Task<BeastResponse> ValidatorApi::Impl::proxy_rewrite(const Ctx& c, BeastRequest up, bool learn_answer) {
  (void)c;
  up.set(bhttp::field::accept, http::kJson);
  up.erase(bhttp::field::accept_encoding);  // the answer is rewritten: it must not come back compressed
  up.prepare_payload();
  ++stats_.proxied;
  auto r = co_await proxy_.forward(up);
  if (!r) {
    ++stats_.proxy_failures;
    co_return error_response(502, "no beacon node answered: " + r.error());
  }
  BeastResponse res = std::move(*r);
  if (res.result_int() != 200) co_return res;
  auto j = ssz::parse_json(res.body());
  if (!j) co_return res;
  if (learn_answer) learn(*j);
  auto n = rewrite_answer_pubkeys(*j, dv_to_share());
  if (!n) co_return res;
  res.body() = j->dump(-1, ' ', false, ssz::Json::error_handler_t::replace);
  co_return res;
}

Task<BeastResponse> ValidatorApi::Impl::duties(const Ctx& c) {
  BeastRequest up = c.msg;
  co_return co_await proxy_rewrite(c, std::move(up), true);
}

Task<BeastResponse> ValidatorApi::Impl::validators_get(const Ctx& c) {
  BeastRequest up = c.msg;
  auto ids = c.req.query_values("id");
  if (!ids.empty()) {
    auto mapped = rewrite_ids(ids, share_to_dv());
    std::string target = c.req.path + "?";
    bool first = true;
    for (const auto& [k, v] : c.req.query) {
      if (k == "id") continue;
      if (!first) target += "&";
      target += url_encode(k) + "=" + url_encode(v);
      first = false;
    }
    // Repeated `id=` (every BN accepts it; Lodestar 1.5.1 answers [] to a comma list).
    for (const auto& m : mapped) {
      if (!first) target += "&";
      target += "id=" + url_encode(m);
      first = false;
    }
    up.target(target);
  }
  co_return co_await proxy_rewrite(c, std::move(up), true);
}

Task<BeastResponse> ValidatorApi::Impl::validators_post(const Ctx& c) {
  BeastRequest up = c.msg;
  if (!c.req.body.empty()) {
    auto body = rewrite_validators_body(c.req.body, share_to_dv());
    if (!body) co_return error_response(400, body.error());
    up.body() = std::move(*body);
  }
  co_return co_await proxy_rewrite(c, std::move(up), true);
}

Task<BeastResponse> ValidatorApi::Impl::validator_by_id(const Ctx& c) {
  BeastRequest up = c.msg;
  const auto& id = c.params.at("validator_id");
  if (id.size() == 98 && id.starts_with("0x")) {
    if (auto key = from_hex_fixed<48>(id); key) {
      auto ref = backend_.dv_of(*key);
      if (ref && !ref->own) {
        co_return error_response(400, "public share of another operator of the cluster, not this node's");
      }
      if (ref) {
        std::string target = "/eth/v1/beacon/states/" + c.params.at("state_id") + "/validators/" +
                             to_hex(ref->dv_pubkey);
        up.target(target);
      }
    }
  }
  co_return co_await proxy_rewrite(c, std::move(up), true);
}

Task<BeastResponse> ValidatorApi::Impl::proxy(const BeastRequest& msg) {
  ++stats_.proxied;
  auto r = co_await proxy_.forward(msg);
  if (!r) {
    ++stats_.proxy_failures;
    co_return error_response(502, "no beacon node answered: " + r.error());
  }
  co_return std::move(*r);
}

// ---- server ----

Result<void> ValidatorApi::Impl::start() {
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(options_.server.address, ec);
  if (ec) return std::unexpected(ec);
  tcp::endpoint ep(addr, options_.server.port);
  acceptor_.open(ep.protocol(), ec);
  if (ec) return std::unexpected(ec);
  acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  acceptor_.bind(ep, ec);
  if (ec) return std::unexpected(ec);
  acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return std::unexpected(ec);
  port_ = acceptor_.local_endpoint().port();
  accept_group_.spawn(accept_loop());
  return {};
}

Task<void> ValidatorApi::Impl::accept_loop() {
  for (;;) {
    auto accepted = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
    auto ec = std::get<0>(accepted);
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
      log::warn("validator API accept failed: {}", ec.message());
      continue;
    }
    if (stopping_) co_return;
    sessions_group_.spawn(session(std::move(std::get<1>(accepted)), next_id_++));
  }
}

Task<void> ValidatorApi::Impl::session(tcp::socket socket, std::uint64_t id) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  SessionState state{&stream, false};
  auto sessions = sessions_;
  sessions->emplace(id, &state);
  struct Erase {
    std::shared_ptr<std::map<std::uint64_t, SessionState*>> m;
    std::uint64_t id;
    ~Erase() { m->erase(id); }
  } erase{sessions, id};

  const auto& lim = options_.server.limits;
  for (;;) {
    if (stopping_) break;
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(lim.header_limit, UINT32_MAX)));
    parser.body_limit(lim.body_limit);
    stream.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(options_.server.idle_timeout));
    auto rres = co_await bhttp::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
    auto rec = std::get<0>(rres);
    BeastResponse res;
    bool keep_alive = false;
    if (rec == bhttp::error::header_limit || rec == bhttp::error::body_limit ||
        rec == bhttp::error::buffer_overflow) {
      res = error_response(413, "request above the size limit");
    } else if (rec == bhttp::error::end_of_stream || rec == asio::error::operation_aborted ||
               rec == beast::error::timeout || rec == asio::error::connection_reset || rec == asio::error::eof) {
      break;
    } else if (rec) {
      res = error_response(400, "malformed HTTP request: " + rec.message());
    } else {
      state.busy = true;
      BeastRequest msg = parser.release();
      keep_alive = msg.keep_alive();
      auto view = parse_view(msg);
      if (!view) {
        res = error_response(400, view.error());
      } else if (view->method == http::Method::kGet && view->path == "/eth/v1/events") {
        ++stats_.proxied;
        state.busy = false;  // a stream is idle as far as stop() is concerned: it is cancelled at once
        bool ok = co_await proxy_.stream(msg, stream);
        if (ok) break;  // the stream ended: the connection is done
        ++stats_.proxy_failures;
        state.busy = true;
        res = error_response(502, "no beacon node answered the event stream");
        keep_alive = false;
      } else {
        http::PathParams params;
        const Route* route = match(view->method, view->path, params);
        std::string failure;
        try {
          if (route != nullptr) {
            ++stats_.intercepted;
            Ctx ctx{msg, std::move(*view), std::move(params)};
            res = co_await route->handler(*this, ctx);
          } else {
            res = co_await proxy(msg);
          }
        } catch (const std::exception& e) {
          failure = e.what();
        }
        if (!failure.empty()) {
          log::warn("validator API handler failed: {}", failure);
          res = error_response(500, "internal error");
        }
      }
    }
    res.keep_alive(keep_alive && !stopping_);
    res.prepare_payload();
    stream.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(options_.server.write_timeout));
    auto wres = co_await bhttp::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
    state.busy = false;
    if (std::get<0>(wres) || !res.keep_alive()) break;
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream.socket().close(ignored);
}

Task<void> ValidatorApi::Impl::stop() {
  stopping_ = true;
  boost::system::error_code ec;
  acceptor_.close(ec);
  accept_group_.stop();
  co_await accept_group_.join();
  for (auto& [id, s] : *sessions_) {
    (void)id;
    if (!s->busy) s->stream->cancel();
  }
  auto joined = co_await runtime::with_timeout(sessions_group_.join(), options_.server.stop_grace);
  if (!joined) {
    sessions_group_.stop();
    co_await sessions_group_.join();
  }
}

// ---- public wrapper ----

ValidatorApi::ValidatorApi(runtime::Executor ex, Backend& backend, Options options, const Clock& clock)
    : impl_(std::make_unique<Impl>(ex, backend, std::move(options), clock)) {}

ValidatorApi::~ValidatorApi() {
  if (impl_) {
    boost::system::error_code ec;
    impl_->acceptor_.close(ec);
    impl_->accept_group_.stop();
    impl_->sessions_group_.stop();
  }
}

Result<void> ValidatorApi::start() {
  return impl_->start();
}

std::uint16_t ValidatorApi::port() const {
  return impl_->port_;
}

Task<void> ValidatorApi::stop() {
  co_await impl_->stop();
}

const Stats& ValidatorApi::stats() const {
  return impl_->stats_;
}

}  // namespace phx::beaconapi::vapi
