// The MNIST loaders on IDX files generated here (plain and gzip), mismatched files, and, when
// installed, Debian's Fashion-MNIST files (one extra check; nothing else depends on them).
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include "support/idx_files.hpp"
#include "support/temp_dir.hpp"
#include "tinycnn/io/mnist.hpp"

namespace fs = std::filesystem;
using namespace tinycnn;
using test::Bytes, test::check_error, test::idx_bytes, test::pattern, test::read_bytes, test::write_bytes;
#ifdef TINYCNN_WITH_ZLIB
using test::write_gz;
#endif

namespace {

struct TempDir : test::TempDir {
  TempDir() : test::TempDir("mnist-test") {}
};

}  // namespace

namespace {

struct MnistFiles {
  fs::path images, labels;
  Bytes pixels, label_bytes;
};

MnistFiles write_mnist(const TempDir& dir, const std::string& split, std::uint32_t n, bool gz = false) {
  MnistFiles m;
  m.pixels = pattern(std::size_t{n} * 28 * 28, n);
  m.pixels[0] = 0;
  m.pixels[1] = 255;
  m.pixels[2] = 128;
  for (std::uint32_t i = 0; i < n; ++i) m.label_bytes.push_back(static_cast<std::uint8_t>(i % 10));
  m.images = dir / (split + "-images-idx3-ubyte" + (gz ? ".gz" : ""));
  m.labels = dir / (split + "-labels-idx1-ubyte" + (gz ? ".gz" : ""));
  Bytes img = idx_bytes({n, 28, 28}, m.pixels), lab = idx_bytes({n}, m.label_bytes);
#ifdef TINYCNN_WITH_ZLIB
  if (gz) {
    write_gz(m.images, img);
    write_gz(m.labels, lab);
    return m;
  }
#endif
  write_bytes(m.images, img);
  write_bytes(m.labels, lab);
  return m;
}

void check_dataset(const Dataset& ds, const MnistFiles& m) {
  const auto n = static_cast<index_t>(m.label_bytes.size());
  CHECK(ds.images.shape() == Shape{n, 28, 28, 1});
  CHECK(ds.image_shape() == Shape{1, 28, 28, 1});
  REQUIRE(ds.size() == n);
  CHECK(ds.images[0] == 0.0f);
  CHECK(ds.images[1] == 1.0f);
  CHECK(ds.images[2] == 128.0f / 255.0f);  // the quotient, correctly rounded: nothing looser
  bool exact = true, in_range = true;
  for (index_t i = 0; i < ds.images.size(); ++i) {
    float v = ds.images[i];
    in_range = in_range && v >= 0.0f && v <= 1.0f;
    exact = exact && v == static_cast<float>(m.pixels[static_cast<std::size_t>(i)]) / 255.0f;
  }
  CHECK(in_range);
  CHECK(exact);
  for (index_t i = 0; i < n; ++i) CHECK(ds.labels[static_cast<std::size_t>(i)] == m.label_bytes[static_cast<std::size_t>(i)]);
}

}  // namespace

TEST_CASE("load_mnist: images scaled to [0, 1] in NHWC, labels as integers") {
  TempDir dir;
  MnistFiles m = write_mnist(dir, "train", 23);
  check_dataset(load_mnist(m.images, m.labels), m);
  check_dataset(load_mnist_folder(dir.path, "train"), m);

  // Labels above 9 are data, not errors.
  write_bytes(m.labels, idx_bytes({23}, Bytes(23, 200)));
  CHECK(load_mnist(m.images, m.labels).labels[22] == 200);
}

#ifdef TINYCNN_WITH_ZLIB
TEST_CASE("load_mnist_folder: finds the .gz files") {
  TempDir dir;
  MnistFiles m = write_mnist(dir, "t10k", 12, /*gz=*/true);
  check_dataset(load_mnist_folder(dir.path, "t10k"), m);
}
#endif

TEST_CASE("load_mnist: mismatched files") {
  TempDir dir;
  MnistFiles m = write_mnist(dir, "train", 10);

  // Files swapped: the label file is not an image file.
  check_error([&] { (void)load_mnist(m.labels, m.images); }, m.labels, "needs 3 dimensions");
  auto labels2 = dir / "labels-2d";
  write_bytes(labels2, idx_bytes({10, 1}, Bytes(10)));
  check_error([&] { (void)load_mnist(m.images, labels2); }, labels2, "needs 1 dimension");
  auto short_labels = dir / "short-labels";
  write_bytes(short_labels, idx_bytes({9}, Bytes(9)));
  check_error([&] { (void)load_mnist(m.images, short_labels); }, short_labels,
              "holds 10 images but");
  check_error([&] { (void)load_mnist(m.images, short_labels); }, m.images, "holds 9 labels");

  check_error([&] { (void)load_mnist_folder(dir.path, "t10k"); }, dir.path, "t10k-images-idx3-ubyte");
  CHECK_THROWS_WITH_AS(load_mnist_folder(dir.path, "test"), doctest::Contains("\"train\" or \"t10k\""), Error);
}

TEST_CASE("load_mnist_folder: a missing folder, a file, and a folder this user may not enter each say so") {
  TempDir dir;
  MnistFiles m = write_mnist(dir, "train", 10);
  check_error([&] { (void)load_mnist_folder(dir / "absent", "train"); }, dir / "absent", "No such file or directory");
  check_error([&] { (void)load_mnist_folder(m.images, "train"); }, m.images, "is a file, not a folder");

  // A folder without search permission, tried by a child that is not root (root may enter any).
  fs::permissions(dir.path, fs::perms::owner_read | fs::perms::owner_write);
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(3);
    try {
      (void)load_mnist_folder(dir.path, "train");
    } catch (const Error& e) {
      const std::string msg = e.what();
      ::_exit(msg.find(dir.path.string()) != std::string::npos && msg.find("Permission denied") != std::string::npos ? 0 : 1);
    }
    ::_exit(2);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  fs::permissions(dir.path, fs::perms::owner_all);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

namespace {
bool fashion_mnist_readable() {
  const fs::path& dir = debian_fashion_mnist_dir();
  bool present = fs::exists(dir / "t10k-images-idx3-ubyte.gz") && fs::exists(dir / "t10k-labels-idx1-ubyte.gz");
#ifndef TINYCNN_WITH_ZLIB
  if (present) std::cout << "note: Fashion-MNIST test skipped: built without zlib\n";
  return false;
#endif
  if (!present) std::cout << "note: Fashion-MNIST test skipped: " << dir << " is not installed (dataset-fashion-mnist)\n";
  return present;
}
}  // namespace

TEST_CASE("load_mnist_folder: Debian's Fashion-MNIST t10k files (extra)" * doctest::skip(!fashion_mnist_readable())) {
  Dataset ds = load_mnist_folder(debian_fashion_mnist_dir(), "t10k");
  CHECK(ds.images.shape() == Shape{10000, 28, 28, 1});
  REQUIRE(ds.size() == 10000);
  std::vector<int> per_class(10, 0);
  bool labels_ok = true;
  for (std::int32_t l : ds.labels) {
    labels_ok = labels_ok && l >= 0 && l <= 9;
    if (l >= 0 && l <= 9) ++per_class[static_cast<std::size_t>(l)];
  }
  CHECK(labels_ok);
  for (int k = 0; k < 10; ++k) CHECK(per_class[static_cast<std::size_t>(k)] == 1000);  // balanced test set
  float lo = 1.0f, hi = 0.0f;
  for (index_t i = 0; i < ds.images.size(); ++i) {
    lo = std::min(lo, ds.images[i]);
    hi = std::max(hi, ds.images[i]);
  }
  CHECK(lo == 0.0f);
  CHECK(hi == 1.0f);
}
