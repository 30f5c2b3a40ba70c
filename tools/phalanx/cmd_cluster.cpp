// `phalanx create cluster`, `phalanx combine`, `phalanx lock verify`: the file side of cluster artifacts.
// Layout of a node folder (Charon's): charon-enr-private-key (0600), cluster-lock.json,
// validator_keys/keystore-N.json (0600) + keystore-N.txt (0400), deposit-data*.json.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <regex>
#include <span>
#include <string>

#include "app/fs.hpp"
#include "base/progress.hpp"
#include "cluster/create.hpp"
#include "cluster/deposit.hpp"
#include "cluster/lock_verify.hpp"
#include "commands.hpp"
#include "crypto/hash/random.hpp"
#include "crypto/keystore/eip2335.hpp"

namespace phx::tools {
namespace {

namespace fs = std::filesystem;
namespace bls = crypto::bls;
namespace ks = crypto::keystore;

int error(const std::string& msg) {
  std::fprintf(stderr, "error: %s\n", msg.c_str());
  return 1;
}

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    auto end = s.find(',', start);
    if (end == std::string::npos) end = s.size();
    if (end > start) out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::string random_password() {
  ByteArray<16> b{};
  crypto::hash::random_bytes(b);
  auto s = to_hex(b, false);
  secure_zero(b.data(), b.size());
  return s;
}

Result<std::string> read_text(const fs::path& p, std::size_t max_size = 16u << 20) {
  auto b = app::read_file(p, max_size);
  if (!b) return std::unexpected(b.error());
  std::string s(b->begin(), b->end());
  secure_zero(b->data(), b->size());
  return s;
}

/// One keystore to write: keystore-N.json (0600) and keystore-N.txt (0400) in `dir`.
struct KeystoreToWrite {
  fs::path dir;
  std::size_t n = 0;
  const bls::SecretKey* sk = nullptr;
};

/// Encrypts every key under a fresh random password on every core (each core derives hash::kPbkdf2Lanes PBKDF2
/// keys interleaved), showing `what` as a progress line, then writes the files. `kdf` ("pbkdf2" or "scrypt",
/// checked by the flag) at EIP-2335's cost 2^18, or scrypt N = 16 when `insecure`.
std::expected<void, std::string> write_keystores(std::span<const KeystoreToWrite> keys, bool insecure,
                                                 const std::string& kdf, bool force, const std::string& what) {
  ks::EncryptOptions o;
  o.kdf = ks::kdf_from_string(kdf).value_or(ks::Kdf::kPbkdf2);
  if (insecure) {
    o.kdf = ks::Kdf::kScrypt;
    o.cost = 16;  // scrypt N=16: test clusters only
  }
  std::vector<std::string> passwords;
  std::vector<ks::EncryptJob> jobs;
  passwords.reserve(keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) passwords.push_back(random_password());
  for (std::size_t i = 0; i < keys.size(); ++i) jobs.push_back(ks::EncryptJob{keys[i].sk, passwords[i]});
  auto progress = stderr_progress(what, keys.size());
  auto jsons = ks::encrypt_all(jobs, o, 0, [&](std::size_t done) { progress.set(done); });
  progress.finish();
  std::expected<void, std::string> out;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const auto base = keys[i].dir / ("keystore-" + std::to_string(keys[i].n));
    if (out && !jsons[i]) out = std::unexpected(base.string() + ".json: " + jsons[i].error().message());
    if (out) {
      auto r = app::write_file_atomic(fs::path(base.string() + ".json"), as_bytes(*jsons[i]), 0600, force);
      if (r) r = app::write_file_atomic(fs::path(base.string() + ".txt"), as_bytes(passwords[i]), 0400, force);
      if (!r) out = std::unexpected(base.string() + ": " + r.error().message());
    }
    secure_zero(passwords[i].data(), passwords[i].size());
    if (jsons[i]) secure_zero(jsons[i]->data(), jsons[i]->size());
  }
  return out;
}

/// keystore-*.json files of a folder with their passwords, sorted by N.
struct KeystoreFile {
  std::size_t n;
  fs::path json;
  fs::path txt;
};
Result<std::vector<KeystoreFile>> list_keystores(const fs::path& dir) {
  std::vector<KeystoreFile> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return fail(app::FsError::kNotFound);
  static const std::regex kName("keystore-([0-9]{1,6})\\.json");
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::smatch m;
    std::string name = e.path().filename().string();
    if (!std::regex_match(name, m, kName)) continue;
    fs::path txt = e.path();
    txt.replace_extension(".txt");
    out.push_back({std::stoul(m[1]), e.path(), txt});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.n < b.n; });
  return out;
}

/// Decrypts keystores with the passwords in their .txt files on every core, showing `what` as a progress line;
/// the error names the first failing file.
std::expected<std::vector<bls::SecretKey>, std::string> load_keystores(std::span<const KeystoreFile> files,
                                                                       const std::string& what) {
  std::vector<std::string> jsons, passwords;
  for (const auto& f : files) {
    auto json = read_text(f.json);
    auto pw = read_text(f.txt);
    if (!json || !pw) {
      for (auto& p : passwords) secure_zero(p.data(), p.size());
      if (pw) secure_zero(pw->data(), pw->size());
      return std::unexpected(f.json.string() + ": keystore or its .txt password file is unreadable");
    }
    while (!pw->empty() && (pw->back() == '\n' || pw->back() == '\r')) pw->pop_back();
    jsons.push_back(std::move(*json));
    passwords.push_back(std::move(*pw));
  }
  std::vector<ks::DecryptJob> jobs;
  for (std::size_t i = 0; i < files.size(); ++i) jobs.push_back(ks::DecryptJob{jsons[i], passwords[i]});
  auto progress = stderr_progress(what, files.size());
  auto keys = ks::decrypt_all(jobs, 0, [&](std::size_t done) { progress.set(done); });
  progress.finish();
  for (auto& p : passwords) secure_zero(p.data(), p.size());
  std::vector<bls::SecretKey> out;
  out.reserve(keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (!keys[i]) return std::unexpected(files[i].json.string() + ": " + keys[i].error().message());
    out.push_back(std::move(*keys[i]));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
struct CreateClusterOptions {
  std::uint32_t nodes = 4;
  std::uint32_t threshold = 0;
  std::uint32_t num_validators = 1;
  std::string network = "mainnet";
  std::string testnet_fork_version;  // Charon's --testnet-* flags: a custom network
  std::string testnet_name = "testnet";
  std::uint64_t testnet_chain_id = 0;
  std::uint64_t testnet_genesis_timestamp = 0;
  std::string withdrawal_addresses;
  std::string fee_recipient_addresses;
  std::string deposit_amounts;
  std::string cluster_dir = ".charon/cluster";
  std::string name = "phalanx cluster";
  std::string split_keys_dir;
  std::string schema_version{cluster::kLatestVersion};
  bool split_existing_keys = false;
  bool compounding = false;
  bool insecure_keys = false;
  std::string keystore_kdf = "pbkdf2";
  bool force = false;
};

int create_cluster_cmd(const CreateClusterOptions& o) {
  cluster::CreateParams p;
  p.name = o.name;
  p.nodes = o.nodes;
  p.threshold = o.threshold;
  p.num_validators = o.num_validators;
  p.network = o.network;
  if (!o.testnet_fork_version.empty()) {
    auto v = from_hex(o.testnet_fork_version);
    if (!v || v->size() != 4) {
      std::fprintf(stderr, "error: --testnet-fork-version: expected 4 bytes of hex (e.g. 0x00000001), got \"%s\"\n",
                   o.testnet_fork_version.c_str());
      return 2;
    }
    cluster::NetworkInfo net;
    net.name = o.testnet_name;
    std::copy(v->begin(), v->end(), net.genesis_fork_version.begin());
    net.genesis_time = o.testnet_genesis_timestamp;
    net.chain_id = o.testnet_chain_id;
    p.testnet = net;
    p.network = o.testnet_name;
  }
  p.withdrawal_addresses = split_list(o.withdrawal_addresses);
  p.fee_recipient_addresses = split_list(o.fee_recipient_addresses);
  p.compounding = o.compounding;
  p.version = o.schema_version;
  if (!o.deposit_amounts.empty()) {
    auto a = cluster::parse_eth_amounts(o.deposit_amounts);
    if (!a) return error(a.error().message());
    p.deposit_amounts_gwei = *a;
  }
  if (o.split_existing_keys != !o.split_keys_dir.empty())
    return error("--split-existing-keys and --split-keys-dir go together");
  if (o.split_existing_keys) {
    auto files = list_keystores(o.split_keys_dir);
    if (!files) return error("--split-keys-dir " + o.split_keys_dir + ": " + files.error().message());
    if (files->empty()) return error("--split-keys-dir " + o.split_keys_dir + " holds no keystore-*.json");
    auto keys = load_keystores(*files, "create cluster: existing keys decrypted");
    if (!keys) return error(keys.error());
    p.existing_keys = std::move(*keys);
  }
  // Refuse before creating anything if a node folder already has content.
  fs::path root(o.cluster_dir);
  std::uint32_t n_nodes = o.nodes;
  for (std::uint32_t i = 0; i < n_nodes && n_nodes <= 256; ++i) {
    std::error_code ec;
    auto dir = root / ("node" + std::to_string(i));
    if (!o.force && fs::exists(dir, ec) && !fs::is_empty(dir, ec))
      return error(dir.string() + " already exists and is not empty (use --force to replace its files)");
  }
  auto c = cluster::create_cluster(std::move(p));
  if (!c) return error(c.error().message());

  std::string lock_json = cluster::write_lock(c->lock);
  const auto& fork = c->lock.definition.fork_version;
  std::vector<KeystoreToWrite> keystores;
  for (std::size_t i = 0; i < c->nodes.size(); ++i) {
    auto dir = root / ("node" + std::to_string(i));
    const auto& node = c->nodes[i];
    std::string key_hex = to_hex(node.enr_key.bytes(), false);
    auto r = app::write_file_atomic(dir / "charon-enr-private-key", as_bytes(key_hex), 0600, o.force);
    secure_zero(key_hex.data(), key_hex.size());
    if (r) r = app::write_file_atomic(dir / "cluster-lock.json", as_bytes(lock_json), 0644, o.force);
    for (const auto& [amount, deposits] : c->deposits) {
      if (!r) break;
      auto text = cluster::write_deposit_data_json(deposits, fork);
      r = app::write_file_atomic(dir / cluster::deposit_data_file_name(amount), as_bytes(text), 0644, o.force);
    }
    if (!r) return error(dir.string() + ": " + r.error().message());
    for (std::size_t v = 0; v < node.shares.size(); ++v)
      keystores.push_back(KeystoreToWrite{dir / "validator_keys", v, &node.shares[v].secret});
  }
  if (auto w = write_keystores(keystores, o.insecure_keys, o.keystore_kdf, o.force, "create cluster: key shares encrypted");
      !w)
    return error(w.error());
  std::printf("Created a %u-of-%zu cluster with %zu validators in %s\n", static_cast<unsigned>(c->lock.definition.threshold),
              c->nodes.size(), c->lock.validators.size(), root.c_str());
  std::printf("lock_hash %s\n", to_hex(c->lock.lock_hash).c_str());
  for (const auto& v : c->lock.validators) std::printf("validator %s\n", to_hex(v.distributed_public_key).c_str());
  return 0;
}

// ---------------------------------------------------------------------------------------------------------
struct CombineOptions {
  std::string cluster_dir = ".charon/cluster";
  std::string output_dir = "./validator_keys";
  bool insecure_keys = false;
  std::string keystore_kdf = "pbkdf2";
  bool force = false;
};

int combine_cmd(const CombineOptions& o) {
  std::error_code ec;
  if (!fs::is_directory(o.cluster_dir, ec)) return error(o.cluster_dir + " is not a folder");
  std::vector<fs::path> node_dirs;
  for (const auto& e : fs::directory_iterator(o.cluster_dir, ec))
    if (e.is_directory() && fs::exists(e.path() / "cluster-lock.json")) node_dirs.push_back(e.path());
  std::sort(node_dirs.begin(), node_dirs.end());
  if (node_dirs.empty()) return error(o.cluster_dir + " holds no node folder with a cluster-lock.json");

  std::optional<cluster::Lock> lock;
  std::vector<KeystoreFile> all_files;
  // shares[v] = the key shares found for validator v
  std::map<std::size_t, std::vector<crypto::threshold::KeyShare>> shares;
  for (const auto& dir : node_dirs) {
    auto text = read_text(dir / "cluster-lock.json", app::kMaxLockFileSize);
    if (!text) return error((dir / "cluster-lock.json").string() + ": " + text.error().message());
    auto l = cluster::parse_lock(*text);
    if (!l) return error((dir / "cluster-lock.json").string() + ": " + l.error().message());
    if (!lock) {
      if (auto v = cluster::verify_lock(*l); !v) return error((dir / "cluster-lock.json").string() + ": " + v.error().message());
      lock = std::move(*l);
    } else if (l->lock_hash != lock->lock_hash) {
      return error(dir.string() + " belongs to another cluster (lock_hash differs)");
    }
    auto files = list_keystores(dir / "validator_keys");
    if (!files) return error((dir / "validator_keys").string() + ": " + files.error().message());
    all_files.insert(all_files.end(), files->begin(), files->end());
  }
  auto secrets = load_keystores(all_files, "combine: key shares decrypted");
  if (!secrets) return error(secrets.error());
  // Each lock public share → (validator, share index).
  std::map<ByteArray<48>, std::pair<std::size_t, std::uint32_t>> share_of;
  for (std::size_t v = 0; v < lock->validators.size(); ++v) {
    const auto& ps = lock->validators[v].public_shares;
    for (std::size_t s = 0; s < ps.size(); ++s) share_of.emplace(ps[s], std::pair{v, static_cast<std::uint32_t>(s + 1)});
  }
  for (std::size_t i = 0; i < all_files.size(); ++i) {
    auto it = share_of.find((*secrets)[i].public_key().to_bytes());
    if (it == share_of.end()) return error(all_files[i].json.string() + " is not a share of any validator of this lock");
    shares[it->second.first].push_back({ShareIdx{it->second.second}, std::move((*secrets)[i])});
  }
  const auto t = static_cast<std::uint32_t>(lock->definition.threshold);
  std::vector<bls::SecretKey> keys;
  for (std::size_t v = 0; v < lock->validators.size(); ++v) {
    auto& s = shares[v];
    if (s.size() < t)
      return error("validator " + std::to_string(v) + ": " + std::to_string(s.size()) + " shares found, threshold is " +
                   std::to_string(t) + " (need at least " + std::to_string(t) + " node folders)");
    auto sk = crypto::threshold::recover_secret(s, t);
    if (!sk) return error("validator " + std::to_string(v) + ": shares are inconsistent: " + sk.error().message());
    if (sk->public_key().to_bytes() != lock->validators[v].distributed_public_key)
      return error("validator " + std::to_string(v) + ": recovered key does not match the lock");
    keys.push_back(std::move(*sk));
  }
  std::vector<KeystoreToWrite> keystores;
  for (std::size_t v = 0; v < keys.size(); ++v) keystores.push_back(KeystoreToWrite{o.output_dir, v, &keys[v]});
  if (auto w = write_keystores(keystores, o.insecure_keys, o.keystore_kdf, o.force, "combine: validator keys encrypted");
      !w)
    return error(w.error());
  std::printf("Recovered %zu validator keys into %s\n", keys.size(), o.output_dir.c_str());
  return 0;
}

// ---------------------------------------------------------------------------------------------------------
int lock_verify_cmd(const std::string& path) {
  auto text = read_text(path, app::kMaxLockFileSize);
  if (!text) return error(path + ": " + text.error().message());
  auto l = cluster::parse_lock(*text);
  if (!l) return error(path + ": " + l.error().message());
  const auto v = cluster::check_lock(*l);
  for (const auto& c : v.checks)
    std::printf("  %-22s %s%s%s\n", (c.what + ":").c_str(), cluster::to_string(c.status), c.detail.empty() ? "" : ": ",
                c.detail.c_str());
  if (!v.ok()) return error(path + ": " + v.problem->message());
  std::printf("%s: valid %s lock, %llu-of-%zu, %zu validators, lock_hash %s\n", path.c_str(), l->definition.version.c_str(),
              static_cast<unsigned long long>(l->definition.threshold), l->definition.operators.size(),
              l->validators.size(), to_hex(l->lock_hash).c_str());
  if (!v.complete())
    std::printf("note: not everything above could be verified: some parts are absent, not in this schema version, "
                "or not verifiable offline\n");
  return 0;
}

}  // namespace

void add_cluster_commands(CLI::App& root, CLI::App& create) {
  auto co = std::make_shared<CreateClusterOptions>();
  auto* c = create.add_subcommand("cluster", "Create a cluster with a trusted dealer: keys, shares, lock, deposits");
  c->add_option("--nodes", co->nodes, "Number of operators (nodes)")->capture_default_str();
  c->add_option("--threshold", co->threshold, "Signatures needed (default ceil(2*nodes/3))");
  c->add_option("--num-validators", co->num_validators, "Number of distributed validators")->capture_default_str();
  c->add_option("--network", co->network, "mainnet, sepolia, hoodi, holesky, gnosis, chiado, goerli")->capture_default_str();
  c->add_option("--testnet-fork-version", co->testnet_fork_version,
                "A custom network instead of --network: its GENESIS_FORK_VERSION (e.g. 0x00000001 for a minimal-preset "
                "dev chain)");
  c->add_option("--testnet-name", co->testnet_name, "Name of the custom network")->capture_default_str();
  c->add_option("--testnet-chain-id", co->testnet_chain_id, "Execution chain id of the custom network")
      ->capture_default_str();
  c->add_option("--testnet-genesis-timestamp", co->testnet_genesis_timestamp,
                "Genesis time of the custom network (builder registrations' timestamp)")
      ->capture_default_str();
  c->add_option("--withdrawal-addresses", co->withdrawal_addresses, "Comma-separated: one for all, or one per validator");
  c->add_option("--fee-recipient-addresses", co->fee_recipient_addresses, "Comma-separated: one for all, or one per validator");
  c->add_option("--deposit-amounts", co->deposit_amounts, "Comma-separated partial deposits in ETH (default 32)");
  c->add_option("--cluster-dir", co->cluster_dir, "Output folder (node0 … nodeN-1)")->capture_default_str();
  c->add_option("--name", co->name, "Cluster name")->capture_default_str();
  c->add_flag("--split-existing-keys", co->split_existing_keys, "Split existing validator keys instead of new ones");
  c->add_option("--split-keys-dir", co->split_keys_dir, "Folder of keystore-*.json + keystore-*.txt to split");
  c->add_flag("--compounding", co->compounding, "0x02 (compounding) withdrawal credentials");
  c->add_option("--schema-version", co->schema_version, "Cluster lock schema version: v1.11.0 or v1.10.0")
      ->capture_default_str();
  c->add_flag("--insecure-keys", co->insecure_keys, "Fast, weak keystore encryption (test clusters only)");
  c->add_option("--keystore-kdf", co->keystore_kdf, "KDF of the new keystores at EIP-2335's cost 2^18: pbkdf2 (as Charon; fast start-up) or scrypt")
      ->check(CLI::IsMember({"pbkdf2", "scrypt"}))
      ->capture_default_str();
  c->add_flag("--force", co->force, "Replace existing files");
  c->callback([co] { std::exit(create_cluster_cmd(*co)); });

  auto cb = std::make_shared<CombineOptions>();
  auto* m = root.add_subcommand("combine", "Recover the full validator keys from at least threshold node folders");
  m->add_option("--cluster-dir", cb->cluster_dir, "Folder holding node folders")->capture_default_str();
  m->add_option("--output-dir", cb->output_dir, "Where to write keystore-N.json/.txt")->capture_default_str();
  m->add_flag("--insecure-keys", cb->insecure_keys, "Fast, weak keystore encryption (tests only)");
  m->add_option("--keystore-kdf", cb->keystore_kdf, "KDF of the new keystores at EIP-2335's cost 2^18: pbkdf2 (as Charon; fast start-up) or scrypt")
      ->check(CLI::IsMember({"pbkdf2", "scrypt"}))
      ->capture_default_str();
  m->add_flag("--force", cb->force, "Replace existing files");
  m->callback([cb] { std::exit(combine_cmd(*cb)); });

  auto lock_path = std::make_shared<std::string>("cluster-lock.json");
  auto* lock = root.add_subcommand("lock", "Cluster lock tools");
  lock->require_subcommand(1);
  auto* verify = lock->add_subcommand("verify", "Verify every hash and signature of a cluster lock");
  verify->add_option("--lock,--lock-file", *lock_path, "Path of the cluster-lock.json")->capture_default_str();
  verify->callback([lock_path] { std::exit(lock_verify_cmd(*lock_path)); });

  add_definition_commands(root, create);
}

}  // namespace phx::tools
