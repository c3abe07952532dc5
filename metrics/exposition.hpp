// metrics/exposition.hpp — the Prometheus text exposition format (0.0.4), line by line.
//
// Escaping rules: label values escape backslash, double quote and newline; HELP text escapes
// backslash and newline. Values are written in the shortest form that reads back exactly,
// with +Inf, -Inf and NaN spelled as Prometheus expects. Pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace qg::metrics {

std::string escape_label_value(std::string_view v);
std::string escape_help(std::string_view v);
std::string format_value(double v);

// "# HELP name text\n# TYPE name type\n"
void append_header(std::string& out, std::string_view name, std::string_view help,
                   std::string_view type);

// name{l1="v1",l2="v2"[,extra_name="extra_value"]} value\n   (no braces when no labels)
void append_sample(std::string& out, std::string_view name,
                   const std::vector<std::string>& label_names,
                   const std::vector<std::string>& label_values, double value,
                   std::string_view extra_name = {}, std::string_view extra_value = {});

}  // namespace qg::metrics
