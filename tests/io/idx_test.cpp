// IDX reading on files generated here (plain and gzip), every kind of bad file, the MNIST
// loaders and the batch helpers. The Debian Fashion-MNIST files, when installed, are one extra
// check and nothing else depends on them.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include <unistd.h>

#include "support/temp_dir.hpp"
#include "tinycnn/io/idx.hpp"

namespace fs = std::filesystem;
using namespace tinycnn;

namespace {

struct TempDir : test::TempDir {
  TempDir() : test::TempDir("idx-test") {}
};

using Bytes = std::vector<std::uint8_t>;

Bytes idx_bytes(const std::vector<std::uint32_t>& dims, const Bytes& data, std::uint8_t type = 0x08) {
  Bytes b = {0, 0, type, static_cast<std::uint8_t>(dims.size())};
  for (std::uint32_t d : dims)
    for (int shift = 24; shift >= 0; shift -= 8) b.push_back(static_cast<std::uint8_t>(d >> shift));
  b.insert(b.end(), data.begin(), data.end());
  return b;
}

Bytes pattern(std::size_t n, unsigned seed = 0) {
  Bytes d(n);
  for (std::size_t i = 0; i < n; ++i) d[i] = static_cast<std::uint8_t>((i * 37 + seed * 11 + i / 7) & 0xff);
  return d;
}

void write_file(const fs::path& p, const Bytes& b) {
  std::ofstream out(p, std::ios::binary);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  REQUIRE(out.good());
}

[[maybe_unused]] Bytes read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

#ifdef TINYCNN_WITH_ZLIB
void write_gz(const fs::path& p, const Bytes& b) {
  gzFile g = gzopen(p.c_str(), "wb");
  REQUIRE(g != nullptr);
  if (!b.empty()) REQUIRE(gzwrite(g, b.data(), static_cast<unsigned>(b.size())) == static_cast<int>(b.size()));
  REQUIRE(gzclose(g) == Z_OK);
}
#endif

// Runs f, which must throw tinycnn::Error, and checks that the message names the file and the
// problem.
template <class F>
void check_error(F&& f, const fs::path& file, const std::string& problem) {
  std::string msg;
  try {
    f();
  } catch (const Error& e) {
    msg = e.what();
  }
  INFO("message: " << msg);
  REQUIRE_MESSAGE(!msg.empty(), "no tinycnn::Error for " << file);
  CHECK(msg.find(file.filename().string()) != std::string::npos);
  CHECK(msg.find(problem) != std::string::npos);
}

void check_idx_error(const fs::path& file, const std::string& problem) {
  check_error([&] { (void)read_idx(file); }, file, problem);
}

}  // namespace

TEST_CASE("read_idx: plain files round trip values and shapes") {
  TempDir dir;
  for (const std::vector<std::uint32_t>& dims :
       {std::vector<std::uint32_t>{5}, {3, 4, 5}, {2, 3, 1, 7}, {1, 1}, {300, 2}}) {
    std::size_t n = 1;
    for (auto d : dims) n *= d;
    Bytes data = pattern(n, static_cast<unsigned>(dims.size()));
    auto file = dir / "a-idx";
    write_file(file, idx_bytes(dims, data));
    IdxArray a = read_idx(file);
    CHECK(a.dims == dims);
    CHECK(a.data == data);
  }
}

TEST_CASE("read_idx: refuses every kind of bad file with the file name and the problem") {
  TempDir dir;
  auto file = dir / "bad-idx3-ubyte";

  check_idx_error(dir / "nope-idx1-ubyte", "not found");
  check_idx_error(dir.path, "directory");

  write_file(file, {});
  check_idx_error(file, "too short to be an IDX file: 0 bytes");
  write_file(file, {0, 0});
  check_idx_error(file, "too short");

  write_file(file, {'P', 'K', 8, 1, 0, 0, 0, 1, 7});
  check_idx_error(file, "bad magic");
  write_file(file, idx_bytes({2}, Bytes(8), 0x0D));
  check_idx_error(file, "unsupported element type 0x0d (float32)");
  write_file(file, idx_bytes({2}, Bytes(2), 0x42));
  check_idx_error(file, "unsupported element type 0x42");

  write_file(file, idx_bytes({}, {}));
  check_idx_error(file, "zero dimensions");
  write_file(file, {0, 0, 8, 200, 0, 0, 0, 1});
  check_idx_error(file, "200 dimensions");
  write_file(file, idx_bytes({3, 0, 2}, {}));
  check_idx_error(file, "dimension 1 is zero");
  // A header promising 2^64 bytes must be refused before anything is allocated.
  write_file(file, idx_bytes({0xffffffffu, 0xffffffffu, 28}, pattern(100)));
  check_idx_error(file, "absurd dimensions");
  write_file(file, idx_bytes({65536, 65536, 2}, pattern(100)));
  check_idx_error(file, "absurd dimensions");

  Bytes header_cut = idx_bytes({10, 28, 28}, {});
  header_cut.resize(9);
  write_file(file, header_cut);
  check_idx_error(file, "truncated header");

  // Claims 60000 images in a 1 KB file: refused from the size on disk.
  write_file(file, idx_bytes({60000, 28, 28}, pattern(1000)));
  check_idx_error(file, "truncated data");
  write_file(file, idx_bytes({3, 4}, pattern(11)));
  check_idx_error(file, "truncated data");
  write_file(file, idx_bytes({3, 4}, pattern(13)));
  check_idx_error(file, "trailing garbage: 1 bytes");
}

#ifdef TINYCNN_WITH_ZLIB
TEST_CASE("read_idx: gzip files, recognised by content, not by name") {
  TempDir dir;
  std::vector<std::uint32_t> dims = {7, 28, 28};
  Bytes data = pattern(7 * 28 * 28, 3);
  Bytes raw = idx_bytes(dims, data);

  write_gz(dir / "x-idx3-ubyte.gz", raw);
  write_gz(dir / "renamed-idx3-ubyte", raw);  // gzip without the .gz name
  write_file(dir / "plain-named.gz", raw);   // plain despite the .gz name
  for (const char* name : {"x-idx3-ubyte.gz", "renamed-idx3-ubyte", "plain-named.gz"}) {
    CAPTURE(name);
    IdxArray a = read_idx(dir / name);
    CHECK(a.dims == dims);
    CHECK(a.data == data);
  }

  // Large enough to cross the reader's internal chunks.
  Bytes big = pattern(3u * 1000 * 7000, 5);
  write_gz(dir / "big.gz", idx_bytes({3, 1000, 7000}, big));
  CHECK(read_idx(dir / "big.gz").data == big);
}

TEST_CASE("read_idx: bad gzip files") {
  TempDir dir;
  auto file = dir / "bad-idx3-ubyte.gz";
  Bytes data = pattern(5 * 28 * 28);

  write_gz(file, idx_bytes({6, 28, 28}, data));
  check_idx_error(file, "truncated data");
  write_gz(file, idx_bytes({5, 28, 28}, pattern(5 * 28 * 28 + 3)));
  check_idx_error(file, "trailing garbage: 3 bytes");
  write_gz(file, idx_bytes({60000, 28, 28}, data));  // a lying header costs no huge buffer
  check_idx_error(file, "truncated data");
  write_gz(file, {0, 0, 8});
  check_idx_error(file, "too short to be an IDX file: 3 bytes after decompression");
  write_gz(file, {});
  check_idx_error(file, "too short");

  write_gz(file, idx_bytes({5, 28, 28}, data));
  Bytes gz = read_file(file);
  REQUIRE(gz.size() > 40);

  Bytes cut(gz.begin(), gz.begin() + static_cast<std::ptrdiff_t>(gz.size() / 2));
  write_file(file, cut);
  check_idx_error(file, "truncated");

  Bytes no_trailer(gz.begin(), gz.end() - 4);  // all the data, but the stream is incomplete
  write_file(file, no_trailer);
  check_idx_error(file, "gzip stream is truncated");

  Bytes flipped = gz;
  for (std::size_t i = gz.size() - 8; i < gz.size() - 4; ++i) flipped[i] ^= 0x5a;  // the CRC
  write_file(file, flipped);
  check_idx_error(file, "corrupt gzip data");

  // Damage inside the deflate stream: whatever zlib notices, it must be an Error naming the file.
  for (std::size_t at : {std::size_t{12}, gz.size() / 3, gz.size() / 2}) {
    Bytes bad = gz;
    for (std::size_t i = at; i < at + 4 && i < bad.size(); ++i) bad[i] ^= 0xff;
    write_file(file, bad);
    check_idx_error(file, "");
  }
}
#else
TEST_CASE("read_idx: without zlib a gzip file is refused with advice") {
  TempDir dir;
  auto file = dir / "t10k-images-idx3-ubyte.gz";
  write_file(file, {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3});
  check_idx_error(file, "built without zlib");
  check_idx_error(file, "tinycnn::zlib");
}
#endif

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
  write_file(m.images, img);
  write_file(m.labels, lab);
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
  write_file(m.labels, idx_bytes({23}, Bytes(23, 200)));
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
  write_file(labels2, idx_bytes({10, 1}, Bytes(10)));
  check_error([&] { (void)load_mnist(m.images, labels2); }, labels2, "needs 1 dimension");
  auto short_labels = dir / "short-labels";
  write_file(short_labels, idx_bytes({9}, Bytes(9)));
  check_error([&] { (void)load_mnist(m.images, short_labels); }, short_labels,
              "holds 10 images but");
  check_error([&] { (void)load_mnist(m.images, short_labels); }, m.images, "holds 9 labels");

  check_error([&] { (void)load_mnist_folder(dir.path, "t10k"); }, dir.path, "t10k-images-idx3-ubyte");
  check_error([&] { (void)load_mnist_folder(dir / "absent", "train"); }, dir.path, "does not exist");
  CHECK_THROWS_WITH_AS(load_mnist_folder(dir.path, "test"), doctest::Contains("\"train\" or \"t10k\""), Error);
}

TEST_CASE("batches: seeded shuffles and gathered copies") {
  TempDir dir;
  MnistFiles m = write_mnist(dir, "train", 10);
  Dataset ds = load_mnist(m.images, m.labels);

  auto plain = epoch_order(10);
  for (index_t i = 0; i < 10; ++i) CHECK(plain[static_cast<std::size_t>(i)] == i);

  Rng a(7), b(7), c(8);
  auto oa = epoch_order(10, &a), ob = epoch_order(10, &b), oc = epoch_order(10, &c);
  CHECK(oa == ob);
  CHECK(oa != oc);
  CHECK(std::set<index_t>(oa.begin(), oa.end()).size() == 10);
  CHECK(epoch_order(10, &a) != oa);  // the next epoch gets a new order

  Tensor<float> images;
  std::vector<std::int32_t> labels;
  std::vector<index_t> pick = {7, 2, 2};
  copy_batch<float>(ds, pick, images, labels);
  CHECK(images.shape() == Shape{3, 28, 28, 1});
  REQUIRE(labels.size() == 3);
  for (index_t k = 0; k < 3; ++k) {
    index_t i = pick[static_cast<std::size_t>(k)];
    CHECK(labels[static_cast<std::size_t>(k)] == ds.labels[static_cast<std::size_t>(i)]);
    bool same = true;
    for (index_t j = 0; j < 28 * 28; ++j) same = same && images[k * 784 + j] == ds.images[i * 784 + j];
    CHECK(same);
  }

  Tensor<double> dimages;
  copy_batch<double>(ds, std::span<const index_t>(oa), /*batch=*/2, /*batch_size=*/4, dimages, labels);
  CHECK(dimages.shape() == Shape{2, 28, 28, 1});  // the short last batch
  CHECK(labels[1] == ds.labels[static_cast<std::size_t>(oa[9])]);
  CHECK(dimages[784 + 5] == static_cast<double>(ds.images[oa[9] * 784 + 5]));

  std::vector<index_t> bad = {10};
  CHECK_THROWS_WITH_AS(copy_batch<float>(ds, bad, images, labels), doctest::Contains("outside the dataset"), Error);
  CHECK_THROWS_WITH_AS(copy_batch<float>(ds, std::span<const index_t>(oa), 3, 4, images, labels),
                       doctest::Contains("past the end"), Error);
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
