// Predictions from a network alone, no Trainer: evaluation mode (batch norm on its running
// statistics, dropout off), for any number of images, in batches of net.batch().
//
//   std::vector<std::int32_t> classes = predict(net, images);              // one per image
//   std::vector<float> p = predict_probabilities(net, images);             // classes per image
//
// `images` holds whole images, NHWC, one after another; its size must be a multiple of one
// image's. The network's activations are overwritten, as by any forward pass.
#pragma once
#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "tinycnn/core/error.hpp"
#include "tinycnn/core/random.hpp"
#include "tinycnn/kernels/all.hpp"
#include "tinycnn/layers/layer.hpp"

namespace tinycnn {

// Runs net over `count` images in batches of net.batch() with the context's mode; a last partial
// batch is padded with copies of its first image. f(logits, first, rows) sees each batch's
// logits, of which the first `rows` belong to images first, first + 1, ...
template <class Net, class F>
void for_each_batch(Net& net, const typename Net::value_type* images, index_t count, Context ctx, F&& f) {
  using T = typename Net::value_type;
  const index_t n = net.batch(), image = Net::in_dims::size;
  std::vector<T> padded;
  for (index_t first = 0; first < count; first += n) {
    const index_t rows = std::min(n, count - first);
    const T* batch = images + first * image;
    if (rows < n) {
      padded.assign(batch, batch + rows * image);
      for (index_t i = rows; i < n; ++i) padded.insert(padded.end(), batch, batch + image);
      batch = padded.data();
    }
    f(static_cast<const T*>(net.forward(batch, ctx)), first, rows);
  }
}

namespace detail {
template <class Net>
index_t images_in(std::span<const typename Net::value_type> images) {
  const auto image = std::size_t(Net::in_dims::size);
  if (images.size() % image != 0)
    throw Error("predict: " + std::to_string(images.size()) + " numbers are not whole images of " +
                std::to_string(image) + " (" + std::to_string(Net::in_dims::height) + " x " +
                std::to_string(Net::in_dims::width) + " x " + std::to_string(Net::in_dims::channels) + ")");
  return index_t(images.size() / image);
}
}  // namespace detail

// The most likely class of each image (the first of equal logits).
template <class Net>
std::vector<std::int32_t> predict(Net& net, std::span<const typename Net::value_type> images) {
  const index_t count = detail::images_in<Net>(images);
  std::vector<std::int32_t> classes(std::size_t(count), 0);
  Rng unused(0);  // evaluation mode draws no random numbers
  for_each_batch(net, images.data(), count, Context{Mode::Eval, &unused}, [&](const auto* logits, index_t first, index_t rows) {
    for (index_t i = 0; i < rows; ++i)
      classes[std::size_t(first + i)] = std::int32_t(kernels::detail::row_argmax(logits + i * Net::classes, Net::classes));
  });
  return classes;
}

// Each image's class probabilities (the softmax of its logits): count x Net::classes, row-major.
template <class Net>
std::vector<typename Net::value_type> predict_probabilities(Net& net, std::span<const typename Net::value_type> images) {
  const index_t count = detail::images_in<Net>(images);
  std::vector<typename Net::value_type> probs(std::size_t(count * Net::classes));
  Rng unused(0);
  for_each_batch(net, images.data(), count, Context{Mode::Eval, &unused}, [&](const auto* logits, index_t first, index_t rows) {
    kernels::softmax_forward(logits, probs.data() + first * Net::classes, rows, Net::classes);
  });
  return probs;
}

}  // namespace tinycnn
