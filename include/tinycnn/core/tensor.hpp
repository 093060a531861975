// A batch of NHWC activations: contiguous, batch-major, 64-byte aligned. Kernels and layers pass
// plain pointers (data()) and take the shape from the types, so no view type exists.
#pragma once
#include "tinycnn/core/aligned_buffer.hpp"
#include "tinycnn/core/shape.hpp"

namespace tinycnn {

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

 private:
  Shape shape_;
  AlignedBuffer<T> storage_;
};

}  // namespace tinycnn
