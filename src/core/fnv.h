// FNV-1a: a fast hash for telling data apart (checksums, cache tags, spreading
// inputs). Not a security hash: use crypto.h wherever an attacker chooses the
// input and must not be able to predict or collide the result.
#pragma once

#include <cstdint>
#include <string_view>

namespace passwerk {

inline uint32_t Fnv1a32(std::string_view data) {
  uint32_t hash = 2166136261u;
  for (unsigned char c : data) {
    hash ^= c;
    hash *= 16777619u;
  }
  return hash;
}

inline uint64_t Fnv1a64(std::string_view data) {
  uint64_t hash = 14695981039346656037ULL;
  for (unsigned char c : data) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  return hash;
}

}  // namespace passwerk
