// tests/support/postgres_fixture.cpp — `qg_postgres_fixture`: the ctest fixture that shares one
// PostgreSQL server between the cases of a test binary (tests/support/postgres_server.hpp;
// wired by `qg_add_test(... POSTGRES)` and, for the tests that run the real daemon,
// `qg_add_test(... DAEMON)`), and the wrapper that puts a shell-driven test on it.
//   start DIR             initdb + pg_ctl start in DIR (anything there before is removed), leave it running
//   start-if-switched DIR the same when QG_TEST_STORAGE=postgres (`make test-postgres`), else nothing
//   stop DIR              pg_ctl stop -m immediate and remove DIR
//   hold DIR              start a private server in DIR (not detached: its watchdog stops it when this
//                         process ends), print its line, then wait until killed (the harness's own tests,
//                         tests/postgres/postgres_server_test.cpp, kill it mid-start and by ctest's timeout)
//   exec DIR CMD ARGS...  runs CMD; when QG_TEST_STORAGE=postgres, with QUOTAGUARD_STORAGE_BACKEND=postgres
//                         and QUOTAGUARD_POSTGRES_DSN naming a fresh database of DIR's server
//                         (tests/support/test_storage.hpp is the same switch for DaemonProcess)
// Exit 0 on success; 1 with the reason on stderr (exec: CMD's own exit code).
#include "tests/support/postgres_server.hpp"

#include <unistd.h>

#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>

namespace {

bool switched() {
  const char* v = std::getenv("QG_TEST_STORAGE");
  return v != nullptr && std::string(v) == "postgres";
}

int exec_with_log(const char* dir, char** argv) {
  if (switched()) {
    auto server = qg::test::PostgresServer::attach(dir);
    if (!server) throw std::runtime_error(std::string("no PostgreSQL test server in ") + dir);
    ::setenv("QUOTAGUARD_STORAGE_BACKEND", "postgres", 1);
    ::setenv("QUOTAGUARD_POSTGRES_DSN", server->create_database().c_str(), 1);
  }
  ::execvp(argv[0], argv);
  std::cerr << "qg_postgres_fixture exec: cannot run " << argv[0] << '\n';
  return 127;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string cmd = argc >= 3 ? argv[1] : "";
  const bool known = (argc == 3 && (cmd == "start" || cmd == "start-if-switched" || cmd == "stop" || cmd == "hold")) ||
                     (argc >= 4 && cmd == "exec");
  if (!known) {
    std::cerr << "usage: qg_postgres_fixture start|start-if-switched|stop|hold DIR\n"
                 "       qg_postgres_fixture exec DIR CMD [ARGS...]\n";
    return 2;
  }
  try {
    if (cmd == "exec") return exec_with_log(argv[2], argv + 3);
    if (cmd == "stop") {
      qg::test::stop_postgres_in(argv[2]);
    } else if (cmd == "hold") {
      auto server = qg::test::PostgresServer::start(argv[2]);
      std::cout << "postgres test server on 127.0.0.1:" << server->port() << " in " << argv[2] << std::endl;
      for (;;) ::pause();
    } else if (cmd == "start" || switched()) {
      auto server = qg::test::PostgresServer::start(argv[2]);
      server->detach();
      std::cout << "postgres test server on 127.0.0.1:" << server->port() << " in " << argv[2] << '\n';
    }
  } catch (const std::exception& e) {
    std::cerr << e.what() << '\n';
    return 1;
  }
  return 0;
}
