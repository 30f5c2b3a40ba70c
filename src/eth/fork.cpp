#include "eth/fork.hpp"

#include <set>

#include "eth/preset.hpp"

namespace phx::eth {
namespace {

constexpr std::array<std::string_view, kForkCount> kNames = {"phase0", "altair",  "bellatrix", "capella",
                                                             "deneb",  "electra", "fulu"};

ByteArray<4> v4(std::uint32_t be) {
  ByteArray<4> v{};
  put_be32(v.data(), be);
  return v;
}

Root root_hex(std::string_view h) {
  return *from_hex_fixed<32>(h);
}

ChainConfig make(std::string name, const std::array<std::uint32_t, kForkCount>& versions,
                 const std::array<std::uint64_t, kForkCount>& epochs, std::uint64_t seconds_per_slot,
                 std::uint64_t slots_per_epoch, std::uint64_t genesis_time, std::string_view gvr) {
  ChainConfig c;
  c.name = std::move(name);
  for (std::size_t i = 0; i < kForkCount; ++i) c.forks[i] = ForkEntry{v4(versions[i]), Epoch{epochs[i]}};
  c.seconds_per_slot = seconds_per_slot;
  c.slots_per_epoch = slots_per_epoch;
  c.genesis_time = genesis_time;
  c.genesis_validators_root = root_hex(gvr);
  return c;
}

constexpr std::uint64_t kFar = UINT64_MAX;

}  // namespace

std::string_view preset_name(Preset p) {
  switch (p) {
    case Preset::kMainnet:
      return "mainnet";
    case Preset::kGnosis:
      return "gnosis";
    case Preset::kMinimal:
      return "minimal";
  }
  return "mainnet";
}

std::optional<Preset> preset_from_name(std::string_view name) {
  if (name == "mainnet") return Preset::kMainnet;
  if (name == "gnosis") return Preset::kGnosis;
  if (name == "minimal") return Preset::kMinimal;
  return std::nullopt;
}

std::uint64_t epochs_per_sync_committee_period(Preset p) {
  switch (p) {
    case Preset::kMinimal:
      return 8;
    case Preset::kGnosis:
      return 512;
    case Preset::kMainnet:
      break;
  }
  return 256;
}

std::string_view fork_name(Fork f) {
  return kNames[static_cast<std::size_t>(f)];
}

std::optional<Fork> fork_from_name(std::string_view name) {
  for (std::size_t i = 0; i < kForkCount; ++i) {
    if (kNames[i] == name) return static_cast<Fork>(i);
  }
  return std::nullopt;
}

Fork ChainConfig::fork_at(Epoch epoch) const {
  std::size_t f = 0;
  for (std::size_t i = 1; i < kForkCount; ++i) {
    if (forks[i].epoch <= epoch) f = i;
  }
  return static_cast<Fork>(f);
}

bool ChainConfig::valid() const {
  if (forks[0].epoch != Epoch{0} || seconds_per_slot == 0 || slots_per_epoch == 0) return false;
  std::set<ByteArray<4>> seen;
  for (std::size_t i = 0; i < kForkCount; ++i) {
    if (i > 0 && forks[i].epoch < forks[i - 1].epoch) return false;
    if (forks[i].epoch != kFarFutureEpoch && !seen.insert(forks[i].version).second) return false;
  }
  return true;
}

const ChainConfig& mainnet_config() {
  static const ChainConfig c =
      make("mainnet", {0x00000000, 0x01000000, 0x02000000, 0x03000000, 0x04000000, 0x05000000, 0x06000000},
           {0, 74240, 144896, 194048, 269568, 364032, 411392}, 12, 32, 1606824023,
           "0x4b363db94e286120d76eb905340fdd4e54bfe9f06bf33ff6cf5ad27f511bfe95");
  return c;
}

const ChainConfig& sepolia_config() {
  static const ChainConfig c =
      make("sepolia", {0x90000069, 0x90000070, 0x90000071, 0x90000072, 0x90000073, 0x90000074, 0x90000075},
           {0, 50, 100, 56832, 132608, 222464, 272640}, 12, 32, 1655733600,
           "0xd8ea171f3c94aea21ebc42a1ed61052acf3f9209c00e4efbaaddac09ed9b8078");
  return c;
}

const ChainConfig& hoodi_config() {
  static const ChainConfig c =
      make("hoodi", {0x10000910, 0x20000910, 0x30000910, 0x40000910, 0x50000910, 0x60000910, 0x70000910},
           {0, 0, 0, 0, 0, 2048, 50688}, 12, 32, 1742213400,
           "0x212f13fc4df078b6cb7db228f1c8307566dcecf900867401a92023d7ba99cb5f");
  return c;
}

const ChainConfig& gnosis_config() {
  static const ChainConfig c =
      make("gnosis", {0x00000064, 0x01000064, 0x02000064, 0x03000064, 0x04000064, 0x05000064, 0x06000064},
           {0, 512, 385536, 648704, 889856, 1337856, kFar}, 5, 16, 1638993340,
           "0xf5dcb5564e829aab27264b9becd5dfaa017085611224cb3036f573368dbb9d47");
  static const ChainConfig g = [] {
    ChainConfig x = c;
    x.preset = Preset::kGnosis;
    x.epochs_per_sync_committee_period = epochs_per_sync_committee_period(Preset::kGnosis);
    return x;
  }();
  return g;
}

std::optional<ChainConfig> network_config(std::string_view name) {
  if (name == "mainnet") return mainnet_config();
  if (name == "sepolia") return sepolia_config();
  if (name == "hoodi") return hoodi_config();
  if (name == "gnosis") return gnosis_config();
  return std::nullopt;
}

ChainConfig devnet_config(Fork last_fork, std::uint64_t genesis_time, const Root& genesis_validators_root,
                          std::uint8_t network_id_byte, Preset preset) {
  ChainConfig c;
  c.name = "devnet";
  c.preset = preset;
  c.slots_per_epoch = preset == Preset::kMinimal  ? minimal::preset::kSlotsPerEpoch
                      : preset == Preset::kGnosis ? gnosis::preset::kSlotsPerEpoch
                                                  : mainnet::preset::kSlotsPerEpoch;
  c.epochs_per_sync_committee_period = epochs_per_sync_committee_period(preset);
  for (std::size_t i = 0; i < kForkCount; ++i) {
    c.forks[i].version = {static_cast<std::uint8_t>(i), 0, 0, network_id_byte};
    c.forks[i].epoch = i <= static_cast<std::size_t>(last_fork) ? Epoch{0} : kFarFutureEpoch;
  }
  c.genesis_time = genesis_time;
  c.genesis_validators_root = genesis_validators_root;
  return c;
}

}  // namespace phx::eth
