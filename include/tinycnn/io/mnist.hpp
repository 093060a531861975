// The MNIST and Fashion-MNIST datasets: a pair of IDX files (images, labels) read into a
// Dataset, by file or by folder, and the folder where Debian's dataset-fashion-mnist package
// installs them, which the examples take as their default.
#pragma once
#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

#include "tinycnn/core/error.hpp"
#include "tinycnn/core/shape.hpp"
#include "tinycnn/core/tensor.hpp"
#include "tinycnn/io/dataset.hpp"
#include "tinycnn/io/idx.hpp"

namespace tinycnn {

// Images as floats in [0, 1], shape [n, 28, 28, 1] for MNIST and Fashion-MNIST; labels as
// integers (0..9 for those two, but any byte value is kept).
inline Dataset load_mnist(const std::filesystem::path& images_file,
                          const std::filesystem::path& labels_file) {
  IdxArray img = read_idx(images_file);
  if (img.dims.size() != 3)
    throw Error(detail::idx_where(images_file) + "an image file needs 3 dimensions [count, rows, cols], this one has " +
                std::to_string(img.dims.size()));
  IdxArray lab = read_idx(labels_file);
  if (lab.dims.size() != 1)
    throw Error(detail::idx_where(labels_file) + "a label file needs 1 dimension [count], this one has " +
                std::to_string(lab.dims.size()));
  if (img.dims[0] != lab.dims[0])
    throw Error("image/label count mismatch: '" + images_file.string() + "' holds " +
                std::to_string(img.dims[0]) + " images but '" + labels_file.string() + "' holds " +
                std::to_string(lab.dims[0]) + " labels");

  Dataset ds;
  const Shape shape{static_cast<index_t>(img.dims[0]), static_cast<index_t>(img.dims[1]),
                    static_cast<index_t>(img.dims[2]), 1};
  ds.images = Tensor<float>(shape);
  // A table keeps 255 -> exactly 1.0f (255 * (1/255.f) is not) at the cost of a lookup.
  std::array<float, 256> scale{};
  for (int v = 0; v < 256; ++v) scale[static_cast<std::size_t>(v)] = static_cast<float>(v) / 255.0f;
  float* dst = ds.images.data();
  const std::uint8_t* src = img.data.data();
  const index_t total = shape.size();
  for (index_t i = 0; i < total; ++i) dst[i] = scale[src[i]];
  ds.labels.assign(lab.data.begin(), lab.data.end());
  return ds;
}

// Loads "<split>-images-idx3-ubyte" and "<split>-labels-idx1-ubyte" from a folder, each either
// plain or with a ".gz" suffix; split is "train" or "t10k" (the names of the original release,
// kept by Fashion-MNIST and by Debian's dataset-fashion-mnist package, see below).
inline Dataset load_mnist_folder(const std::filesystem::path& folder, std::string_view split) {
  if (split != "train" && split != "t10k")
    throw Error("MNIST split must be \"train\" or \"t10k\", got \"" + std::string(split) + "\"");
  // The folder itself first: a missing one, a file, or one this user may not look into each get
  // their own words, not "no MNIST file".
  const std::string where = "MNIST folder '" + folder.string() + "': ";
  std::error_code ec;
  const auto folder_status = std::filesystem::status(folder, ec);
  if (!std::filesystem::exists(folder_status)) throw Error(where + (ec ? ec.message() : "no such folder"));
  if (!std::filesystem::is_directory(folder_status)) throw Error(where + "is a file, not a folder");
  auto find = [&](const std::string& stem) {
    for (const char* suffix : {"", ".gz"}) {
      auto p = folder / (stem + suffix);
      std::error_code why;
      if (std::filesystem::is_regular_file(p, why)) return p;
      if (why && why != std::errc::no_such_file_or_directory)
        throw Error(where + "cannot look for '" + stem + suffix + "': " + why.message());
    }
    throw Error("no MNIST file '" + stem + "' (plain or .gz) in folder '" + folder.string() + "'");
  };
  std::string s(split);
  auto images = find(s + "-images-idx3-ubyte");
  auto labels = find(s + "-labels-idx1-ubyte");
  return load_mnist(images, labels);
}

// Where Debian's dataset-fashion-mnist package installs the four .gz files.
inline const std::filesystem::path& debian_fashion_mnist_dir() {
  static const std::filesystem::path dir = "/usr/share/datasets/fashion-mnist";
  return dir;
}

}  // namespace tinycnn
