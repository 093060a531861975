// available_memory: the tightest of MemAvailable, the cgroup limits (v2 and v1, every level) and
// ulimit -v, read from made-up /proc and /sys/fs/cgroup trees, and from this machine's.
#include <doctest/doctest.h>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>

#include "support/temp_dir.hpp"
#include "tinycnn/core/available_memory.hpp"

namespace fs = std::filesystem;
using namespace tinycnn;

namespace {

void write(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  std::ofstream(file) << text;
}

constexpr std::uint64_t MiB = 1 << 20;

}  // namespace

TEST_CASE("available_memory: MemAvailable alone") {
  test::TempDir dir("available-memory");
  write(dir / "proc/meminfo", "MemTotal:       24000000 kB\nMemFree:  100 kB\nMemAvailable:    2048 kB\n");
  const AvailableMemory a = available_memory(dir / "proc", dir / "cgroup");
  if (rlimit as{}; ::getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur == RLIM_INFINITY) {
    CHECK(a.bytes == 2 * MiB);
    CHECK(a.source == "MemAvailable in /proc/meminfo");
  }
}

TEST_CASE("available_memory: a cgroup v2 limit, the tightest level of the path counting") {
  test::TempDir dir("available-memory");
  write(dir / "proc/meminfo", "MemAvailable:    20971520 kB\n");  // 20 GiB
  write(dir / "proc/self/cgroup", "0::/slurm/uid_0/job_42/step_0\n");
  write(dir / "cgroup/slurm/memory.max", "max\n");
  write(dir / "cgroup/slurm/uid_0/job_42/memory.max", std::to_string(4096 * MiB) + "\n");  // --mem=4G
  write(dir / "cgroup/slurm/uid_0/job_42/memory.current", std::to_string(1024 * MiB) + "\n");
  write(dir / "cgroup/slurm/uid_0/job_42/step_0/memory.max", "max\n");
  AvailableMemory a = available_memory(dir / "proc", dir / "cgroup");
  CHECK(a.bytes == 3072 * MiB);
  CHECK(a.source == "the cgroup memory limit (memory.max 4096 MiB at /slurm/uid_0/job_42, 1024 MiB in use)");

  // A tighter step below it wins; usage above the limit leaves nothing.
  write(dir / "cgroup/slurm/uid_0/job_42/step_0/memory.max", std::to_string(512 * MiB) + "\n");
  write(dir / "cgroup/slurm/uid_0/job_42/step_0/memory.current", std::to_string(600 * MiB) + "\n");
  a = available_memory(dir / "proc", dir / "cgroup");
  CHECK(a.bytes == 0);
  CHECK(a.source.find("at /slurm/uid_0/job_42/step_0") != std::string::npos);
}

TEST_CASE("available_memory: a cgroup v1 memory controller; its 'no limit' value is no limit") {
  test::TempDir dir("available-memory");
  write(dir / "proc/meminfo", "MemAvailable:    1048576 kB\n");  // 1 GiB
  write(dir / "proc/self/cgroup", "12:cpu,cpuacct:/job\n5:memory:/job\n");
  write(dir / "cgroup/memory/job/memory.limit_in_bytes", "9223372036854771712\n");
  write(dir / "cgroup/memory/job/memory.usage_in_bytes", "100\n");
  AvailableMemory a = available_memory(dir / "proc", dir / "cgroup");
  CHECK(a.bytes == 1024 * MiB);
  write(dir / "cgroup/memory/job/memory.limit_in_bytes", std::to_string(300 * MiB) + "\n");
  write(dir / "cgroup/memory/job/memory.usage_in_bytes", std::to_string(100 * MiB) + "\n");
  a = available_memory(dir / "proc", dir / "cgroup");
  CHECK(a.bytes == 200 * MiB);
  CHECK(a.source.find("memory.limit_in_bytes 300 MiB at /job") != std::string::npos);
}

TEST_CASE("available_memory: nothing known gives no limit; this machine's is some memory") {
  test::TempDir dir("available-memory");
  if (rlimit as{}; ::getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur == RLIM_INFINITY)
    CHECK(available_memory(dir / "proc", dir / "cgroup").bytes == std::numeric_limits<std::uint64_t>::max());
  const AvailableMemory here = available_memory();
  CHECK(here.bytes > 16 * MiB);
  CHECK(here.bytes < std::numeric_limits<std::uint64_t>::max());
  CHECK(!here.source.empty());
}

// AddressSanitizer maps terabytes of shadow memory and cannot run under an address-space limit:
// this case is in the plain builds only (scripts/test.sh runs two).
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TINYCNN_TEST_ASAN 1
#endif
#endif
#if !defined(__SANITIZE_ADDRESS__) && !defined(TINYCNN_TEST_ASAN)
TEST_CASE("available_memory: ulimit -v counts what is already mapped") {
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    std::uint64_t mapped = 0;
    if (!detail::read_kb_field("/proc/self/status", "VmSize", mapped)) ::_exit(2);
    rlimit as{mapped + 100 * MiB, mapped + 100 * MiB};
    if (::setrlimit(RLIMIT_AS, &as) != 0) ::_exit(3);
    const AvailableMemory a = available_memory();
    // What was mapped meanwhile (the reads' buffers) is not available either.
    const bool ok = a.bytes <= 100 * MiB && a.bytes > 50 * MiB && a.source.find("ulimit -v") != std::string::npos;
    ::_exit(ok ? 0 : 1);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}
#endif
