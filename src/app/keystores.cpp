// Start-up key loading: parallel EIP-2335 decryption with progress lines, keys of upcoming duties first while the
// node runs, and the keystore cache (keystores.hpp).
#include "app/keystores.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "app/fs.hpp"
#include "app/key_load_order.hpp"
#include "base/log.hpp"
#include "base/progress.hpp"
#include "crypto/hash/pbkdf2.hpp"
#include "crypto/hash/sha256.hpp"
#include "crypto/keystore/cache.hpp"
#include "crypto/keystore/eip2335.hpp"

namespace phx::app {

namespace fs = std::filesystem;
namespace ks = crypto::keystore;

namespace {

/// Seconds as the progress lines show durations ("42 s", "3 min 5 s").
std::string human(double seconds) {
  return format_duration(std::chrono::duration_cast<Duration>(std::chrono::duration<double>(seconds)));
}

/// One keystore file with its password.
struct Keystore {
  fs::path path;
  std::string json;
  SecretBytes password;
};

/// A decrypted key and the public share it belongs to.
struct Loaded {
  core::PubKey pubshare{};
  crypto::bls::SecretKey secret;
};

/// SHA-256 over every keystore file's name and contents, in file order: changes when any keystore is added,
/// removed, renamed or edited. (Passwords are not in it: they key the cache instead.)
ByteArray<32> fingerprint(const std::vector<Keystore>& stores) {
  crypto::hash::Sha256 h;
  h.update(as_bytes("phalanx keystore cache fingerprint v1"));
  for (const auto& k : stores) {
    const std::string name = k.path.filename().string();
    std::array<std::uint8_t, 16> lens{};
    put_le64(lens.data(), name.size());
    put_le64(lens.data() + 8, k.json.size());
    h.update(lens).update(as_bytes(name)).update(as_bytes(k.json));
  }
  return h.finish();
}

/// The cache's password: every keystore password, length-prefixed, in file order (scrypt takes any length).
SecretBytes cache_password(const std::vector<Keystore>& stores) {
  std::size_t n = 0;
  for (const auto& k : stores) n += 8 + k.password.size();
  SecretBytes out(n);
  std::uint8_t* p = out.mut_view().data();
  for (const auto& k : stores) {
    put_le64(p, k.password.size());
    std::copy_n(k.password.view().data(), k.password.size(), p + 8);
    p += 8 + k.password.size();
  }
  return out;
}

/// The cache's KDF, as strong as the strongest keystore's: PBKDF2 at the largest c when every keystore uses PBKDF2
/// (Charon's and `create cluster`'s default: no memory, where scrypt N = 2^18 takes 256 MiB at every start);
/// otherwise scrypt at the largest N (PBKDF2 keystores count as EIP-2335's default N = 2^18).
struct CacheKdf {
  ks::Kdf kdf = ks::Kdf::kScrypt;
  std::uint64_t cost = 2;
};
CacheKdf cache_kdf(const std::vector<Keystore>& stores) {
  std::uint64_t n = 2, c = 1;
  bool all_pbkdf2 = !stores.empty();
  for (const auto& k : stores) {
    auto info = ks::kdf_info(k.json);
    if (!info) continue;
    if (info->kdf == ks::Kdf::kPbkdf2) {
      c = std::max(c, info->cost);
      n = std::max<std::uint64_t>(n, std::uint64_t{1} << 18);
    } else {
      all_pbkdf2 = false;
      n = std::max(n, info->cost);
    }
  }
  if (all_pbkdf2) return {ks::Kdf::kPbkdf2, std::min<std::uint64_t>(c, std::uint64_t{1} << 24)};
  std::uint64_t pow2 = 2;
  while (pow2 < n && pow2 < (std::uint64_t{1} << 20)) pow2 <<= 1;
  return {ks::Kdf::kScrypt, pow2};
}

/// The public shares of decrypted keys.
std::vector<core::PubKey> pubshares_of(const std::vector<Loaded>& loaded) {
  std::vector<core::PubKey> out;
  out.reserve(loaded.size());
  for (const auto& l : loaded) out.push_back(l.pubshare);
  return out;
}

/// The DV key of each public share, after every check on cluster membership (nothing is moved yet).
Result<std::vector<core::PubKey>, std::string> dv_keys_of(const std::vector<core::PubKey>& pubshares,
                                                          const std::vector<Keystore>& stores,
                                                          const core::KeyBook& book, ShareIdx share_idx,
                                                          const fs::path& where_all) {
  std::vector<core::PubKey> out;
  out.reserve(pubshares.size());
  std::set<core::PubKey> seen;
  for (std::size_t i = 0; i < pubshares.size(); ++i) {
    const std::string where = i < stores.size() ? stores[i].path.string() : where_all.string();
    auto ref = book.by_pubshare(pubshares[i]);
    if (!ref) return std::unexpected(where + " holds a key that is not a share of this cluster");
    if (ref->share_idx != share_idx)
      return std::unexpected(where + " holds share " + std::to_string(ref->share_idx.value) +
                             ", but this node is share " + std::to_string(share_idx.value));
    if (!seen.insert(ref->pubkey).second) return std::unexpected(where + " repeats a validator's share");
    out.push_back(ref->pubkey);
  }
  if (out.size() != book.size())
    return std::unexpected("found " + std::to_string(out.size()) + " share keystores in " + where_all.string() +
                           ", the cluster has " + std::to_string(book.size()) + " validators");
  return out;
}

/// The keys by DV key (`dv` from dv_keys_of).
ShareKeys to_share_keys(std::vector<Loaded> loaded, const std::vector<core::PubKey>& dv) {
  ShareKeys keys;
  for (std::size_t i = 0; i < loaded.size(); ++i) keys.emplace(dv[i], std::move(loaded[i].secret));
  return keys;
}

/// Decrypts every keystore on `threads` threads, logging progress. Errors: the first failing file's.
Result<std::vector<Loaded>, std::string> decrypt_all(const std::vector<Keystore>& stores, unsigned threads,
                                                     Duration progress_interval) {
  const std::size_t n = stores.size();
  std::vector<std::optional<Loaded>> out(n);
  std::vector<std::string> errors(n);
  std::atomic<std::size_t> next{0};
  std::atomic<std::size_t> done{0};
  std::atomic<bool> failed{false};
  // Each worker takes hash::kPbkdf2Lanes keystores at a time: PBKDF2 ones are derived interleaved on its core.
  constexpr std::size_t kBatch = crypto::hash::kPbkdf2Lanes;
  auto work = [&] {
    for (std::size_t first = next.fetch_add(kBatch); first < n && !failed.load(); first = next.fetch_add(kBatch)) {
      const std::size_t end = std::min(n, first + kBatch);
      std::vector<ks::DecryptJob> jobs;
      for (std::size_t i = first; i < end; ++i) {
        const Keystore& k = stores[i];
        jobs.push_back(ks::DecryptJob{
            k.json, std::string_view(reinterpret_cast<const char*>(k.password.view().data()), k.password.size())});
      }
      auto keys = ks::decrypt_many(jobs);
      for (std::size_t i = first; i < end; ++i) {
        auto& sk = keys[i - first];
        const Keystore& k = stores[i];
        if (!sk) {
          errors[i] = "cannot decrypt " + k.path.string() + ": " + sk.error().message();
          failed = true;
          continue;
        }
        // decrypt_many() checked the stored pubkey against the secret; only keystores without one need the point.
        auto pk = ks::keystore_pubkey(k.json);
        out[i].emplace(Loaded{pk ? *pk : sk->public_key().to_bytes(), std::move(*sk)});
      }
      done.fetch_add(end - first);
    }
  };
  const unsigned workers = std::max(1u, std::min<unsigned>(threads, static_cast<unsigned>(std::max<std::size_t>(n, 1))));
  ProgressReporter::Options po;
  po.line_interval = progress_interval;
  auto progress = stderr_progress("keystores decrypted on " + std::to_string(workers) + " threads", n,
                                  ProgressReporter::Lines::kLog, po);
  {
    std::vector<std::jthread> pool;
    for (unsigned t = 0; t < workers; ++t) pool.emplace_back(work);
    while (done.load() < n && !failed.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      progress.set(done.load());
    }
  }  // joins
  for (const auto& e : errors)
    if (!e.empty()) return std::unexpected(e);
  std::vector<Loaded> loaded;
  loaded.reserve(n);
  for (auto& o : out) loaded.push_back(std::move(*o));
  progress.set(n);
  progress.finish();
  return loaded;
}

/// The cache's keys if it matches `stores`; else nullopt with the reason in `note`.
std::optional<std::vector<Loaded>> from_cache(const fs::path& file, const std::vector<Keystore>& stores,
                                              std::string& note) {
  std::error_code ec;
  if (!fs::exists(file, ec)) {
    note = "none yet";
    return std::nullopt;
  }
  auto bytes = read_file(file, ks::kCacheHeaderSize + std::size_t{ks::kCacheMaxEntries} * ks::kCacheEntrySize + 64);
  if (!bytes) {
    note = "unreadable: " + bytes.error().message();
    return std::nullopt;
  }
  auto header = ks::parse_cache_header(*bytes);
  if (!header) {
    note = header.error().message();
    return std::nullopt;
  }
  if (header->fingerprint != fingerprint(stores) || header->count != stores.size()) {
    note = "keystore files changed";
    return std::nullopt;
  }
  const SecretBytes password = cache_password(stores);
  auto entries = ks::decrypt_cache(*bytes, password.view());
  if (!entries) {
    note = entries.error().message();
    return std::nullopt;
  }
  std::vector<Loaded> out;
  out.reserve(entries->size());
  for (auto& e : *entries) out.push_back(Loaded{e.pubshare, std::move(e.secret)});
  return out;
}

/// Seals `loaded` into the cache file (0600). Failures are logged, never fatal.
bool write_cache(const fs::path& file, const std::vector<Loaded>& loaded, const std::vector<Keystore>& stores) {
  std::vector<ks::CacheEntry> entries;
  entries.reserve(loaded.size());
  for (const auto& l : loaded) {
    auto sk = crypto::bls::SecretKey::from_bytes(l.secret.to_bytes().view());
    if (!sk) return false;
    entries.push_back(ks::CacheEntry{l.pubshare, std::move(*sk)});
  }
  const SecretBytes password = cache_password(stores);
  const CacheKdf kdf = cache_kdf(stores);
  auto sealed = ks::encrypt_cache(entries, password.view(), fingerprint(stores), kdf.kdf, kdf.cost);
  if (!sealed) {
    log::warn("keystore cache not written: {}", sealed.error().message());
    return false;
  }
  if (auto w = write_file_atomic(file, *sealed, 0600, true); !w) {
    log::warn("keystore cache {} not written: {}", file.string(), w.error().message());
    return false;
  }
  return true;
}

/// Every keystore-*.json of `dir` (sorted by name) with its password.
Result<std::vector<Keystore>, std::string> read_keystores(const fs::path& dir) {
  std::error_code ec;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.starts_with("keystore-") && e.path().extension() == ".json") files.push_back(e.path());
  }
  if (ec) return std::unexpected("cannot read keystore folder " + dir.string() + ": " + ec.message());
  std::sort(files.begin(), files.end());
  std::vector<Keystore> stores;
  stores.reserve(files.size());
  for (const auto& f : files) {
    auto json = read_file(f, 1u << 20);
    if (!json) return std::unexpected("cannot read " + f.string() + ": " + json.error().message());
    fs::path pw_path = f;
    pw_path.replace_extension(".txt");
    auto pw = read_file(pw_path, 4096);
    if (!pw) return std::unexpected("cannot read the password file " + pw_path.string());
    std::size_t len = pw->size();
    while (len > 0 && ((*pw)[len - 1] == '\n' || (*pw)[len - 1] == '\r')) --len;
    SecretBytes password(ByteSpan(pw->data(), len));
    secure_zero(pw->data(), pw->size());
    stores.push_back(Keystore{f, std::string(json->begin(), json->end()), std::move(password)});
  }
  return stores;
}

/// The keys from the cache when it matches `stores` and the cluster (nullopt otherwise, the reason in the report).
std::optional<ShareKeys> keys_from_cache(const std::vector<Keystore>& stores, const core::KeyBook& book,
                                         ShareIdx share_idx, const KeyLoadOptions& options, KeyLoadReport& rep) {
  if (options.cache_file.empty()) return std::nullopt;
  if (auto cached = from_cache(options.cache_file, stores, rep.cache_note)) {
    auto dv = dv_keys_of(pubshares_of(*cached), {}, book, share_idx, options.cache_file);
    if (dv) {
      rep.from_cache = true;
      log::info("keystores: {} share keys loaded from the keystore cache {}", dv->size(), options.cache_file.string());
      return to_share_keys(std::move(*cached), *dv);
    }
    rep.cache_note = "does not fit the cluster: " + dv.error();
  }
  log::info("keystore cache {} not used ({}): decrypting {} keystores", options.cache_file.string(), rep.cache_note,
            stores.size());
  return std::nullopt;
}

unsigned thread_count(const KeyLoadOptions& options) {
  return options.threads != 0 ? options.threads : std::max(1u, std::thread::hardware_concurrency());
}

/// Decrypts every keystore before returning, then writes the cache.
Result<ShareKeys, std::string> decrypt_now(const std::vector<Keystore>& stores, const fs::path& dir,
                                           const core::KeyBook& book, ShareIdx share_idx,
                                           const KeyLoadOptions& options, KeyLoadReport& rep) {
  auto loaded = decrypt_all(stores, thread_count(options), options.progress_interval);
  if (!loaded) return std::unexpected(loaded.error());
  auto dv = dv_keys_of(pubshares_of(*loaded), stores, book, share_idx, dir);
  if (!dv) return std::unexpected(dv.error());
  if (!options.cache_file.empty()) rep.cache_written = write_cache(options.cache_file, *loaded, stores);
  return to_share_keys(std::move(*loaded), *dv);
}

}  // namespace

Result<ShareKeys, std::string> load_share_keys(const fs::path& dir, const core::KeyBook& book, ShareIdx share_idx,
                                               const KeyLoadOptions& options, KeyLoadReport* report) {
  KeyLoadReport local;
  KeyLoadReport& rep = report != nullptr ? *report : local;
  rep = KeyLoadReport{};
  auto stores = read_keystores(dir);
  if (!stores) return std::unexpected(stores.error());
  rep.keystores = stores->size();
  if (auto cached = keys_from_cache(*stores, book, share_idx, options, rep)) return std::move(*cached);
  return decrypt_now(*stores, dir, book, share_idx, options, rep);
}

// ------------------------------------------------------------------------------------------------ LiveShareKeys

struct LiveShareKeys::Loader {
  std::vector<Keystore> stores;
  std::vector<core::PubKey> pubshares;           // keystore → its public share (the pubkey field)
  std::map<core::PubKey, std::size_t> store_of;  // DV key → keystore (= slot)
  fs::path cache_file;
  Duration progress_interval{};
  unsigned threads = 1;
  std::chrono::steady_clock::time_point start;
  std::mutex mutex;  // guards order, current_slot, handled, last_progress
  KeyLoadOrder order{0};
  std::function<Slot()> current_slot;  // the node's slot clock (set_current_slot); empty: Slot{0}
  std::size_t handled = 0;
  std::chrono::steady_clock::time_point last_progress;
  std::atomic<bool> all_handled{false};
  std::condition_variable all_handled_cv;
  std::atomic<bool> stop{false};
  std::vector<std::thread> pool;
};

std::shared_ptr<LiveShareKeys> LiveShareKeys::loaded(ShareKeys keys) {
  std::shared_ptr<LiveShareKeys> out(new LiveShareKeys());
  for (auto& [pk, sk] : keys) {
    out->index_.emplace(pk, out->slots_.size());
    out->slots_.push_back(std::make_unique<KeySlot>());
    out->publish(out->slots_.size() - 1, std::move(sk));
  }
  return out;
}

LiveShareKeys::~LiveShareKeys() {
  if (!loader_) return;
  loader_->stop = true;
  for (auto& t : loader_->pool)
    if (t.joinable()) t.join();
}

const crypto::bls::SecretKey* LiveShareKeys::find(const core::PubKey& pubkey) const {
  auto it = index_.find(pubkey);
  if (it == index_.end()) return nullptr;
  const KeySlot& s = *slots_[it->second];
  return s.ready.load(std::memory_order_acquire) ? &*s.key : nullptr;
}

bool LiveShareKeys::done() const { return !loader_ || loader_->all_handled.load(std::memory_order_acquire); }

void LiveShareKeys::wait() const {
  if (!loader_) return;
  std::unique_lock lock(loader_->mutex);
  loader_->all_handled_cv.wait(lock, [&] { return loader_->all_handled.load(); });
}

void LiveShareKeys::publish(std::size_t slot, crypto::bls::SecretKey key) {
  KeySlot& s = *slots_[slot];
  s.key.emplace(std::move(key));
  s.ready.store(true, std::memory_order_release);
  loaded_.fetch_add(1, std::memory_order_acq_rel);
}

void LiveShareKeys::set_current_slot(std::function<Slot()> fn) {
  if (!loader_) return;
  std::lock_guard lock(loader_->mutex);
  loader_->current_slot = std::move(fn);
}

void LiveShareKeys::on_duties(const core::EpochDuties& duties, Slot epoch_start) {
  if (!loader_ || loader_->all_handled.load()) return;
  Loader& l = *loader_;
  std::lock_guard lock(l.mutex);
  if (l.order.pending() == 0) return;
  auto need = [&](const core::PubKey& pk, KeyNeed what, Slot slot) {
    if (auto it = l.store_of.find(pk); it != l.store_of.end()) l.order.on_duty(it->second, what, slot);
  };
  for (const auto& [slot, defs] : duties.proposers)
    for (const auto& entry : defs) need(entry.first, KeyNeed::kProposer, slot);
  for (const auto& entry : duties.sync) need(entry.first, KeyNeed::kSync, epoch_start);
  for (const auto& [slot, defs] : duties.attesters)
    for (const auto& entry : defs) need(entry.first, KeyNeed::kAttester, slot);
}

void LiveShareKeys::work() {
  Loader& l = *loader_;
  constexpr std::size_t kBatch = crypto::hash::kPbkdf2Lanes;  // PBKDF2 keystores derived interleaved
  const std::size_t n = l.stores.size();
  while (!l.stop.load()) {
    std::vector<std::size_t> batch;
    {
      std::lock_guard lock(l.mutex);
      const Slot now = l.current_slot ? l.current_slot() : Slot{0};
      while (batch.size() < kBatch) {
        auto i = l.order.pop(now);
        if (!i) break;
        batch.push_back(*i);
      }
    }
    if (batch.empty()) return;
    std::vector<ks::DecryptJob> jobs;
    for (std::size_t i : batch) {
      const Keystore& k = l.stores[i];
      jobs.push_back(ks::DecryptJob{
          k.json, std::string_view(reinterpret_cast<const char*>(k.password.view().data()), k.password.size())});
    }
    auto keys = ks::decrypt_many(jobs);
    for (std::size_t j = 0; j < batch.size(); ++j) {
      if (keys[j]) {
        publish(batch[j], std::move(*keys[j]));  // decrypt checked the pubkey field the slot was chosen by
      } else {
        failed_.fetch_add(1);
        log::error("keystores: cannot decrypt {}: {}; its validator's duties fail (key_not_loaded) until a restart",
                   l.stores[batch[j]].path.string(), keys[j].error().message());
      }
    }
    bool last = false;
    std::optional<std::string> progress;
    {
      std::lock_guard lock(l.mutex);
      l.handled += batch.size();
      last = l.handled == n;
      const auto now = std::chrono::steady_clock::now();
      if (!last && now - l.last_progress >= l.progress_interval) {
        l.last_progress = now;
        const double secs = std::chrono::duration<double>(now - l.start).count();
        const double rate = secs > 0 ? static_cast<double>(l.handled) / secs : 0;
        progress = fmt::format("keystores: {} of {} decrypted ({:.1f}/s on {} threads), about {} left", l.handled, n,
                               rate, l.threads,
                               rate > 0 ? human(static_cast<double>(n - l.handled) / rate) : std::string("?"));
      }
    }
    if (progress) log::info("{}", *progress);
    if (last) {
      finish();
      {
        std::lock_guard lock(l.mutex);
        l.all_handled = true;
      }
      l.all_handled_cv.notify_all();
      return;
    }
  }
}

void LiveShareKeys::finish() {
  Loader& l = *loader_;
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - l.start).count();
  const std::size_t n = l.stores.size();
  if (failed_.load() != 0) {
    log::error("keystores: {} of {} share keys loaded in {}; {} keystores failed (see above), the cache is not written",
               loaded_count(), n, human(secs), failed_.load());
    return;
  }
  log::info("keystores: all {} share keys loaded in {} ({:.1f}/s on {} threads)", n, human(secs),
            secs > 0 ? static_cast<double>(n) / secs : 0.0, l.threads);
  if (l.cache_file.empty()) return;
  std::vector<Loaded> loaded;
  loaded.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    auto copy = crypto::bls::SecretKey::from_bytes(slots_[i]->key->to_bytes().view());
    if (!copy) return;
    loaded.push_back(Loaded{l.pubshares[i], std::move(*copy)});
  }
  if (write_cache(l.cache_file, loaded, l.stores))
    log::info("keystores: keystore cache {} written (later starts load every key at once)", l.cache_file.string());
}

Result<std::shared_ptr<LiveShareKeys>, std::string> start_share_keys(const fs::path& dir, const core::KeyBook& book,
                                                                     ShareIdx share_idx,
                                                                     const KeyLoadOptions& options) {
  KeyLoadReport rep;
  auto stores = read_keystores(dir);
  if (!stores) return std::unexpected(stores.error());
  if (auto cached = keys_from_cache(*stores, book, share_idx, options, rep))
    return LiveShareKeys::loaded(std::move(*cached));
  std::vector<core::PubKey> pubshares;
  pubshares.reserve(stores->size());
  for (const auto& k : *stores) {
    auto pk = ks::keystore_pubkey(k.json);
    if (!pk) break;
    pubshares.push_back(*pk);
  }
  if (pubshares.size() != stores->size()) {  // a keystore without a pubkey field: its validator is unknown
    log::info("keystores: a keystore has no pubkey field: decrypting all {} before the node starts", stores->size());
    auto keys = decrypt_now(*stores, dir, book, share_idx, options, rep);
    if (!keys) return std::unexpected(keys.error());
    return LiveShareKeys::loaded(std::move(*keys));
  }
  auto dv = dv_keys_of(pubshares, *stores, book, share_idx, dir);
  if (!dv) return std::unexpected(dv.error());

  std::shared_ptr<LiveShareKeys> out(new LiveShareKeys());
  auto loader = std::make_unique<LiveShareKeys::Loader>();
  for (std::size_t i = 0; i < dv->size(); ++i) {
    out->index_.emplace((*dv)[i], i);
    out->slots_.push_back(std::make_unique<LiveShareKeys::KeySlot>());
    loader->store_of.emplace((*dv)[i], i);
  }
  loader->stores = std::move(*stores);
  loader->pubshares = std::move(pubshares);
  loader->cache_file = options.cache_file;
  loader->progress_interval = options.progress_interval;
  loader->threads = std::max(1u, std::min<unsigned>(thread_count(options),
                                                    static_cast<unsigned>(std::max<std::size_t>(dv->size(), 1))));
  loader->order = KeyLoadOrder(dv->size());
  loader->start = loader->last_progress = std::chrono::steady_clock::now();
  out->loader_ = std::move(loader);
  LiveShareKeys::Loader& l = *out->loader_;
  if (l.stores.empty()) {
    l.all_handled = true;
    return out;
  }
  log::info("keystores: decrypting {} keystores on {} threads while the node starts (keys of upcoming duties first)",
            l.stores.size(), l.threads);
  LiveShareKeys* self = out.get();
  for (unsigned t = 0; t < l.threads; ++t) l.pool.emplace_back([self] { self->work(); });
  return out;
}

}  // namespace phx::app
