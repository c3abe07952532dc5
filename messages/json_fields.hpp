// messages/json_fields.hpp — JSON helpers shared by the event codec and the state codec.
//
// Internal to the codecs (includes simdjson and nlohmann; keep it out of other headers).
// Readers take simdjson DOM values and throw JsonFieldError naming the field on a type
// mismatch; a missing field yields the default, so older payloads stay readable.
#pragma once

#include "messages/event.hpp"
#include "messages/json_text.hpp"

#include <nlohmann/json.hpp>
#include <simdjson.h>

#include <stdexcept>
#include <string>
#include <string_view>

namespace qg::json_fields {

struct JsonFieldError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

object as_object(element e, std::string_view what);
array as_array(element e, std::string_view what);

std::string get_string(object o, std::string_view key);
std::int64_t get_int(object o, std::string_view key);
double get_double(object o, std::string_view key);
bool get_bool(object o, std::string_view key, bool fallback = false);
// The member as an object / array; an empty one when missing.
bool get_object(object o, std::string_view key, object& out);
bool get_array(object o, std::string_view key, array& out);
std::vector<std::string> get_string_list(object o, std::string_view key);
Metric get_metric(object o, std::string_view key);
QuotaSource get_source(object o, std::string_view key);

nlohmann::json usage_to_json(const Usage& u);
Usage usage_from(object o);
Usage get_usage(object o, std::string_view key);

nlohmann::json spec_to_json(const AccountSpec& s);
AccountSpec spec_from(object o);

// Writes one JSON object straight into a string, keys in call order (the event encoder's hot
// path; building a nlohmann::json tree first costs several allocations per field). Strings
// that are not valid UTF-8 get U+FFFD replacements, as nlohmann's `replace` handler does.
class ObjectWriter {
 public:
  ObjectWriter& str(std::string_view key, std::string_view value);
  ObjectWriter& num(std::string_view key, std::int64_t value);
  ObjectWriter& boolean(std::string_view key, bool value);
  ObjectWriter& real(std::string_view key, double value);  // NaN/inf -> null
  ObjectWriter& raw(std::string_view key, std::string_view json);
  // {"requests":..,"input_tokens":..,"output_tokens":..} under `key`, written in place.
  ObjectWriter& usage(std::string_view key, const Usage& u);
  std::string done();

 private:
  void key(std::string_view k);
  std::string out_ = "{";
};

using qg::append_json_string;  // messages/json_text.hpp

// Parses `text` with a thread-local parser into a padded thread-local buffer. The element
// stays valid until the next parse on this thread. Throws JsonFieldError on bad JSON.
element parse_document(std::string_view text);

}  // namespace qg::json_fields
