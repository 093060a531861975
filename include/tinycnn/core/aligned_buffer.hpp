// An owning, 64-byte aligned, zero-initialised array: the storage under every tensor and
// parameter buffer. 64 bytes is a cache line and the widest SIMD register, so aligned loads
// are always legal on buffer starts.
#pragma once
#include <cstdlib>
#include <cstring>
#include <new>
#include <span>
#include <utility>

#include "tinycnn/core/error.hpp"
#include "tinycnn/core/shape.hpp"

namespace tinycnn {

inline constexpr std::size_t kAlignment = 64;

// Rounds a count of elements up so that the next slice starts on a 64-byte boundary.
template <class T>
constexpr index_t align_count(index_t n) {
  constexpr index_t per_line = kAlignment / sizeof(T);
  return (n + per_line - 1) / per_line * per_line;
}

template <class T>
class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  explicit AlignedBuffer(index_t n) { resize(n); }
  AlignedBuffer(const AlignedBuffer& o) : AlignedBuffer(o.size_) {
    if (size_) std::memcpy(data_, o.data_, size_ * sizeof(T));
  }
  AlignedBuffer(AlignedBuffer&& o) noexcept
      : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)) {}
  AlignedBuffer& operator=(AlignedBuffer o) noexcept {
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
    return *this;
  }
  ~AlignedBuffer() { std::free(data_); }

  // Discards the contents; the new elements are zero.
  void resize(index_t n) {
    require(n >= 0, "negative buffer size");
    std::free(std::exchange(data_, nullptr));
    size_ = 0;
    if (n == 0) return;
    std::size_t bytes = (static_cast<std::size_t>(n) * sizeof(T) + kAlignment - 1) / kAlignment * kAlignment;
    data_ = static_cast<T*>(std::aligned_alloc(kAlignment, bytes));
    if (!data_) throw std::bad_alloc();
    std::memset(static_cast<void*>(data_), 0, bytes);
    size_ = n;
  }

  T* data() { return data_; }
  const T* data() const { return data_; }
  index_t size() const { return size_; }
  std::size_t bytes() const { return static_cast<std::size_t>(size_) * sizeof(T); }
  T& operator[](index_t i) { return data_[i]; }
  const T& operator[](index_t i) const { return data_[i]; }
  std::span<T> span() { return {data_, static_cast<std::size_t>(size_)}; }
  std::span<const T> span() const { return {data_, static_cast<std::size_t>(size_)}; }

 private:
  T* data_ = nullptr;
  index_t size_ = 0;
};

}  // namespace tinycnn
