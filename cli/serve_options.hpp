// cli/serve_options.hpp — the options `serve` was started with, for modules that re-read the
// config (POST /api/v1/reload, /qg_reload): the same --config/--listen/--db flags and
// environment apply again.
#pragma once

#include "config/config_loader.hpp"

namespace qg::cli {

void set_serve_load_options(const LoadOptions& options);
const LoadOptions& serve_load_options();

}  // namespace qg::cli
