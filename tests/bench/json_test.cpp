#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "tinycnn/bench/json.hpp"

using namespace tinycnn::bench;

TEST_CASE("strings are escaped as RFC 8259 asks") {
  CHECK(json_escape("plain") == "plain");
  CHECK(json_escape("a\"b\\c") == "a\\\"b\\\\c");
  CHECK(json_escape("line\nnext\ttab\r") == "line\\nnext\\ttab\\r");
  CHECK(json_escape(std::string("\x01\x1f", 2)) == "\\u0001\\u001f");
  CHECK(json_escape("caf\xc3\xa9") == "caf\xc3\xa9");  // UTF-8 passes through
}

TEST_CASE("the writer places commas and nests containers") {
  JsonWriter j;
  const std::vector<double> xs{0.5, 2};
  j.begin_object();
  j.field("name", "a\"b").field("n", 3).field("ok", true);
  j.key("xs").array(xs);
  j.key("empty").begin_array().end_array();
  j.key("inner").begin_object().field("x", -1.25).end_object();
  j.field("nan", std::nan(""));
  j.end_object();
  CHECK(j.str() == R"({"name":"a\"b","n":3,"ok":true,"xs":[0.5,2],"empty":[],"inner":{"x":-1.25},"nan":null})");
}

TEST_CASE("numbers survive a round trip") {
  JsonWriter j;
  j.value(0.1);
  CHECK(std::stod(j.str()) == 0.1);
}
