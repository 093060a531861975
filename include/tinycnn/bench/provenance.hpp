// Provenance: where and with what a benchmark result was made, so that a result file read months
// later (or gathered from a sweep over many nodes) still says which machine, build and job it
// came from. The library knows the host, the date, its version, the compiler and the CPU; the
// program that embeds it knows its commit and compiler flags (a build system fact) and passes them.
#pragma once
#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <fstream>
#include <string>

#include "tinycnn/version.hpp"

namespace tinycnn::bench {

struct BuildInfo {
  std::string commit = "unknown";  // the source revision the program was configured from
  std::string build_type;          // Release, RelWithDebInfo ...
  std::string flags;               // the compiler flags of the build type and architecture
};

struct Provenance {
  std::string host;
  std::string date_utc;            // ISO 8601, seconds
  std::string tinycnn_version;
  std::string compiler;            // name and version
  BuildInfo build;
  std::string cpu_model;
  std::string slurm_job_id;        // empty outside a Slurm job
};

inline std::string cpu_model_name() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
    }
  return "unknown";
}

inline std::string compiler_name() {
#if defined(__clang__)
  return "clang " __clang_version__;
#elif defined(__GNUC__)
  return "g++ " __VERSION__;
#else
  return "unknown";
#endif
}

inline Provenance collect_provenance(BuildInfo build) {
  Provenance p;
  char host[256] = {};
  p.host = gethostname(host, sizeof host - 1) == 0 ? host : "unknown";
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &utc);
  p.date_utc = date;
  p.tinycnn_version = TINYCNN_VERSION_STRING;
  p.compiler = compiler_name();
  p.build = std::move(build);
  p.cpu_model = cpu_model_name();
  if (const char* job = std::getenv("SLURM_JOB_ID")) p.slurm_job_id = job;
  return p;
}

}  // namespace tinycnn::bench
