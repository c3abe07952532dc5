// http/reply_head.cpp — see reply_head.hpp.
#include "http/reply_head.hpp"

#include "http/ratelimit_parsers.hpp"  // header_name_equals
#include "messages/ascii_text.hpp"

#include <httplib.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <utility>
#include <vector>

namespace qg {
namespace {

// A held header: its name and then its value in BegunReply::text from `at`.
struct Held {
  std::uint32_t at = 0;
  std::uint32_t name_size = 0;
  std::uint32_t value_size = 0;
};

// The reply begun on this thread and the headers held for it, in the order added: one text
// for all of them (one allocation a reply, not two per header). Emptied, its memory freed, when
// the head is written: a stream's thread keeps nothing for its life.
struct BegunReply {
  const httplib::Response* res = nullptr;
  std::string text;
  std::vector<Held> held;

  std::string_view name(const Held& h) const { return std::string_view(text).substr(h.at, h.name_size); }
  std::string_view value(const Held& h) const {
    return std::string_view(text).substr(h.at + h.name_size, h.value_size);
  }
};

thread_local BegunReply begun;

// httplib::detail::ci: names compared byte by byte after ::tolower, which in the "C" locale
// lowers 'A'..'Z' only; here without a call per byte.
bool name_less(std::string_view a, std::string_view b) {
  const std::size_t n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    if (a[i] == b[i]) continue;
    const auto x = static_cast<unsigned char>(ascii_lower_char(a[i]));
    const auto y = static_cast<unsigned char>(ascii_lower_char(b[i]));
    if (x != y) return x < y;
  }
  return a.size() < b.size();
}

// Names httplib's head writer looks up in the map (whether to add its own): never held.
bool asked_by_httplib(std::string_view name) {
  return header_name_equals(name, "Content-Type") || header_name_equals(name, "Content-Length") ||
         header_name_equals(name, "Accept-Ranges");
}

const std::string* map_value(const httplib::Response& res, std::string_view name) {
  for (const auto& [k, v] : res.headers)
    if (header_name_equals(k, name)) return &v;
  return nullptr;
}

// The first value of `name`, whole: a held one comes first, as in httplib's map it would (a
// name is held only while the map has none, so the map's were added after it).
std::optional<std::string_view> reply_value(const httplib::Response& res, std::string_view name) {
  if (begun.res == &res)
    for (const Held& h : begun.held)
      if (header_name_equals(begun.name(h), name)) return begun.value(h);
  if (const std::string* v = map_value(res, name)) return std::string_view(*v);
  return std::nullopt;
}

// What "%s" writes of a text: up to its first NUL.
std::string_view as_written(std::string_view s) { return s.substr(0, s.find('\0')); }

// Appends "\r\n<name>: <value>" (capacity reserved: no reallocation).
void append_line(std::string& out, std::string_view name, std::string_view value) {
  const std::size_t at = out.size();
  out.resize(at + name.size() + value.size() + 4);
  char* p = out.data() + at;
  *p++ = '\r';
  *p++ = '\n';
  std::memcpy(p, name.data(), name.size());
  p += name.size();
  *p++ = ':';
  *p++ = ' ';
  std::memcpy(p, value.data(), value.size());
}

}  // namespace

void begin_reply(const httplib::Response& res) {
  begun.res = &res;
  begun.text.clear();
  begun.held.clear();
}

void add_reply_header(httplib::Response& res, const std::string& name, const std::string& value) {
  if (has_line_break(name) || has_line_break(value)) return;
  if (begun.res == &res && !asked_by_httplib(name) && !map_value(res, name)) {
    if (begun.held.empty()) {
      begun.text.reserve(1024);
      begun.held.reserve(24);
    }
    begun.held.push_back(Held{static_cast<std::uint32_t>(begun.text.size()), static_cast<std::uint32_t>(name.size()),
                              static_cast<std::uint32_t>(value.size())});
    begun.text += name;
    begun.text += value;
    return;
  }
  res.headers.emplace(name, value);
}

std::string_view reply_header(const httplib::Response& res, std::string_view name) {
  const auto v = reply_value(res, name);
  return v ? as_written(*v) : std::string_view();  // to a NUL, as httplib's
}

bool reply_has_header(const httplib::Response& res, std::string_view name) { return reply_value(res, name).has_value(); }

void finish_reply_head(httplib::Response& res) {
  BegunReply mine;  // this reply's held headers; their memory goes when it does
  if (begun.res == &res) {
    mine.text.swap(begun.text);
    mine.held.swap(begun.held);
    begun.res = nullptr;
  }
  std::vector<Held>& held = mine.held;
  if (held.empty() && res.headers.size() < 2) return;
  // The held names in the map's order, a name's values in the order added (a stable insertion
  // sort: the provider's headers come mostly sorted already).
  for (std::size_t i = 1; i < held.size(); ++i) {
    const Held h = held[i];
    std::size_t j = i;
    for (; j > 0 && name_less(mine.name(h), mine.name(held[j - 1])); --j) held[j] = held[j - 1];
    held[j] = h;
  }
  // Every line in the order of httplib's map: held values before the map's of the same name.
  std::vector<std::pair<std::string_view, std::string_view>> lines;
  lines.reserve(res.headers.size() + held.size());
  std::size_t bytes = 0;
  auto h = held.begin();
  for (const auto& [k, v] : res.headers) {
    for (; h != held.end() && !name_less(k, mine.name(*h)); ++h) lines.emplace_back(mine.name(*h), mine.value(*h));
    lines.emplace_back(k, v);
  }
  for (; h != held.end(); ++h) lines.emplace_back(mine.name(*h), mine.value(*h));
  for (const auto& [k, v] : lines) bytes += k.size() + v.size() + 4;

  // The new map: runs of lines, each one entry whose value carries the run's later lines. A
  // content provider's Content-Type stays an entry of its own (httplib reads it again).
  const bool provider = static_cast<bool>(res.content_provider_);
  httplib::Headers out;
  std::string* joined = nullptr;  // the value later lines join
  for (const auto& [k, v] : lines) {
    const bool alone = provider && header_name_equals(k, "Content-Type");
    if (joined && !alone) {
      append_line(*joined, as_written(k), as_written(v));
      continue;
    }
    auto it = out.emplace_hint(out.end(), std::string(k), std::string(alone ? v : as_written(v)));
    joined = alone ? nullptr : &it->second;
    if (joined) joined->reserve(bytes);
  }
  res.headers.swap(out);
}

}  // namespace qg
