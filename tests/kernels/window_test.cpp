// The window arithmetic pinned to TensorFlow: output sizes and where SAME puts its padding (the
// smaller half before, as tf.nn.conv2d does), for odd and even inputs and strides 1 to 3. The
// kernels' oracles compute their geometry apart (reference/window_reference.hpp); this test pins
// both to values TensorFlow gives, so neither can drift with the other.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "reference/window_reference.hpp"
#include "tinycnn/kernels/window.hpp"

using namespace tinycnn;

namespace {

struct Known {
  index_t in, k, s;
  Padding rule;
  index_t pad_each;  // Explicit only
  index_t out, pad_before, pad_after;
  const char* where;
};

// From TensorFlow's models and documentation: output sizes of the benchmark's layers, and the
// SAME padding split TensorFlow computes for them.
const Known kKnown[] = {
    {224, 7, 2, Padding::Same, 0, 112, 2, 3, "ResNet-50 conv1 (224, 7x7/2 SAME)"},
    {112, 3, 2, Padding::Same, 0, 56, 0, 1, "ResNet v1.5 stem pool (112, 3x3/2 SAME)"},
    {112, 3, 2, Padding::Valid, 0, 55, 0, 0, "ResNet v1 stem pool (112, 3x3/2 VALID)"},
    {56, 1, 2, Padding::Same, 0, 28, 0, 0, "ResNet downsampling 1x1/2 on an even input"},
    {55, 1, 2, Padding::Same, 0, 28, 0, 0, "ResNet downsampling 1x1/2 on an odd input"},
    {55, 3, 2, Padding::Same, 0, 28, 1, 1, "3x3/2 SAME on an odd input"},
    {56, 3, 1, Padding::Same, 0, 56, 1, 1, "3x3/1 SAME"},
    {299, 3, 2, Padding::Valid, 0, 149, 0, 0, "InceptionV3 conv 3x3/2 VALID"},
    {147, 3, 1, Padding::Valid, 0, 145, 0, 0, "InceptionV3 conv 3x3/1 VALID"},
    {147, 3, 2, Padding::Valid, 0, 73, 0, 0, "InceptionV3 pool 3x3/2 VALID"},
    {35, 3, 2, Padding::Valid, 0, 17, 0, 0, "InceptionV3 reduction A"},
    {17, 7, 1, Padding::Same, 0, 17, 3, 3, "InceptionV3 1x7 SAME"},
    {224, 11, 4, Padding::Same, 0, 56, 3, 4, "11x11/4 SAME on 224"},
    {227, 11, 4, Padding::Valid, 0, 55, 0, 0, "AlexNet conv1 11x11/4 VALID on 227"},
    {225, 7, 2, Padding::Same, 0, 113, 3, 3, "7x7/2 SAME on an odd input"},
    {10, 4, 3, Padding::Same, 0, 4, 1, 2, "stride 3, in % s = 1"},
    {11, 4, 3, Padding::Same, 0, 4, 1, 1, "stride 3, in % s = 2"},
    {12, 4, 3, Padding::Same, 0, 4, 0, 1, "stride 3, in % s = 0"},
    {5, 2, 3, Padding::Same, 0, 2, 0, 0, "a kernel no larger than the remainder: no padding"},
    {4, 6, 1, Padding::Same, 0, 4, 2, 3, "a kernel larger than the input"},
    {4, 6, 1, Padding::Valid, 0, 0, 0, 0, "VALID with a kernel larger than the input"},
    {9, 3, 2, Padding::Explicit, 1, 5, 1, 1, "explicit padding 1"},
    {8, 5, 3, Padding::Explicit, 2, 3, 2, 2, "explicit padding 2, stride 3"},
};

// What the library pads after: what the last window needs beyond the input and the top pad.
index_t library_pad_after(index_t in, index_t k, index_t s, index_t out, index_t pad_before) {
  return out == 0 ? 0 : std::max<index_t>((out - 1) * s + k - in - pad_before, 0);
}

}  // namespace

TEST_CASE("window sizes and SAME padding match TensorFlow's, in the library and in the oracle") {
  for (const Known& c : kKnown) {
    CAPTURE(std::string(c.where));
    const Window w = make_window(c.in, c.in, c.k, c.k, c.s, c.s, c.rule, c.pad_each, c.pad_each);
    CHECK(w.out_h == c.out);
    CHECK(w.out_w == c.out);
    CHECK(w.pad_top == c.pad_before);
    CHECK(w.pad_left == c.pad_before);
    if (c.rule != Padding::Explicit)  // explicit padding may go unused past the last window
      CHECK(library_pad_after(c.in, c.k, c.s, w.out_h, w.pad_top) == c.pad_after);
    const reference::AxisGeometry a = reference::axis_geometry(c.in, c.k, c.s, c.rule, c.pad_each);
    CHECK(a.out == c.out);
    CHECK(a.pad_before == c.pad_before);
    CHECK(a.pad_after == c.pad_after);
  }
}

TEST_CASE("non-square windows take each axis's own size, kernel and stride") {
  const Window w = make_window(224, 10, 7, 3, 2, 3, Padding::Same);
  CHECK(w.out_h == 112);
  CHECK(w.pad_top == 2);
  CHECK(w.out_w == 4);
  CHECK(w.pad_left == 1);
  CHECK(w.padding == Padding::Same);
}

TEST_CASE("the library and the oracle agree on every small window") {
  int compared = 0;
  for (index_t in = 1; in <= 40; ++in)
    for (index_t k = 1; k <= 7; ++k)
      for (index_t s = 1; s <= 3; ++s)
        for (Padding rule : {Padding::Valid, Padding::Same, Padding::Explicit})
          for (index_t p = 0; p <= (rule == Padding::Explicit ? 3 : 0); ++p) {
            const Window w = make_window(in, 1, k, 1, s, 1, rule, p, 0);
            const reference::AxisGeometry a = reference::axis_geometry(in, k, s, rule, p);
            if (w.out_h != a.out || w.pad_top != a.pad_before ||
                (rule == Padding::Same && library_pad_after(in, k, s, w.out_h, w.pad_top) != a.pad_after)) {
              FAIL_CHECK("in " << in << " k " << k << " s " << s << " rule " << int(rule) << " p " << p
                               << ": library out " << w.out_h << " pad " << w.pad_top << ", oracle out " << a.out
                               << " pad " << a.pad_before << "+" << a.pad_after);
            }
            ++compared;
          }
  CHECK(compared == 40 * 7 * 3 * (1 + 1 + 4));
}
