// Workspace: the scratch memory a kernel call may use, handed down by its caller.
//
// Kernels need temporary buffers (packed GEMM panels, rotated weights, column gradients). They
// do not allocate them: each kernel states how many bytes a problem needs at a thread count,
// the owner of the memory (a Network) plans the largest need among its layers once, and every
// call receives a view of that memory. So the step loop allocates nothing, the memory plan sees
// every byte, and two networks in one process never share a buffer.
//
// A Workspace is a small value (a base, a size, a cursor): a kernel copies the view it was given
// and carves pieces off the copy with take<T>(n). The same carving code also sizes the plan:
// run on a *measuring* workspace (no memory; take() returns null and only counts), it returns
// exactly what the real run will take, so the plan and the use cannot drift apart. A take()
// beyond the planned size throws instead of writing past the end.
#pragma once
#include <cstddef>
#include <string>

#include "tinycnn/core/aligned_buffer.hpp"
#include "tinycnn/core/error.hpp"

namespace tinycnn::parallel {

class Workspace {
 public:
  Workspace() = default;  // empty: any take() of a nonzero size throws
  Workspace(void* base, std::size_t bytes) : base_(static_cast<std::byte*>(base)), size_(bytes) {}

  // A workspace that hands out no memory and counts what is taken (see workspace_bytes below).
  static Workspace measuring() {
    Workspace w;
    w.measuring_ = true;
    return w;
  }

  // n elements of T, starting on a cache line.
  template <class T>
  T* take(index_t n) {
    return static_cast<T*>(static_cast<void*>(take_bytes(std::size_t(align_count<T>(n)) * sizeof(T))));
  }
  // A part of this workspace as a workspace of its own (for a nested call, or for one thread).
  Workspace take_view(std::size_t bytes) {
    std::byte* p = take_bytes(round_up(bytes));
    if (measuring_) return measuring();
    return Workspace(p, round_up(bytes));
  }
  // `parts` equal views of `bytes` each, for the threads of a team: part(i) is the i-th.
  struct Parts {
    std::byte* base;
    std::size_t stride;
    bool measuring;
    Workspace part(int i) const { return measuring ? Workspace::measuring() : Workspace(base + std::size_t(i) * stride, stride); }
    // The i-th part as an array of T (a part taken for exactly such an array).
    template <class T>
    T* at(int i) const { return static_cast<T*>(static_cast<void*>(base + std::size_t(i) * stride)); }
  };
  Parts take_parts(int parts, std::size_t bytes) {
    const std::size_t stride = round_up(bytes);
    return {take_bytes(stride * std::size_t(parts)), stride, measuring_};
  }

  bool is_measuring() const { return measuring_; }
  std::size_t used() const { return used_; }
  std::size_t size() const { return size_; }

 private:
  static std::size_t round_up(std::size_t bytes) { return (bytes + kAlignment - 1) / kAlignment * kAlignment; }
  std::byte* take_bytes(std::size_t bytes) {
    if (measuring_) {
      used_ += bytes;
      return nullptr;
    }
    if (bytes > size_ - used_)
      throw Error("kernel workspace too small: " + std::to_string(used_ + bytes) + " bytes needed, " +
                  std::to_string(size_) + " planned (a workspace size function disagrees with its kernel)");
    std::byte* p = base_ + used_;
    used_ += bytes;
    return p;
  }

  std::byte* base_ = nullptr;
  std::size_t size_ = 0;
  std::size_t used_ = 0;
  bool measuring_ = false;
};

// Bytes that carve(Workspace&) takes: the size function of a kernel whose carving is carve.
template <class Carve>
std::size_t workspace_bytes(Carve&& carve) {
  Workspace w = Workspace::measuring();
  carve(w);
  return w.used();
}

// Memory for workspaces: grows to the largest plan asked for, never shrinks by itself.
class WorkspaceArena {
 public:
  void reserve(std::size_t bytes) {
    if (bytes > std::size_t(memory_.size())) memory_.resize(index_t((bytes + kAlignment - 1) / kAlignment * kAlignment));
  }
  void release() { memory_.resize(0); }
  Workspace view() { return Workspace(memory_.data(), std::size_t(memory_.size())); }
  std::size_t bytes() const { return std::size_t(memory_.size()); }

 private:
  AlignedBuffer<std::byte> memory_;
};

}  // namespace tinycnn::parallel
