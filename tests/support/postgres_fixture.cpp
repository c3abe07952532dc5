// tests/support/postgres_fixture.cpp — `qg_postgres_fixture start|stop DIR`: the ctest
// fixture that shares one PostgreSQL server between the cases of a test binary
// (tests/support/postgres_server.hpp; wired by `qg_add_test(... POSTGRES)`).
//   start DIR   initdb + pg_ctl start in DIR (anything there before is removed), leave it running
//   stop DIR    pg_ctl stop -m immediate and remove DIR
// Exit 0 on success; 1 with the reason on stderr.
#include "tests/support/postgres_server.hpp"

#include <cstring>
#include <exception>
#include <iostream>

int main(int argc, char** argv) {
  if (argc != 3 || (std::strcmp(argv[1], "start") != 0 && std::strcmp(argv[1], "stop") != 0)) {
    std::cerr << "usage: qg_postgres_fixture start|stop DIR\n";
    return 2;
  }
  try {
    if (std::strcmp(argv[1], "start") == 0) {
      auto server = qg::test::PostgresServer::start(argv[2]);
      server->detach();
      std::cout << "postgres test server on 127.0.0.1:" << server->port() << " in " << argv[2] << '\n';
    } else {
      qg::test::stop_postgres_in(argv[2]);
    }
  } catch (const std::exception& e) {
    std::cerr << e.what() << '\n';
    return 1;
  }
  return 0;
}
