// Peak resident memory of this process, the figure `/usr/bin/time -v` calls "Maximum resident
// set size": what a node must have free to run the configuration.
#pragma once
#include <sys/resource.h>

#include <cstdint>

namespace tinycnn::bench {

// Bytes; 0 if the kernel does not say. Linux reports ru_maxrss in KiB.
inline std::uint64_t peak_resident_bytes() {
  rusage u{};
  if (getrusage(RUSAGE_SELF, &u) != 0) return 0;
  return std::uint64_t(u.ru_maxrss) * 1024u;
}

}  // namespace tinycnn::bench
