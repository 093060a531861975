// The main of every MPI test: each rank runs the doctest cases, and the job fails on every rank
// when it failed on any, so mpiexec's exit status and every rank's output agree.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>

#include "tinycnn/distributed/mpi.hpp"

int main(int argc, char** argv) {
  try {
    tinycnn::distributed::mpi::Environment env(argc, argv);
    doctest::Context context(argc, argv);
    int failed = context.run() != 0 ? 1 : 0, any = 0;
    MPI_Allreduce(&failed, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    return any;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "MPI test: %s\n", e.what());
    return 1;
  }
}
