// DATA_DIR/superseded-locks.txt: recording the locks a reshare replaced and refusing them.
#include "app/superseded_locks.hpp"

#include "app/fs.hpp"

namespace phx::app {

Result<void, std::string> record_superseded_lock(const std::filesystem::path& dir, const Root& old_lock_hash,
                                                 const Root& new_lock_hash,
                                                 const std::filesystem::path& new_lock_file) {
  const auto path = dir / kSupersededLocksFile;
  std::string text;
  if (std::filesystem::exists(path)) {
    auto old = read_file(path, 1u << 20);
    if (!old) return std::unexpected(path.string() + ": " + old.error().message());
    text.assign(old->begin(), old->end());
    if (!text.empty() && text.back() != '\n') text += '\n';
  }
  const std::string line =
      "superseded " + to_hex(old_lock_hash) + " by " + to_hex(new_lock_hash) + " in " + new_lock_file.string() + "\n";
  if (text == line || text.ends_with("\n" + line)) return {};  // recorded by an earlier, interrupted run
  text += line;
  if (auto w = write_file_atomic(path, as_bytes(text), 0600, true); !w)
    return std::unexpected(path.string() + ": " + w.error().message());
  return {};
}

std::optional<std::string> find_superseding(std::string_view text, const Root& lock_hash) {
  const std::string prefix = "superseded " + to_hex(lock_hash) + " by ";
  while (!text.empty()) {
    const auto end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (line.starts_with(prefix)) return std::string(line);
  }
  return std::nullopt;
}

Result<void, std::string> check_not_superseded(const std::filesystem::path& dir, const Root& lock_hash) {
  const auto path = dir / kSupersededLocksFile;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return {};
  auto raw = read_file(path, 1u << 20);
  if (!raw) return std::unexpected("cannot read " + path.string() + ": " + raw.error().message());
  auto line = find_superseding(std::string_view(reinterpret_cast<const char*>(raw->data()), raw->size()), lock_hash);
  if (!line) return {};
  return std::unexpected("this lock was superseded by a reshare (" + path.string() + ": " + *line +
                         "); run the new lock instead");
}

}  // namespace phx::app
