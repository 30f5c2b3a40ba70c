// `phalanx exit` without a running node: beacon-node calls, standalone signing, exit files (see exit_offline.hpp).
#include "exit_offline.hpp"

#include <algorithm>
#include <chrono>

#include "app/cluster_setup.hpp"
#include "app/fs.hpp"
#include "app/keystores.hpp"
#include "base/bytes.hpp"
#include "core/scheduler.hpp"
#include "node_http.hpp"

namespace phx::tools::exits {

namespace fs = std::filesystem;
namespace http = beaconapi::http;
using app::PartialExit;
using eth::phase0::SignedVoluntaryExit;

namespace {

constexpr std::size_t kMaxExitFile = 64u << 20;

std::string text_of(const Bytes& b) { return std::string(reinterpret_cast<const char*>(b.data()), b.size()); }

std::string describe(const http::ClientError& e) {
  std::string s = e.code.message();
  if (e.status != 0) s += " (HTTP " + std::to_string(e.status) + ")";
  if (!e.message.empty()) s += ": " + e.message;
  return s;
}

/// exit-0x<96 hex>.json → the validator key.
std::optional<core::PubKey> pubkey_from_name(const fs::path& p) {
  const std::string name = p.filename().string();
  if (name.size() != 5 + 98 + 5 || name.rfind("exit-0x", 0) != 0 || !name.ends_with(".json")) return std::nullopt;
  auto b = from_hex_fixed<48>(name.substr(5, 98));
  if (!b) return std::nullopt;
  return *b;
}

}  // namespace

Result<std::unique_ptr<Bn>, std::string> connect_bn(const std::vector<std::string>& urls, Duration timeout) {
  if (urls.empty()) return std::unexpected(std::string("--beacon-node-endpoints: at least one URL is required"));
  std::vector<http::Endpoint> eps;
  for (const auto& u : urls) {
    auto ep = http::Endpoint::parse(u);
    if (!ep) return std::unexpected("--beacon-node-endpoints: bad URL \"" + u + "\" (expected http://host:port)");
    eps.push_back(*ep);
  }
  auto bn = std::make_unique<Bn>();
  http::BnClientOptions opts;
  opts.timeout = timeout;
  bn->client = std::make_unique<http::BeaconNodeClient>(std::move(eps), opts);
  auto c = run_blocking(bn->io, bn->client->chain_config());
  if (!c || !*c)
    return std::unexpected("--beacon-node-endpoints: cannot read the chain configuration: " +
                           (c ? describe(c->error()) : std::string("internal error")));
  bn->config = **c;
  return bn;
}

Result<std::map<core::PubKey, http::ValidatorInfo>, std::string> lookup_validators(
    Bn& bn, const std::vector<core::PubKey>& pubkeys) {
  std::map<core::PubKey, http::ValidatorInfo> out;
  if (pubkeys.empty()) return out;
  std::vector<eth::BLSPubkey> ids(pubkeys.begin(), pubkeys.end());
  auto r = run_blocking(bn.io, bn.client->validators_by_pubkey("head", std::move(ids)));
  if (!r || !*r)
    return std::unexpected("the beacon node did not list the validators: " +
                           (r ? describe(r->error()) : std::string("internal error")));
  for (auto& v : **r) out.emplace(v.validator.pubkey, std::move(v));
  return out;
}

Result<void, std::string> submit_exit(Bn& bn, const SignedVoluntaryExit& exit) {
  auto r = run_blocking(bn.io, bn.client->submit_voluntary_exit(exit));
  if (!r) return std::unexpected(std::string("internal error"));
  if (!*r) return std::unexpected(describe(r->error()));
  return {};
}

Epoch current_epoch(const eth::ChainConfig& config) {
  return config.epoch_at(core::SlotClock(config).slot_at(SystemClock().now()));
}

Result<SignOutcome, std::string> sign_standalone(const SignRequest& req, Bn& bn) {
  auto key = app::load_operator_key(req.node.private_key_file);
  if (!key) return std::unexpected(key.error());
  auto setup = app::load_cluster(req.node, *key);
  if (!setup) return std::unexpected(setup.error());
  const core::KeyBook& book = setup->book;
  const ShareIdx share{setup->self.value + 1};
  std::vector<core::PubKey> pubkeys = req.pubkeys;
  if (req.all)
    for (const auto& [pk, v] : book.validators()) pubkeys.push_back(pk);
  for (const auto& pk : pubkeys)
    if (book.find(pk) == nullptr)
      return std::unexpected("--validator-public-keys: " + to_hex(pk) + " is not a validator of the lock " +
                             req.node.lock_file.string());
  if (req.validator_index && pubkeys.size() != 1)
    return std::unexpected(std::string("--validator-index: only with exactly one validator"));
  std::map<core::PubKey, ValidatorIndex> index;
  if (req.validator_index) {
    index[pubkeys[0]] = *req.validator_index;
  } else {
    auto known = lookup_validators(bn, pubkeys);
    if (!known) return std::unexpected(known.error());
    for (const auto& pk : pubkeys) {
      auto it = known->find(pk);
      if (it == known->end())
        return std::unexpected("the beacon node does not know validator " + to_hex(pk) +
                               " (not deposited or not active yet); nothing signed");
      index[pk] = it->second.index;
    }
  }
  const Epoch epoch = req.exit_epoch.value_or(current_epoch(bn.config));
  if (epoch.value > current_epoch(bn.config).value)
    return std::unexpected("--exit-epoch " + std::to_string(epoch.value) + " is in the future (current epoch " +
                           std::to_string(current_epoch(bn.config).value) + ")");

  SignOutcome out;
  out.share_idx = share;
  out.file = req.out.empty() ? fs::path("partial-exits-share-" + std::to_string(share.value) + ".json") : req.out;
  app::PartialExitsFile file{setup->lock.lock_hash, {}};
  std::error_code ec;
  if (fs::exists(out.file, ec)) {
    auto raw = app::read_file(out.file, kMaxExitFile);
    if (!raw) return std::unexpected(out.file.string() + ": " + raw.error().message());
    auto old = app::parse_partial_exits(text_of(*raw));
    if (!old) return std::unexpected(out.file.string() + ": " + old.error() + " (not overwritten)");
    if (old->lock_hash && *old->lock_hash != setup->lock.lock_hash)
      return std::unexpected(out.file.string() + " holds partial exits of another cluster lock; not overwritten");
    for (const auto& p : old->partials)
      if (p.share_idx != share)
        return std::unexpected(out.file.string() + " holds another operator's partial exits (share " +
                               std::to_string(p.share_idx.value) + "); not overwritten");
    file.partials = std::move(old->partials);
  }
  {
    // The share keys live only in this scope (zeroized by SecretKey's destructor).
    auto keys = app::load_share_keys(req.node.keystores_dir, book, share);
    if (!keys) return std::unexpected("--validator-keys-dir: " + keys.error());
    app::ExitBook check(bn.config, book);
    for (const auto& pk : pubkeys) {
      const eth::phase0::VoluntaryExit exit{epoch, index.at(pk)};
      auto sk = keys->find(pk);
      if (sk == keys->end()) return std::unexpected("--validator-keys-dir: no share keystore for " + to_hex(pk));
      PartialExit p{pk, exit, share, sk->second.sign(app::exit_signing_root(bn.config, exit)).to_bytes()};
      if (auto ok = check.add(p); !ok) return std::unexpected("signed a partial that does not verify: " + ok.error());
      // One partial per validator in a file: a new epoch replaces the old one.
      std::erase_if(file.partials, [&](const PartialExit& q) { return q.pubkey == pk; });
      file.partials.push_back(p);
      out.signed_now.push_back(p);
    }
  }
  const std::string text = app::partial_exits_text(file);
  if (auto w = app::write_file_atomic(out.file, as_bytes(text), 0600, true); !w)
    return std::unexpected(out.file.string() + ": " + w.error().message());
  return out;
}

Result<std::vector<fs::path>, std::string> json_files_in(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return std::unexpected("--exit-from-dir: " + dir.string() + " is not a folder");
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_regular_file() && e.path().extension() == ".json") out.push_back(e.path());
  if (ec) return std::unexpected("--exit-from-dir: cannot read " + dir.string() + ": " + ec.message());
  if (out.empty()) return std::unexpected("--exit-from-dir: no *.json exit file in " + dir.string());
  std::sort(out.begin(), out.end());
  return out;
}

Result<Collected, std::string> collect_files(const std::vector<fs::path>& files, const app::NodeConfig& lock_cfg,
                                             std::optional<core::PubKey> only_pubkey, Bn& bn) {
  std::optional<app::LockKeys> lock;
  std::string lock_error;
  auto need_lock = [&]() -> const app::LockKeys* {
    if (!lock && lock_error.empty()) {
      auto l = app::load_lock(lock_cfg);
      if (l)
        lock.emplace(std::move(*l));
      else
        lock_error = l.error();
    }
    return lock ? &*lock : nullptr;
  };
  std::optional<std::map<ValidatorIndex, core::PubKey>> by_index;  // the lock's validators at the BN
  std::optional<app::ExitBook> book;
  Collected out;
  for (const auto& f : files) {
    auto raw = app::read_file(f, kMaxExitFile);
    if (!raw) return std::unexpected(f.string() + ": " + raw.error().message());
    const std::string text = text_of(*raw);
    if (auto full = app::parse_signed_exit(text)) {
      std::optional<core::PubKey> pk = pubkey_from_name(f);
      if (!pk && need_lock() != nullptr) {
        if (!by_index) {
          std::vector<core::PubKey> all;
          for (const auto& [k, v] : lock->book.validators()) all.push_back(k);
          auto known = lookup_validators(bn, all);
          if (!known) return std::unexpected(known.error());
          by_index.emplace();
          for (const auto& [k, info] : *known) (*by_index)[info.index] = k;
        }
        if (auto it = by_index->find(full->message.validator_index); it != by_index->end()) pk = it->second;
      }
      if (!pk) pk = only_pubkey;
      if (!pk)
        return std::unexpected(f.string() + ": a signed exit of validator index " +
                               std::to_string(full->message.validator_index.value) +
                               ", whose key is not in the file name (exit-0x<pubkey>.json), the lock or "
                               "--validator-public-keys");
      out.full[*pk] = *full;
      continue;
    }
    auto parts = app::parse_partial_exits(text);
    if (!parts) {
      auto as_full = app::parse_signed_exit(text);
      return std::unexpected(f.string() + ": neither a signed exit (" + as_full.error() + ") nor a partial-exits file (" +
                             parts.error() + ")");
    }
    const app::LockKeys* l = need_lock();
    if (l == nullptr)
      return std::unexpected(f.string() + ": partial exits need the cluster lock to verify and recombine them: " +
                             lock_error);
    if (parts->lock_hash && *parts->lock_hash != l->lock.lock_hash)
      return std::unexpected(f.string() + ": partial exits of another cluster (lock " + to_hex(*parts->lock_hash) +
                             ", not " + to_hex(l->lock.lock_hash) + " of " + lock_cfg.lock_file.string() + ")");
    if (!book) book.emplace(bn.config, l->book);
    for (const auto& p : parts->partials)
      if (auto ok = book->add(p); !ok) return std::unexpected(f.string() + ": refused: " + ok.error());
  }
  if (book) {
    for (const auto& [pk, entries] : book->entries()) {
      if (auto full = book->full_exit(pk)) {
        if (!out.full.contains(pk)) out.full[pk] = *full;
        continue;
      }
      std::size_t most = 0;
      std::string shares;
      for (const auto& e : entries) {
        if (e.partials.size() <= most) continue;
        most = e.partials.size();
        shares.clear();
        for (const auto& [idx, s] : e.partials) shares += (shares.empty() ? "" : ",") + std::to_string(idx);
      }
      out.incomplete[pk] = std::to_string(most) + " of " + std::to_string(lock->book.threshold()) +
                           " agreeing partials (shares " + shares + "): not enough to recombine";
    }
  }
  return out;
}

Result<std::vector<fs::path>, std::string> write_full_exits(const fs::path& out,
                                                             const std::map<core::PubKey, SignedVoluntaryExit>& exits) {
  std::vector<fs::path> written;
  if (exits.size() == 1) {
    const std::string text = app::signed_exit_text(exits.begin()->second);
    if (auto w = app::write_file_atomic(out, as_bytes(text), 0600, true); !w)
      return std::unexpected("--publish-to-file: " + out.string() + ": " + w.error().message());
    written.push_back(out);
    return written;
  }
  std::error_code ec;
  fs::create_directories(out, ec);
  if (!fs::is_directory(out, ec))
    return std::unexpected("--publish-to-file: " + out.string() +
                           " must be a folder when several exits are written (one exit-0x<pubkey>.json each)");
  fs::permissions(out, fs::perms::owner_all, ec);
  for (const auto& [pk, e] : exits) {
    const fs::path p = out / ("exit-" + to_hex(pk) + ".json");
    const std::string text = app::signed_exit_text(e);
    if (auto w = app::write_file_atomic(p, as_bytes(text), 0600, true); !w)
      return std::unexpected("--publish-to-file: " + p.string() + ": " + w.error().message());
    written.push_back(p);
  }
  return written;
}

}  // namespace phx::tools::exits
