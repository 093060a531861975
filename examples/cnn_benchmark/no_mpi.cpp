// cnn_benchmark without MPI (tinycnn was configured where no MPI was found): the distributed
// policies say what is missing.
#include "distributed.hpp"

namespace cnn_benchmark {

std::unique_ptr<tinycnn::bench::Cluster> start_distributed(const DistributedFlags& flags,
                                                           const tinycnn::bench::BenchmarkOptions&, int&, char**&) {
  throw LaunchError("--variable_update=" + flags.variable_update +
                        " needs MPI, and this cnn_benchmark was built without it: install MPICH (Debian: apt-get "
                        "install mpich libmpich-dev) and build tinycnn again",
                    true);
}

void end_all_ranks(const std::exception&, int, double) {}

}  // namespace cnn_benchmark
