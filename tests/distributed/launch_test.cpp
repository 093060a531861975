// The launch check: separate single-rank programs started by one srun are refused, every
// legitimate launch is not.
#include <doctest/doctest.h>

#include <map>
#include <string>

#include "tinycnn/distributed/launch.hpp"

using namespace tinycnn::distributed;

namespace {
// A getenv that sees only `vars`.
auto reader(const std::map<std::string, std::string>& vars) {
  return [&vars](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

LaunchEnvironment environment(const std::map<std::string, std::string>& vars) {
  return read_launch_environment(reader(vars));
}
}  // namespace

TEST_CASE("srun without an MPI plugin (several tasks, one rank each) is refused with what to add") {
  const auto e = environment({{"SLURM_NTASKS", "4"}, {"SLURM_STEP_NUM_TASKS", "4"}, {"SLURM_JOB_ID", "77"}});
  CHECK(e.slurm_tasks == 4);
  const auto problem = launch_problem(1, e);
  REQUIRE(problem.has_value());
  CHECK(problem->find("Slurm started 4 tasks (job 77)") != std::string::npos);
  CHECK(problem->find("--mpi=pmi2") != std::string::npos);
}

TEST_CASE("legitimate launches pass") {
  CHECK_FALSE(launch_problem(1, environment({})));                                           // a plain run
  CHECK_FALSE(launch_problem(4, environment({{"SLURM_NTASKS", "4"}, {"SLURM_STEP_NUM_TASKS", "4"}})));  // srun --mpi=pmi2
  CHECK_FALSE(launch_problem(3, environment({})));                                           // mpiexec -n 3
  // One process run by a batch script inside a 4-task allocation: the step has one task.
  CHECK_FALSE(launch_problem(1, environment({{"SLURM_NTASKS", "4"}, {"SLURM_STEP_NUM_TASKS", "1"}})));
  CHECK_FALSE(launch_problem(1, environment({{"SLURM_NTASKS", "1"}})));
}

TEST_CASE("unreadable task counts count as no Slurm, not as a crash") {
  for (const char* bad : {"", "x", "-3", "4x", "99999999999"})
    CHECK(environment({{"SLURM_NTASKS", bad}}).slurm_tasks == 0);
}

TEST_CASE("processes launched together, and the first of them, are read from any launcher") {
  using Vars = std::map<std::string, std::string>;
  const Vars alone, hydra{{"PMI_SIZE", "3"}, {"PMI_RANK", "2"}}, open_mpi{{"OMPI_COMM_WORLD_SIZE", "4"}, {"OMPI_COMM_WORLD_RANK", "0"}},
      srun_without_mpi{{"SLURM_STEP_NUM_TASKS", "2"}, {"SLURM_PROCID", "1"}}, bad{{"PMI_SIZE", "x"}, {"SLURM_NTASKS", "5"}};
  CHECK(launched_processes(reader(alone)) == 1);
  CHECK(launched_processes(reader(hydra)) == 3);
  CHECK(launched_processes(reader(open_mpi)) == 4);
  CHECK(launched_processes(reader(srun_without_mpi)) == 2);
  CHECK(launched_processes(reader(bad)) == 5);  // an unreadable count is skipped, not a crash
  CHECK(first_of_launch(reader(alone)));
  CHECK_FALSE(first_of_launch(reader(hydra)));
  CHECK(first_of_launch(reader(open_mpi)));
  CHECK_FALSE(first_of_launch(reader(srun_without_mpi)));
}

TEST_CASE("roles that leave no worker, or one rank for a distributed policy, are refused with the command to use") {
  const auto alone = roles_problem(1, 1, "parameter_server", "cnn_benchmark");
  REQUIRE(alone.has_value());
  CHECK(*alone == "--variable_update=parameter_server needs several MPI ranks, and this is one: start it with "
                  "'mpiexec -n 3 cnn_benchmark ...' (or srun -n 3 --mpi=pmi2 ...)");
  const auto no_worker = roles_problem(2, 2, "parameter_server", "mnist_deep");
  REQUIRE(no_worker.has_value());
  CHECK(*no_worker == "--num_ps=2 leaves no worker among 2 ranks: use at most --num_ps=1");
  CHECK_FALSE(roles_problem(2, 1, "parameter_server", "x"));
  CHECK_FALSE(roles_problem(2, 0, "distributed_all_reduce", "x"));
  CHECK(roles_problem(1, 0, "distributed_all_reduce", "x").has_value());
}
