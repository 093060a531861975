// Weights and images from other frameworks' layouts into tinycnn's: NHWC activations, HWIO
// convolution weights and IO dense weights (TensorFlow's orders, which tinycnn keeps).
//
//   PyTorch / ONNX     Conv2d.weight  [out, in, kh, kw]  OIHW   copy_oihw(net.tensor(path, "weights"), w)
//                      Linear.weight  [out, in]          OI     copy_oi(net.tensor(path, "weights"), w)
//                      images         [n, c, h, w]       NCHW   nchw_to_nhwc(x, n, c, h, w)
//   TensorFlow         conv kernel    [kh, kw, in, out]  HWIO   copy_as_is(net.tensor(path, "weights"), w)
//                      dense kernel   [in, out]          IO     copy_as_is(...)
// Biases, batch norm's beta and gamma and its moving statistics are one value per channel in
// every framework: copy_as_is. (PyTorch's BatchNorm2d names gamma "weight" and beta "bias";
// tinycnn stores beta first, but each has its own name here.)
//
// Every copy checks that the source holds exactly the tensor's number of values and that the
// tensor has the layout the copy expects, and says which when not.
#pragma once
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "tinycnn/core/error.hpp"
#include "tinycnn/graph/layer_info.hpp"

namespace tinycnn {

namespace detail {
template <class T>
void check_copy(const TensorView<T>& to, std::size_t from_size, const char* layout, const char* what) {
  if (to.info.layout != layout)
    throw Error(std::string(what) + ": tensor '" + to.info.name + "' is " + to.info.layout + ", not " + layout);
  if (from_size != to.values.size())
    throw Error(std::string(what) + ": tensor '" + to.info.name + "' holds " + std::to_string(to.values.size()) +
                " values, the source " + std::to_string(from_size));
}
}  // namespace detail

// A tensor already in tinycnn's layout (TensorFlow's weights, any per-channel vector).
template <class T, class U>
void copy_as_is(const TensorView<T>& to, std::span<const U> from) {
  detail::check_copy(to, from.size(), to.info.layout.c_str(), "copy_as_is");
  for (std::size_t i = 0; i < from.size(); ++i) to.values[i] = T(from[i]);
}

// Convolution weights [out, in, kh, kw] into an HWIO tensor [kh, kw, in, out].
template <class T, class U>
void copy_oihw(const TensorView<T>& to, std::span<const U> from) {
  detail::check_copy(to, from.size(), "HWIO", "copy_oihw");
  const index_t kh = to.info.dims[0], kw = to.info.dims[1], in = to.info.dims[2], out = to.info.dims[3];
  for (index_t o = 0; o < out; ++o)
    for (index_t i = 0; i < in; ++i)
      for (index_t y = 0; y < kh; ++y)
        for (index_t x = 0; x < kw; ++x)
          to.values[std::size_t(((y * kw + x) * in + i) * out + o)] = T(from[std::size_t(((o * in + i) * kh + y) * kw + x)]);
}

// Dense weights [out, in] (PyTorch's Linear) into an IO tensor [in, out].
template <class T, class U>
void copy_oi(const TensorView<T>& to, std::span<const U> from) {
  detail::check_copy(to, from.size(), "IO", "copy_oi");
  const index_t in = to.info.dims[0], out = to.info.dims[1];
  for (index_t o = 0; o < out; ++o)
    for (index_t i = 0; i < in; ++i) to.values[std::size_t(i * out + o)] = T(from[std::size_t(o * in + i)]);
}

namespace detail {
// [n, c, p] <-> [n, p, c], p = h * w pixels; to_last picks the direction.
template <class T>
std::vector<T> move_channels(std::span<const T> x, index_t n, index_t c, index_t h, index_t w, bool to_last) {
  const char* what = to_last ? "nchw_to_nhwc" : "nhwc_to_nchw";
  if (x.size() != std::size_t(n * c * h * w))
    throw Error(std::string(what) + ": " + std::to_string(x.size()) + " values are not " + std::to_string(n) + " x " +
                (to_last ? std::to_string(c) + " x " + std::to_string(h) + " x " + std::to_string(w)
                         : std::to_string(h) + " x " + std::to_string(w) + " x " + std::to_string(c)));
  std::vector<T> y(x.size());
  const index_t p = h * w;
  for (index_t b = 0; b < n; ++b)
    for (index_t ch = 0; ch < c; ++ch)
      for (index_t q = 0; q < p; ++q) {
        const auto first = std::size_t((b * c + ch) * p + q), last = std::size_t((b * p + q) * c + ch);
        if (to_last)
          y[last] = x[first];
        else
          y[first] = x[last];
      }
  return y;
}
}  // namespace detail

// Images or activations [n, c, h, w] as [n, h, w, c].
template <class T>
std::vector<T> nchw_to_nhwc(std::span<const T> x, index_t n, index_t c, index_t h, index_t w) {
  return detail::move_channels(x, n, c, h, w, true);
}

// And back: [n, h, w, c] as [n, c, h, w], to compare activations with another framework's.
template <class T>
std::vector<T> nhwc_to_nchw(std::span<const T> x, index_t n, index_t h, index_t w, index_t c) {
  return detail::move_channels(x, n, c, h, w, false);
}

}  // namespace tinycnn
