// `phalanx devnet --doppelganger`: devnet keystores (also the twin's full keys) and the doppelganger verdict.
#include <set>

#include "app/devnet.hpp"
#include "app/fs.hpp"
#include "base/bytes.hpp"
#include "base/secret.hpp"
#include "crypto/hash/random.hpp"
#include "crypto/keystore/eip2335.hpp"
#include "cluster/create.hpp"
#include "crypto/threshold/threshold.hpp"

namespace phx::app {

namespace fs = std::filesystem;

Result<void, std::string> write_devnet_keystores(const fs::path& dir,
                                                 std::span<const crypto::bls::SecretKey* const> keys) {
  for (std::size_t v = 0; v < keys.size(); ++v) {
    ByteArray<16> pw_bytes{};
    crypto::hash::random_bytes(pw_bytes);
    std::string pw = to_hex(pw_bytes, false);
    crypto::keystore::EncryptOptions opts;
    opts.kdf = crypto::keystore::Kdf::kScrypt;
    opts.cost = 16;  // scrypt N=16: devnet keys only
    auto json = crypto::keystore::encrypt(*keys[v], pw, opts);
    if (!json) return std::unexpected(dir.string() + ": keystore: " + json.error().message());
    auto base = dir / "validator_keys" / ("keystore-" + std::to_string(v));
    auto r = write_file_atomic(fs::path(base.string() + ".json"), as_bytes(*json), 0600, true);
    if (r) r = write_file_atomic(fs::path(base.string() + ".txt"), as_bytes(pw), 0400, true);
    secure_zero(pw.data(), pw.size());
    if (!r) return std::unexpected(dir.string() + ": " + r.error().message());
  }
  return {};
}

Result<void, std::string> write_twin_keys(const fs::path& dir, const cluster::CreatedCluster& c,
                                          std::uint32_t threshold) {
  std::vector<crypto::bls::SecretKey> full;
  for (std::size_t v = 0; v < c.lock.validators.size(); ++v) {
    std::vector<crypto::threshold::KeyShare> shares;
    for (std::uint32_t i = 0; i < threshold && i < c.nodes.size(); ++i)
      shares.push_back({c.nodes[i].shares[v].idx,
                        crypto::bls::SecretKey::from_bytes(c.nodes[i].shares[v].secret.to_bytes().view()).value()});
    auto key = crypto::threshold::recover_secret(shares, threshold);
    if (!key) return std::unexpected("twin keys: " + key.error().message());
    full.push_back(std::move(*key));
  }
  std::vector<const crypto::bls::SecretKey*> ptrs;
  for (const auto& k : full) ptrs.push_back(&k);
  return write_devnet_keystores(dir, ptrs);
}

std::vector<std::string> doppelganger_problems(DevnetDoppelganger mode, const std::vector<std::string>& node_logs,
                                               const std::vector<std::string>& pubkeys,
                                               const std::vector<DutyRow>& rows, bool watch_over) {
  std::vector<std::string> out;
  if (mode == DevnetDoppelganger::kOff) return out;
  std::uint64_t completed = 0, accepted = 0, rejected = 0;
  for (const auto& row : rows) {
    completed += row.completed;
    accepted += row.sim_accepted;
    rejected += row.rejected;
  }
  constexpr std::string_view kDetected = "doppelganger detected: validator ";
  auto detected = [&](const std::string& log) {
    std::set<std::string> keys;
    for (auto at = log.find(kDetected); at != std::string::npos; at = log.find(kDetected, at + 1))
      keys.insert(log.substr(at + kDetected.size(), 2 + 96));
    return keys;
  };
  for (std::size_t i = 0; i < node_logs.size(); ++i) {
    const auto keys = detected(node_logs[i]);
    const std::string who = "node " + std::to_string(i);
    if (mode == DevnetDoppelganger::kTwin) {
      for (const auto& pk : pubkeys)
        if (!keys.contains(pk)) out.push_back(who + " did not detect the twin signing for validator " + pk);
    } else if (!keys.empty()) {
      out.push_back(who + " detected a doppelganger of " + std::to_string(keys.size()) +
                    " validators in a cluster without one");
    }
  }
  if (mode == DevnetDoppelganger::kTwin) {
    if (completed != 0)
      out.push_back("the protected cluster completed " + std::to_string(completed) + " duties beside the twin");
    if (accepted == 0) out.push_back("the simulator accepted nothing from the twin");
    if (rejected != 0) out.push_back("the simulator rejected " + std::to_string(rejected) + " submissions");
  }
  if (mode != DevnetDoppelganger::kTwin && !node_logs.empty()) {
    const auto& last = node_logs.back();
    if (last.find("doppelganger protection: signing nothing") == std::string::npos)
      out.push_back("node " + std::to_string(node_logs.size() - 1) + " did not run doppelganger protection");
    else if (watch_over && last.find("doppelganger watch over: " + std::to_string(pubkeys.size()) + " validators safe") ==
                               std::string::npos)
      out.push_back("node " + std::to_string(node_logs.size() - 1) +
                    " did not finish its watch with every validator safe");
  }
  return out;
}

Result<void, std::string> write_node_folder(const fs::path& dir, const cluster::NodeArtifacts& node,
                                            const std::string& lock_json) {
  std::string key_hex = to_hex(node.enr_key.bytes(), false);
  auto r = write_file_atomic(dir / "charon-enr-private-key", as_bytes(key_hex), 0600, true);
  secure_zero(key_hex.data(), key_hex.size());
  if (r) r = write_file_atomic(dir / "cluster-lock.json", as_bytes(lock_json), 0644, true);
  if (!r) return std::unexpected(dir.string() + ": " + r.error().message());
  std::vector<const crypto::bls::SecretKey*> keys;
  for (const auto& s : node.shares) keys.push_back(&s.secret);
  return write_devnet_keystores(dir, keys);
}

void add_doppelganger_verdict(DevnetReport& r, const DevnetOptions& o, const fs::path& dir,
                              const std::vector<std::string>& validator_keys_hex, std::uint64_t slots_per_epoch) {
  std::vector<std::string> logs;
  for (std::size_t i = 0; i < o.nodes; ++i) logs.push_back(read_text(dir / ("node" + std::to_string(i)) / "node.log"));
  // node N-1 of join|restart watches epochs 0-1 (join) or 1-2 (restart); safe one slot into the next epoch.
  const std::uint64_t end_epoch = o.doppelganger == DevnetDoppelganger::kRestart ? 3 : 2;
  const bool watch_over = o.slots > end_epoch * slots_per_epoch + 2;
  auto problems = doppelganger_problems(o.doppelganger, logs, validator_keys_hex, r.rows, watch_over);
  r.problems.insert(r.problems.end(), problems.begin(), problems.end());
  r.extra["doppelganger"] = {{"scenario", std::string(to_string(o.doppelganger))},
                             {"problems", problems},
                             {"watch_over", watch_over}};
}

}  // namespace phx::app
