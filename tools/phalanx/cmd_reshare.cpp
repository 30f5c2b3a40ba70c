// `phalanx reshare add-operators|remove-operators|replace-operator|recreate-private-keys` (issue 15): the same
// distributed validator keys for a new operator set or threshold, run by every old and new operator.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "app/fs.hpp"
#include "app/node.hpp"
#include "app/signer.hpp"
#include "base/secret.hpp"
#include "ceremony_cli.hpp"
#include "cluster/enr.hpp"
#include "cluster/lock_verify.hpp"
#include "commands.hpp"
#include "core/types.hpp"
#include "dkg/runner/files.hpp"
#include "dkg/runner/reshare.hpp"
#include "dkg/runner/runner.hpp"

namespace phx::tools {
namespace {

namespace fs = std::filesystem;
namespace run = dkg::runner;

int fail(const std::string& msg) {
  std::fprintf(stderr, "error: %s\n", msg.c_str());
  return 1;
}

struct ReshareOptions {
  run::ReshareMode mode = run::ReshareMode::kRecreatePrivateKeys;
  std::string lock_file;      // default: <data dir>/cluster-lock.json
  std::string keystores_dir;  // default: <data dir>/validator_keys
  std::string output_dir;
  std::string new_operator_enrs, operator_enrs_to_remove, old_operator_enr, new_operator_enr, participating;
  std::uint32_t new_threshold = 0;  // 0: the mode's default
  bool delete_old_keys = false;
  CeremonyOptions ceremony;
};

/// This node's old share of every validator of `old` (lock order), from the keystores of old share `share_idx`.
Result<std::vector<crypto::bls::SecretKey>, std::string> load_old_shares(const fs::path& dir, const cluster::Lock& old,
                                                                        ShareIdx share_idx) {
  std::vector<core::LockValidator> vals;
  for (const auto& v : old.validators) {
    core::LockValidator lv;
    lv.distributed_public_key.assign(v.distributed_public_key.begin(), v.distributed_public_key.end());
    for (const auto& s : v.public_shares) lv.public_shares.emplace_back(s.begin(), s.end());
    vals.push_back(std::move(lv));
  }
  auto book = core::KeyBook::from_lock(vals, static_cast<std::uint32_t>(old.definition.threshold));
  if (!book) return std::unexpected("the old lock's keys are inconsistent: " + book.error().message());
  auto keys = app::load_share_keys(dir, *book, share_idx);
  if (!keys) return std::unexpected(keys.error());
  std::vector<crypto::bls::SecretKey> out;
  for (const auto& v : old.validators) {
    auto it = keys->find(v.distributed_public_key);
    if (it == keys->end()) return std::unexpected("no keystore for a validator of the old lock");
    out.push_back(std::move(it->second));
  }
  return out;
}

/// Overwrites, syncs and removes every keystore-* file of `dir` (the old shares after a reshare).
Result<std::size_t, std::string> delete_keystores(const fs::path& dir) {
  std::error_code ec;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().filename().string().starts_with("keystore-")) files.push_back(e.path());
  if (ec) return std::unexpected(dir.string() + ": " + ec.message());
  for (const auto& f : files) {
    std::error_code size_ec, perm_ec;
    const auto size = fs::file_size(f, size_ec);
    fs::permissions(f, fs::perms::owner_read | fs::perms::owner_write, perm_ec);  // the .txt files are 0400
    const int fd = ::open(f.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0 || size_ec) {
      if (fd >= 0) ::close(fd);
      return std::unexpected("cannot overwrite " + f.string());
    }
    const std::vector<char> zeros(size, 0);
    const bool ok = ::write(fd, zeros.data(), zeros.size()) == static_cast<ssize_t>(zeros.size()) && ::fsync(fd) == 0;
    ::close(fd);
    if (!ok) return std::unexpected("cannot overwrite " + f.string());
    if (!fs::remove(f, ec) || ec) return std::unexpected("cannot delete " + f.string() + ": " + ec.message());
  }
  return files.size();
}

int reshare_cmd(const ReshareOptions& o) {
  const fs::path data_dir = o.ceremony.data_dir;
  const fs::path lock_path = o.lock_file.empty() ? data_dir / "cluster-lock.json" : fs::path(o.lock_file);
  const fs::path keystores = o.keystores_dir.empty() ? data_dir / "validator_keys" : fs::path(o.keystores_dir);
  if (o.output_dir.empty()) return fail("--output-dir is required (a new folder for the new lock and keys)");
  const fs::path out_dir = o.output_dir;
  std::error_code ec;
  if (fs::exists(out_dir, ec) && fs::equivalent(out_dir, data_dir, ec))
    return fail("--output-dir must not be the data directory (the old lock and keys stay there until the end)");

  auto raw = app::read_file(lock_path, app::kMaxLockFileSize);
  if (!raw) return fail(lock_path.string() + ": " + raw.error().message());
  auto old = cluster::parse_lock(std::string_view(reinterpret_cast<const char*>(raw->data()), raw->size()));
  if (!old) return fail(lock_path.string() + ": " + old.error().message());
  if (auto ok = cluster::verify_lock(*old); !ok)
    return fail(lock_path.string() + " does not verify: " + ok.error().message());
  // Refuse a lock this data directory already reshared, unless that reshare is still finishing in this output
  // directory (a crash after the record was written and before the artifacts were published resumes).
  if (auto ok = app::check_not_superseded(data_dir, old->lock_hash);
      !ok && !fs::exists(fs::path(o.output_dir) / run::kWorkDir, ec))
    return fail(lock_path.string() + ": " + ok.error());

  run::ReshareRequest req;
  req.mode = o.mode;
  switch (o.mode) {
    case run::ReshareMode::kAddOperators:
      req.enrs = split_enr_list(o.new_operator_enrs);
      break;
    case run::ReshareMode::kRemoveOperators:
      req.enrs = split_enr_list(o.operator_enrs_to_remove);
      break;
    case run::ReshareMode::kReplaceOperator:
      req.enrs = {o.old_operator_enr, o.new_operator_enr};
      break;
    case run::ReshareMode::kRecreatePrivateKeys:
      break;
  }
  if (o.new_threshold) req.new_threshold = o.new_threshold;
  req.participating = split_enr_list(o.participating);
  auto ops = run::new_operator_set(*old, req);
  if (!ops) return fail(ops.error());
  auto def = run::reshare_definition(*old, *ops);
  if (!def) return fail(def.error());
  auto in = cluster::dkg_inputs(*def);
  if (!in) return fail("new definition: " + in.error().message());

  const fs::path key_path = data_dir / "charon-enr-private-key";
  auto key = app::read_operator_key(key_path);
  if (!key) return fail(key_path.string() + ": " + key.error().message());
  const auto me = key->public_key();
  std::optional<std::uint32_t> old_idx, new_idx;
  for (std::uint32_t i = 0; i < old->definition.operators.size(); ++i) {
    auto e = cluster::Enr::parse(old->definition.operators[i].enr);
    if (e && e->public_key() == me) old_idx = i;
  }
  for (std::uint32_t i = 0; i < in->operators.size(); ++i)
    if (in->operators[i].node_key == me) new_idx = i;
  bool leaving_dealer = false;
  for (const auto& e : ops->leaving_dealers) {
    auto enr = cluster::Enr::parse(e);
    leaving_dealer = leaving_dealer || (enr && enr->public_key() == me);
  }
  if (!new_idx && !leaving_dealer)
    return fail(old_idx ? "this operator is not in the new operator set and not listed in "
                          "--participating-operator-enrs: it takes no part (the others reshare without it); delete "
                          "this node's old keystores"
                        : "this node's ENR key is neither an old nor a new operator (check " + key_path.string() +
                              ")");
  const std::string role =
      !old_idx ? "joining (receives shares only), new operator " + std::to_string(*new_idx)
      : new_idx ? "old operator " + std::to_string(*old_idx) + " (deals its shares), new operator " +
                      std::to_string(*new_idx)
                : "old operator " + std::to_string(*old_idx) + ", leaving (deals its shares, receives nothing)";
  std::printf("reshare %s of lock %s: %zu → %zu operators, threshold %u → %u; this node: %s\n",
              run::to_string(o.mode), to_hex(old->lock_hash).c_str(), old->definition.operators.size(),
              in->operators.size(), static_cast<unsigned>(old->definition.threshold), in->threshold, role.c_str());

  run::RunnerConfig cfg;
  cfg.data_dir = data_dir;
  cfg.output_dir = out_dir;
  cfg.definition = *def;
  cfg.reshare.emplace();
  if (old_idx) {
    auto shares = load_old_shares(keystores, *old, ShareIdx{*old_idx + 1});
    if (!shares) return fail("old keystores: " + shares.error());
    cfg.reshare->old_shares = std::move(*shares);
  }
  cfg.reshare->old_lock = *old;
  cfg.reshare->leaving_dealers = ops->leaving_dealers;
  if (!fs::exists(out_dir, ec)) {
    fs::create_directories(out_dir, ec);
    if (ec) return fail("--output-dir: cannot create " + out_dir.string() + ": " + ec.message());
    fs::permissions(out_dir, fs::perms::owner_all, ec);
  }
  // Before the new artifacts appear: the data directory records that the old lock is superseded, and the output
  // directory gets the ENR key, so that it is a complete data directory for `phalanx run`.
  const Root old_hash = old->lock_hash;
  cfg.before_publish = [data_dir, out_dir, old_hash, key_path](const Root& new_hash) -> Result<void, std::string> {
    auto k = app::read_file(key_path, 4096);
    if (!k) return std::unexpected(key_path.string() + ": " + k.error().message());
    auto w = run::write_file_synced(out_dir / "charon-enr-private-key", *k, 0600);
    secure_zero(k->data(), k->size());
    if (!w) return std::unexpected(w.error());
    return app::record_superseded_lock(data_dir, old_hash, new_hash, fs::absolute(out_dir / "cluster-lock.json"));
  };
  const int rc = run_ceremony(std::move(cfg), *in, o.ceremony, "Reshare");
  if (rc != 0) return rc;
  std::printf("the old lock %s is superseded (recorded in %s)\n", lock_path.c_str(),
              (data_dir / app::kSupersededLocksFile).c_str());
  if (old_idx) {
    if (o.delete_old_keys) {
      auto d = delete_keystores(keystores);
      if (!d) return fail("--delete-old-keys: " + d.error());
      std::printf("deleted %zu old keystore files from %s\n", *d, keystores.c_str());
    } else {
      std::printf("DELETE the old keystores in %s once the new cluster runs (or rerun with --delete-old-keys):\n"
                  "  old shares are useless to the new cluster but, with enough other old shares, still\n"
                  "  recombine to the validator keys\n",
                  keystores.c_str());
    }
  }
  if (new_idx)
    std::printf("next: stop the node of the old lock, then run `phalanx run` with the data in %s\n", out_dir.c_str());
  else
    std::printf("this operator has left the cluster: stop its node (%s holds the new lock, for reference)\n",
                out_dir.c_str());
  return 0;
}

}  // namespace

void add_reshare_command(CLI::App& root) {
  auto* c = root.add_subcommand(
      "reshare", "The same validator keys for a new operator set or threshold (every old and new operator runs it)");
  c->require_subcommand(1);
  struct Mode {
    run::ReshareMode mode;
    const char* help;
  };
  for (const auto& m : {Mode{run::ReshareMode::kAddOperators, "Append operators (--new-operator-enrs)"},
                        Mode{run::ReshareMode::kRemoveOperators, "Remove operators (--operator-enrs-to-remove)"},
                        Mode{run::ReshareMode::kReplaceOperator,
                             "Replace one operator, keeping its position (--old-operator-enr, --new-operator-enr)"},
                        Mode{run::ReshareMode::kRecreatePrivateKeys,
                             "Fresh shares for the same operators (optionally --new-threshold)"}}) {
    auto o = std::make_shared<ReshareOptions>();
    o->mode = m.mode;
    auto* s = c->add_subcommand(run::to_string(m.mode), m.help);
    add_ceremony_options(s, o->ceremony,
                         "Holds charon-enr-private-key (and, for an old operator, the old lock and validator_keys/)");
    s->add_option("--lock-file", o->lock_file, "The old cluster-lock.json (default: <data dir>/cluster-lock.json)");
    s->add_option("--keystores-dir", o->keystores_dir, "An old operator's share keystores (default: <data dir>/validator_keys)");
    s->add_option("--output-dir", o->output_dir, "New folder for the new lock, keystores, deposit data and transcript")
        ->required();
    s->add_option("--new-threshold", o->new_threshold,
                  "Threshold of the new lock (default: the old one if the operator count is unchanged, else ceil(2n/3))");
    s->add_flag("--delete-old-keys", o->delete_old_keys, "After success, overwrite and delete this node's old keystores");
    switch (m.mode) {
      case run::ReshareMode::kAddOperators:
        s->add_option("--new-operator-enrs", o->new_operator_enrs, "Comma-separated ENRs of the operators to add")
            ->required();
        break;
      case run::ReshareMode::kRemoveOperators:
        s->add_option("--operator-enrs-to-remove", o->operator_enrs_to_remove,
                      "Comma-separated ENRs of the operators to remove")
            ->required();
        s->add_option("--participating-operator-enrs", o->participating,
                      "Removed operators that take part (deal their shares, receive nothing): needed when fewer "
                      "than the old threshold stay; every participant gives the same list");
        break;
      case run::ReshareMode::kReplaceOperator:
        s->add_option("--old-operator-enr", o->old_operator_enr, "ENR of the operator to replace")->required();
        s->add_option("--new-operator-enr", o->new_operator_enr, "ENR of the operator taking its position")->required();
        break;
      case run::ReshareMode::kRecreatePrivateKeys:
        break;
    }
    s->footer(
        "Every old and new operator runs the same command with the same ENR lists and threshold. --p2p-peers "
        "indices are positions in the new lock (removing compacts, adding appends, replacing keeps the position), "
        "then participating removed operators in old-lock order.");
    s->callback([o] { std::exit(reshare_cmd(*o)); });
  }
}

}  // namespace phx::tools
