// Loading the operator key and the cluster lock (load_cluster), for `phalanx run` and the standalone CLI.
#include "app/cluster_setup.hpp"

#include <chrono>

#include "app/fs.hpp"
#include "app/lock_cache.hpp"
#include "base/log.hpp"
#include "cluster/enr.hpp"
#include "cluster/lock_verify.hpp"

namespace phx::app {

namespace k1 = crypto::k1;

Result<k1::SecretKey, std::string> load_operator_key(const std::filesystem::path& path) {
  auto sk = read_operator_key(path);
  if (!sk) return std::unexpected("--private-key-file: cannot use " + path.string() + ": " + sk.error().message());
  return std::move(*sk);
}

Result<LockKeys, std::string> load_lock(const NodeConfig& cfg) {
  auto raw = read_file(cfg.lock_file, kMaxLockFileSize);
  if (!raw) return std::unexpected("--lock-file: cannot read " + cfg.lock_file.string() + ": " + raw.error().message());
  auto lock = cluster::parse_lock(std::string_view(reinterpret_cast<const char*>(raw->data()), raw->size()));
  if (!lock) return std::unexpected("--lock-file: " + cfg.lock_file.string() + ": " + lock.error().message());
  // Verified once per lock file: the marker in the data dir names the SHA-256 of bytes that passed (a
  // 10,000-validator lock costs ~17 s of BLS checks on one core; a restart need not pay them again).
  if (lock_verified_before(cfg.data_dir, *raw)) {
    log::info("cluster lock: the same bytes were verified before ({}), not verified again",
              (cfg.data_dir / kLockVerifiedFile).string());
  } else {
    const auto t0 = std::chrono::steady_clock::now();
    if (auto ok = cluster::verify_lock(*lock); !ok)
      return std::unexpected("--lock-file: " + cfg.lock_file.string() + " does not verify: " + ok.error().message());
    log::info("cluster lock verified: {} validators in {} ms", lock->validators.size(),
              std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count());
    if (auto w = record_lock_verified(cfg.data_dir, *raw); !w)
      log::warn("cluster lock: cannot record its verification ({}); it is verified again at the next start", w.error());
  }
  // A lock that a reshare replaced must not run again (its shares may be deleted, its operators gone): every
  // folder that may be the operator's data directory is checked for the reshare's record.
  for (const auto& dir : {cfg.private_key_file.parent_path(), cfg.lock_file.parent_path(), cfg.data_dir})
    if (auto ok = check_not_superseded(dir.empty() ? "." : dir, lock->lock_hash); !ok)
      return std::unexpected("--lock-file: " + cfg.lock_file.string() + ": " + ok.error());
  std::vector<core::LockValidator> vals;
  for (const auto& v : lock->validators) {
    core::LockValidator lv;
    lv.distributed_public_key.assign(v.distributed_public_key.begin(), v.distributed_public_key.end());
    for (const auto& s : v.public_shares) lv.public_shares.emplace_back(s.begin(), s.end());
    vals.push_back(std::move(lv));
  }
  auto book = core::KeyBook::from_lock(vals, static_cast<std::uint32_t>(lock->definition.threshold));
  if (!book) return std::unexpected("--lock-file: validator keys are inconsistent: " + book.error().message());
  return LockKeys{std::move(*lock), std::move(*book)};
}

Result<ClusterSetup, std::string> load_cluster(const NodeConfig& cfg, const k1::SecretKey& key) {
  auto lk = load_lock(cfg);
  if (!lk) return std::unexpected(lk.error());
  ClusterSetup out{std::move(lk->lock), std::move(lk->book), {}, {}, {}};
  const auto& ops = out.lock.definition.operators;
  const k1::PublicKey mine = key.public_key();
  std::optional<std::size_t> self;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    auto enr = cluster::Enr::parse(ops[i].enr);
    if (!enr) return std::unexpected("--lock-file: operator " + std::to_string(i) + " has a bad ENR");
    out.operators.push_back(enr->public_key());
    if (enr->public_key() == mine) self = i;
    std::optional<p2p::Endpoint> ep;
    if (enr->ip() && enr->tcp()) {
      const auto ip = *enr->ip();
      ep = p2p::Endpoint{std::to_string(ip[0]) + "." + std::to_string(ip[1]) + "." + std::to_string(ip[2]) + "." +
                             std::to_string(ip[3]),
                         *enr->tcp()};
    }
    out.addresses.push_back(ep);
  }
  if (!self)
    return std::unexpected("--private-key-file: this key is not one of the lock's operators (" +
                           cfg.private_key_file.string() + ")");
  out.self = OperatorIdx{static_cast<std::uint32_t>(*self)};
  if (!cfg.p2p_peers.empty()) {
    if (cfg.p2p_peers.size() != ops.size())
      return std::unexpected("--p2p-peers: expected " + std::to_string(ops.size()) +
                             " host:port entries (one per operator, in lock order)");
    for (std::size_t i = 0; i < ops.size(); ++i) {
      auto ep = p2p::Endpoint::parse(cfg.p2p_peers[i]);
      if (!ep) return std::unexpected("--p2p-peers: bad entry \"" + cfg.p2p_peers[i] + "\"");
      out.addresses[i] = *ep;
    }
  }
  out.addresses[*self] = std::nullopt;
  return out;
}

}  // namespace phx::app
