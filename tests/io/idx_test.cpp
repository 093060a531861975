// IDX reading on files generated here (plain and gzip) and every kind of bad file.
#include <doctest/doctest.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "support/idx_files.hpp"
#include "support/temp_dir.hpp"
#include "tinycnn/io/idx.hpp"

namespace fs = std::filesystem;
using namespace tinycnn;
using test::Bytes, test::check_error, test::idx_bytes, test::pattern, test::read_bytes, test::write_bytes;
#ifdef TINYCNN_WITH_ZLIB
using test::write_gz;
#endif

namespace {

struct TempDir : test::TempDir {
  TempDir() : test::TempDir("idx-test") {}
};

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
    write_bytes(file, idx_bytes(dims, data));
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

  write_bytes(file, {});
  check_idx_error(file, "too short to be an IDX file: 0 bytes");
  write_bytes(file, {0, 0});
  check_idx_error(file, "too short");

  write_bytes(file, {'P', 'K', 8, 1, 0, 0, 0, 1, 7});
  check_idx_error(file, "bad magic");
  write_bytes(file, idx_bytes({2}, Bytes(8), 0x0D));
  check_idx_error(file, "unsupported element type 0x0d (float32)");
  write_bytes(file, idx_bytes({2}, Bytes(2), 0x42));
  check_idx_error(file, "unsupported element type 0x42");

  write_bytes(file, idx_bytes({}, {}));
  check_idx_error(file, "zero dimensions");
  write_bytes(file, {0, 0, 8, 200, 0, 0, 0, 1});
  check_idx_error(file, "200 dimensions");
  write_bytes(file, idx_bytes({3, 0, 2}, {}));
  check_idx_error(file, "dimension 1 is zero");
  // A header promising 2^64 bytes must be refused before anything is allocated.
  write_bytes(file, idx_bytes({0xffffffffu, 0xffffffffu, 28}, pattern(100)));
  check_idx_error(file, "absurd dimensions");
  write_bytes(file, idx_bytes({65536, 65536, 2}, pattern(100)));
  check_idx_error(file, "absurd dimensions");

  Bytes header_cut = idx_bytes({10, 28, 28}, {});
  header_cut.resize(9);
  write_bytes(file, header_cut);
  check_idx_error(file, "truncated header");

  // Claims 60000 images in a 1 KB file: refused from the size on disk.
  write_bytes(file, idx_bytes({60000, 28, 28}, pattern(1000)));
  check_idx_error(file, "truncated data");
  write_bytes(file, idx_bytes({3, 4}, pattern(11)));
  check_idx_error(file, "truncated data");
  write_bytes(file, idx_bytes({3, 4}, pattern(13)));
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
  write_bytes(dir / "plain-named.gz", raw);   // plain despite the .gz name
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

  // Members one after another are one stream, as gzip reads them (`cat a.gz b.gz`).
  const Bytes whole = idx_bytes({3, 1000, 7000}, big);
  const auto half = static_cast<std::ptrdiff_t>(whole.size() / 2);
  write_gz(dir / "a.gz", Bytes(whole.begin(), whole.begin() + half));
  write_gz(dir / "b.gz", Bytes(whole.begin() + half, whole.end()));
  Bytes joined = read_bytes(dir / "a.gz");
  const Bytes second = read_bytes(dir / "b.gz");
  joined.insert(joined.end(), second.begin(), second.end());
  write_bytes(dir / "joined.gz", joined);
  CHECK(read_idx(dir / "joined.gz").data == big);
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
  Bytes gz = read_bytes(file);
  REQUIRE(gz.size() > 40);

  Bytes cut(gz.begin(), gz.begin() + static_cast<std::ptrdiff_t>(gz.size() / 2));
  write_bytes(file, cut);
  check_idx_error(file, "truncated");

  Bytes no_trailer(gz.begin(), gz.end() - 4);  // all the data, but the stream is incomplete
  write_bytes(file, no_trailer);
  check_idx_error(file, "gzip stream is truncated");

  Bytes flipped = gz;
  for (std::size_t i = gz.size() - 8; i < gz.size() - 4; ++i) flipped[i] ^= 0x5a;  // the CRC
  write_bytes(file, flipped);
  check_idx_error(file, "corrupt gzip data");

  // Bytes after the last gzip member are refused, as trailing bytes in a plain file are.
  Bytes appended = gz;
  appended.insert(appended.end(), {'x', 'y', 'z'});
  write_bytes(file, appended);
  check_idx_error(file, "trailing garbage: 3 bytes after the end of the gzip data");
  appended = gz;
  appended.push_back(0x1f);  // one byte of what might have been a gzip header
  write_bytes(file, appended);
  check_idx_error(file, "trailing garbage: 1 bytes after the end of the gzip data");
  appended = gz;
  appended.insert(appended.end(), {0x1f, 0x8b, 8});  // a second member that breaks off
  write_bytes(file, appended);
  check_idx_error(file, "truncated");

  // Damage inside the deflate stream: whatever zlib notices, it must be an Error naming the file.
  for (std::size_t at : {std::size_t{12}, gz.size() / 3, gz.size() / 2}) {
    Bytes bad = gz;
    for (std::size_t i = at; i < at + 4 && i < bad.size(); ++i) bad[i] ^= 0xff;
    write_bytes(file, bad);
    check_idx_error(file, "");
  }
}
#else
TEST_CASE("read_idx: without zlib a gzip file is refused with advice") {
  TempDir dir;
  auto file = dir / "t10k-images-idx3-ubyte.gz";
  write_bytes(file, {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3});
  check_idx_error(file, "built without zlib");
  check_idx_error(file, "tinycnn::zlib");
}
#endif
