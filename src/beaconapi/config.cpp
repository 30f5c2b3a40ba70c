#include "beaconapi/config.hpp"

#include <algorithm>
#include <cctype>
#include <string>

#include "beaconapi/versioned.hpp"
#include "eth/preset_table.hpp"

namespace phx::beaconapi {
namespace {

using ssz::JsonError;

std::unexpected<JsonError> err(std::string path, std::string reason) {
  return std::unexpected(JsonError{std::move(path), std::move(reason)});
}

Result<const ssz::Json*, JsonError> data_of(const ssz::Json& body) {
  if (!body.is_object()) return err("", "expected an object");
  auto it = body.find("data");
  if (it == body.end()) return err("data", "missing field");
  return &*it;
}

Result<std::uint64_t, JsonError> spec_u64(const ssz::Json& data, const std::string& key) {
  auto it = data.find(key);
  if (it == data.end()) return err("data." + key, "missing field");
  if (!it->is_string()) return err("data." + key, "expected a decimal string");
  auto v = ssz::dec_to_u64(it->get_ref<const std::string&>());
  if (!v) return err("data." + key, v.error());
  return *v;
}

Result<eth::Version, JsonError> spec_version(const ssz::Json& data, const std::string& key) {
  auto it = data.find(key);
  if (it == data.end()) return err("data." + key, "missing field");
  auto v = ssz::from_json<eth::Version>(*it, "data." + key);
  if (!v) return std::unexpected(v.error());
  return *v;
}


}  // namespace

bool is_known_envelope_key(std::string_view key) {
  static constexpr std::string_view kKeys[] = {"version",
                                               "data",
                                               "execution_optimistic",
                                               "finalized",
                                               "dependent_root",
                                               "execution_payload_blinded",
                                               "execution_payload_value",
                                               "consensus_block_value",
                                               "block_value"};  // Lodestar 1.5.1 produceBlockV2
  return std::find(std::begin(kKeys), std::end(kKeys), key) != std::end(kKeys);
}

std::vector<std::string> unknown_envelope_keys(const ssz::Json& j) {
  std::vector<std::string> out;
  if (!j.is_object()) return out;
  for (auto it = j.begin(); it != j.end(); ++it)
    if (!is_known_envelope_key(it.key())) out.push_back(it.key());
  return out;
}

Result<Genesis, JsonError> parse_genesis(const ssz::Json& body) {
  auto d = data_of(body);
  if (!d) return std::unexpected(d.error());
  return ssz::from_json<Genesis>(**d, "data");
}

Result<std::vector<eth::phase0::Fork>, JsonError> parse_fork_schedule(const ssz::Json& body) {
  auto d = data_of(body);
  if (!d) return std::unexpected(d.error());
  if (!(*d)->is_array()) return err("data", "expected an array");
  std::vector<eth::phase0::Fork> out;
  for (std::size_t i = 0; i < (*d)->size(); ++i) {
    auto f = ssz::from_json<eth::phase0::Fork>((**d)[i], "data[" + std::to_string(i) + "]");
    if (!f) return std::unexpected(f.error());
    out.push_back(*f);
  }
  return out;
}

Result<eth::ChainConfig, JsonError> parse_spec(const ssz::Json& body, const Genesis& genesis) {
  auto dp = data_of(body);
  if (!dp) return std::unexpected(dp.error());
  const ssz::Json& d = **dp;
  if (!d.is_object()) return err("data", "expected an object");
  eth::ChainConfig c;
  if (auto it = d.find("CONFIG_NAME"); it != d.end() && it->is_string()) c.name = it->get<std::string>();
  if (auto it = d.find("PRESET_BASE"); it != d.end()) {
    if (!it->is_string()) return err("data.PRESET_BASE", "expected a string");
    auto p = eth::preset_from_name(it->get_ref<const std::string&>());
    if (!p) return err("data.PRESET_BASE", "unsupported preset \"" + it->get<std::string>() + "\"");
    c.preset = *p;
  }
  auto gv = spec_version(d, "GENESIS_FORK_VERSION");
  if (!gv) return std::unexpected(gv.error());
  c.forks[0] = {*gv, Epoch{0}};
  for (std::size_t i = 1; i < eth::kForkCount; ++i) {
    std::string up(eth::fork_name(static_cast<eth::Fork>(i)));
    std::transform(up.begin(), up.end(), up.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
    // Deneb was called EIP4844 in clients of early 2023 (Lodestar 1.5.1).
    if (up == "DENEB" && d.find("DENEB_FORK_VERSION") == d.end() && d.find("EIP4844_FORK_VERSION") != d.end())
      up = "EIP4844";
    if (d.find(up + "_FORK_VERSION") == d.end()) continue;  // a fork this node does not know: unscheduled
    auto v = spec_version(d, up + "_FORK_VERSION");
    if (!v) return std::unexpected(v.error());
    auto e = spec_u64(d, up + "_FORK_EPOCH");
    if (!e) return std::unexpected(e.error());
    c.forks[i] = {*v, Epoch{*e}};
  }
  if (d.find("SECONDS_PER_SLOT") != d.end()) {
    auto s = spec_u64(d, "SECONDS_PER_SLOT");
    if (!s) return std::unexpected(s.error());
    c.seconds_per_slot = *s;
  } else {
    auto ms = spec_u64(d, "SLOT_DURATION_MS");
    if (!ms) return err("data.SECONDS_PER_SLOT", "missing field");
    c.seconds_per_slot = *ms / 1000;
  }
  auto spe = spec_u64(d, "SLOTS_PER_EPOCH");
  if (!spe) return std::unexpected(spe.error());
  c.slots_per_epoch = *spe;
  c.epochs_per_sync_committee_period = eth::epochs_per_sync_committee_period(c.preset);
  if (d.find("EPOCHS_PER_SYNC_COMMITTEE_PERIOD") != d.end()) {
    auto p = spec_u64(d, "EPOCHS_PER_SYNC_COMMITTEE_PERIOD");
    if (!p) return std::unexpected(p.error());
    if (*p == 0) return err("data.EPOCHS_PER_SYNC_COMMITTEE_PERIOD", "must be positive");
    c.epochs_per_sync_committee_period = *p;
  }
  // Every preset value of every scheduled fork must be the preset's (eth/preset_table.hpp, from consensus-specs
  // presets/): a BN that answers with others is reachable but incompatible, and every differing key is named.
  // Keys of unscheduled forks are not compared (a client may still carry a draft value for them).
  std::string differing;
  for (const auto& pv : eth::preset_values(c.preset)) {
    if (c.forks[static_cast<std::size_t>(pv.fork)].epoch == eth::kFarFutureEpoch) continue;
    const std::string key(pv.key);
    if (d.find(key) == d.end()) continue;
    auto v = spec_u64(d, key);
    if (!v) return std::unexpected(v.error());
    if (*v != pv.value) {
      differing += (differing.empty() ? "" : ", ") + key + " is " + std::to_string(*v) + " (Phalanx: " +
                   std::to_string(pv.value) + ")";
    }
  }
  if (!differing.empty()) {
    return err("data", "incompatible " + std::string(eth::preset_name(c.preset)) + " preset: " + differing);
  }
  c.genesis_time = genesis.genesis_time;
  c.genesis_validators_root = genesis.genesis_validators_root;
  if (!c.valid()) return err("data", "inconsistent fork schedule");
  // getGenesis' genesis_fork_version is GENESIS_FORK_VERSION on most BNs, but the genesis state's
  // fork.current_version (the fork active at epoch 0, e.g. Altair) on others (Lodestar): accept either.
  if (genesis.genesis_fork_version != c.genesis_fork_version() &&
      genesis.genesis_fork_version != c.version_at(Epoch{0}))
    return err("data.GENESIS_FORK_VERSION", "differs from the genesis (neither it nor the fork at epoch 0)");
  return c;
}

Result<void, JsonError> check_fork_schedule(const eth::ChainConfig& config,
                                            const std::vector<eth::phase0::Fork>& schedule) {
  for (std::size_t i = 0; i < schedule.size(); ++i) {
    const auto& f = schedule[i];
    if (f.epoch == eth::kFarFutureEpoch) continue;  // unscheduled: names of future forks differ between clients
    const bool found = std::any_of(config.forks.begin(), config.forks.end(), [&](const eth::ForkEntry& e) {
      return e.version == f.current_version && e.epoch == f.epoch;
    });
    if (!found) return err("data[" + std::to_string(i) + "]", "fork not in the node's spec schedule");
  }
  return {};
}

}  // namespace phx::beaconapi
