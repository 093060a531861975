// A tiny JSON writer for benchmark results (configuration, every step time, the summary). The
// document is built in memory and saved with io/file.hpp's write_file_atomically, so a plotting
// script never reads a half-written result.
#pragma once
#include <cmath>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tinycnn/core/error.hpp"

namespace tinycnn::bench {

// The body of a JSON string (without the quotes): RFC 8259 escapes, control characters as \u00XX.
inline std::string json_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += char(c);
        }
    }
  }
  return out;
}

// Builds a document front to back; commas and nesting are tracked, so callers only say what
// comes next. Numbers keep 17 significant digits (a double survives the round trip); NaN and
// infinities, which JSON lacks, become null.
class JsonWriter {
 public:
  JsonWriter& begin_object() { return open('{'); }
  JsonWriter& end_object() { return close('}'); }
  JsonWriter& begin_array() { return open('['); }
  JsonWriter& end_array() { return close(']'); }

  JsonWriter& key(std::string_view k) {
    separate();
    out_ += '"' + json_escape(k) + "\":";
    after_key_ = true;
    return *this;
  }
  JsonWriter& value(std::string_view s) { return raw('"' + json_escape(s) + '"'); }
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(const std::string& s) { return value(std::string_view(s)); }
  JsonWriter& value(bool b) { return raw(b ? "true" : "false"); }
  JsonWriter& value(double d) {
    if (!std::isfinite(d)) return raw("null");
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", d);
    return raw(buf);
  }
  JsonWriter& value(long long i) { return raw(std::to_string(i)); }
  JsonWriter& value(int i) { return value(static_cast<long long>(i)); }
  JsonWriter& value(long i) { return value(static_cast<long long>(i)); }
  JsonWriter& value(unsigned long i) { return raw(std::to_string(i)); }
  JsonWriter& value(unsigned long long i) { return raw(std::to_string(i)); }
  JsonWriter& null() { return raw("null"); }
  JsonWriter& array(std::span<const double> xs) {
    begin_array();
    for (double x : xs) value(x);
    return end_array();
  }
  template <class V>
  JsonWriter& field(std::string_view k, const V& v) {
    key(k);
    return value(v);
  }

  const std::string& str() const { return out_; }

 private:
  void separate() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (!first_.empty()) {
      if (!first_.back()) out_ += ',';
      first_.back() = false;
    }
  }
  JsonWriter& raw(std::string_view text) {
    separate();
    out_ += text;
    return *this;
  }
  JsonWriter& open(char c) {
    separate();
    out_ += c;
    first_.push_back(true);
    return *this;
  }
  JsonWriter& close(char c) {
    require(!first_.empty(), "JsonWriter: more closing than opening brackets");
    first_.pop_back();
    out_ += c;
    return *this;
  }

  std::string out_;
  std::vector<bool> first_;  // per open container: nothing written into it yet
  bool after_key_ = false;
};

}  // namespace tinycnn::bench
