// Repeat<N, Block>: N copies of a block in a row (the identity blocks of a ResNet stage). The
// copies are one std::array of one type, so a stage of 36 blocks is still a single, short type
// name, not 36 nested ones. A block must keep its shape to be repeated.
#pragma once
#include <array>
#include <string>

#include "tinycnn/graph/sequential.hpp"

namespace tinycnn {

template <std::size_t N, class Block>
struct Repeat {
  static_assert(N > 0, "tinycnn: Repeat needs a count of at least 1");

  template <class T, class In>
  class impl {
    using block_t = impl_of<Block, T, In>;
    static_assert(std::is_same_v<typename block_t::out_dims, In>,
                  "tinycnn: Repeat needs a block whose output shape equals its input shape "
                  "(put the block that changes the shape before the Repeat)");

   public:
    using in_dims = In;
    using out_dims = In;
    static constexpr index_t num_params = index_t(N) * block_t::num_params;
    static constexpr index_t num_state = index_t(N) * block_t::num_state;
    static constexpr index_t param_storage = index_t(N) * block_t::param_storage;
    static constexpr index_t state_storage = index_t(N) * block_t::state_storage;
    static constexpr double flops = double(N) * block_t::flops;
    using runner_t = detail::ChainRunner<T, N, []<std::size_t... I>(std::index_sequence<I...>) {
      return detail::plan_chain_backward<N, std::conditional_t<true, block_t, std::integral_constant<std::size_t, I>>...>(
          std::array<bool, N>{});
    }(std::make_index_sequence<N>{})>;
    static constexpr index_t scratch_size(index_t batch) {
      return runner_t::own_scratch(batch) + scratch_size_of<block_t>(batch);
    }
    static constexpr index_t transient_size(index_t batch) { return transient_size_of<block_t>(batch); }

    static constexpr PlanTraits plan_traits{.forwards_input = tinycnn::forwards_input<block_t>(),
                                            .reads_own_output = tinycnn::reads_own_output<block_t>()};
    static std::string describe() { return "Repeat " + std::to_string(N) + " x " + block_t::describe(); }

    void plan(index_t batch) {
      for (auto& b : blocks_) b.plan(batch);
    }
    void bind(Slices<T> s) {
      for (auto& b : blocks_) {
        b.bind(s);
        s.params += block_t::param_storage;
        s.grads += block_t::param_storage;
        s.state += block_t::state_storage;
      }
    }
    void init(Rng& rng) {
      for (auto& b : blocks_) b.init(rng);
    }
    const T* forward(const T* x, Context& ctx) { return runner_.forward(x, ctx, getter()); }
    void backward(const T*, const T* dy, T* dx, Context& ctx) { runner_.backward(dy, dx, ctx, getter()); }

    template <class F>
    void for_each(F&& f) {
      for (auto& b : blocks_) f(b);
    }

   private:
    auto getter() { return [this](auto i) -> block_t& { return blocks_[decltype(i)::value]; }; }
    std::array<block_t, N> blocks_;
    runner_t runner_;
  };
};

}  // namespace tinycnn
