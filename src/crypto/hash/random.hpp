#pragma once
/// Random bytes from OpenSSL's CSPRNG, and RFC 4122 version-4 UUIDs (keystores, cluster definitions).
#include <string>

#include "base/bytes.hpp"

namespace phx::crypto::hash {

/// Fills `out` from the CSPRNG (PHX_ASSERT on failure: without randomness nothing can be created safely).
void random_bytes(MutByteSpan out);

/// A random version-4 UUID, "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx", lower case unless `upper`.
std::string uuid_v4(bool upper = false);

}  // namespace phx::crypto::hash
