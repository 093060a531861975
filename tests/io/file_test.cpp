// io/file.hpp: the atomic write lands whole or not at all, follows symlinks, refuses anything
// that is not a regular file without touching it, and names the path and the cause of every
// failure; the read guard names what is wrong with a file it cannot open.
#include <doctest/doctest.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/files.hpp"
#include "support/temp_dir.hpp"
#include "tinycnn/io/file.hpp"

namespace fs = std::filesystem;
using namespace tinycnn;

namespace {

struct TempDir : test::TempDir {
  TempDir() : test::TempDir("file-test") {}
};

using test::check_mentions, test::error_of, test::read_text, test::write_text;

fs::perms perms_of(const fs::path& p) { return fs::status(p).permissions() & fs::perms::mask; }

// The names in a folder, sorted.
std::vector<std::string> entries(const fs::path& folder) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(folder)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

TEST_CASE("atomic write: the contents land, replace the old ones, keep their permissions, leave no temporary") {
  TempDir dir;
  const auto target = dir / "r.json";
  write_file_atomically(target, "{\"a\":1}\n");
  CHECK(read_text(target) == "{\"a\":1}\n");
  CHECK(dir.others("r.json").empty());

  fs::permissions(target, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  write_file_atomically(target, "second");
  CHECK(read_text(target) == "second");
  CHECK(perms_of(target) == (fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read));
  CHECK(dir.others("r.json").empty());

  // Streaming, in pieces; nothing shows under the name before commit().
  const auto fresh = dir / "fresh.bin";
  {
    AtomicFile out(fresh, "result");
    out.write("ab");
    out.write("cd", 2);
    // r.json, and the temporary beside it where it has a name (without O_TMPFILE)
    CHECK(entries(dir.path).size() == (out.unnamed() ? 1u : 2u));
    CHECK_FALSE(fs::exists(fresh));
    out.commit();
    CHECK(entries(dir.path) == std::vector<std::string>{"fresh.bin", "r.json"});
  }
  CHECK(read_text(fresh) == "abcd");

  // The temporary's name fits even where the target's name only just does.
  const std::string long_name(255, 'n');
  write_file_atomically(dir / long_name, "long");
  CHECK(read_text(dir / long_name) == "long");
}

TEST_CASE("atomic write: an abandoned or failed write removes its temporary and keeps the old file") {
  TempDir dir;
  const auto target = dir / "model.ckpt";
  write_text(target, "old");
  {
    AtomicFile out(target, "checkpoint");
    out.write("new contents that never commit");
    REQUIRE(entries(dir.path).size() == (out.unnamed() ? 1u : 2u));
  }  // an exception between the writes and commit() ends the same way
  CHECK(read_text(target) == "old");
  CHECK(dir.others("model.ckpt").empty());

  // A full disk, as the kernel reports a file-size limit: the write fails part way.
  rlimit old{};
  REQUIRE(::getrlimit(RLIMIT_FSIZE, &old) == 0);
  auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit cap = old;
  cap.rlim_cur = 4096;
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &cap) == 0);
  const std::string msg = error_of([&] { write_file_atomically(target, std::string(64 * 1024, 'x'), "checkpoint"); });
  ::setrlimit(RLIMIT_FSIZE, &old);
  std::signal(SIGXFSZ, old_handler);

  check_mentions(msg, target, std::strerror(EFBIG));
  CHECK(msg.find("checkpoint '") != std::string::npos);
  CHECK(msg.find("untouched") != std::string::npos);
  CHECK(read_text(target) == "old");
  CHECK(dir.others("model.ckpt").empty());
}

TEST_CASE("atomic write: a FIFO, a directory and a device are refused and left as they were") {
  TempDir dir;
  const auto fifo = dir / "pipe";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  check_mentions(error_of([&] { write_file_atomically(fifo, "x"); }), fifo, "a FIFO, not a regular file");
  check_mentions(error_of([&] { check_output_file(fifo, "--output_json"); }), fifo, "a FIFO");
  CHECK(fs::is_fifo(fifo));
  CHECK(dir.others("pipe").empty());

  // Through a symlink: the link is followed, and the FIFO at its end is refused.
  const auto link = dir / "to-pipe";
  fs::create_symlink("pipe", link);
  check_mentions(error_of([&] { write_file_atomically(link, "x"); }), link, "a FIFO");
  CHECK(fs::is_fifo(fifo));
  CHECK(fs::is_symlink(link));

  const auto folder = dir / "folder";
  fs::create_directories(folder / "keep");
  check_mentions(error_of([&] { write_file_atomically(folder, "x"); }), folder, "a directory, not a regular file");
  CHECK(fs::is_directory(folder / "keep"));
  CHECK(entries(dir.path) == std::vector<std::string>{"folder", "pipe", "to-pipe"});

  // A character device is judged by the predicate alone: no test writes near a real device.
  CHECK(non_regular_kind("/dev/null") == "a character device");
  CHECK(non_regular_kind(fifo) == "a FIFO");
  CHECK(non_regular_kind(folder) == "a directory");
  write_text(dir / "plain", "p");
  CHECK(non_regular_kind(dir / "plain") == "");
  CHECK(non_regular_kind(dir / "absent") == "");
}

TEST_CASE("atomic write: a symlink is followed; the link stays a link and its target gets the contents") {
  TempDir dir;
  fs::create_directories(dir / "runs");
  const auto real = dir / "runs" / "r.json";
  write_text(real, "old");
  const auto link = dir / "latest.json";
  fs::create_symlink("runs/r.json", link);  // relative to the link's folder
  const auto link2 = dir / "chain.json";
  fs::create_symlink(link, link2);          // a link to the link

  {
    // The temporary is made beside the final target, so the rename stays within one folder
    // (a rename cannot cross file systems).
    AtomicFile out(link2);
    CHECK(entries(dir / "runs").size() == (out.unnamed() ? 1u : 2u));
  }
  write_file_atomically(link2, "new");
  CHECK(fs::is_symlink(link));
  CHECK(fs::is_symlink(link2));
  CHECK(fs::read_symlink(link) == "runs/r.json");
  CHECK(read_text(real) == "new");
  CHECK(entries(dir.path) == std::vector<std::string>{"chain.json", "latest.json", "runs"});
  CHECK(entries(dir / "runs") == std::vector<std::string>{"r.json"});

  // A dangling link: the file it names is created.
  const auto dangling = dir / "next.json";
  fs::create_symlink("runs/next.json", dangling);
  write_file_atomically(dangling, "created");
  CHECK(fs::is_symlink(dangling));
  CHECK(read_text(dir / "runs" / "next.json") == "created");

  // A loop is an error, not a hang.
  fs::create_symlink("loop-b", dir / "loop-a");
  fs::create_symlink("loop-a", dir / "loop-b");
  check_mentions(error_of([&] { write_file_atomically(dir / "loop-a", "x"); }), dir / "loop-a", std::strerror(ELOOP));
}

TEST_CASE("atomic write: failures name the path and give the system's reason") {
  TempDir dir;
  const auto missing = dir / "no-such-folder" / "r.json";
  const std::string msg = error_of([&] { write_file_atomically(missing, "x", "--output_json"); });
  check_mentions(msg, missing, std::strerror(ENOENT));
  CHECK(msg.find("--output_json '") != std::string::npos);
  check_mentions(error_of([&] { check_output_file(missing); }), missing, std::strerror(ENOENT));

  const auto too_long = dir / std::string(300, 'x');
  check_mentions(error_of([&] { write_file_atomically(too_long, "x"); }), too_long, std::strerror(ENAMETOOLONG));
  CHECK(dir.others("").empty());

  check_output_file(dir / "fine.json");  // a good location passes, and the probe leaves nothing
  CHECK(dir.others("").empty());
}

TEST_CASE("atomic write: a process killed while it writes leaves the old file and, on Linux, nothing else") {
  TempDir dir;
  const auto target = dir / "model.ckpt";
  write_text(target, "old");
  // Whether this folder's file system has unnamed temporaries (ext4, xfs, btrfs, tmpfs do).
  const bool unnamed = AtomicFile(target).unnamed();
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {  // the child dies in the middle of a save, as under SIGKILL or the OOM killer
    AtomicFile out(target, "checkpoint");
    out.write(std::string(1 << 20, 'x'));
    ::raise(SIGKILL);
    ::_exit(0);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFSIGNALED(status));
  CHECK(read_text(target) == "old");
  // Without O_TMPFILE the named temporary stays (a later save takes the next free name).
  CHECK(dir.others("model.ckpt").size() == (unnamed ? 0u : 1u));
#if defined(__linux__) && defined(O_TMPFILE)
  // This suite's folders are on a local file system: the killed save must leave nothing.
  CHECK(unnamed);
#endif
}

namespace {
// Runs check() in a child process as an unprivileged user (root passes every permission
// check); true when it returns true. Not root, the child keeps the caller's user.
template <class F>
bool unprivileged(F&& check) {
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(3);
    ::_exit(check() ? 0 : 1);
  }
  int status = 0;
  if (pid < 0 || ::waitpid(pid, &status, 0) != pid) return false;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

bool refused_with(const std::function<void()>& f, const fs::path& file, const std::string& problem) {
  const std::string msg = error_of(f);
  const bool ok = msg.find("'" + file.string() + "'") != std::string::npos && msg.find(problem) != std::string::npos;
  if (!ok) std::fprintf(stderr, "expected an Error naming '%s' and '%s', got: '%s'\n", file.c_str(), problem.c_str(), msg.c_str());
  return ok;
}
}  // namespace

TEST_CASE("atomic write: a folder without write permission, and a write-protected file, are refused") {
  TempDir dir;
  const auto locked = dir / "locked";
  fs::create_directory(locked);
  fs::permissions(locked, fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read |
                              fs::perms::group_exec | fs::perms::others_read | fs::perms::others_exec);
  const auto open = dir / "open";
  fs::create_directory(open);
  fs::permissions(open, fs::perms::all);
  const auto kept = open / "kept.ckpt";
  write_text(kept, "protected");
  fs::permissions(kept, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  fs::permissions(dir.path, fs::perms::others_exec | fs::perms::group_exec, fs::perm_options::add);

  CHECK(unprivileged([&] {
    return refused_with([&] { check_output_file(locked / "r.json"); }, locked / "r.json", std::strerror(EACCES)) &&
           refused_with([&] { write_file_atomically(kept, "over"); }, kept, "write-protected");
  }));
  CHECK(read_text(kept) == "protected");
  CHECK(fs::is_empty(locked));
  CHECK(entries(open) == std::vector<std::string>{"kept.ckpt"});
  fs::permissions(locked, fs::perms::owner_all);
}

TEST_CASE("open_for_reading: a missing file, a directory, and a good one") {
  TempDir dir;
  CHECK_THROWS_WITH_AS(open_for_reading(dir / "absent", "data 'absent': "), doctest::Contains("data 'absent': file not found"), Error);
  CHECK_THROWS_WITH_AS(open_for_reading(dir.path, "data: "), doctest::Contains("is a directory"), Error);
  write_text(dir / "f", "xyz");
  FilePtr f = open_for_reading(dir / "f", "data: ");
  char buf[4] = {};
  CHECK(std::fread(buf, 1, 3, f.get()) == 3);
  CHECK(std::string(buf) == "xyz");
}
