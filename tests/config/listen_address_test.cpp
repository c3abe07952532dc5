// server.listen / --listen: HOST:PORT parsing and the loopback rule.
#include "config/listen_address.hpp"

#include <doctest/doctest.h>

using qg::is_loopback_listen;
using qg::ListenAddress;
using qg::parse_listen;

TEST_CASE("listen: HOST:PORT forms") {
  CHECK(parse_listen("127.0.0.1:8318") == ListenAddress{"127.0.0.1", 8318});
  CHECK(parse_listen("localhost:0") == ListenAddress{"localhost", 0});
  CHECK(parse_listen("[::1]:80") == ListenAddress{"::1", 80});
  CHECK(parse_listen("0.0.0.0:65535") == ListenAddress{"0.0.0.0", 65535});
  for (const char* bad : {"", "8318", ":8318", "127.0.0.1:", "127.0.0.1:65536", "host:port",
                          "::1:80", "[::1]80", "a b:1", "127.0.0.1:-1", "127.0.0.1:123456"}) {
    INFO(bad);
    CHECK_FALSE(parse_listen(bad).has_value());
  }
}

TEST_CASE("listen: only loopback hosts count as loopback") {
  CHECK(is_loopback_listen("127.0.0.1:8318"));
  CHECK(is_loopback_listen("127.8.9.10:1"));
  CHECK(is_loopback_listen("localhost:1"));
  CHECK(is_loopback_listen("[::1]:1"));
  CHECK_FALSE(is_loopback_listen("0.0.0.0:8318"));
  CHECK_FALSE(is_loopback_listen("[::]:8318"));
  CHECK_FALSE(is_loopback_listen("192.168.1.5:8318"));
  CHECK_FALSE(is_loopback_listen("example.com:8318"));
  CHECK_FALSE(is_loopback_listen("garbage"));
}
