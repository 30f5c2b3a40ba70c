#include "ssz/codec.hpp"

namespace phx::ssz {

const char* to_string(SszError e) {
  switch (e) {
    case SszError::kOk:
      return "ok";
    case SszError::kBadLength:
      return "wrong length";
    case SszError::kBadOffset:
      return "bad offset";
    case SszError::kTooManyElements:
      return "more elements than the limit";
    case SszError::kBadBoolean:
      return "boolean byte not 0 or 1";
    case SszError::kBadBitlist:
      return "bitlist without delimiter bit";
    case SszError::kBadBitvector:
      return "bitvector with bits set beyond its length";
  }
  return "unknown ssz error";
}

}  // namespace phx::ssz
