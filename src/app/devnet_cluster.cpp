// `phalanx devnet --node-dirs`: reads an existing cluster's operator folders (e.g. a DKG ceremony's output).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>

#include "app/devnet.hpp"
#include "app/fs.hpp"
#include "app/lock_cache.hpp"
#include "cluster/definition.hpp"
#include "cluster/enr.hpp"
#include "cluster/lock_verify.hpp"

namespace phx::app {

namespace fs = std::filesystem;

Result<ExistingCluster, std::string> load_existing_cluster(std::span<const fs::path> dirs) {
  if (dirs.empty()) return std::unexpected(std::string("--node-dirs: no folder given"));
  ExistingCluster out;
  std::optional<cluster::Lock> lock;
  std::vector<std::optional<fs::path>> by_operator;
  std::vector<crypto::k1::PublicKey> operators;
  for (const auto& dir : dirs) {
    const std::string where = "--node-dirs: " + dir.string();
    auto raw = read_file(dir / "cluster-lock.json", kMaxLockFileSize);
    if (!raw) return std::unexpected(where + ": cannot read cluster-lock.json: " + raw.error().message());
    std::string text(reinterpret_cast<const char*>(raw->data()), raw->size());
    if (!lock) {
      auto l = cluster::parse_lock(text);
      if (!l) return std::unexpected(where + ": cluster-lock.json: " + l.error().message());
      lock = std::move(*l);  // its signatures: verify_locks_once, before the devnet starts anything
      out.lock_json = text;
      for (std::size_t i = 0; i < lock->definition.operators.size(); ++i) {
        auto enr = cluster::Enr::parse(lock->definition.operators[i].enr);
        if (!enr) return std::unexpected(where + ": cluster-lock.json: operator " + std::to_string(i) + " has a bad ENR");
        operators.push_back(enr->public_key());
      }
      by_operator.resize(operators.size());
    } else {
      auto l = cluster::parse_lock(text);
      if (!l || l->lock_hash != lock->lock_hash)
        return std::unexpected(where + ": cluster-lock.json is not the same lock as in " + dirs.front().string());
    }
    auto key = read_operator_key(dir / "charon-enr-private-key");
    if (!key) return std::unexpected(where + ": charon-enr-private-key: " + key.error().message());
    const auto mine = key->public_key();
    auto it = std::find(operators.begin(), operators.end(), mine);
    if (it == operators.end()) return std::unexpected(where + ": its key is not one of the lock's operators");
    auto& slot = by_operator[static_cast<std::size_t>(it - operators.begin())];
    if (slot)
      return std::unexpected(where + ": holds the same operator key as " + slot->string());
    std::error_code ec;
    if (!fs::is_directory(dir / "validator_keys", ec))
      return std::unexpected(where + ": no validator_keys folder");
    slot = dir;
  }
  for (std::size_t i = 0; i < by_operator.size(); ++i) {
    if (!by_operator[i])
      return std::unexpected("--node-dirs: no folder holds the key of operator " + std::to_string(i) + " of " +
                             std::to_string(by_operator.size()) + " (give one folder per operator)");
    out.dirs.push_back(*by_operator[i]);
  }
  out.nodes = static_cast<std::uint32_t>(operators.size());
  out.threshold = static_cast<std::uint32_t>(lock->definition.threshold);
  for (const auto& v : lock->validators)
    out.pubkeys.emplace_back(v.distributed_public_key.begin(), v.distributed_public_key.end());
  std::copy(lock->definition.fork_version.begin(), lock->definition.fork_version.end(), out.fork_version.begin());
  std::copy(lock->lock_hash.begin(), lock->lock_hash.end(), out.lock_hash.begin());
  return out;
}

Result<void, std::string> verify_locks_once(std::span<const fs::path> lock_files, std::span<const fs::path> data_dirs) {
  std::vector<Bytes> verified;
  for (std::size_t i = 0; i < lock_files.size() && i < data_dirs.size(); ++i) {
    auto raw = read_file(lock_files[i], kMaxLockFileSize);
    if (!raw) return std::unexpected(lock_files[i].string() + ": " + raw.error().message());
    if (std::find(verified.begin(), verified.end(), *raw) == verified.end()) {
      const auto t0 = std::chrono::steady_clock::now();
      auto l = cluster::parse_lock(std::string_view(reinterpret_cast<const char*>(raw->data()), raw->size()));
      if (!l) return std::unexpected(lock_files[i].string() + ": " + l.error().message());
      if (auto ok = cluster::verify_lock(*l); !ok)
        return std::unexpected(lock_files[i].string() + " does not verify: " + ok.error().message());
      const auto ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
      if (l->validators.size() >= 1000)
        std::printf("devnet: cluster lock of %zu validators verified in %lld ms (once for every node)\n",
                    l->validators.size(), static_cast<long long>(ms));
      verified.push_back(std::move(*raw));
      raw = verified.back();
    }
    if (auto w = record_lock_verified(data_dirs[i], *raw); !w) return std::unexpected(w.error());
  }
  return {};
}

}  // namespace phx::app
