// tests/http/upstream_fixture.hpp — loads a recorded upstream response from
// tests/fixtures/upstream/: `.http` files are a status line, headers, blank line, body;
// `.json` files are a bare 429 body.
#pragma once

#include "http/ratelimit_parsers.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace qg::test {

struct RecordedResponse {
  int status = 0;
  HeaderList headers;
  std::string body;
};

inline RecordedResponse load_upstream_fixture(const std::string& name) {
  std::ifstream in(std::string(QG_SOURCE_DIR) + "/tests/fixtures/upstream/" + name, std::ios::binary);
  if (!in) throw std::runtime_error("missing fixture " + name);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  RecordedResponse r;
  if (name.ends_with(".json")) {
    r.status = 429;
    r.body = text;
    return r;
  }
  std::istringstream lines(text);
  std::string line;
  std::getline(lines, line);
  r.status = std::stoi(line.substr(line.find(' ') + 1, 3));
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) break;
    auto colon = line.find(':');
    std::string value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    r.headers.emplace_back(line.substr(0, colon), value);
  }
  std::string rest((std::istreambuf_iterator<char>(lines)), std::istreambuf_iterator<char>());
  while (!rest.empty() && (rest.back() == '\n' || rest.back() == '\r')) rest.pop_back();
  r.body = rest;
  return r;
}

}  // namespace qg::test
