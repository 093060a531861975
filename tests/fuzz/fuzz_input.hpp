// The fuzz targets' input as a file: the readers under test take paths, as users give them.
// One file per process, rewritten for every input.
#pragma once
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>

namespace tinycnn::fuzz {

inline std::filesystem::path input_file(const std::uint8_t* data, std::size_t size, const char* name) {
  static const std::filesystem::path file =
      std::filesystem::temp_directory_path() / ("tinycnn-fuzz-" + std::to_string(::getpid()) + "-" + name);
  std::FILE* f = std::fopen(file.c_str(), "wb");
  if (!f || (size > 0 && std::fwrite(data, 1, size, f) != size) || std::fclose(f) != 0) {
    std::perror(file.c_str());
    std::abort();  // not the reader's fault: the harness cannot work
  }
  return file;
}

}  // namespace tinycnn::fuzz
