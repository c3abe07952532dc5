// tests/fakes/fake_faults.hpp — fault injection of qg-fake-provider.
//
// A request asks for a fault with the header x-fake-fault: KIND, or gets the one set for its
// key (--fault KEY=KIND). KIND is one of 500, 429, 401, hang, reset, malformed, slow, cut
// (the dialect routes also know 529), and, on the OpenAI completion routes, drop: the connection is closed before any answer
// (qg-fake-provider --drop-every N drops every Nth completion request that way). `slow` and `cut` change how a stream is written, so the
// stream writers handle them; the others answer the request here (OpenAI error shape).
#pragma once

#include <map>
#include <string>
#include <vector>

namespace httplib {
struct Request;
struct Response;
}  // namespace httplib

namespace qg::fake {

class FaultTable {
 public:
  // Specs "KEY=KIND"; throws std::runtime_error on a spec without '='.
  explicit FaultTable(const std::vector<std::string>& specs);
  // The fault `req` (sent with `key`) asks for: the header, else the key's ("" = none).
  std::string fault_for(const httplib::Request& req, const std::string& key) const;

 private:
  std::map<std::string, std::string> by_key_;
};

struct FaultOptions {
  int retry_after_s = 7;  // Retry-After of the 429 fault
  int hang_ms = 10000;    // how long the hang fault holds the request
};

// An OpenAI-style error body {"error":{"message","type","code","param":null}} with `status`.
void openai_error(httplib::Response& res, int status, const std::string& msg, const std::string& type,
                  const std::string& code);

// Closes the connection `req` arrived on before anything is answered (shutdown both ways: the
// client reads end of file where the response head should be), as a provider going away
// between accepting a connection and answering does. The request is not served.
void drop_connection(const httplib::Request& req);

// Answers `fault` on an OpenAI route (500, 401, 429, hang, reset, malformed, or 400 for an
// unknown kind); false when the request must be served normally ("", slow, cut).
bool answer_openai_fault(const std::string& fault, bool stream, const FaultOptions& o, httplib::Response& res);

}  // namespace qg::fake
