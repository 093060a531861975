// Bitwise equality of two float sequences, and all finite: a NaN copied faithfully is still a
// broken state. Empty sequences compare equal without touching their (possibly null) data.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstring>
#include <span>

namespace tinycnn::test {

template <class T>
bool same_bits(std::span<const T> a, std::span<const T> b) {
  if (a.size() != b.size()) return false;
  if (!a.empty() && std::memcmp(a.data(), b.data(), a.size_bytes()) != 0) return false;
  return std::all_of(a.begin(), a.end(), [](T v) { return std::isfinite(v); });
}

}  // namespace tinycnn::test
