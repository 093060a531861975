// cnn_benchmark: tf_cnn_benchmarks' command line and output, on tinycnn.
//
//   build/examples/cnn_benchmark --model=resnet50 --batch_size=64 --num_batches=100 \
//       --num_intra_threads=2 --mkl=True --kmp_blocktime=0 --repetitions=5 --output_json=r.json
//
// Flags keep TensorFlow's names, meanings and defaults (docs/benchmark.md lists them). Bad input
// is one line on stderr naming the flag and what it accepts, exit status 2; a failed run (a NaN
// loss, say) exits with 1.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "build_info.hpp"
#include "distributed.hpp"
#include "flags.hpp"
#include "registry.hpp"
#include "tinycnn/bench/report.hpp"
#include "tinycnn/bench/result.hpp"
#include "tinycnn/distributed/launch.hpp"
#include "tinycnn/io/file.hpp"
#include "tinycnn/parallel/cpu_mask.hpp"
#include "tinycnn/parallel/omp_environment.hpp"
#include "tinycnn/parallel/openmp_probe.hpp"
#include "tinycnn/parallel/execution.hpp"

namespace {

using namespace tinycnn;
using cnn_benchmark::ModelEntry;

std::string env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v ? v : fallback;
}

}  // namespace

// Everything is caught here too: whatever escapes the steps below (an allocation, the file
// system) ends the run with one line and exit 1, never with abort's 134.
int main(int argc, char** argv) try {
  // The process's CPU mask, read before the OpenMP runtime starts: LLVM's libomp binds the
  // initial thread to its first place, after which this thread's mask is that place alone.
  const std::vector<int> cpus = parallel::allowed_cpus();
  cnn_benchmark::Flags flags;
  try {
    flags = cnn_benchmark::parse_flags(argc, argv, cpus);
  } catch (const cnn_benchmark::UsageError& e) {
    if (distributed::first_of_launch()) std::fprintf(stderr, "cnn_benchmark: %s\n", e.what());
    return 2;
  }
  if (flags.exit_now) return *flags.exit_now;  // --help, --version
  bench::BenchmarkOptions& o = flags.o;
  cnn_benchmark::DistributedFlags& distributed_flags = flags.distributed;
  const ModelEntry* entry = flags.entry;
  parallel::KmpSettings& kmp = flags.kmp;
  int intra_threads = flags.intra_threads;
  const int inter_threads = flags.inter_threads, cores_limit = flags.cores_limit;
  const bool mkl = flags.mkl, forward_only = flags.forward_only, per_layer = flags.per_layer,
             deterministic = flags.deterministic;
  const std::string &omp_proc_bind = flags.omp_proc_bind, &output_json = flags.output_json,
                    &output_csv = flags.output_csv, &train_dir = flags.train_dir,
                    &variable_update = flags.variable_update, &optimizer = flags.optimizer;

  // libgomp read its environment when it was loaded, before main: settings for it only take
  // effect in a fresh process. Nothing above has called into OpenMP.
  std::string omp_line = "runtime defaults (no --mkl)";
  const char* applied_by_mkl = nullptr;
  try {
    // --num_cores narrows the CPU mask, which the OpenMP runtime also reads when it loads.
    const bool narrowed = cores_limit > 0 && parallel::limit_to_cores(cores_limit);
    if (mkl) {
      applied_by_mkl = parallel::apply_kmp_settings(kmp, argv);
      omp_line = "set by --mkl (listed above)";
    } else if (!omp_proc_bind.empty() || narrowed) {
      const auto env = omp_proc_bind.empty() ? std::vector<parallel::EnvSetting>{}
                                             : parallel::proc_bind_environment(omp_proc_bind);
      if (!(applied_by_mkl = parallel::applied_environment())) parallel::reexec_with_environment(env, argv);
      if (!omp_proc_bind.empty()) omp_line = "set by --omp_proc_bind (listed above)";
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cnn_benchmark: %s\n", e.what());
    return 1;
  }

  // A distributed run starts MPI here, after --mkl's re-execution (which must come first).
  std::unique_ptr<bench::Cluster> cluster;
  if (variable_update != "local") {
    try {
      cluster = cnn_benchmark::start_distributed(distributed_flags, o, argc, argv);
    } catch (const cnn_benchmark::LaunchError& e) {
      if (e.say) std::fprintf(stderr, "cnn_benchmark: %s\n", e.what());
      return 2;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "cnn_benchmark: %s\n", e.what());
      return 1;
    }
  }
  const bench::WorldInfo world = cluster ? cluster->world() : bench::WorldInfo{};
  // One process speaks for the run: the first worker. The others print nothing.
  const bool speaks = !cluster || (!cluster->is_server() && cluster->worker_index() == 0);
  if (!speaks) {
    o.out = std::fopen("/dev/null", "w");
    if (!o.out) o.out = stdout;
  }
  if (applied_by_mkl && speaks && std::string_view(applied_by_mkl).find_first_not_of(' ') != std::string_view::npos)
    std::printf("OpenMP environment set by --mkl, --omp_proc_bind or --num_cores (process re-executed with it):\n%s",
                applied_by_mkl);

  // Ranks that share a host share its cores: by default each takes its part of them.
  int ranks_here = 1;
  if (cluster) ranks_here = int(std::count(world.hosts.begin(), world.hosts.end(), world.hosts[std::size_t(world.rank)]));
  if (intra_threads == 0 && ranks_here > 1) intra_threads = std::max(1, omp_get_num_procs() / ranks_here);
  if (intra_threads > 0) omp_set_num_threads(intra_threads);  // for OpenMP loops outside the network
  o.threads = parallel::resolve_threads(intra_threads, "--num_intra_threads");
  o.inter_threads = inter_threads;
  o.deterministic = deterministic;
  o.model = std::string(entry->name);
  o.forward_only = forward_only;
  o.per_layer = per_layer;
  o.summary = flags.summary;
  o.optimizer = optimizer;
  o.label_values = entry->label_values;
  o.epoch_images = entry->epoch_images;
  o.train_dir = train_dir;
  o.header_extra = {
      {"Threads", bench::strprintf("intra %d (%s), inter %d (%s)%s", o.threads,
                                   intra_threads > 0 ? "--num_intra_threads" : "library's pick: all OpenMP threads",
                                   std::max(inter_threads, 1),
                                   inter_threads > 0 ? "--num_inter_threads" : "library's pick",
                                   deterministic ? ", deterministic (the same results for any thread count)" : "")},
      {"OpenMP", omp_line},
      {"CPUs", parallel::cpu_list(cpus) +
                   (cores_limit > 0 ? " (--num_cores " + std::to_string(cores_limit) + ")" : " (this process's CPU mask)")},
      {"World", cluster ? world.layout + bench::strprintf("; %d kernel threads per rank", o.threads)
                        : std::string("1 process")},
      {"OpenMP now", bench::strprintf("max threads %d, procs %d, proc_bind %s, OMP_PLACES=%s, OMP_WAIT_POLICY=%s, "
                                      "GOMP_SPINCOUNT=%s",
                                      omp_get_max_threads(), omp_get_num_procs(), parallel::proc_bind_name(omp_get_proc_bind()),
                                      env_or("OMP_PLACES", "(unset)").c_str(),
                                      env_or("OMP_WAIT_POLICY", "(unset)").c_str(),
                                      env_or("GOMP_SPINCOUNT", "(unset)").c_str())},
  };

  o.thread_settings = {intra_threads, inter_threads, std::max(inter_threads, 1), mkl,
                       kmp.blocktime_ms, kmp.affinity, kmp.settings, cores_limit, omp_proc_bind};
  o.openmp = {omp_get_max_threads(), omp_get_num_procs(), env_or("OMP_PLACES", ""), env_or("OMP_WAIT_POLICY", ""),
              env_or("GOMP_SPINCOUNT", ""), env_or("KMP_BLOCKTIME", ""), env_or("KMP_AFFINITY", ""),
              parallel::cpu_list(cpus), parallel::probe_openmp(o.threads)};
  o.provenance = bench::collect_provenance({CNN_BENCHMARK_COMMIT, CNN_BENCHMARK_BUILD_TYPE, CNN_BENCHMARK_CXX_FLAGS});
  o.cluster = cluster.get();
  o.variable_update = variable_update;
  try {
    bench::BenchmarkResult result = entry->run(o);
    if (!output_json.empty() && speaks) {
      write_file_atomically(output_json, bench::to_json(o, result), "--output_json");
      std::printf("wrote %s\n", output_json.c_str());
    }
    if (!output_csv.empty() && speaks) {
      write_file_atomically(output_csv, bench::to_csv(o, result), "--output_csv");
      std::printf("wrote %s\n", output_csv.c_str());
    }
  } catch (const std::exception& e) {
    std::fflush(stdout);
    // The other ranks would wait for this one until their timeout: end them all.
    if (cluster) cnn_benchmark::end_all_ranks(e, world.rank, distributed_flags.comm_timeout);
    else std::fprintf(stderr, "cnn_benchmark: %s\n", e.what());
    return 1;
  }
  if (o.out != stdout) std::fclose(o.out);
  return 0;
} catch (const std::exception& e) {
  std::fflush(stdout);
  std::fprintf(stderr, "cnn_benchmark: %s\n", e.what());
  return 1;
} catch (...) {
  std::fflush(stdout);
  std::fprintf(stderr, "cnn_benchmark: stopped by an unknown error\n");
  return 1;
}
