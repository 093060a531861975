// Reading IDX files (MNIST's format), plain or gzip-compressed, into dimensions and bytes. What
// the bytes mean is the caller's business: io/mnist.hpp turns them into a Dataset.
//
// IDX layout: two zero bytes, a type byte (0x08 = unsigned byte, the only type read here), the
// number of dimensions, each dimension as a big-endian uint32, then the data in row-major order.
//
// A file is treated as gzip when it starts with the gzip magic 1f 8b, whatever its name, because
// downloads are often renamed or decompressed in place. Reading gzip needs zlib: link
// tinycnn::zlib, which defines TINYCNN_WITH_ZLIB. Several gzip members one after another (as
// `cat a.gz b.gz` makes) are one stream, as gzip reads them; any other bytes after the last
// member are refused, as trailing bytes in a plain file are.
//
// Every problem with a file is an Error naming the file and what is wrong. Sizes in a header are
// checked before anything is allocated, so a corrupt header cannot ask for gigabytes.
#pragma once
#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "tinycnn/core/error.hpp"
#include "tinycnn/io/file.hpp"

#ifdef TINYCNN_WITH_ZLIB
#include <zlib.h>
#endif

namespace tinycnn {

// The decoded contents of an IDX file of unsigned bytes.
struct IdxArray {
  std::vector<std::uint32_t> dims;
  std::vector<std::uint8_t> data;  // row-major, product(dims) bytes
};

// Limits that separate a real dataset from a corrupt header. The largest public IDX datasets
// (EMNIST by_class, about 640 MB of images) stay well below them.
inline constexpr int kIdxMaxDims = 8;
inline constexpr std::uint64_t kIdxMaxBytes = std::uint64_t{1} << 32;

namespace detail {

inline std::string idx_where(const std::filesystem::path& file) {
  return "IDX file '" + file.string() + "': ";
}

inline std::string dims_text(const std::vector<std::uint32_t>& dims) {
  std::string s;
  for (std::uint32_t v : dims) s += (s.empty() ? "" : " x ") + std::to_string(v);
  return s;
}

inline std::string hex_byte(unsigned v) {
  static constexpr char digits[] = "0123456789abcdef";
  return std::string("0x") + digits[(v >> 4) & 15] + digits[v & 15];
}

#ifdef TINYCNN_WITH_ZLIB
// Inflates gzip members from a FILE with zlib's inflate rather than gzread, which ends quietly
// at bytes after the last member: here they are counted, and refused by the caller.
class GzipStream {
 public:
  GzipStream() {
    if (inflateInit2(&z_, 16 + MAX_WBITS) != Z_OK) throw Error("zlib could not start inflating");
  }
  ~GzipStream() { inflateEnd(&z_); }
  GzipStream(const GzipStream&) = delete;
  GzipStream& operator=(const GzipStream&) = delete;

  // Up to n decompressed bytes; fewer only at the end of the last member. `problem` receives what
  // is wrong (and the read returns) when the data is corrupt, truncated or followed by others.
  template <class Fail>
  std::size_t read(std::FILE* f, unsigned char* out, std::size_t n, Fail&& fail) {
    z_.next_out = out;
    z_.avail_out = static_cast<uInt>(n);
    while (z_.avail_out > 0 && !finished_) {
      if (z_.avail_in == 0 && !refill(f, fail)) {
        if (in_member_) fail("the gzip stream is truncated (compressed data ends early)");
        finished_ = true;
        break;
      }
      in_member_ = true;
      const int r = inflate(&z_, Z_NO_FLUSH);
      if (r == Z_STREAM_END) {
        in_member_ = false;
        after_member(f, fail);
      } else if (r != Z_OK && r != Z_BUF_ERROR) {
        fail(std::string("corrupt gzip data: ") + (z_.msg ? z_.msg : "zlib error " + std::to_string(r)));
      }
    }
    return n - z_.avail_out;
  }

 private:
  template <class Fail>
  bool refill(std::FILE* f, Fail& fail) {
    const std::size_t got = std::fread(in_.data(), 1, in_.size(), f);
    if (got < in_.size() && std::ferror(f)) fail("read error: " + std::string(std::strerror(errno)));
    z_.next_in = in_.data();
    z_.avail_in = static_cast<uInt>(got);
    return got > 0;
  }
  // At a member's end: the file ends, another member starts (1f 8b), or it holds other bytes.
  template <class Fail>
  void after_member(std::FILE* f, Fail& fail) {
    if (z_.avail_in == 0 && !refill(f, fail)) {
      finished_ = true;
      return;
    }
    if (z_.avail_in == 1) {  // one byte cannot tell a gzip header: move it ahead of more
      in_[0] = *z_.next_in;
      const std::size_t got = std::fread(in_.data() + 1, 1, in_.size() - 1, f);
      if (got < in_.size() - 1 && std::ferror(f)) fail("read error: " + std::string(std::strerror(errno)));
      z_.next_in = in_.data();
      z_.avail_in = static_cast<uInt>(got + 1);
    }
    if (z_.avail_in >= 2 && z_.next_in[0] == 0x1f && z_.next_in[1] == 0x8b) {
      inflateReset(&z_);
      return;
    }
    std::uint64_t extra = z_.avail_in;
    for (std::size_t got; (got = std::fread(in_.data(), 1, in_.size(), f)) > 0;) extra += got;
    fail("trailing garbage: " + std::to_string(extra) + " bytes after the end of the gzip data");
  }

  z_stream z_{};
  std::vector<unsigned char> in_ = std::vector<unsigned char>(std::size_t(1) << 18);
  bool in_member_ = false, finished_ = false;
};
#endif

// One interface over a plain FILE and a zlib stream, so the header and data are parsed once.
class IdxSource {
 public:
  explicit IdxSource(const std::filesystem::path& file) : file_(file), plain_(open_for_reading(file, idx_where(file))) {
    std::error_code ec;
    unsigned char magic[2] = {0, 0};
    std::size_t got = std::fread(magic, 1, 2, plain_.get());
    if (std::ferror(plain_.get())) fail_errno("read error");
    gzip_ = got == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    if (!gzip_) {
      std::rewind(plain_.get());
      auto size = std::filesystem::file_size(file, ec);
      if (!ec) plain_size_ = size;
      return;
    }
#ifdef TINYCNN_WITH_ZLIB
    std::rewind(plain_.get());
    gz_ = std::make_unique<GzipStream>();
#else
    fail(
        "the file is gzip-compressed but tinycnn was built without zlib; link tinycnn::zlib "
        "(which defines TINYCNN_WITH_ZLIB) or decompress the file with gunzip");
#endif
  }

  bool gzip() const { return gzip_; }
  // Bytes left in a plain file, known before reading; none for gzip (the size on disk says
  // little about the decompressed size).
  bool size_known() const { return !gzip_ && plain_size_ != kUnknown; }
  std::uint64_t remaining() const { return plain_size_ - consumed_; }

  // Reads up to n bytes; fewer only at the end of the data. I/O and decompression errors throw.
  std::size_t read(void* dst, std::size_t n) {
    std::size_t total = 0;
    auto* out = static_cast<unsigned char*>(dst);
    while (total < n) {
      std::size_t want = std::min<std::size_t>(n - total, std::size_t{1} << 24);
      std::size_t got = 0;
      if (!gzip_) {
        got = std::fread(out + total, 1, want, plain_.get());
        if (got < want && std::ferror(plain_.get())) fail_errno("read error");
      }
#ifdef TINYCNN_WITH_ZLIB
      else {
        got = gz_->read(plain_.get(), out + total, want, [this](const std::string& problem) { fail(problem); });
      }
#endif
      total += got;
      consumed_ += got;
      if (got < want) break;
    }
    return total;
  }

  // errno is read first: building the message may change it.
  [[noreturn]] void fail_errno(const char* what) const {
    int e = errno;
    fail(std::string(what) + ": " + std::strerror(e));
  }
  [[noreturn]] void fail(const std::string& problem) const { throw Error(idx_where(file_) + problem); }

 private:
#ifdef TINYCNN_WITH_ZLIB
  std::unique_ptr<GzipStream> gz_;
#endif
  static constexpr std::uint64_t kUnknown = ~std::uint64_t{0};
  std::filesystem::path file_;
  FilePtr plain_;
  bool gzip_ = false;
  std::uint64_t plain_size_ = kUnknown;
  std::uint64_t consumed_ = 0;
};

}  // namespace detail

inline IdxArray read_idx(const std::filesystem::path& file) {
  detail::IdxSource src(file);
  const std::string kind = src.gzip() ? " after decompression" : "";

  unsigned char head[4];
  std::size_t got = src.read(head, 4);
  if (got < 4)
    src.fail("too short to be an IDX file: " + std::to_string(got) + " bytes" + kind +
             "; the header alone needs at least 8");
  if (head[0] != 0 || head[1] != 0)
    src.fail("bad magic: the file starts with " + detail::hex_byte(head[0]) + " " +
             detail::hex_byte(head[1]) + ", an IDX file starts with 0x00 0x00");
  if (head[2] != 0x08) {
    const char* name = "unknown";
    switch (head[2]) {
      case 0x09: name = "signed byte"; break;
      case 0x0B: name = "int16"; break;
      case 0x0C: name = "int32"; break;
      case 0x0D: name = "float32"; break;
      case 0x0E: name = "float64"; break;
      default: break;
    }
    src.fail("unsupported element type " + detail::hex_byte(head[2]) + " (" + name +
             "); only 0x08 (unsigned byte) is supported");
  }
  int ndims = head[3];
  if (ndims == 0) src.fail("the header declares zero dimensions");
  if (ndims > kIdxMaxDims)
    src.fail("the header declares " + std::to_string(ndims) + " dimensions, more than the " +
             std::to_string(kIdxMaxDims) + " any dataset uses (corrupt header?)");

  std::array<unsigned char, 4 * kIdxMaxDims> raw{};
  got = src.read(raw.data(), static_cast<std::size_t>(4 * ndims));
  if (got < static_cast<std::size_t>(4 * ndims))
    src.fail("truncated header: " + std::to_string(ndims) + " dimensions need " +
             std::to_string(4 * ndims) + " bytes, the file has only " + std::to_string(got));

  IdxArray out;
  std::uint64_t bytes = 1;
  for (int i = 0; i < ndims; ++i) {
    const unsigned char* p = raw.data() + 4 * i;
    std::uint32_t d = (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) |
                      (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
    if (d == 0) src.fail("dimension " + std::to_string(i) + " is zero");
    out.dims.push_back(d);
    // bytes <= kIdxMaxBytes and d < 2^32 keep this product below 2^64.
    bytes *= d;
    if (bytes > kIdxMaxBytes)
      src.fail("absurd dimensions " + detail::dims_text(out.dims) + (i + 1 < ndims ? " x ..." : "") +
               ": more than the " + std::to_string(kIdxMaxBytes) + "-byte limit (corrupt header?)");
  }
  const std::string dims_text = detail::dims_text(out.dims);

  if (src.size_known()) {
    // Decide from the size on disk before allocating anything.
    std::uint64_t left = src.remaining();
    if (left < bytes)
      src.fail("truncated data: the header (" + dims_text + ") promises " + std::to_string(bytes) +
               " bytes of data, the file holds only " + std::to_string(left));
    if (left > bytes)
      src.fail("trailing garbage: " + std::to_string(left - bytes) + " bytes after the " +
               std::to_string(bytes) + " bytes of data the header (" + dims_text + ") describes");
    out.data.resize(bytes);
    got = src.read(out.data.data(), bytes);
    if (got < bytes)  // the file shrank while we read it
      src.fail("truncated data: expected " + std::to_string(bytes) + " bytes, read " + std::to_string(got));
  } else {
    // Grow with the data actually present, so a lying header costs at most one chunk.
    constexpr std::size_t chunk = std::size_t{1} << 24;
    std::uint64_t have = 0;
    while (have < bytes) {
      std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(chunk, bytes - have));
      out.data.resize(have + want);
      got = src.read(out.data.data() + have, want);
      have += got;
      if (got < want) break;
    }
    if (have < bytes)
      src.fail("truncated data: the header (" + dims_text + ") promises " + std::to_string(bytes) +
               " bytes of data, the file holds only " + std::to_string(have) + kind);
    std::uint64_t extra = 0;
    std::vector<unsigned char> sink(1 << 16);
    while ((got = src.read(sink.data(), sink.size())) > 0) extra += got;
    if (extra > 0)
      src.fail("trailing garbage: " + std::to_string(extra) + " bytes (decompressed) after the " +
               std::to_string(bytes) + " bytes of data the header (" + dims_text + ") describes");
  }
  return out;
}

}  // namespace tinycnn
