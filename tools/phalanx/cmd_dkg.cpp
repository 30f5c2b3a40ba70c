// `phalanx dkg` (one operator's side of a distributed key generation ceremony) and `phalanx dkg verify`
// (offline check of a ceremony's lock, transcript and deposit files).
#include <cstdio>
#include <filesystem>
#include <string>

#include "app/fs.hpp"
#include "cluster/enr.hpp"
#include "cluster/lock_verify.hpp"
#include "ceremony_cli.hpp"
#include "commands.hpp"
#include "dkg/runner/files.hpp"
#include "dkg/runner/runner.hpp"
#include "dkg/runner/verify.hpp"

namespace phx::tools {
namespace {

namespace fs = std::filesystem;
namespace run = dkg::runner;

int error(const std::string& msg) {
  std::fprintf(stderr, "error: %s\n", msg.c_str());
  return 1;
}

struct DkgOptions {
  std::string definition_file = ".charon/cluster-definition.json";
  CeremonyOptions ceremony;
};

std::chrono::milliseconds ms(double s) {
  return std::chrono::milliseconds(static_cast<std::int64_t>(s * 1000));
}

int dkg_cmd(const DkgOptions& o) {
  auto raw = app::read_file(o.definition_file);
  if (!raw) return error(o.definition_file + ": " + raw.error().message());
  auto def =
      cluster::parse_definition(std::string_view(reinterpret_cast<const char*>(raw->data()), raw->size()));
  if (!def) return error(o.definition_file + ": " + def.error().message());
  const auto v = cluster::verify_definition(*def);
  for (const auto& s : v.signatures)
    if (s.status != cluster::SignatureStatus::kUnsigned || !v.unsigned_operators)
      std::printf("definition: %s %s: %s\n", s.signer.c_str(), s.field.c_str(), cluster::to_string(s.status));
  if (!v.note.empty()) std::printf("note: %s\n", v.note.c_str());
  if (!v.ok()) return error(o.definition_file + ": " + v.problem->message());
  auto in = cluster::dkg_inputs(*def);
  if (!in) return error(o.definition_file + ": not ready for a DKG: " + in.error().message());
  run::RunnerConfig cfg;
  cfg.data_dir = o.ceremony.data_dir;
  cfg.definition = *def;
  return run_ceremony(std::move(cfg), *in, o.ceremony, "DKG");
}

}  // namespace

void add_ceremony_options(CLI::App* c, CeremonyOptions& o, const std::string& data_dir_help) {
  c->add_option("--data-dir", o.data_dir, data_dir_help)->capture_default_str();
  c->add_option("--p2p-peers", o.p2p_peers,
                "Comma-separated <operator index>=<host:port> (default: the ip/tcp in each operator's ENR)");
  c->add_option("--p2p-listen", o.p2p_listen,
                "host:port to listen on (default 0.0.0.0:<own ENR tcp or 3610>)");
  c->add_flag("--insecure-keys", o.insecure_keys, "Fast, weak keystore encryption (test clusters only)");
  c->add_option("--keystore-kdf", o.keystore_kdf, "KDF of the new keystores at EIP-2335's cost 2^18: pbkdf2 (as Charon; fast start-up) or scrypt")
      ->check(CLI::IsMember({"pbkdf2", "scrypt"}))
      ->capture_default_str();
  c->add_option("--connect-timeout", o.connect_timeout_s, "Seconds to wait for every operator (R0)")
      ->capture_default_str();
  c->add_option("--round-timeout", o.round_timeout_s, "Seconds each later round may take")
      ->capture_default_str();
  c->add_option("--linger", o.linger_s, "Seconds to keep answering peers after finishing")
      ->capture_default_str();
}

std::vector<std::string> split_enr_list(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    const auto end = s.find(',', start);
    std::string item = s.substr(start, end == std::string::npos ? std::string::npos : end - start);
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.front()))) item.erase(item.begin());
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.back()))) item.pop_back();
    if (!item.empty()) out.push_back(item);
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

int run_ceremony(run::RunnerConfig cfg, const cluster::DkgInputs& in, const CeremonyOptions& o,
                 const char* what) {
  const fs::path key_path = fs::path(o.data_dir) / "charon-enr-private-key";
  auto key = app::read_operator_key(key_path);
  if (!key)
    return error(key_path.string() + ": " + key.error().message() + " (create it with `phalanx create enr`)");
  cfg.enr_key = std::move(*key);
  std::vector<std::string> enrs;  // participants: the operators, then a reshare's leaving dealers
  for (const auto& op : in.operators) enrs.push_back(op.enr);
  if (cfg.reshare) enrs.insert(enrs.end(), cfg.reshare->leaving_dealers.begin(), cfg.reshare->leaving_dealers.end());
  const std::size_t n = enrs.size();
  cfg.peers.resize(n);
  if (!o.p2p_peers.empty()) {
    auto peers = p2p::parse_peer_addresses(o.p2p_peers, n);
    if (!peers) return error("--p2p-peers: " + peers.error().message());
    cfg.peers = std::move(*peers);
  }
  // Operators without a --p2p-peers entry are dialed at the address in their ENR (ip + tcp), if any.
  std::optional<std::uint16_t> own_port;
  for (std::size_t i = 0; i < n; ++i) {
    auto enr = cluster::Enr::parse(enrs[i]);
    if (!enr) continue;
    if (enr->public_key() == cfg.enr_key.public_key()) own_port = enr->tcp();
    if (!cfg.peers[i] && enr->ip() && enr->tcp()) {
      const auto ip = *enr->ip();
      cfg.peers[i] = p2p::Endpoint{std::to_string(ip[0]) + "." + std::to_string(ip[1]) + "." +
                                       std::to_string(ip[2]) + "." + std::to_string(ip[3]),
                                   *enr->tcp()};
    }
  }
  if (!o.p2p_listen.empty()) {
    auto ep = p2p::Endpoint::parse(o.p2p_listen);
    if (!ep) return error("--p2p-listen: " + ep.error().message());
    cfg.listen = *ep;
  } else {
    cfg.listen = p2p::Endpoint{"0.0.0.0", own_port.value_or(3610)};
  }
  cfg.insecure_keys = o.insecure_keys;
  cfg.keystore_kdf = crypto::keystore::kdf_from_string(o.keystore_kdf).value_or(crypto::keystore::Kdf::kPbkdf2);
  cfg.connect_timeout = ms(o.connect_timeout_s);
  cfg.round_timeout = ms(o.round_timeout_s);
  cfg.linger = ms(o.linger_s);
  const std::string out_dir = (cfg.output_dir.empty() ? cfg.data_dir : cfg.output_dir).string();
  const std::string evidence = (fs::path(o.data_dir) / "dkg-failure-evidence.ssz").string();

  auto report = run::run_dkg(std::move(cfg));
  if (!report.error.empty()) return error(report.error);
  if (report.failure) {
    std::fprintf(stderr, "%s failed: %s\n", what, run::describe_failure(*report.failure, in).c_str());
    if (!report.failure->evidence.empty())
      std::fprintf(stderr, "  evidence: %s (anyone can check it)\n", evidence.c_str());
    return 2;
  }
  static const char* kRounds[] = {"R0 connect", "R1 deal", "R2 verdict", "R3 sign", "R4 lock", "R5 done"};
  std::printf("%s complete%s: %u validators in %.2f s (%.1f validators/s); lock_hash %s\n", what,
              report.resumed ? " (resumed)" : "", static_cast<unsigned>(in.num_validators),
              report.total_seconds,
              report.total_seconds > 0 ? in.num_validators / report.total_seconds : 0.0,
              to_hex(report.lock_hash).c_str());
  for (std::size_t r = 0; r < report.round_seconds.size(); ++r)
    std::printf("  %-11s %8.2f s\n", kRounds[r], report.round_seconds[r]);
  std::printf("  %-11s %8.2f s\n", "keystores", report.keystore_seconds);
  for (std::size_t p = 0; p < report.bytes_in.size(); ++p)
    if (p != report.self)
      std::printf(
          "  %s: %.1f MB in, %.1f MB out\n", run::operator_name(in, static_cast<std::uint32_t>(p)).c_str(),
          static_cast<double>(report.bytes_in[p]) / 1e6, static_cast<double>(report.bytes_out[p]) / 1e6);
  std::printf("wrote cluster-lock.json, validator_keys/, deposit-data*.json and %s to %s\n",
              run::kTranscriptFile, out_dir.c_str());
  return 0;
}

namespace {

struct VerifyOptions {
  std::string lock = ".charon/cluster-lock.json";
  std::string transcript;
  std::vector<std::string> deposit_files;
  std::string old_lock;
  std::string participating;
};

int verify_cmd(const VerifyOptions& o) {
  auto lock = app::read_file(o.lock, app::kMaxLockFileSize);
  if (!lock) return error(o.lock + ": " + lock.error().message());
  const std::string transcript_path =
      o.transcript.empty() ? (fs::path(o.lock).parent_path() / run::kTranscriptFile).string() : o.transcript;
  auto transcript = app::read_file(transcript_path, 1u << 30);
  if (!transcript) return error(transcript_path + ": " + transcript.error().message());
  std::vector<std::string> files = o.deposit_files;
  if (files.empty()) {  // the deposit files beside the lock
    std::error_code ec;
    const fs::path dir = fs::path(o.lock).parent_path().empty() ? "." : fs::path(o.lock).parent_path();
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      const auto name = e.path().filename().string();
      if (name.rfind("deposit-data", 0) == 0 && e.path().extension() == ".json")
        files.push_back(e.path().string());
    }
    std::sort(files.begin(), files.end());
  }
  std::vector<run::DepositFile> deposits;
  for (const auto& f : files) {
    auto b = app::read_file(f, app::kMaxLockFileSize);  // deposit data of every validator: smaller than the lock
    if (!b) return error(f + ": " + b.error().message());
    deposits.push_back({f, std::string(b->begin(), b->end())});
  }
  std::optional<Bytes> old_lock;
  if (!o.old_lock.empty()) {
    auto b = app::read_file(o.old_lock, app::kMaxLockFileSize);
    if (!b) return error(o.old_lock + ": " + b.error().message());
    old_lock = std::move(*b);
  }
  auto r = run::verify_outputs(
      std::string_view(reinterpret_cast<const char*>(lock->data()), lock->size()), *transcript, deposits,
      old_lock ? std::optional<std::string_view>(
                     std::string_view(reinterpret_cast<const char*>(old_lock->data()), old_lock->size()))
               : std::nullopt,
      split_enr_list(o.participating));
  if (!r) return error(r.error());
  for (const auto& l : *r) std::printf("  %s\n", l.c_str());
  std::printf("%s and %s: valid %s outputs (%zu deposit files checked)\n", o.lock.c_str(),
              transcript_path.c_str(), o.old_lock.empty() ? "DKG" : "reshare", deposits.size());
  return 0;
}

}  // namespace

void add_dkg_command(CLI::App& root) {
  auto o = std::make_shared<DkgOptions>();
  auto* c = root.add_subcommand("dkg", "Run this operator's side of a distributed key generation ceremony");
  c->add_option("--definition-file", o->definition_file, "The cluster-definition.json (from `create dkg`)")
      ->capture_default_str();
  add_ceremony_options(c, o->ceremony, "Holds charon-enr-private-key; receives the artifacts");
  c->require_subcommand(0, 1);

  auto vo = std::make_shared<VerifyOptions>();
  auto* v = c->add_subcommand("verify",
                              "Check a ceremony's lock, transcript and deposit files offline (no secrets)");
  v->add_option("--lock,--lock-file", vo->lock, "Path of the cluster-lock.json")->capture_default_str();
  v->add_option("--transcript", vo->transcript, "Path of the dkg-transcript.ssz (default: beside the lock)");
  v->add_option("--deposit-data", vo->deposit_files,
                "Deposit files to check (default: deposit-data*.json beside the lock)");
  v->add_option("--old-lock", vo->old_lock,
                "A reshare's outputs: the lock it reshared (checks the reshare against it)");
  v->add_option("--participating-operator-enrs", vo->participating,
                "A reshare's leaving operators that dealt (as given to `reshare remove-operators`)");
  v->callback([vo] { std::exit(verify_cmd(*vo)); });
  c->callback([o, c] {
    if (c->get_subcommands().empty()) std::exit(dkg_cmd(*o));
  });
}

}  // namespace phx::tools
