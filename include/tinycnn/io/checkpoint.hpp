// Training checkpoints: a small self-checking binary format, written so that a crash or a full
// disk during a save never costs the previous checkpoint.
//
// Layout (version 2, every integer little-endian):
//   magic      8 bytes  "TINYCKPT"
//   version    u32      kCheckpointVersion
//   elem_size  u32      4 (float) or 8 (double): the model's numbers
//   step       i64      the training step the state belongs to
//   sig_len    u64, then sig_len bytes: the model signature (e.g. a description of the layers)
//   n_sections u32, then per section:
//     name_len u32, then name_len bytes of name
//     type     u32      CheckpointType: the model's float or double, or u64 (counters, states)
//     count    u64, then count * (the type's size) bytes of data
//   checksum   u64      FNV-1a 64 over every byte before it
// Version 1 lacks each section's type: every section holds elem_size-byte numbers. It is still
// read.
//
// Sections are named flat arrays of any length ("params", "state", "optimizer", "rng", ...), so a
// model with more kinds of state needs no new format version. Loading verifies the checksum
// before it judges the contents, so a corrupt file is reported as corrupt rather than as, say, a
// signature mismatch caused by a flipped byte. Data is loaded into temporaries first: a refused
// load leaves the caller's buffers as they were.
//
// The checksum is FNV-1a: it needs no table or library, and it is fast enough to cost little
// beside the write itself (docs/performance.md).
#pragma once
#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include "tinycnn/core/error.hpp"
#include "tinycnn/io/file.hpp"

namespace tinycnn {

static_assert(std::endian::native == std::endian::little,
              "tinycnn checkpoints are stored little-endian and this code does not byte-swap");

inline constexpr std::uint32_t kCheckpointVersion = 2;

// The model's numbers: what a checkpoint is made for.
template <class T>
concept CheckpointReal = std::is_same_v<std::remove_const_t<T>, float> || std::is_same_v<std::remove_const_t<T>, double>;
// What a section may hold: the model's numbers, or unsigned 64-bit integers (a random-number
// generator's state, a position in the data).
template <class T>
concept CheckpointElement = CheckpointReal<T> || std::is_same_v<std::remove_const_t<T>, std::uint64_t>;

enum class CheckpointType : std::uint32_t { float32 = 1, float64 = 2, uint64 = 3 };

template <class T>
  requires CheckpointElement<T>
inline constexpr CheckpointType checkpoint_type_of = std::is_same_v<std::remove_const_t<T>, float>    ? CheckpointType::float32
                                                    : std::is_same_v<std::remove_const_t<T>, double> ? CheckpointType::float64
                                                                                                     : CheckpointType::uint64;

// One named array: the source of a save (T const) or the destination of a load.
template <class T>
  requires CheckpointElement<T>
struct CheckpointSection {
  std::string name;
  std::span<T> data;
};
template <class T>
using CheckpointSectionConst = CheckpointSection<const T>;

// What a checkpoint holds, as read by inspect_checkpoint.
struct CheckpointInfo {
  struct Section {
    std::string name;
    CheckpointType type = CheckpointType::float32;
    std::uint64_t count = 0;  // elements
  };
  std::uint32_t version = 0;
  std::uint32_t element_size = 0;
  std::int64_t step = 0;
  std::string signature;
  std::vector<Section> sections;
  std::uint64_t checksum = 0;  // FNV-1a 64 of the file, verified
};

namespace detail::ckpt {

inline constexpr char kMagic[8] = {'T', 'I', 'N', 'Y', 'C', 'K', 'P', 'T'};
inline constexpr std::uint32_t kMaxNameLength = 4096;

inline std::string where(const std::filesystem::path& file) { return "checkpoint '" + file.string() + "': "; }

inline const char* type_name(std::uint32_t element_size) {
  return element_size == 4 ? "float" : element_size == 8 ? "double" : "unknown type";
}
inline const char* type_name(CheckpointType t) {
  return t == CheckpointType::float32 ? "float" : t == CheckpointType::float64 ? "double" : "uint64";
}
inline std::uint32_t size_of(CheckpointType t) { return t == CheckpointType::float32 ? 4 : 8; }

struct Fnv1a {
  std::uint64_t h = 0xcbf29ce484222325ull;
  void update(const void* p, std::size_t n) {
    const auto* b = static_cast<const unsigned char*>(p);
    std::uint64_t x = h;
    for (std::size_t i = 0; i < n; ++i) x = (x ^ b[i]) * 0x100000001b3ull;
    h = x;
  }
};

// The file being saved (io/file.hpp's atomic write) and the checksum of what went into it.
class HashedWriter {
 public:
  explicit HashedWriter(const std::filesystem::path& target) : out_(target, "checkpoint") {}
  void write(const void* p, std::size_t n) {
    if (n == 0) return;
    hash_.update(p, n);
    out_.write(p, n);
  }
  template <class U>
  void put(U v) {
    write(&v, sizeof v);
  }
  // Appends the checksum and replaces the target.
  void finish() {
    const std::uint64_t sum = hash_.h;
    out_.write(&sum, sizeof sum);
    out_.commit();
  }

 private:
  AtomicFile out_;
  Fnv1a hash_;
};

class Reader {
 public:
  explicit Reader(const std::filesystem::path& file) : file_(file), f_(open_for_reading(file, where(file))) {
    std::error_code ec;
    auto size = std::filesystem::file_size(file, ec);
    if (ec) fail("cannot get the file size: " + ec.message());
    remaining_ = size;
  }

  std::uint64_t remaining() const { return remaining_; }
  std::uint64_t hash() const { return hash_.h; }

  // Every length is checked against the bytes left before anything is read or allocated.
  void need(std::uint64_t n, const std::string& what) const {
    if (n > remaining_)
      fail("file is truncated or corrupt: " + what + " needs " + std::to_string(n) + " bytes, only " +
           std::to_string(remaining_) + " remain");
  }
  void read(void* dst, std::size_t n, const std::string& what, bool hashed = true) {
    need(n, what);
    if (n == 0) return;
    if (std::fread(dst, 1, n, f_.get()) != n) {
      if (std::ferror(f_.get())) fail_errno("read error");
      fail("file is truncated: it ended while reading " + what);
    }
    remaining_ -= n;
    if (hashed) hash_.update(dst, n);
  }
  template <class U>
  U get(const std::string& what) {
    U v;
    read(&v, sizeof v, what);
    return v;
  }
  void skip(std::uint64_t n, const std::string& what) {
    need(n, what);
    unsigned char buf[1 << 16];
    while (n > 0) {
      auto k = static_cast<std::size_t>(std::min<std::uint64_t>(n, sizeof buf));
      read(buf, k, what);
      n -= k;
    }
  }

  // errno is read first: building the message may change it.
  [[noreturn]] void fail_errno(const char* what) const {
    int e = errno;
    fail(std::string(what) + ": " + std::strerror(e));
  }
  [[noreturn]] void fail(const std::string& problem) const { throw Error(where(file_) + problem); }

 private:
  std::filesystem::path file_;
  FilePtr f_;
  std::uint64_t remaining_ = 0;
  Fnv1a hash_;
};

// Where a section's data should go (count elements of the type), or nullptr to skip it.
using SectionSink = std::function<void*(const std::string& name, std::uint64_t count, CheckpointType type)>;

// Reads and verifies the whole file (structure, checksum, no trailing bytes, unique names).
inline CheckpointInfo read_checkpoint(const std::filesystem::path& file, const SectionSink& sink) {
  Reader in(file);
  CheckpointInfo info;

  char magic[8];
  if (in.remaining() < sizeof magic)
    in.fail("too short to be a tinycnn checkpoint (" + std::to_string(in.remaining()) + " bytes)");
  in.read(magic, sizeof magic, "the magic");
  if (std::memcmp(magic, kMagic, sizeof magic) != 0) in.fail("not a tinycnn checkpoint (bad magic)");
  info.version = in.get<std::uint32_t>("the format version");
  // Nothing after the version can be parsed without knowing it, so it is judged before the
  // checksum is available.
  if (info.version != 1 && info.version != kCheckpointVersion)
    in.fail("unsupported checkpoint format version " + std::to_string(info.version) +
            " (this build reads versions 1 to " + std::to_string(kCheckpointVersion) + ")");
  info.element_size = in.get<std::uint32_t>("the element size");
  if (info.element_size != 4 && info.element_size != 8)
    in.fail("file is corrupt: element size " + std::to_string(info.element_size));
  info.step = in.get<std::int64_t>("the step");
  auto sig_len = in.get<std::uint64_t>("the signature length");
  in.need(sig_len, "the signature");
  info.signature.resize(static_cast<std::size_t>(sig_len));
  in.read(info.signature.data(), info.signature.size(), "the signature");

  auto n_sections = in.get<std::uint32_t>("the section count");
  // Each section takes at least 12 bytes, which bounds a corrupt count before the loop.
  in.need(std::uint64_t{n_sections} * 12, std::to_string(n_sections) + " sections");
  for (std::uint32_t s = 0; s < n_sections; ++s) {
    const std::string which = "section " + std::to_string(s);
    auto name_len = in.get<std::uint32_t>("the name length of " + which);
    if (name_len > kMaxNameLength)
      in.fail("file is corrupt: " + which + " has a name of " + std::to_string(name_len) + " bytes");
    CheckpointInfo::Section sec;
    sec.name.resize(name_len);
    in.read(sec.name.data(), name_len, "the name of " + which);
    sec.type = info.element_size == 4 ? CheckpointType::float32 : CheckpointType::float64;
    if (info.version >= 2) {
      const auto code = in.get<std::uint32_t>("the type of section '" + sec.name + "'");
      if (code < 1 || code > 3) in.fail("file is corrupt: section '" + sec.name + "' has type code " + std::to_string(code));
      sec.type = CheckpointType(code);
    }
    const std::uint32_t size = size_of(sec.type);
    sec.count = in.get<std::uint64_t>("the size of section '" + sec.name + "'");
    const std::string data_what = "the data of section '" + sec.name + "'";
    if (sec.count > in.remaining() / size)
      in.fail("file is truncated or corrupt: section '" + sec.name + "' claims " + std::to_string(sec.count) +
              " elements of " + std::to_string(size) + " bytes, only " + std::to_string(in.remaining()) +
              " bytes remain");
    const std::uint64_t bytes = sec.count * size;
    if (void* dst = sink ? sink(sec.name, sec.count, sec.type) : nullptr)
      in.read(dst, static_cast<std::size_t>(bytes), data_what);
    else
      in.skip(bytes, data_what);
    info.sections.push_back(std::move(sec));
  }

  const std::uint64_t computed = in.hash();
  std::uint64_t stored = 0;
  in.read(&stored, sizeof stored, "the checksum", /*hashed=*/false);
  if (stored != computed) in.fail("checksum mismatch: the file is corrupt");
  info.checksum = stored;
  if (in.remaining() != 0)
    in.fail("file is corrupt: " + std::to_string(in.remaining()) + " unexpected bytes after the checksum");
  for (std::size_t i = 0; i < info.sections.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (info.sections[i].name == info.sections[j].name)
        in.fail("section '" + info.sections[i].name + "' appears twice");
  return info;
}

// Every section's name, the model's and the integer ones together: non-empty, short, unique.
template <class Real, class Integers>
void check_names(const Real& real, const Integers& integers, const std::filesystem::path& file, const char* verb) {
  std::vector<std::string_view> names;
  for (const auto& s : real) names.push_back(s.name);
  for (const auto& s : integers) names.push_back(s.name);
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::string_view name = names[i];
    if (name.empty()) throw Error(where(file) + "cannot " + verb + " a section with an empty name");
    if (name.size() > kMaxNameLength)
      throw Error(where(file) + "cannot " + verb + " section '" + std::string(name.substr(0, 40)) +
                  "...': name longer than " + std::to_string(kMaxNameLength) + " bytes");
    for (std::size_t j = 0; j < i; ++j)
      if (names[j] == name) throw Error(where(file) + "cannot " + verb + " section '" + std::string(name) + "' twice");
  }
}

}  // namespace detail::ckpt

template <class T>
using CheckpointSections = std::span<const CheckpointSection<T>>;
template <class T>
using CheckpointSectionList = std::initializer_list<CheckpointSection<T>>;

// Saves the model's numbers (T, float or double) and, optionally, integer sections, through
// io/file.hpp's atomic write: the target is either the old checkpoint or the complete new one,
// never a mixture; a symlink's target is replaced, anything but a regular file refused.
template <class T>
  requires CheckpointReal<T>
void save_checkpoint(const std::filesystem::path& file, std::string_view signature, std::int64_t step,
                     CheckpointSections<const T> sections, CheckpointSections<const std::uint64_t> integers = {}) {
  namespace ck = detail::ckpt;
  ck::check_names(sections, integers, file, "save");
  require(sections.size() + integers.size() <= 0xffffffffu, ck::where(file) + "too many sections");

  ck::HashedWriter out(file);

  out.write(ck::kMagic, sizeof ck::kMagic);
  out.put<std::uint32_t>(kCheckpointVersion);
  out.put<std::uint32_t>(sizeof(T));
  out.put<std::int64_t>(step);
  out.put<std::uint64_t>(signature.size());
  out.write(signature.data(), signature.size());
  out.put<std::uint32_t>(static_cast<std::uint32_t>(sections.size() + integers.size()));
  auto put_section = [&]<class U>(const CheckpointSection<const U>& s) {
    out.put<std::uint32_t>(static_cast<std::uint32_t>(s.name.size()));
    out.write(s.name.data(), s.name.size());
    out.put<std::uint32_t>(static_cast<std::uint32_t>(checkpoint_type_of<U>));
    out.put<std::uint64_t>(s.data.size());
    out.write(s.data.data(), s.data.size_bytes());
  };
  for (const auto& s : sections) put_section(s);
  for (const auto& s : integers) put_section(s);
  out.finish();
}

template <class T>
  requires CheckpointReal<T>
void save_checkpoint(const std::filesystem::path& file, std::string_view signature, std::int64_t step,
                     CheckpointSectionList<const T> sections, CheckpointSectionList<const std::uint64_t> integers = {}) {
  save_checkpoint<T>(file, signature, step, CheckpointSections<const T>(sections.begin(), sections.size()),
                     CheckpointSections<const std::uint64_t>(integers.begin(), integers.size()));
}

// Reads everything, verifies it, and only then fills the caller's sections, whose types and
// sizes must match the file exactly. Sections in the file that are not asked for are checked and
// ignored. accept_signature(found) says what is wrong with the file's signature, or nothing.
// Returns the step stored in the file.
template <class T, class AcceptSignature>
  requires(CheckpointReal<T> && !std::is_const_v<T>)
std::int64_t load_checkpoint_if(const std::filesystem::path& file, const AcceptSignature& accept_signature,
                                CheckpointSections<T> sections, CheckpointSections<std::uint64_t> integers = {}) {
  namespace ck = detail::ckpt;
  ck::check_names(sections, integers, file, "load");
  // Where each wanted section goes, whatever its type; data is staged until all is verified.
  struct Want {
    const std::string& name;
    CheckpointType type;
    void* data;
    std::size_t count;
  };
  std::vector<Want> wants;
  for (const auto& s : sections) wants.push_back({s.name, checkpoint_type_of<T>, s.data.data(), s.data.size()});
  for (const auto& s : integers) wants.push_back({s.name, CheckpointType::uint64, s.data.data(), s.data.size()});
  std::vector<std::vector<unsigned char>> staged(wants.size());
  auto sink = [&](const std::string& name, std::uint64_t count, CheckpointType type) -> void* {
    for (std::size_t i = 0; i < wants.size(); ++i)
      if (wants[i].name == name && wants[i].type == type && wants[i].count == count) {
        staged[i].resize(static_cast<std::size_t>(count) * ck::size_of(type));
        return staged[i].data();
      }
    return nullptr;
  };
  CheckpointInfo info = ck::read_checkpoint(file, sink);

  auto fail = [&](const std::string& problem) { throw Error(ck::where(file) + problem); };
  if (info.element_size != sizeof(T))
    fail("element type mismatch: the file holds " + std::to_string(info.element_size) + "-byte elements (" +
         ck::type_name(info.element_size) + "), the caller expects " + std::to_string(sizeof(T)) + "-byte (" +
         ck::type_name(std::uint32_t(sizeof(T))) + ")");
  if (const std::string problem = accept_signature(info.signature); !problem.empty()) fail(problem);
  for (const Want& want : wants) {
    auto it = std::find_if(info.sections.begin(), info.sections.end(),
                           [&](const CheckpointInfo::Section& s) { return s.name == want.name; });
    if (it == info.sections.end()) {
      std::string present;
      for (const auto& s : info.sections) present += (present.empty() ? "'" : ", '") + s.name + "'";
      fail("section '" + want.name + "' is missing (the file has " + (present.empty() ? "no sections" : present) + ")");
    }
    if (it->type != want.type)
      fail("type mismatch in section '" + want.name + "': the file holds " + ck::type_name(it->type) + ", expected " +
           ck::type_name(want.type));
    if (it->count != want.count)
      fail("size mismatch in section '" + want.name + "': the file holds " + std::to_string(it->count) +
           " elements, expected " + std::to_string(want.count));
  }
  for (std::size_t i = 0; i < wants.size(); ++i)
    if (wants[i].count > 0) std::memcpy(wants[i].data, staged[i].data(), staged[i].size());
  return info.step;
}

// The same, for a file whose signature must be exactly `signature`.
template <class T>
  requires(CheckpointReal<T> && !std::is_const_v<T>)
std::int64_t load_checkpoint(const std::filesystem::path& file, std::string_view signature, CheckpointSections<T> sections,
                             CheckpointSections<std::uint64_t> integers = {}) {
  auto same = [&](const std::string& found) -> std::string {
    if (found == signature) return {};
    std::size_t at = 0;
    while (at < signature.size() && at < found.size() && signature[at] == found[at]) ++at;
    return "model signature mismatch (first difference at character " + std::to_string(at) + "): expected \"" +
           std::string(signature) + "\", found \"" + found + "\"";
  };
  return load_checkpoint_if<T>(file, same, sections, integers);
}

template <class T>
  requires(CheckpointReal<T> && !std::is_const_v<T>)
std::int64_t load_checkpoint(const std::filesystem::path& file, std::string_view signature, CheckpointSectionList<T> sections,
                             CheckpointSectionList<std::uint64_t> integers = {}) {
  return load_checkpoint<T>(file, signature, CheckpointSections<T>(sections.begin(), sections.size()),
                            CheckpointSections<std::uint64_t>(integers.begin(), integers.size()));
}

// Reads and verifies a checkpoint (checksum included) without loading it: for tools, and for
// choosing the element type before a load.
inline CheckpointInfo inspect_checkpoint(const std::filesystem::path& file) {
  return detail::ckpt::read_checkpoint(file, nullptr);
}

}  // namespace tinycnn
