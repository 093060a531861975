// What a checkpoint holds, without the program that wrote it:
//   tinycnn_checkpoint info FILE
// prints the format version, the element type, the step, the signature (the layers, the element
// type and the optimizer, or "weights"), each section's name, type and size, and the checksum,
// which is verified: a truncated or corrupt file exits 1 with the reason.
#include <CLI/CLI.hpp>
#include <cinttypes>
#include <cstdio>
#include <string>

#include "cli_checks.hpp"
#include "tinycnn/io/checkpoint.hpp"

namespace {

// "1.5 MiB" for a byte count.
std::string size_text(std::uint64_t bytes) {
  char text[32];
  if (bytes < 1024)
    std::snprintf(text, sizeof text, "%" PRIu64 " B", bytes);
  else if (bytes < (1u << 20))
    std::snprintf(text, sizeof text, "%.1f KiB", double(bytes) / 1024);
  else if (bytes < (1u << 30))
    std::snprintf(text, sizeof text, "%.1f MiB", double(bytes) / (1 << 20));
  else
    std::snprintf(text, sizeof text, "%.2f GiB", double(bytes) / (1 << 30));
  return text;
}

const char* type_text(tinycnn::CheckpointType t) {
  switch (t) {
    case tinycnn::CheckpointType::float32: return "float32";
    case tinycnn::CheckpointType::float64: return "float64";
    case tinycnn::CheckpointType::uint64: return "uint64";
  }
  return "?";
}

// Who wrote the file: the last " | " part of the signature names the optimizer, or "weights".
std::string written_by(const std::string& signature) {
  const std::size_t bar = signature.rfind(" | ");
  const std::string last = bar == std::string::npos ? signature : signature.substr(bar + 3);
  if (last == "weights") return "save_weights (parameters and batch-norm statistics only)";
  if (last == "float" || last == "double") return "an unknown writer";
  return "a Trainer with optimizer " + last;
}

void print_info(const std::string& file) {
  const tinycnn::CheckpointInfo info = tinycnn::inspect_checkpoint(file);
  std::uint64_t bytes = 0;
  std::size_t name_width = 7;
  for (const auto& s : info.sections) name_width = std::max(name_width, s.name.size());
  std::printf("file:       %s\n", file.c_str());
  std::printf("format:     tinycnn checkpoint, version %u\n", info.version);
  std::printf("numbers:    %s\n", info.element_size == 4 ? "float" : "double");
  std::printf("step:       %" PRId64 "\n", info.step);
  std::printf("written by: %s\n", written_by(info.signature).c_str());
  std::printf("signature:  %s\n", info.signature.c_str());
  std::printf("checksum:   %016" PRIx64 " (FNV-1a 64), verified\n", info.checksum);
  std::printf("sections:   %zu\n", info.sections.size());
  std::printf("  %-*s  %-7s  %12s  %s\n", int(name_width), "section", "type", "elements", "size");
  for (const auto& s : info.sections) {
    const std::uint64_t size = s.count * (s.type == tinycnn::CheckpointType::float32 ? 4 : 8);
    bytes += size;
    std::printf("  %-*s  %-7s  %12" PRIu64 "  %s\n", int(name_width), s.name.c_str(), type_text(s.type), s.count,
                size_text(size).c_str());
  }
  std::printf("data:       %s in all\n", size_text(bytes).c_str());
}

}  // namespace

int main(int argc, char** argv) try {
  CLI::App app{"Inspect tinycnn checkpoints"};
  app.require_subcommand(1);
  std::string file;
  CLI::App* info = app.add_subcommand("info", "Print what a checkpoint holds, after verifying its checksum");
  info->add_option("FILE", file, "The checkpoint")->required();
  examples::add_version_flag(app, "tinycnn_checkpoint");
  if (const int rc = examples::parse_command_line(app, "tinycnn_checkpoint", argc, argv); rc >= 0) return rc;
  if (*info) print_info(file);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "tinycnn_checkpoint: %s\n", e.what());
  return 1;
} catch (...) {
  std::fprintf(stderr, "tinycnn_checkpoint: unknown error\n");
  return 1;
}
