// The one error type of tinycnn: every failure a user can cause (a bad file, a bad flag, a
// shape that does not fit at run time) ends up here with a message that names the culprit.
#pragma once
#include <stdexcept>
#include <string>

namespace tinycnn {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error("tinycnn: " + what) {}
};

// Throws Error(message) when the condition is false. A function, not a macro: the message is
// only built by the caller when it needs one, so keep checks off hot loops.
inline void require(bool condition, const std::string& message) {
  if (!condition) throw Error(message);
}

}  // namespace tinycnn
