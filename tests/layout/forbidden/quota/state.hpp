// Includes a folder quota/README.md does not allow, and a banned system header.
#include "http/proxy_routes.hpp"
#include <caf/all.hpp>
