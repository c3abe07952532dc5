// http/access_log.hpp — one structured line per proxied request (logger "access", level info).
//
// The proxy fills an AccessLogEntry while it serves a request and writes it once, when the
// request is over: a plain reply when the handler returns, a stream when its relay ends (so the
// tokens are the committed ones). Fields, in this order:
//   request_id  x-request-id (http/request_id.hpp)     client_key  client key fingerprint, "" = open
//   dialect     openai | anthropic | responses | gemini  method, path
//   model       as the client asked                     account     last account tried, "" = none
//   status      HTTP status sent                        latency_ms  arrival until done (streams: end)
//   attempts    upstream attempts                       stream      true for SSE
//   input_tokens, output_tokens, estimated  the usage committed (0 when nothing was committed)
// With log.format: json each is a JSON member of the line; with text, key=value after "request".
// log.access: false turns the line off (config/config.hpp). To add a field: a member here and
// one line in access_log.cpp's fields_of; docs/INTERFACE.md lists the fields.
#pragma once

#include "messages/event.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace qg {

struct LogField;

struct AccessLogEntry {
  std::string request_id;
  std::string client_key;
  std::string dialect = "openai";
  std::string method;
  std::string path;
  std::string model;
  std::string account;
  int status = 0;
  int attempts = 0;
  bool stream = false;
  Usage usage;  // committed usage (requests, input_tokens, output_tokens)
  bool estimated = false;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
};

// The entry as ordered log fields (latency measured now).
std::vector<LogField> access_log_fields(const AccessLogEntry& e);

// Writes the line when log.access is on (config/logging.hpp access_log_enabled) and the
// "access" logger logs info.
void write_access_log(const AccessLogEntry& e);

}  // namespace qg
