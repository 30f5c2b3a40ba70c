#pragma once
// Private to validator_api*.cpp: response helpers, request context, ValidatorApi::Impl shared state.
#include <algorithm>
#include <boost/beast/core/tcp_stream.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "base/log.hpp"
#include "beaconapi/vapi/codec.hpp"
#include "beaconapi/vapi/proxy.hpp"
#include "beaconapi/vapi/validator_api.hpp"

namespace phx::beaconapi::vapi {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;
using runtime::Task;
using ssz::Json;

namespace detail {

inline BeastResponse make_response(unsigned status, std::string_view content_type, std::string body) {
  BeastResponse res{static_cast<bhttp::status>(status), 11};
  res.set(bhttp::field::server, "phalanx");
  if (!content_type.empty()) res.set(bhttp::field::content_type, content_type);
  res.body() = std::move(body);
  return res;
}

inline BeastResponse json_response(const Json& j, unsigned status = 200) {
  return make_response(status, http::kJson, j.dump(-1, ' ', false, ssz::Json::error_handler_t::replace));
}

inline BeastResponse error_response(unsigned status, std::string_view message) {
  Json j = Json::object();
  j["code"] = status;
  j["message"] = std::string(message);
  return json_response(j, status);
}

inline BeastResponse error_response(const ApiError& e) {
  unsigned status = (e.status >= 400 && e.status <= 599) ? e.status : 500;
  return error_response(status, e.message);
}

inline BeastResponse ssz_response(const Bytes& bytes) {
  return make_response(200, http::kOctetStream, std::string(bytes.begin(), bytes.end()));
}

inline Json data_body(Json data) {
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

inline std::vector<std::string> split_path(std::string_view p) {
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
inline Result<std::uint64_t, std::string> query_u64(const http::Request& req, std::string_view key) {
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
inline std::vector<bool> verify_sets(const std::vector<crypto::bls::SignatureSet>& sets) {
  std::vector<bool> valid(sets.size(), true);
  if (sets.empty() || (sets.size() > 1 && crypto::bls::batch_verify(sets))) return valid;
  for (std::size_t i = 0; i < sets.size(); ++i)
    valid[i] = crypto::bls::verify(sets[i].pubkey, sets[i].message, sets[i].signature);
  return valid;
}

}  // namespace detail

using namespace detail;  // internal header: the handler files use the helpers unqualified

struct ValidatorApi::Impl {
  using Handler = std::function<Task<BeastResponse>(Impl&, const Ctx&)>;
  struct Route {
    http::Method method;
    std::vector<std::string> segments;
    Handler handler;
    std::string name;  ///< "POST /eth/v1/validator/beacon_committee_selections": Stats::routes' key
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
  std::set<std::uint64_t> fee_recipient_warned_;  // validator indices whose VC fee recipient was replaced
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
    std::vector<std::size_t> good_index;  // request positions of `good`
    for (std::size_t i = 0; i < ok.size(); ++i) {
      if (!valid[i]) {
        failures.emplace_back(ok[i].index, "invalid signature: does not verify against this node's public share");
        continue;
      }
      good_index.push_back(ok[i].index);
      good.push_back(PartialSignature{ok[i].dv_pubkey, ok[i].validator_index, ok[i].committee_index,
                                      std::move(ok[i].message), sets[i].signature});
    }
    stats_.partials_rejected += failures.size();
    if (!good.empty()) {
      stats_.partials_accepted += good.size();
      auto r = co_await guarded(backend_.submit_partials(kind, std::move(good)));
      if (!r && r.error().status != 400) co_return error_response(r.error());
      // A 400 (e.g. the duty's deadline passed) concerns every item passed on: the spec's 400 body of a pool
      // submission names the failing items.
      if (!r)
        for (std::size_t i : good_index) failures.emplace_back(i, r.error().message);
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
    routes_.push_back(Route{m, split_path(path), std::move(h),
                            std::string(m == http::Method::kGet ? "GET " : "POST ") + std::string(path)});
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
  Task<BeastResponse> prepare_proposers(const Ctx& c);
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
  /// Keeps the request's User-Agent in stats_ (sanitised).
  void note_user_agent(const BeastRequest& msg);
  Task<void> stop();
};

}  // namespace phx::beaconapi::vapi
