// Files, the one way tinycnn opens them: a guard that closes what it opened, a checked open for
// reading, and the atomic write that every output (checkpoints, benchmark results) goes through.
//
// The atomic write puts the new contents in a temporary file in the target's own folder, fsyncs
// it, and renames it over the target: a reader (a resumed run, a plotting script) sees the old
// file or the complete new one, never a mixture, even after a crash or a full disk. On Linux the
// temporary has no name until commit (O_TMPFILE, then linkat), so a process killed while it
// writes leaves nothing behind; where the file system cannot do that, it is a named
// "<name>.tmp-<pid>-<n>", removed on every failure the process lives through.
// Rules, which the tests in tests/io/file_test.cpp hold it to:
//   - A symlink is followed to its final target, which is replaced; the link stays a link.
//     (Renaming over the link itself would turn it into a plain file behind its owner's back.)
//   - An existing target that is not a regular file (a directory, FIFO, device, socket) is
//     refused before anything is written: renaming over it would remove a device node or fail
//     only after all the work, and writing into a FIFO is not a save.
//   - An existing target the caller may not write (access(W_OK)) is refused, although the rename
//     would succeed in a writable folder: a write-protected checkpoint stays protected.
//   - A replaced file keeps its permission bits.
//   - Every failure (no such folder, no permission, a name too long, a full disk) is an Error
//     that names the path and gives strerror's words; the temporary is removed.
#pragma once
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "tinycnn/core/error.hpp"

namespace tinycnn {

struct FileCloser {
  void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};
// A FILE* that closes itself.
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

namespace detail {

// "<what> '<path>': ", the start of every message about one file.
inline std::string file_where(std::string_view what, const std::filesystem::path& file) {
  return std::string(what) + " '" + file.string() + "': ";
}

// errno's words; read errno before building anything that may change it.
inline std::string errno_text(int e) { return std::strerror(e); }

// A POSIX descriptor that closes itself.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  ~Fd() { reset(); }
  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  // Closes now and reports close's result (0 or -1 with errno), which a writer must check:
  // NFS and some full disks report a failed write only there.
  int close() { return fd_ < 0 ? 0 : ::close(std::exchange(fd_, -1)); }
  void reset() {
    if (fd_ >= 0) ::close(std::exchange(fd_, -1));
  }

 private:
  int fd_ = -1;
};

// The path a chain of symlinks ends at (the path itself when it is no symlink); the final
// target need not exist. Relative links are relative to the folder of the link.
inline std::filesystem::path follow_symlinks(const std::filesystem::path& path, std::string_view what) {
  std::filesystem::path p = path;
  for (int hops = 0; hops <= 40; ++hops) {  // Linux's own limit (ELOOP after 40)
    std::error_code ec;
    if (!std::filesystem::is_symlink(std::filesystem::symlink_status(p, ec))) return p;
    std::filesystem::path next = std::filesystem::read_symlink(p, ec);
    if (ec) throw Error(file_where(what, path) + "cannot read the symlink '" + p.string() + "': " + ec.message());
    p = next.is_absolute() ? next : p.parent_path() / next;
  }
  throw Error(file_where(what, path) + errno_text(ELOOP));
}

}  // namespace detail

// What kind of file `path` is when it exists and is not a regular file ("a directory", "a FIFO",
// "a character device", ...), symlinks followed; empty when it is a regular file or absent.
inline std::string non_regular_kind(const std::filesystem::path& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) return "";
  switch (st.st_mode & S_IFMT) {
    case S_IFREG: return "";
    case S_IFDIR: return "a directory";
    case S_IFIFO: return "a FIFO";
    case S_IFCHR: return "a character device";
    case S_IFBLK: return "a block device";
    case S_IFSOCK: return "a socket";
    default: return "an unknown kind of file";
  }
}

// Opens an existing file for reading. A problem is an Error starting with `where` (e.g.
// "checkpoint 'x': "), followed by what is wrong: not found, a directory, or strerror's words.
inline FilePtr open_for_reading(const std::filesystem::path& file, const std::string& where) {
  std::error_code ec;
  auto st = std::filesystem::status(file, ec);
  if (!std::filesystem::exists(st)) throw Error(where + "file not found");
  if (std::filesystem::is_directory(st)) throw Error(where + "is a directory, not a file");
  FilePtr f(std::fopen(file.c_str(), "rb"));
  if (!f) {
    const int e = errno;
    throw Error(where + "cannot open: " + detail::errno_text(e));
  }
  return f;
}

// A file written under a temporary name and renamed over its target by commit(); destroyed
// without commit() (an exception on the way), it removes the temporary and the target keeps
// what it held. `what` names the file in messages ("checkpoint", "benchmark result").
class AtomicFile {
 public:
  explicit AtomicFile(const std::filesystem::path& target, std::string what = "file")
      : target_(target), what_(std::move(what)) {
    destination_ = detail::follow_symlinks(target_, what_);
    if (std::string kind = non_regular_kind(destination_); !kind.empty())
      fail_before_writing("it is " + kind + ", not a regular file: refusing to replace it");
    std::error_code ec;
    const bool exists = std::filesystem::exists(destination_, ec);
    if (exists && ::access(destination_.c_str(), W_OK) != 0) {
      const int e = errno;
      fail_before_writing("the file is write-protected: " + detail::errno_text(e));
    }

    std::filesystem::path folder = destination_.parent_path();
    if (folder.empty()) folder = ".";
    const std::string name = destination_.filename().string();
    long name_max = ::pathconf(folder.c_str(), _PC_NAME_MAX);
    if (name_max <= 0) name_max = NAME_MAX;
    if (name.size() > static_cast<std::size_t>(name_max))
      fail_before_writing("the name is " + std::to_string(name.size()) + " bytes, the folder allows " +
                          std::to_string(name_max) + ": " + detail::errno_text(ENAMETOOLONG));

    // The temporary's name is cut to fit where the target's name only just does.
    const std::string suffix = ".tmp-" + std::to_string(static_cast<long long>(::getpid())) + "-";
    const std::size_t keep = std::min(name.size(), static_cast<std::size_t>(name_max) - suffix.size() - 4);
    tmp_stem_ = folder / (name.substr(0, keep) + suffix);
#ifdef O_TMPFILE
    // Naming it later goes through /proc/self/fd, so without /proc the named way is taken.
    if (::access("/proc/self/fd", X_OK) == 0) {
      fd_ = detail::Fd(::open(folder.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666));
      unnamed_ = bool(fd_);  // else the file system cannot (or the folder is unusable: said below)
    }
#endif
    if (!fd_) {
      create_named();
      if (!fd_) {
        const int e = errno;
        fail_before_writing("cannot create a temporary file in '" + folder.string() + "': " + detail::errno_text(e));
      }
      created_ = true;
    }
    struct stat st{};
    if (exists && ::stat(destination_.c_str(), &st) == 0) (void)::fchmod(fd_.get(), st.st_mode & 07777);
  }
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile() {
    fd_.reset();
    if (created_ && !committed_) ::unlink(tmp_.c_str());
  }

  void write(const void* data, std::size_t n) {
    const auto* p = static_cast<const char*>(data);
    while (n > 0) {
      const ssize_t k = ::write(fd_.get(), p, n);
      if (k < 0) {
        const int e = errno;
        if (e == EINTR) continue;
        fail_errno(e, "writing to the temporary file");
      }
      p += k;
      n -= static_cast<std::size_t>(k);
    }
  }
  void write(std::string_view s) { write(s.data(), s.size()); }

  // Whether the temporary is still without a name (O_TMPFILE): a kill leaves nothing behind.
  bool unnamed() const { return unnamed_; }

  // Makes the new contents durable, then puts them under the target's name.
  void commit() {
    // Without fsync, a crash shortly after the rename can leave an empty file under the name.
    if (::fsync(fd_.get()) != 0) {
      const int e = errno;
      fail_errno(e, "fsync of the temporary file");
    }
    // An unnamed temporary gets a name just before the rename (linkat cannot replace a file).
    if (unnamed_) {
      const std::string self = "/proc/self/fd/" + std::to_string(fd_.get());
      for (int attempt = 0; attempt < 100; ++attempt) {
        tmp_ = tmp_stem_.string() + std::to_string(attempt);
        if (::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, tmp_.c_str(), AT_SYMLINK_FOLLOW) == 0) break;
        if (errno != EEXIST || attempt == 99) {
          const int e = errno;
          fail_errno(e, "naming the temporary file '" + tmp_.string() + "'");
        }
      }
      created_ = true;
    }
    if (fd_.close() != 0) {
      const int e = errno;
      fail_errno(e, "closing '" + tmp_.string() + "'");
    }
    if (::rename(tmp_.c_str(), destination_.c_str()) != 0) {
      const int e = errno;
      fail_errno(e, "renaming '" + tmp_.string() + "' to '" + destination_.filename().string() + "'");
    }
    committed_ = true;
    // Make the rename itself durable; a failure here loses nothing that was there before.
    std::filesystem::path folder = destination_.parent_path();
    if (folder.empty()) folder = ".";
    detail::Fd dir(::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir) (void)::fsync(dir.get());
  }

 private:
  // "<name>.tmp-<pid>-<n>", the first n not taken (a stale temporary of an earlier process).
  void create_named() {
    for (int attempt = 0; attempt < 100 && !fd_; ++attempt) {
      tmp_ = tmp_stem_.string() + std::to_string(attempt);
      fd_ = detail::Fd(::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666));
      if (!fd_ && errno != EEXIST) break;
    }
  }
  [[noreturn]] void fail_before_writing(const std::string& problem) const {
    throw Error(detail::file_where(what_, target_) + problem + where_it_leads());
  }
  // e: errno, read by the caller straight after the failing call, before the message is built.
  [[noreturn]] void fail_errno(int e, const std::string& action) const {
    throw Error(detail::file_where(what_, target_) + action + " failed: " + detail::errno_text(e) +
                " (the previous " + what_ + ", if any, is untouched)" + where_it_leads());
  }

  std::string where_it_leads() const {
    return destination_ == target_ || destination_.empty() ? "" : " (a symlink to '" + destination_.string() + "')";
  }

  std::filesystem::path target_, destination_, tmp_stem_, tmp_;
  std::string what_;
  detail::Fd fd_;
  bool unnamed_ = false;  // O_TMPFILE: no name until commit()
  bool created_ = false, committed_ = false;  // created_: tmp_ names it, and is removed unless committed
};

// Throws the Error a write to `target` would end in, before the work that produces the
// contents: a run that cannot save its result should fail in its first second, not its last.
// Creates and removes the temporary the real write would use, so every cause is covered.
inline void check_output_file(const std::filesystem::path& target, const std::string& what = "file") {
  AtomicFile probe(target, what);
}

inline void write_file_atomically(const std::filesystem::path& target, std::string_view content,
                                  const std::string& what = "file") {
  AtomicFile out(target, what);
  out.write(content);
  out.commit();
}

}  // namespace tinycnn
