// How much more memory this process may take before something stops it: the kernel's
// MemAvailable, the memory limit of its cgroup (what Slurm's --mem sets; v2 and v1, every level
// up to the root), and its address-space limit (ulimit -v), whichever is tightest. A program
// compares a configuration's need with it before allocating, so an impossible batch ends with a
// message instead of std::bad_alloc or, under a cgroup, the OOM killer's silent SIGKILL.
//
// The roots of /proc and /sys/fs/cgroup are parameters so that tests can hand it made-up ones.
#pragma once
#include <sys/resource.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>

namespace tinycnn {

struct AvailableMemory {
  std::uint64_t bytes = std::numeric_limits<std::uint64_t>::max();  // max: nothing known
  std::string source;                                               // what sets it, for messages
};

namespace detail {

// The first whitespace-separated number in a file ("max" and absent files give nothing).
inline bool read_number(const std::filesystem::path& file, std::uint64_t& out) {
  std::ifstream in(file);
  std::string word;
  if (!(in >> word) || word.empty() || word.find_first_not_of("0123456789") != std::string::npos) return false;
  try {
    out = std::stoull(word);
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

// "Key:   123 kB" in a /proc file, in bytes.
inline bool read_kb_field(const std::filesystem::path& file, const std::string& key, std::uint64_t& out) {
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    if (line.compare(0, key.size() + 1, key + ":") != 0) continue;
    std::istringstream fields(line.substr(key.size() + 1));
    std::uint64_t kb = 0;
    if (!(fields >> kb)) return false;
    out = kb * 1024;
    return true;
  }
  return false;
}

inline void tighten(AvailableMemory& a, std::uint64_t bytes, const std::string& source) {
  if (bytes < a.bytes) a = {bytes, source};
}

// limit - usage at every level of a cgroup path, up to the root.
inline void tighten_by_cgroup(AvailableMemory& a, const std::filesystem::path& base, std::string path,
                              const char* limit_file, const char* usage_file, const std::string& what) {
  // cgroup v1 reports "no limit" as a page-rounded 2^63: anything that large is none.
  constexpr std::uint64_t kNoLimit = std::uint64_t(1) << 60;
  while (true) {
    const std::filesystem::path dir = base / std::filesystem::path(path).relative_path();
    std::uint64_t limit = 0, usage = 0;
    if (read_number(dir / limit_file, limit) && limit < kNoLimit) {
      if (!read_number(dir / usage_file, usage)) usage = 0;
      tighten(a, limit > usage ? limit - usage : 0,
              "the cgroup memory limit (" + what + " " + std::to_string(limit >> 20) + " MiB at " +
                  (path.empty() ? "/" : path) + ", " + std::to_string(usage >> 20) + " MiB in use)");
    }
    if (path.empty() || path == "/") break;
    const auto slash = path.find_last_of('/');
    path = slash == std::string::npos || slash == 0 ? "/" : path.substr(0, slash);
  }
}

}  // namespace detail

inline AvailableMemory available_memory(const std::filesystem::path& proc = "/proc",
                                        const std::filesystem::path& cgroup_root = "/sys/fs/cgroup") {
  AvailableMemory a;
  std::uint64_t bytes = 0;
  if (detail::read_kb_field(proc / "meminfo", "MemAvailable", bytes)) detail::tighten(a, bytes, "MemAvailable in /proc/meminfo");

  // /proc/self/cgroup: "0::/path" (v2), "N:memory:/path" or "N:...,memory,...:/path" (v1).
  std::ifstream groups(proc / "self" / "cgroup");
  for (std::string line; std::getline(groups, line);) {
    const auto c1 = line.find(':'), c2 = line.find(':', c1 + 1);
    if (c1 == std::string::npos || c2 == std::string::npos) continue;
    const std::string controllers = "," + line.substr(c1 + 1, c2 - c1 - 1) + ",", path = line.substr(c2 + 1);
    if (line.compare(0, c1, "0") == 0 && controllers == ",,")
      detail::tighten_by_cgroup(a, cgroup_root, path, "memory.max", "memory.current", "memory.max");
    else if (controllers.find(",memory,") != std::string::npos)
      detail::tighten_by_cgroup(a, cgroup_root / "memory", path, "memory.limit_in_bytes", "memory.usage_in_bytes",
                                "memory.limit_in_bytes");
  }

  rlimit as{};
  if (::getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY) {
    std::uint64_t used = 0;
    (void)detail::read_kb_field(proc / "self" / "status", "VmSize", used);
    const std::uint64_t limit = as.rlim_cur;
    detail::tighten(a, limit > used ? limit - used : 0,
                    "the address-space limit (ulimit -v " + std::to_string(limit >> 10) + " kB, " +
                        std::to_string(used >> 20) + " MiB mapped)");
  }
  return a;
}

}  // namespace tinycnn
