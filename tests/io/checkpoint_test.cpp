// Checkpoints: round trips, refusal of every damaged or mismatched file with a message that
// names the file and the problem, atomic replacement, and loads that fail without touching the
// caller's buffers.
#include <doctest/doctest.h>

#include <array>
#include <atomic>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include <sys/resource.h>
#include <unistd.h>

#include "support/check.hpp"
#include "support/files.hpp"
#include "support/temp_dir.hpp"
#include "tinycnn/io/checkpoint.hpp"

namespace fs = std::filesystem;
using namespace tinycnn;

namespace {

struct TempDir : test::TempDir {
  TempDir() : test::TempDir("ckpt-test") {}
};

using test::Bytes, test::check_mentions, test::error_of, test::read_bytes, test::write_bytes;

const std::string kSig = "conv3x3(1->8) relu maxpool2 dense(1568->10)";

// A model's worth of state in three sections.
template <class T>
struct State {
  std::vector<T> params, state, optimizer;
  explicit State(std::uint64_t seed, std::size_t n = 100) {
    Rng rng(seed);
    params = test::random_vector<T>(static_cast<index_t>(n), rng);
    state = test::random_vector<T>(8, rng);
    optimizer = test::random_vector<T>(static_cast<index_t>(2 * n), rng);
  }
  void save(const fs::path& file, std::int64_t step, const std::string& sig = kSig) const {
    save_checkpoint<T>(file, sig, step, {{"params", params}, {"state", state}, {"optimizer", optimizer}});
  }
  std::int64_t load(const fs::path& file, const std::string& sig = kSig) {
    return load_checkpoint<T>(file, sig, {{"params", params}, {"state", state}, {"optimizer", optimizer}});
  }
  bool operator==(const State&) const = default;
};

template <class T>
void round_trip() {
  TempDir dir;
  auto file = dir / "model.ckpt";
  State<T> saved(1);
  saved.save(file, 123456789012345);

  State<T> loaded(2);
  REQUIRE(!(loaded == saved));
  CHECK(loaded.load(file) == 123456789012345);
  CHECK(loaded == saved);  // bit-exact

  CheckpointInfo info = inspect_checkpoint(file);
  CHECK(info.version == kCheckpointVersion);
  CHECK(info.element_size == sizeof(T));
  CHECK(info.step == 123456789012345);
  CHECK(info.signature == kSig);
  REQUIRE(info.sections.size() == 3);
  CHECK(info.sections[0].name == "params");
  CHECK(info.sections[0].count == 100);
  CHECK(info.sections[1].name == "state");
  CHECK(info.sections[1].count == 8);
  CHECK(info.sections[2].name == "optimizer");
  CHECK(info.sections[2].count == 200);
  CHECK(dir.others("model.ckpt").empty());
}

}  // namespace

TEST_CASE("checkpoint: float and double round trip bit-exactly") {
  round_trip<float>();
  round_trip<double>();
}

TEST_CASE("checkpoint: empty sections, any names, a subset loaded, spans and arrays") {
  TempDir dir;
  auto file = dir / "c";
  std::vector<float> a = {1.5f, -2.0f}, none;
  std::array<CheckpointSectionConst<float>, 3> out{{{"params", a}, {"state", none}, {"ema params", a}}};
  save_checkpoint<float>(file, "", -3, out);

  std::vector<float> b(2), e, ema(2);
  std::array<CheckpointSection<float>, 2> in{{{"ema params", ema}, {"state", e}}};
  CHECK(load_checkpoint<float>(file, "", in) == -3);  // "params" is in the file but not asked for
  CHECK(ema == a);
  CHECK(load_checkpoint<float>(file, "", {{"params", b}}) == -3);
  CHECK(b == a);
}

TEST_CASE("checkpoint: integer sections beside the model's numbers, each of its own type") {
  TempDir dir;
  auto file = dir / "c";
  std::vector<double> params = {0.25, -1.0};
  const std::vector<std::uint64_t> rng = {0, 1, ~std::uint64_t(0), std::uint64_t(1) << 63};
  save_checkpoint<double>(file, "sig", 9, {{"params", params}}, {{"rng", rng}});

  const CheckpointInfo info = inspect_checkpoint(file);
  REQUIRE(info.sections.size() == 2);
  CHECK(info.sections[0].type == CheckpointType::float64);
  CHECK(info.sections[1].type == CheckpointType::uint64);
  CHECK(info.sections[1].count == 4);

  std::vector<double> p(2);
  std::vector<std::uint64_t> r(4);
  CHECK(load_checkpoint<double>(file, "sig", {{"params", p}}, {{"rng", r}}) == 9);
  CHECK(p == params);
  CHECK(r == rng);  // every bit, the top one included

  // A section is found by its name and its type: numbers of the wrong kind are refused.
  std::vector<double> as_double(4);
  std::vector<std::uint64_t> as_integers(2);
  check_mentions(error_of([&] { load_checkpoint<double>(file, "sig", {{"rng", as_double}}); }), file,
                 "type mismatch in section 'rng': the file holds uint64, expected double");
  check_mentions(error_of([&] { load_checkpoint<double>(file, "sig", {}, {{"params", as_integers}}); }), file,
                 "type mismatch in section 'params': the file holds double, expected uint64");
  // Names are unique across both kinds.
  check_mentions(error_of([&] { save_checkpoint<double>(file, "sig", 1, {{"rng", params}}, {{"rng", rng}}); }), file,
                 "section 'rng' twice");
  CHECK(load_checkpoint<double>(file, "sig", {{"params", p}}) == 9);  // the refused save left it
}

TEST_CASE("checkpoint: a version-1 file (no section types) is still read") {
  TempDir dir;
  auto file = dir / "v1.ckpt";
  // Written byte by byte as version 1 laid it out: every section of the header's element size.
  Bytes bytes;
  auto put = [&](const void* p, std::size_t n) {
    const char* c = static_cast<const char*>(p);
    bytes.insert(bytes.end(), c, c + n);
  };
  auto put_u32 = [&](std::uint32_t v) { put(&v, 4); };
  auto put_u64 = [&](std::uint64_t v) { put(&v, 8); };
  put("TINYCKPT", 8);
  put_u32(1);
  put_u32(4);
  put_u64(17);  // the step
  put_u64(3);
  put("abc", 3);
  put_u32(1);
  put_u32(6);
  put("params", 6);
  const float values[3] = {1.0f, -2.5f, 3.25f};
  put_u64(3);
  put(values, sizeof values);
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (char c : bytes) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
  put_u64(h);
  write_bytes(file, bytes);

  std::vector<float> p(3);
  CHECK(load_checkpoint<float>(file, "abc", {{"params", p}}) == 17);
  CHECK(p == std::vector<float>(values, values + 3));
  CHECK(inspect_checkpoint(file).version == 1);
}

TEST_CASE("checkpoint: refuses missing and foreign files") {
  TempDir dir;
  State<float> s(1);
  auto missing = dir / "missing.ckpt";
  check_mentions(error_of([&] { s.load(missing); }), missing, "not found");
  check_mentions(error_of([&] { s.load(dir.path); }), dir.path, "directory");

  auto foreign = dir / "foreign.ckpt";
  write_bytes(foreign, Bytes(100, 'x'));
  check_mentions(error_of([&] { s.load(foreign); }), foreign, "bad magic");
  write_bytes(foreign, Bytes{'T', 'I', 'N'});
  check_mentions(error_of([&] { s.load(foreign); }), foreign, "too short");
  write_bytes(foreign, {});
  check_mentions(error_of([&] { s.load(foreign); }), foreign, "too short");
}

TEST_CASE("checkpoint: refuses a mismatched model with expected and found") {
  TempDir dir;
  auto file = dir / "model.ckpt";
  State<float> saved(1);
  saved.save(file, 7);

  State<float> other(2);
  const State<float> before = other;
  std::string msg = error_of([&] { other.load(file, "conv3x3(1->16) relu"); });
  check_mentions(msg, file, "signature mismatch");
  CHECK(msg.find("expected \"conv3x3(1->16) relu\"") != std::string::npos);
  CHECK(msg.find("found \"" + kSig + "\"") != std::string::npos);
  CHECK(msg.find("character 11") != std::string::npos);

  // Sizes must match exactly, both ways.
  State<float> bigger(3, 101), smaller(3, 99);
  check_mentions(error_of([&] { bigger.load(file); }), file,
                 "size mismatch in section 'params': the file holds 100 elements, expected 101");
  check_mentions(error_of([&] { smaller.load(file); }), file, "the file holds 100 elements, expected 99");

  std::vector<float> p(100), extra(4);
  check_mentions(error_of([&] { load_checkpoint<float>(file, kSig, {{"params", p}, {"velocity", extra}}); }), file,
                 "section 'velocity' is missing (the file has 'params', 'state', 'optimizer')");

  State<double> wide(4);
  check_mentions(error_of([&] { wide.load(file); }), file,
                 "element type mismatch: the file holds 4-byte elements (float), the caller expects 8-byte (double)");

  CHECK(other == before);
}

TEST_CASE("checkpoint: every flipped byte and every truncation is refused") {
  TempDir dir;
  auto file = dir / "model.ckpt";
  State<float> saved(1, 6);
  saved.save(file, 42);
  const Bytes good = read_bytes(file);
  auto damaged = dir / "damaged.ckpt";

  // The bytes only the checksum can vouch for: the step, the signature text, the section names,
  // the data and the checksum itself. The rest (magic, version, sizes and lengths) is judged as
  // it is parsed, and a damaged one may read as a truncated file or a bad magic instead.
  std::vector<bool> payload(good.size(), false);
  auto mark = [&](std::size_t from, std::size_t n) {
    for (std::size_t i = from; i < from + n; ++i) payload[i] = true;
  };
  std::size_t at = 16;
  mark(at, 8);  // step
  at += 8 + 8;
  mark(at, kSig.size());
  at += kSig.size() + 4;
  for (auto [name, count] : {std::pair<std::string, std::size_t>{"params", 6}, {"state", 8}, {"optimizer", 12}}) {
    mark(at + 4, name.size());
    at += 4 + name.size() + 4;  // the name, then the section's type
    mark(at + 8, count * sizeof(float));
    at += 8 + count * sizeof(float);
  }
  mark(at, 8);
  REQUIRE(at + 8 == good.size());

  State<float> dst(9, 6);
  const State<float> before = dst;
  for (std::size_t i = 0; i < good.size(); ++i) {
    for (int bit : {0x01, 0x10, 0x80}) {
      Bytes bad = good;
      bad[i] = static_cast<char>(bad[i] ^ bit);
      write_bytes(damaged, bad);
      CAPTURE(i);
      CAPTURE(bit);
      check_mentions(error_of([&] { dst.load(damaged); }), damaged,
                     payload[i] ? "checksum mismatch: the file is corrupt" : "");
    }
  }

  for (std::size_t n = 0; n < good.size(); ++n) {
    write_bytes(damaged, Bytes(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n)));
    CAPTURE(n);
    std::string msg = error_of([&] { dst.load(damaged); });
    check_mentions(msg, damaged, n < 8 ? "too short" : "truncated");
  }

  Bytes longer = good;
  longer.push_back('!');
  write_bytes(damaged, longer);
  check_mentions(error_of([&] { dst.load(damaged); }), damaged, "1 unexpected bytes after the checksum");

  Bytes future = good;
  future[8] = 3;  // the version field
  write_bytes(damaged, future);
  check_mentions(error_of([&] { dst.load(damaged); }), damaged, "unsupported checkpoint format version 3");

  CHECK(dst == before);  // none of the refused loads wrote anything
  CHECK(dst.load(file) == 42);
  CHECK(dst == saved);
}

TEST_CASE("checkpoint: a load that fails late leaves every buffer untouched") {
  TempDir dir;
  auto file = dir / "model.ckpt";
  State<double> saved(1);
  saved.save(file, 1);

  // The first two sections match; the third does not. Nothing may be copied.
  State<double> dst(2);
  dst.optimizer.resize(199);
  const State<double> before = dst;
  CHECK_THROWS_WITH_AS(dst.load(file), doctest::Contains("section 'optimizer'"), Error);
  CHECK(dst == before);

  // The checksum is the last thing in the file and fails after all data was read.
  Bytes bad = read_bytes(file);
  bad[bad.size() - 1] = static_cast<char>(bad[bad.size() - 1] ^ 0x40);
  write_bytes(file, bad);
  State<double> dst2(3);
  const State<double> before2 = dst2;
  CHECK_THROWS_WITH_AS(dst2.load(file), doctest::Contains("checksum mismatch"), Error);
  CHECK(dst2 == before2);
}

TEST_CASE("checkpoint: saving replaces the old file atomically and leaves no temporary") {
  TempDir dir;
  auto file = dir / "model.ckpt";
  State<float> first(1), second(2);
  first.save(file, 1);
  second.save(file, 2);
  State<float> got(3);
  CHECK(got.load(file) == 2);
  CHECK(got == second);
  CHECK(dir.others("model.ckpt").empty());

  // Bad requests are refused before the old file is touched.
  std::vector<float> v(3);
  CHECK_THROWS_WITH_AS(save_checkpoint<float>(file, kSig, 3, {{"params", v}, {"params", v}}),
                       doctest::Contains("section 'params' twice"), Error);
  CHECK_THROWS_WITH_AS(save_checkpoint<float>(file, kSig, 3, {{"", v}}), doctest::Contains("empty name"), Error);
  CHECK(got.load(file) == 2);

  // A directory in the way is refused before anything is written, and left alone.
  auto blocked = dir / "blocked";
  fs::create_directory(blocked);
  fs::create_directory(blocked / "keep");
  check_mentions(error_of([&] { first.save(blocked, 4); }), blocked, "a directory, not a regular file");
  CHECK(fs::is_directory(blocked / "keep"));

  check_mentions(error_of([&] { first.save(dir / "no-such-dir" / "model.ckpt", 4); }),
                 dir / "no-such-dir" / "model.ckpt", "cannot create a temporary file");

  std::vector<std::string> left = dir.others("model.ckpt");
  CHECK(left == std::vector<std::string>{"blocked"});
}

TEST_CASE("checkpoint: a save that fails while writing keeps the previous checkpoint") {
  TempDir dir;
  auto file = dir / "model.ckpt";
  State<float> first(1, 100);
  first.save(file, 10);

  // Cap the size of files this process may write, as a full disk would, then save a larger
  // state: the write fails part way.
  State<float> big(2, 200000);
  rlimit old{};
  REQUIRE(::getrlimit(RLIMIT_FSIZE, &old) == 0);
  auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit cap = old;
  cap.rlim_cur = 64 * 1024;
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &cap) == 0);
  std::string msg = error_of([&] { big.save(file, 11); });
  ::setrlimit(RLIMIT_FSIZE, &old);
  std::signal(SIGXFSZ, old_handler);

  check_mentions(msg, file, "failed");
  CHECK(msg.find("untouched") != std::string::npos);
  State<float> got(3, 100);
  CHECK(got.load(file) == 10);
  CHECK(got == first);
  CHECK(dir.others("model.ckpt").empty());
}
