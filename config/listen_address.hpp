// config/listen_address.hpp — the HOST:PORT of server.listen / --listen.
//
// HOST is an IPv4 address, a host name or a bracketed IPv6 address ([::1]); PORT is 0..65535
// (0 = any free port). Depends on the standard library only.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace qg {

struct ListenAddress {
  std::string host;  // without brackets: "127.0.0.1", "localhost", "::1"
  int port = 0;
  bool operator==(const ListenAddress&) const = default;
};

// The address `text` denotes, or nullopt when it is not HOST:PORT.
std::optional<ListenAddress> parse_listen(std::string_view text);

// True when the host only accepts local connections: 127.0.0.0/8, ::1 or localhost.
// False for 0.0.0.0, :: and any other name or address (and for malformed text).
bool is_loopback_listen(std::string_view listen);
bool is_loopback_host(std::string_view host);

}  // namespace qg
