#pragma once
/// The runner's files: the data-directory preflight, atomic 0600/0644 writes, the staged artifacts
/// (cluster-lock.json, deposit-data*.json, validator_keys/keystore-N.json|txt) and their publication.
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "crypto/bls/bls.hpp"
#include "crypto/keystore/eip2335.hpp"

namespace phx::dkg::runner {

/// Name of the runner's working folder inside the data directory (journal, staged artifacts).
inline constexpr const char* kWorkDir = ".phalanx-dkg";
/// Name of the transcript file.
inline constexpr const char* kTranscriptFile = "dkg-transcript.ssz";

/// Local preflight reasons, sent in R0 (Hello::preflight) so every operator learns which node is not ready.
enum class PreflightCode : std::uint8_t {
  kReady = 0,
  kNotWritable = 1,  ///< the data directory cannot be written
  kArtifactsExist =
      2,  ///< a cluster-lock.json, validator_keys/, deposit-data*.json or transcript is already there
  kDiskSpace = 3,  ///< not enough free space for the journal and the artifacts
};

/// The outcome of the local preflight: a code and a one-line detail naming the file or the numbers.
struct Preflight {
  PreflightCode code = PreflightCode::kReady;
  std::string detail;
};

/// Checks the data directory before any secret is made: writable (a probe file), clean (no artifacts of an
/// earlier cluster), and at least `need_bytes` free.
Preflight preflight_data_dir(const std::filesystem::path& dir, std::uint64_t need_bytes);

/// Disk space a ceremony needs: about twice the messages it journals plus the keystores.
std::uint64_t estimate_disk_need(std::uint32_t n, std::uint32_t t, std::uint32_t validators,
                                 std::uint32_t roots);

/// Writes `data` to `path` atomically (temp file, fsync unless `sync` is false, rename, folder fsync) with
/// permission `mode`; creates parent folders 0700. Replaces an existing file. The error is one line naming
/// the file.
Result<void, std::string> write_file_synced(const std::filesystem::path& path, ByteSpan data, unsigned mode,
                                            bool sync = true);

/// Flushes every file of the file system holding `path` (syncfs): one flush after many unsynced writes.
Result<void, std::string> sync_file_system(const std::filesystem::path& path);

/// Encrypts `keys[n]` as EIP-2335 keystore-n.json (0600) with a random password in keystore-n.txt (0400) in `dir`,
/// with `kdf` at EIP-2335's default cost 2^18, on every core (PBKDF2 lanes interleaved on each); `insecure`:
/// scrypt N = 16 instead, for test clusters only (as `create cluster --insecure-keys`). Not synced: call
/// sync_file_system after.
Result<void, std::string> write_keystores(const std::filesystem::path& dir,
                                          std::span<const crypto::bls::SecretKey> keys, bool insecure,
                                          crypto::keystore::Kdf kdf = crypto::keystore::Kdf::kPbkdf2);

/// Moves every staged artifact from `stage` into `data_dir` (renames in one file system; validator_keys/ as a
/// folder), then fsyncs the data directory.
Result<void, std::string> publish_artifacts(const std::filesystem::path& stage,
                                            const std::filesystem::path& data_dir);

}  // namespace phx::dkg::runner
