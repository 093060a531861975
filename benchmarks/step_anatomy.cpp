// What one ResNet-50 training step is made of, for each thread count: how many OpenMP parallel
// regions and barriers it passes, how long its threads wait at them, and how its time splits
// between the GEMM-shaped layers (convolutions, dense) and the memory-bound rest (batch norm,
// ReLU, pooling, the residual sums). The counts come from the OpenMP runtime itself through its
// tool interface (OMPT), so this program builds only with LLVM's libomp (clang): GNU libgomp
// has no OMPT.
//
//   build-clang-avx512/benchmarks/step_anatomy --batch_size 32 --threads 1,2,4,8,16 --steps 2
//
// Counts do not depend on the cores: a 16-thread step passes the same barriers on 2 cores as on
// 16. Times and waits mean something only up to one thread per core; beyond it the table says so.
#include <omp-tools.h>
#include <omp.h>

#include <CLI/CLI.hpp>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <sstream>
#include <string>
#include <vector>

#include "cli_checks.hpp"
#include "tinycnn/bench/fma_peak.hpp"
#include "tinycnn/bench/provenance.hpp"
#include "tinycnn/core/random.hpp"
#include "tinycnn/graph/network.hpp"
#include "tinycnn/models/resnet.hpp"
#include "tinycnn/parallel/cpu_mask.hpp"
#include "tinycnn/parallel/trace.hpp"

namespace {

// ---- The OMPT tool: counters per OpenMP thread ---------------------------------------------

constexpr int kMaxToolThreads = 4096;

struct alignas(64) ThreadCounters {
  std::uint64_t regions = 0;   // parallel regions this thread started (as the encountering thread)
  std::uint64_t barriers = 0;  // barriers this thread passed (every kind: implicit, explicit, workshare)
  std::uint64_t wait_ns = 0;   // time inside them, waiting for the others
};

std::array<ThreadCounters, kMaxToolThreads> g_counters;
std::atomic<int> g_next_thread{0};
bool g_sync_wait_supported = false;

ThreadCounters& mine() {
  static thread_local int id = g_next_thread.fetch_add(1);
  return g_counters[std::size_t(id < kMaxToolThreads ? id : kMaxToolThreads - 1)];
}

std::uint64_t now_ns() {
  return std::uint64_t(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count());
}

bool is_barrier(ompt_sync_region_t kind) {
  return kind == ompt_sync_region_barrier || kind == ompt_sync_region_barrier_implicit ||
         kind == ompt_sync_region_barrier_explicit || kind == ompt_sync_region_barrier_implementation ||
         kind == ompt_sync_region_barrier_implicit_workshare || kind == ompt_sync_region_barrier_implicit_parallel;
}

void on_parallel_begin(ompt_data_t*, const ompt_frame_t*, ompt_data_t*, unsigned int, int, const void*) {
  ++mine().regions;
}

void on_sync_region(ompt_sync_region_t kind, ompt_scope_endpoint_t endpoint, ompt_data_t*, ompt_data_t*, const void*) {
  if (is_barrier(kind) && endpoint == ompt_scope_begin) ++mine().barriers;
}

void on_sync_wait(ompt_sync_region_t kind, ompt_scope_endpoint_t endpoint, ompt_data_t*, ompt_data_t*, const void*) {
  static thread_local std::uint64_t began = 0;
  if (!is_barrier(kind)) return;
  if (endpoint == ompt_scope_begin) began = now_ns();
  else mine().wait_ns += now_ns() - began;
}

int tool_initialize(ompt_function_lookup_t lookup, int, ompt_data_t*) {
  auto set_callback = reinterpret_cast<ompt_set_callback_t>(lookup("ompt_set_callback"));
  set_callback(ompt_callback_parallel_begin, reinterpret_cast<ompt_callback_t>(&on_parallel_begin));
  set_callback(ompt_callback_sync_region, reinterpret_cast<ompt_callback_t>(&on_sync_region));
  g_sync_wait_supported = set_callback(ompt_callback_sync_region_wait, reinterpret_cast<ompt_callback_t>(&on_sync_wait)) ==
                          ompt_set_always;
  return 1;
}
void tool_finalize(ompt_data_t*) {}

struct Totals {
  std::uint64_t regions = 0, barriers_first_thread = 0, barriers_all = 0, wait_ns = 0;
};
Totals read_totals() {
  Totals t;
  t.barriers_first_thread = g_counters[0].barriers;  // the program's own thread: it joins every top-level team
  for (const ThreadCounters& c : g_counters) {
    t.regions += c.regions;
    t.barriers_all += c.barriers;
    t.wait_ns += c.wait_ns;
  }
  return t;
}

}  // namespace

extern "C" ompt_start_tool_result_t* ompt_start_tool(unsigned int, const char*) {
  static ompt_start_tool_result_t result{&tool_initialize, &tool_finalize, {0}};
  return &result;
}

namespace {

using namespace tinycnn;
using Net = decltype(make_model<models::ResNet50>(models::ResNet50Input{}, 1));

std::vector<int> parse_threads(const std::string& list, int limit) {
  std::vector<int> out;
  std::stringstream in(list);
  std::string item;
  while (std::getline(in, item, ',')) {
    std::size_t used = 0;
    int t = 0;
    try {
      t = std::stoi(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    require(used == item.size() && !item.empty() && t >= 1 && t <= limit,
            "--threads takes a comma-separated list of counts from 1 to " + std::to_string(limit) + " (" +
                std::to_string(parallel::kThreadsPerCpuLimit) + " per CPU this process may use), got '" + list + "'");
    out.push_back(t);
  }
  require(!out.empty(), "--threads is empty");
  return out;
}

bool is_gemm_shaped(const std::string& label) { return label.rfind("Conv2D", 0) == 0 || label.rfind("Dense", 0) == 0; }
// A leaf's whole pass ("... forward", "... backward", "... recompute": a batch norm's output
// written again for backward), not a piece inside it (a convolution's "backward weights" and
// "backward data"), which the leaf's own interval already holds.
bool is_whole_leaf(const std::string& label) {
  auto ends = [&](const std::string& tail) {
    return label.size() >= tail.size() && label.compare(label.size() - tail.size(), tail.size(), tail) == 0;
  };
  return ends(" forward") || ends(" backward") || ends(" recompute");
}

}  // namespace

int main(int argc, char** argv) try {
  CLI::App app{"What a ResNet-50 training step is made of: parallel regions, barriers, waits, GEMM-shaped time"};
  long long batch = 32;
  int steps = 2;
  std::string threads_list = "1,2,4,8,16";
  app.add_option("--batch_size", batch, "Images per step")->capture_default_str()->check(CLI::Range(1, 1024));
  app.add_option("--steps", steps, "Measured steps per thread count (after one untimed)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  app.add_option("--threads", threads_list, "Intra-op thread counts, comma-separated")->capture_default_str();
  examples::add_version_flag(app, "step_anatomy");
  examples::add_isa_flag(app);
  if (const int rc = examples::parse_command_line(app, "step_anatomy", argc, argv); rc >= 0) return rc;
  const std::vector<int> thread_counts =
      parse_threads(threads_list, parallel::thread_flag_limit(parallel::allowed_cpus().size()));
  const int cores = omp_get_num_procs();

  Net net = make_model<models::ResNet50>(models::ResNet50Input{}, index_t(batch));
  net.init(1234);
  std::vector<float> x(std::size_t(batch) * Net::in_dims::size), dlogits(std::size_t(batch) * Net::classes);
  Rng rng(7);
  for (float& v : x) v = float(rng.uniform(-1.0, 1.0));
  for (float& v : dlogits) v = float(rng.uniform(-1e-3, 1e-3));

  const bench::Provenance p = bench::collect_provenance({});
  std::printf("step_anatomy: ResNet-50 training step (forward + backward), batch %lld, %d CPUs, %s, %s kernels\n",
              batch, cores, p.cpu_model.c_str(), kernels::isa_name(kernels::isa_in_use()));
  std::printf("OpenMP tool interface: barrier waits %s\n",
              g_sync_wait_supported ? "measured" : "not reported by this runtime (wait columns are 0)");
  std::printf("activations %.1f MiB per step (written in forward, read in backward)\n",
              double(net.memory().activations) / (1 << 20));
  std::printf("\n%7s %9s %8s %9s %10s %12s %10s %9s %9s\n", "threads", "step s", "regions", "barriers",
              "work/bar", "wait share", "GEMM-like", "other", "FMA peak");
  std::printf("%7s %9s %8s %9s %10s %12s %10s %9s %9s\n", "", "", "/step", "/step", "ms/thread", "of threads",
              "s/step", "s/step", "GFLOP/s");
  for (const int t : thread_counts) {
    net.set_threads(t, 1);
    parallel::Trace trace;
    Context ctx;
    ctx.trace = &trace;
    net.forward(x.data(), ctx);  // untimed: plans and touches the workspace
    net.backward(x.data(), dlogits.data(), ctx);
    trace.clear();
    const Totals before = read_totals();
    const auto start = std::chrono::steady_clock::now();
    for (int s = 0; s < steps; ++s) {
      net.forward(x.data(), ctx);
      net.backward(x.data(), dlogits.data(), ctx);
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / steps;
    const Totals after = read_totals();
    double gemm_like = 0, other = 0;
    for (const parallel::TraceEvent& e : trace.events())
      if (is_whole_leaf(e.label)) (is_gemm_shaped(e.label) ? gemm_like : other) += e.end - e.begin;
    const double regions = double(after.regions - before.regions) / steps;
    const double barriers = double(after.barriers_first_thread - before.barriers_first_thread) / steps;
    const double wait_share = double(after.wait_ns - before.wait_ns) * 1e-9 / steps / (seconds * t);
    // Work between two barriers, per thread: the step's thread-seconds not spent waiting, over
    // the barriers one thread passes.
    const double work_per_barrier_ms = barriers > 0 ? (seconds * t * (1 - wait_share)) / t / barriers * 1e3 : 0;
    const bool timed = t <= cores;
    const double peak = timed ? bench::measure_fma_peak_gflops(t, 0.1) : 0;
    if (timed)
      std::printf("%7d %9.3f %8.0f %9.0f %10.3f %11.1f%% %10.3f %9.3f %9.1f\n", t, seconds, regions, barriers,
                  work_per_barrier_ms, 100 * wait_share, gemm_like / steps, other / steps, peak);
    else
      std::printf("%7d %9s %8.0f %9.0f %10s %12s %10s %9s %9s   (more threads than CPUs: counts only)\n", t, "-",
                  regions, barriers, "-", "-", "-", "-", "-");
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "step_anatomy: %s\n", e.what());
  return 1;
}
