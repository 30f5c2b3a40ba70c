// `phalanx slashing export|import`: the node's slashing-protection database (DIR/slashing.sqlite) to and from
// EIP-3076 interchange v5 JSON, for moving validators between nodes or clients. Refuses to run beside a node.
#include <array>
#include <fmt/format.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "app/fs.hpp"
#include "cluster/definition.hpp"
#include "cluster/network.hpp"
#include "commands.hpp"
#include "eth/fork.hpp"
#include "slashing/store.hpp"

namespace phx::tools {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxInterchangeBytes = 256u << 20;  // a large cluster's full history is a few MB

struct SlashingOptions {
  std::string data_dir = ".phalanx";                    // `phalanx run --data-dir` default
  std::string lock_file = ".charon/cluster-lock.json";  // `phalanx run --lock-file` default
  std::string gvr_hex;                                  // --genesis-validators-root
  std::string output = "-";
  std::string input;
  bool force = false;
  bool lock_file_given = false;
};

/// Exit codes: 0 done, 1 refused or failed (nothing changed), 2 bad flag value.
constexpr int kFailed = 1;
constexpr int kBadFlag = 2;

/// Prints "error: <message>" to stderr and returns `code`.
template <class... Args>
int error(int code, fmt::format_string<Args...> f, Args&&... args) {
  fmt::print(stderr, "error: {}\n", fmt::format(f, std::forward<Args>(args)...));
  return code;
}

fs::path db_path(const SlashingOptions& o) {
  return fs::path(o.data_dir) / "slashing.sqlite";
}

/// The root the database at DIR is bound to (nullopt: no database yet), or an exit code after the message.
std::expected<std::optional<Root>, int> database_root(const SlashingOptions& o) {
  auto r = slashing::SlashingDb::read_genesis_validators_root(db_path(o));
  if (!r)
    return std::unexpected(error(kFailed, "{} is not a readable slashing database ({})", db_path(o).c_str(),
                                 r.error().message().c_str()));
  return *r;
}

/// Takes DIR/phalanx.lock, which `phalanx run` holds while it runs: an export taken beside a running node is
/// stale at once (and a migration from it could double-sign), so both commands refuse.
std::expected<app::DataDirLock, int> lock_data_dir(const SlashingOptions& o) {
  auto l = app::DataDirLock::acquire(o.data_dir);
  if (!l) {
    if (l.error() == make_error_code(app::FsError::kLocked))
      return std::unexpected(
          error(kFailed,
                "{}/phalanx.lock is held: a node (or another `phalanx slashing`) is using this "
                "data directory; stop it first",
                o.data_dir.c_str()));
    return std::unexpected(error(kFailed, "--data-dir {}: cannot take its lock: {}", o.data_dir.c_str(),
                                 l.error().message().c_str()));
  }
  return std::move(*l);
}

/// The chain of the lock file: its genesis fork version names a built-in network, whose root is known.
std::expected<Root, int> lock_root(const SlashingOptions& o) {
  auto raw = app::read_file(o.lock_file, app::kMaxLockFileSize);
  if (!raw)
    return std::unexpected(error(kFailed,
                                 "no slashing database in {} yet, and the lock {} cannot be read ({}): pass "
                                 "--lock-file or --genesis-validators-root to name the chain",
                                 o.data_dir.c_str(), o.lock_file.c_str(), raw.error().message().c_str()));
  auto lock = cluster::parse_lock(std::string_view(reinterpret_cast<const char*>(raw->data()), raw->size()));
  if (!lock)
    return std::unexpected(
        error(kFailed, "--lock-file {}: {}", o.lock_file.c_str(), lock.error().message().c_str()));
  const auto& version = lock->definition.fork_version;
  auto net = cluster::network_by_fork_version(version);
  auto chain = net ? eth::network_config(net->name) : std::nullopt;
  if (!chain)
    return std::unexpected(error(kFailed,
                                 "--lock-file {}: fork version {} is not a network with a known "
                                 "genesis_validators_root (mainnet, sepolia, hoodi, gnosis): pass "
                                 "--genesis-validators-root (GET /eth/v1/beacon/genesis of the beacon node)",
                                 o.lock_file.c_str(), to_hex(version).c_str()));
  return chain->genesis_validators_root;
}

/// The chain an import is checked against, and where it came from (for messages). The database, once it
/// exists, is authoritative; an explicit --genesis-validators-root or --lock-file that disagrees is refused.
std::expected<std::pair<Root, std::string>, int> import_root(const SlashingOptions& o,
                                                             const std::optional<Root>& db_root) {
  std::optional<Root> flag_root;
  if (!o.gvr_hex.empty()) {
    auto r = from_hex_fixed<32>(o.gvr_hex);
    if (!r) return std::unexpected(error(kBadFlag, "--genesis-validators-root: not 0x + 64 hex digits"));
    flag_root = *r;
  }
  if (db_root) {
    if (flag_root && *flag_root != *db_root)
      return std::unexpected(error(kFailed, "--genesis-validators-root {} differs from {}'s {}",
                                   to_hex(*flag_root).c_str(), db_path(o).c_str(), to_hex(*db_root).c_str()));
    if (o.lock_file_given) {
      auto l = lock_root(o);
      if (!l) return std::unexpected(l.error());
      if (*l != *db_root)
        return std::unexpected(
            error(kFailed, "--lock-file {} is for genesis_validators_root {}, but {} is for {}",
                  o.lock_file.c_str(), to_hex(*l).c_str(), db_path(o).c_str(), to_hex(*db_root).c_str()));
    }
    return std::pair{*db_root, db_path(o).string()};
  }
  if (flag_root) return std::pair{*flag_root, std::string("--genesis-validators-root")};
  auto l = lock_root(o);
  if (!l) return std::unexpected(l.error());
  return std::pair{*l, "the lock " + o.lock_file};
}

/// The interchange document at `input` ("-": standard input), or why not (missing, unreadable, above the cap:
/// standard input is read in chunks and refused as soon as it passes the cap).
Result<std::string, std::string> read_input(const std::string& input) {
  const std::string too_large = "above the 256-MiB cap of an interchange file";
  if (input == "-") {
    std::string text;
    std::array<char, 64 * 1024> buf{};
    for (;;) {
      std::cin.read(buf.data(), static_cast<std::streamsize>(buf.size()));
      const auto n = static_cast<std::size_t>(std::cin.gcount());
      if (n == 0) break;
      text.append(buf.data(), n);
      if (text.size() > kMaxInterchangeBytes) return std::unexpected(too_large);
    }
    if (std::cin.bad()) return std::unexpected(std::string("cannot read standard input"));
    return text;
  }
  auto raw = app::read_file(input, kMaxInterchangeBytes);
  if (!raw) {
    if (raw.error() == app::FsError::kTooLarge) return std::unexpected(too_large);
    return std::unexpected("cannot read it: " + raw.error().message());
  }
  return std::string(reinterpret_cast<const char*>(raw->data()), raw->size());
}

int export_cmd(const SlashingOptions& o) {
  auto root = database_root(o);
  if (!root) return root.error();
  if (!*root) return error(kFailed, "no slashing database at {}", db_path(o).c_str());
  auto guard = lock_data_dir(o);
  if (!guard) return guard.error();
  auto db = slashing::SlashingDb::open(db_path(o), **root);
  if (!db) return error(kFailed, "{}: {}", db_path(o).c_str(), db.error().message().c_str());
  auto json = db->export_interchange();
  if (!json)
    return error(kFailed, "{}: export failed: {}", db_path(o).c_str(), json.error().message().c_str());
  if (o.output == "-") {
    std::fwrite(json->data(), 1, json->size(), stdout);
    return std::fflush(stdout) == 0 ? 0 : error(kFailed, "cannot write to standard output");
  }
  auto written = app::write_file_atomic(o.output, as_bytes(*json), 0600, o.force);
  if (!written) return error(kFailed, "--output {}: {}", o.output.c_str(), written.error().message().c_str());
  fmt::print(stderr, "exported the slashing-protection history of {} to {}\n", o.data_dir.c_str(),
             o.output.c_str());
  return 0;
}

int import_cmd(const SlashingOptions& o) {
  if (o.input.empty()) return error(kBadFlag, "--input is required (a file, or - for standard input)");
  auto text = read_input(o.input);
  if (!text) return error(kFailed, "--input {}: {}", o.input.c_str(), text.error().c_str());
  auto doc = slashing::parse_interchange(*text);
  if (!doc) return error(kFailed, "--input {}: {}", o.input.c_str(), doc.error().detail.c_str());
  auto db_root = database_root(o);
  if (!db_root) return db_root.error();
  auto chain = import_root(o, *db_root);
  if (!chain) return chain.error();
  const auto& [root, source] = *chain;
  if (doc->genesis_validators_root != root)
    return error(kFailed,
                 "--input {} is for genesis_validators_root {}, but {} is for {} (from {}): another chain, "
                 "nothing imported",
                 o.input.c_str(), to_hex(doc->genesis_validators_root).c_str(), o.data_dir.c_str(),
                 to_hex(root).c_str(), source.c_str());
  auto guard = lock_data_dir(o);
  if (!guard) return guard.error();
  // A new database is created 0600 (SQLite would follow the umask; its -wal/-shm files copy the mode).
  if (!*db_root) {
    auto path = db_path(o);
    std::FILE* f = std::fopen(path.c_str(), "wx");
    if (!f) return error(kFailed, "{}: cannot create it", path.c_str());
    std::fclose(f);
    ::chmod(path.c_str(), 0600);
  }
  auto db = slashing::SlashingDb::open(db_path(o), root);
  if (!db) return error(kFailed, "{}: {}", db_path(o).c_str(), db.error().message().c_str());
  auto sum = db->import_interchange(*doc);
  if (!sum)
    return error(kFailed, "import of {} failed, nothing imported: {}", o.input.c_str(),
                 sum.error().detail.c_str());
  fmt::print(stderr, "imported {} into {}: {} validators, {} new blocks, {} new attestations\n",
             o.input.c_str(), db_path(o).c_str(), sum->validators, sum->blocks_inserted,
             sum->attestations_inserted);
  return 0;
}

}  // namespace

void add_slashing_commands(CLI::App& root) {
  auto o = std::make_shared<SlashingOptions>();
  auto* s = root.add_subcommand("slashing", "Export or import the slashing-protection history (EIP-3076 v5)");
  s->require_subcommand(1);

  auto* e = s->add_subcommand("export",
                              "Write the data directory's slashing database as EIP-3076 interchange JSON");
  e->add_option("--data-dir", o->data_dir, "The node's data directory (holds slashing.sqlite)")
      ->capture_default_str();
  e->add_option("--output", o->output, "Output file (written 0600), or - for standard output")
      ->capture_default_str();
  e->add_flag("--force", o->force, "Replace an existing output file");
  e->callback([o] { std::exit(export_cmd(*o)); });

  auto* i =
      s->add_subcommand("import", "Merge an EIP-3076 interchange file into the data directory's database");
  i->add_option("--data-dir", o->data_dir, "The node's data directory (slashing.sqlite is created if absent)")
      ->capture_default_str();
  i->add_option("--input", o->input, "Interchange file, or - for standard input")->required();
  i->add_option("--lock-file", o->lock_file,
                "Cluster lock naming the chain when the database does not exist yet (its network's root)")
      ->capture_default_str();
  i->add_option(
      "--genesis-validators-root", o->gvr_hex,
      "The chain's genesis_validators_root (0x…), for a new database of a devnet or another network");
  i->callback([o, i] {
    o->lock_file_given = i->get_option("--lock-file")->count() > 0;
    std::exit(import_cmd(*o));
  });
}

}  // namespace phx::tools
