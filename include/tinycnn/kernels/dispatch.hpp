// Choosing the instruction set at run time: one binary, built for the AVX2 baseline, that runs
// AVX-512 kernels on CPUs that have AVX-512.
//
// How: link the CMake target tinycnn::dispatch. It compiles src/kernel_table.cpp twice, for
// AVX2 (-march=haswell) and for AVX-512 (-march=x86-64-v4); each copy instantiates the float
// kernels of kernels/kernel_list.hpp in its own namespace (simd/isa_namespace.hpp) and exports
// a table of pointers to them. The program's own files are built for the baseline with
// TINYCNN_DISPATCH defined, where each listed float kernel is a one-line call through the
// chosen table (kernels/all.hpp). The table is chosen once, at the first call: the one named by
// use_isa() (the programs' --isa) or by the environment variable TINYCNN_ISA (avx2, avx512),
// else the widest the CPU supports.
//
// Why tables of separately compiled files rather than target attributes on functions: xsimd
// 8.1 decides its architectures from the compiler's flags (__AVX512F__), once per translation
// unit, so one file cannot hold both instruction sets' kernels; separate files are xsimd's own
// way. The cost is a pitfall that this layout avoids by construction: a function compiled with
// AVX-512 flags must never be the copy that baseline code calls. Everything compiled for an
// instruction set has its own names, and tests/dispatch checks the linked program for AVX-512
// instructions outside them.
//
// Kernels not in the list (softmax, dropout, concatenation, the optimizers' updates), and every
// double kernel, run at the baseline in a dispatching program: together they are a few percent
// of a training step.
#pragma once
#include <atomic>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "tinycnn/core/error.hpp"
#include "tinycnn/kernels/kernel_list.hpp"
#include "tinycnn/simd/isa_namespace.hpp"

namespace tinycnn::kernels {

enum class Isa { avx2, avx512 };

// As the programs print it ("AVX-512"), and as --isa and TINYCNN_ISA take it ("avx512").
inline const char* isa_name(Isa isa) { return isa == Isa::avx512 ? "AVX-512" : "AVX2+FMA"; }
inline const char* isa_flag(Isa isa) { return isa == Isa::avx512 ? "avx512" : "avx2"; }

// The instruction set named "avx2" or "avx512", or none.
inline std::optional<Isa> find_isa(std::string_view name) {
  if (name == "avx2") return Isa::avx2;
  if (name == "avx512") return Isa::avx512;
  return std::nullopt;
}
inline Isa parse_isa(std::string_view name) {
  if (const std::optional<Isa> isa = find_isa(name)) return *isa;
  throw Error("unknown instruction set '" + std::string(name) + "' (valid: avx2, avx512)");
}

// Whether this CPU, and the operating system (which must save the wider registers), runs the
// instruction set's kernels: AVX2 with FMA; AVX-512 F, CD, BW, DQ and VL (x86-64-v4).
inline bool cpu_supports(Isa isa) {
  __builtin_cpu_init();
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (isa == Isa::avx2) return avx2;
  return avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") &&
         __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx512vl");
}

// The widest instruction set this CPU runs.
inline Isa best_isa() { return cpu_supports(Isa::avx512) ? Isa::avx512 : Isa::avx2; }

#define TINYCNN_KERNEL_TABLE_MEMBER(R, name, params, args) R(*name) params = nullptr;
struct KernelTable {
  Isa isa = Isa::avx2;
  TINYCNN_DISPATCHED_KERNELS(TINYCNN_KERNEL_TABLE_MEMBER)
};
#undef TINYCNN_KERNEL_TABLE_MEMBER

// Defined by the two compilations of src/kernel_table.cpp (tinycnn::dispatch).
const KernelTable& kernel_table_avx2();
const KernelTable& kernel_table_avx512();
#if defined(TINYCNN_AVX512_KERNELS)
#define TINYCNN_KERNEL_TABLE_GETTER kernel_table_avx512
#else
#define TINYCNN_KERNEL_TABLE_GETTER kernel_table_avx2
#endif

// What depends on how this file was compiled lives in its instruction set's namespace, so a
// dispatching program's files and its tables never share a definition.
inline namespace TINYCNN_ISA_NAMESPACE {

// The instruction set this translation unit's kernels were compiled for.
#if defined(TINYCNN_AVX512_KERNELS)
inline constexpr Isa compiled_isa = Isa::avx512;
#else
inline constexpr Isa compiled_isa = Isa::avx2;
#endif

#if defined(TINYCNN_DISPATCH) && !defined(TINYCNN_KERNEL_TABLE)
inline constexpr bool dispatches = true;  // both tables linked; the CPU decides
#else
inline constexpr bool dispatches = false;  // only the kernels compiled with this program's flags
#endif

// Why this program cannot run the instruction set's kernels here, or "" when it can.
inline std::string isa_unavailable_reason(Isa isa) {
  if (!dispatches && isa != compiled_isa)
    return std::string("this program has only the ") + isa_name(compiled_isa) +
           " kernels it was compiled with; a program linked with tinycnn::dispatch can choose";
  if (!cpu_supports(isa))
    return std::string("this CPU does not support ") + isa_name(isa) +
           (isa == Isa::avx512 ? " (F, CD, BW, DQ and VL are needed)" : " (with FMA)");
  return {};
}

namespace detail {
inline std::atomic<const KernelTable*>& chosen_table() {
  static std::atomic<const KernelTable*> table{nullptr};
  return table;
}
// The instruction set, or an Error that starts with `asked` (how it was asked for) and says why not.
inline Isa checked_isa(Isa isa, const std::string& asked) {
  if (const std::string why = isa_unavailable_reason(isa); !why.empty()) throw Error(asked + ": " + why);
  return isa;
}
// TINYCNN_ISA when set, else the widest instruction set the program and the CPU have.
inline Isa default_isa() {
  if (const char* env = std::getenv("TINYCNN_ISA"); env && *env) {
    const std::optional<Isa> isa = find_isa(env);
    if (!isa)
      throw Error(std::string("environment variable TINYCNN_ISA: unknown instruction set '") + env +
                  "' (valid: avx2, avx512)");
    return checked_isa(*isa, std::string("TINYCNN_ISA=") + env);
  }
  return dispatches ? best_isa() : compiled_isa;
}
}  // namespace detail

// Chooses the kernels' instruction set (--isa): before the first kernel runs, or again between
// steps. Refused, with the reason, when the CPU or the program lacks it.
inline void use_isa(Isa isa) {
  detail::checked_isa(isa, std::string("--isa ") + isa_flag(isa));
  if constexpr (dispatches)
    detail::chosen_table().store(isa == Isa::avx512 ? &kernel_table_avx512() : &kernel_table_avx2(),
                                 std::memory_order_release);
}
inline void use_isa(std::string_view name) { use_isa(parse_isa(name)); }

// The table the float kernels run from (a dispatching program only).
inline const KernelTable& kernel_table() {
  const KernelTable* table = detail::chosen_table().load(std::memory_order_acquire);
  if (!table) {
    use_isa(detail::default_isa());
    table = detail::chosen_table().load(std::memory_order_acquire);
  }
  return *table;
}

// The instruction set the float kernels run with: what every benchmark's header prints.
inline Isa isa_in_use() {
  if constexpr (dispatches) return kernel_table().isa;
  else return detail::default_isa();
}

}  // namespace TINYCNN_ISA_NAMESPACE

}  // namespace tinycnn::kernels
