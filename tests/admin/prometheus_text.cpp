// tests/admin/prometheus_text.cpp — see prometheus_text.hpp.
#include "tests/admin/prometheus_text.hpp"

#include <cmath>
#include <cstdlib>
#include <set>

namespace qg::test {

namespace {

bool name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':'; }
bool name_char(char c) { return name_start(c) || std::isdigit(static_cast<unsigned char>(c)); }

bool valid_metric_name(std::string_view s) {
  if (s.empty() || !name_start(s[0])) return false;
  for (char c : s) if (!name_char(c)) return false;
  return true;
}

bool valid_label_name(std::string_view s) {
  if (s.empty() || s[0] == ':' || !name_start(s[0]) || s.substr(0, 2) == "__") return false;
  for (char c : s) if (!name_char(c) || c == ':') return false;
  return true;
}

double parse_value(std::string_view s, const std::string& where) {
  if (s == "+Inf" || s == "Inf") return INFINITY;
  if (s == "-Inf") return -INFINITY;
  if (s == "NaN") return NAN;
  const std::string text(s);
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || text.find_first_of("xXpP") != std::string::npos ||
      text == "inf" || text == "nan")
    throw PromParseError(where + "bad value '" + text + "'");
  return v;
}

struct Cursor {
  std::string_view s;
  std::size_t i = 0;
  const std::string& where;
  bool done() const { return i >= s.size(); }
  char peek() const { return done() ? '\0' : s[i]; }
  void expect(char c) {
    if (peek() != c) throw PromParseError(where + "expected '" + std::string(1, c) + "'");
    ++i;
  }
  std::string_view take_while(bool (*pred)(char)) {
    const std::size_t start = i;
    while (!done() && pred(s[i])) ++i;
    return s.substr(start, i - start);
  }
};

PromSample parse_sample(std::string_view line, const std::string& where) {
  Cursor c{line, 0, where};
  PromSample out;
  out.name = std::string(c.take_while(name_char));
  if (!valid_metric_name(out.name)) throw PromParseError(where + "bad metric name");
  if (c.peek() == '{') {
    ++c.i;
    while (c.peek() != '}') {
      const std::string label(c.take_while(name_char));
      if (!valid_label_name(label)) throw PromParseError(where + "bad label name '" + label + "'");
      c.expect('=');
      c.expect('"');
      std::string value;
      while (true) {
        if (c.done()) throw PromParseError(where + "unterminated label value");
        const char ch = c.s[c.i++];
        if (ch == '"') break;
        if (ch == '\\') {
          const char e = c.peek();
          ++c.i;
          if (e == '\\') value += '\\';
          else if (e == '"') value += '"';
          else if (e == 'n') value += '\n';
          else throw PromParseError(where + "bad escape in label value");
        } else {
          value += ch;
        }
      }
      if (!out.labels.emplace(label, value).second)
        throw PromParseError(where + "label '" + label + "' repeated");
      if (c.peek() == ',') ++c.i;
      else if (c.peek() != '}') throw PromParseError(where + "expected ',' or '}'");
    }
    ++c.i;
  }
  c.expect(' ');
  const std::string_view rest = line.substr(c.i);
  const auto space = rest.find(' ');
  out.value = parse_value(rest.substr(0, space), where);
  if (space != std::string_view::npos) {
    const std::string ts(rest.substr(space + 1));
    char* end = nullptr;
    std::strtoll(ts.c_str(), &end, 10);
    if (ts.empty() || end != ts.c_str() + ts.size()) throw PromParseError(where + "bad timestamp");
  }
  return out;
}

// The family a sample belongs to, given the TYPEs seen.
std::string family_of(const std::string& sample, const std::map<std::string, PromFamily>& fams) {
  if (fams.count(sample)) return sample;
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    const std::string_view s(suffix);
    if (sample.size() > s.size() && sample.compare(sample.size() - s.size(), s.size(), s) == 0) {
      const std::string base = sample.substr(0, sample.size() - s.size());
      auto it = fams.find(base);
      if (it != fams.end() && (it->second.type == "histogram" || it->second.type == "summary"))
        return base;
    }
  }
  return sample;
}

void check_histogram(const PromFamily& f) {
  // Group by labels without le.
  std::map<std::map<std::string, std::string>, std::vector<std::pair<double, double>>> buckets;
  std::map<std::map<std::string, std::string>, double> counts;
  std::set<std::map<std::string, std::string>> sums;
  for (const auto& s : f.samples) {
    auto labels = s.labels;
    if (s.name == f.name + "_bucket") {
      auto le = labels.find("le");
      if (le == labels.end()) throw PromParseError(f.name + ": bucket without le");
      const double bound = parse_value(le->second, f.name + ": ");
      labels.erase(le);
      buckets[labels].push_back({bound, s.value});
    } else if (s.name == f.name + "_count") {
      counts[labels] = s.value;
    } else if (s.name == f.name + "_sum") {
      sums.insert(labels);
    } else {
      throw PromParseError(f.name + ": unexpected sample " + s.name + " in a histogram");
    }
  }
  for (const auto& [labels, list] : buckets) {
    double last_bound = -INFINITY, last_count = 0;
    for (const auto& [bound, count] : list) {
      if (bound <= last_bound) throw PromParseError(f.name + ": le not increasing");
      if (count < last_count) throw PromParseError(f.name + ": buckets not cumulative");
      last_bound = bound;
      last_count = count;
    }
    if (!std::isinf(last_bound)) throw PromParseError(f.name + ": no le=\"+Inf\" bucket");
    if (!counts.count(labels) || counts[labels] != last_count)
      throw PromParseError(f.name + ": _count differs from the +Inf bucket");
    if (!sums.count(labels)) throw PromParseError(f.name + ": no _sum");
  }
}

}  // namespace

std::map<std::string, PromFamily> parse_prometheus_text(std::string_view text) {
  if (!text.empty() && text.back() != '\n') throw PromParseError("last line has no newline");
  std::map<std::string, PromFamily> fams;
  std::set<std::string> closed;          // families whose samples ended
  std::set<std::string> series;          // name + labels seen
  std::string current;                   // family of the previous sample
  std::size_t line_no = 0, pos = 0;
  while (pos < text.size()) {
    const auto nl = text.find('\n', pos);
    const std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    const std::string where = "line " + std::to_string(++line_no) + ": ";
    if (line.empty()) continue;
    if (line[0] == '#') {
      const bool help = line.rfind("# HELP ", 0) == 0, type = line.rfind("# TYPE ", 0) == 0;
      if (!help && !type) continue;
      const std::string_view rest = line.substr(7);
      const auto space = rest.find(' ');
      if (space == std::string_view::npos) throw PromParseError(where + "HELP/TYPE without text");
      const std::string name(rest.substr(0, space));
      const std::string arg(rest.substr(space + 1));
      if (!valid_metric_name(name)) throw PromParseError(where + "bad metric name in comment");
      auto& f = fams[name];
      f.name = name;
      if (help) {
        if (!f.help.empty()) throw PromParseError(where + "second HELP for " + name);
        for (std::size_t i = 0; i < arg.size(); ++i)
          if (arg[i] == '\\' && (i + 1 >= arg.size() || (arg[i + 1] != '\\' && arg[i + 1] != 'n')))
            throw PromParseError(where + "bad escape in HELP");
        f.help = arg.empty() ? " " : arg;
      } else {
        static const std::set<std::string> types = {"counter", "gauge", "histogram", "summary", "untyped"};
        if (!types.count(arg)) throw PromParseError(where + "unknown TYPE " + arg);
        if (f.type != "untyped" || !f.samples.empty())
          throw PromParseError(where + "TYPE for " + name + " repeated or after its samples");
        f.type = arg;
      }
      continue;
    }
    PromSample s = parse_sample(line, where);
    const std::string family = family_of(s.name, fams);
    if (family != current) {
      if (closed.count(family)) throw PromParseError(where + "samples of " + family + " not contiguous");
      if (!current.empty()) closed.insert(current);
      current = family;
    }
    std::string key = s.name;
    for (const auto& [k, v] : s.labels) key += "\x01" + k + "\x02" + v;
    if (!series.insert(key).second) throw PromParseError(where + "duplicate series " + s.name);
    auto& f = fams[family];
    f.name = family;
    if (f.type == "counter" && (s.value < 0 || std::isnan(s.value)))
      throw PromParseError(where + "counter " + s.name + " is negative");
    f.samples.push_back(std::move(s));
  }
  for (const auto& [name, f] : fams)
    if (f.type == "histogram") check_histogram(f);
  return fams;
}

double sample_value(const std::map<std::string, PromFamily>& families, const std::string& name,
                    const std::map<std::string, std::string>& labels, double fallback) {
  for (const auto& [fname, f] : families)
    for (const auto& s : f.samples)
      if (s.name == name && s.labels == labels) return s.value;
  return fallback;
}

}  // namespace qg::test
