// What the distributed tests share: one global batch every rank draws alike, the nets they train,
// a copy of the first rank's values, and the largest difference from a single process.
#pragma once
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include "tinycnn/all.hpp"
#include "tinycnn/distributed/mpi.hpp"

namespace tinycnn::test {

inline const distributed::mpi::WaitPolicy kMpiWait{distributed::mpi::WaitMode::poll, std::chrono::seconds(60)};

// The same rows on every rank (from the seed); a rank trains on its own slice of them.
template <class Net>
struct GlobalBatch {
  std::vector<double> images;
  std::vector<std::int32_t> labels;
  GlobalBatch(index_t rows, std::uint64_t seed)
      : images(std::size_t(rows * Net::in_dims::size)), labels(std::size_t(rows)) {
    Rng rng(seed);
    for (double& x : images) x = rng.uniform(-1.0, 1.0);
    for (auto& l : labels) l = std::int32_t(rng.below(std::uint64_t(Net::classes)));
  }
  const double* images_of(index_t first_row) const { return images.data() + first_row * Net::in_dims::size; }
  const std::int32_t* labels_of(index_t first_row) const { return labels.data() + first_row; }
};

// The largest |a[i] - b[i]|; NaN if any difference is (no bound accepts it).
inline double worst_difference(std::span<const double> a, std::span<const double> b) {
  REQUIRE(a.size() == b.size());
  double worst = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const double d = std::abs(a[i] - b[i]);
    if (std::isnan(d)) return d;
    worst = std::max(worst, d);
  }
  return worst;
}

// Rank `root`'s copy of `mine` (of the same length on every rank).
inline std::vector<double> copy_of_rank(const distributed::mpi::Comm& comm, std::span<const double> mine, int root) {
  std::vector<double> theirs(mine.begin(), mine.end());
  distributed::mpi::Requests pending;
  comm.ibcast(theirs.data(), theirs.size(), root, pending);
  pending.wait(kMpiWait);
  return theirs;
}

// A chain, and concurrent branches (run with two inter-op threads they report in any order).
using Chain = Sequential<Conv2D<4, 3>, ReLU, MaxPool<2>, Conv2D<6, 3, NoBias>, ReLU, Flatten, Dense<8>, ReLU, Dense<3>>;
using Branches = Sequential<Conv2D<4, 3>, ReLU,
                            Concat<Sequential<Conv2D<3, 1>, ReLU>, Sequential<Conv2D<2, 3>, ReLU, Conv2D<2, 1>>,
                                   AvgPool<3, Stride<1>, Pad::Same>>,
                            Flatten, Dense<3>>;
using SmallInput = Input<6, 6, 2>;

}  // namespace tinycnn::test
