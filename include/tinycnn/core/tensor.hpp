// A batch of NHWC activations: contiguous, batch-major, 64-byte aligned. TensorView is the
// non-owning form that kernels and layers pass around.
#pragma once
#include "tinycnn/core/aligned_buffer.hpp"
#include "tinycnn/core/shape.hpp"

namespace tinycnn {

template <class T>
struct TensorView {
  T* data = nullptr;
  Shape shape;

  index_t size() const { return shape.size(); }
  T& operator()(index_t n, index_t h, index_t w, index_t c) const {
    return data[((n * shape.h + h) * shape.w + w) * shape.c + c];
  }
  operator TensorView<const T>() const { return {data, shape}; }
};

template <class T>
class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(Shape s) : shape_(s), storage_(s.size()) {}

  void reshape(Shape s) {  // discards the contents when the size changes
    if (s.size() != storage_.size()) storage_.resize(s.size());
    shape_ = s;
  }
  const Shape& shape() const { return shape_; }
  index_t size() const { return shape_.size(); }
  std::size_t bytes() const { return storage_.bytes(); }  // held, not only used
  T* data() { return storage_.data(); }
  const T* data() const { return storage_.data(); }
  T& operator[](index_t i) { return storage_[i]; }
  const T& operator[](index_t i) const { return storage_[i]; }
  T& operator()(index_t n, index_t h, index_t w, index_t c) { return view()(n, h, w, c); }
  const T& operator()(index_t n, index_t h, index_t w, index_t c) const { return view()(n, h, w, c); }
  TensorView<T> view() { return {data(), shape_}; }
  TensorView<const T> view() const { return {data(), shape_}; }

 private:
  Shape shape_;
  AlignedBuffer<T> storage_;
};

}  // namespace tinycnn
