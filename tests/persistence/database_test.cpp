// tests/persistence/database_test.cpp — opening, permissions, migrations and every refusal
// (foreign, corrupt, newer, read-only, missing directory) with no write to a refused file.
#include "persistence/database.hpp"
#include "persistence/event_store.hpp"
#include "tests/support/temp_dir.hpp"

#include <doctest/doctest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

using namespace qg;
using test::TempDir;

namespace {
unsigned mode_of(const std::string& path) {
  struct stat st{};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const std::string& path, const std::string& content) {
  std::ofstream(path, std::ios::binary) << content;
}

void raw_sql(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
}

std::string open_error(const DatabaseOptions& o) {
  try {
    Database::open(o);
  } catch (const StorageError& e) {
    return e.what();
  }
  return {};
}
}  // namespace

TEST_CASE("a new database is created 0600 with its -wal and -shm, in WAL mode, at schema 1") {
  TempDir dir;
  const auto path = dir.file("q.db");
  auto db = Database::open({path});
  EventStore store(*db);
  std::vector<Event> one{Event{0, 5, "a", ReservationExpired{"r"}}};
  store.append(one);
  CHECK(mode_of(path) == 0600);
  CHECK(mode_of(path + "-wal") == 0600);
  CHECK(mode_of(path + "-shm") == 0600);
  CHECK(db->schema_version() == kSchemaVersion);
  Statement mode = db->prepare("PRAGMA journal_mode");
  REQUIRE(mode.step());
  CHECK(mode.column_text(0) == "wal");
}

TEST_CASE("reopening keeps the data and does not migrate twice - synchronous is applied") {
  TempDir dir;
  const auto path = dir.file("q.db");
  {
    auto db = Database::open({path});
    std::vector<Event> two{Event{0, 1, "a", AccountRemoved{"x"}}, Event{0, 2, "", CooldownEnded{"y"}}};
    CHECK(EventStore(*db).append(two) == 2);
  }
  auto db = Database::open({path, OpenMode::read_write, Synchronous::full});
  CHECK(EventStore(*db).last_seq() == 2);
  Statement sync = db->prepare("PRAGMA synchronous");
  REQUIRE(sync.step());
  CHECK(sync.column_int(0) == 2);  // FULL
}

TEST_CASE("migration from an empty schema-0 SQLite file creates every table") {
  TempDir dir;
  const auto path = dir.file("empty.db");
  raw_sql(path, "PRAGMA user_version = 0");
  auto db = Database::open({path});
  for (const char* table : {"events", "snapshots", "settings"}) {
    Statement st = db->prepare("SELECT count(*) FROM sqlite_master WHERE name = ?1");
    st.bind(1, std::string_view(table));
    REQUIRE(st.step());
    CHECK(st.column_int(0) == 1);
  }
}

TEST_CASE("missing directory: one clear line, nothing created") {
  TempDir dir;
  const auto path = dir.file("nope/sub/q.db");
  CHECK(open_error({path}) == "storage.db_path: directory " + dir.file("nope/sub") + " does not exist");
  CHECK_FALSE(std::filesystem::exists(dir.file("nope")));
}

TEST_CASE("a file that is not SQLite is refused and left byte-identical") {
  TempDir dir;
  const auto path = dir.file("notes.db");
  const std::string content(4096, 'x');
  write_file(path, content);
  const auto err = open_error({path});
  CHECK(err.find("is not a QuotaGuard database") != std::string::npos);
  CHECK(err.find('\n') == std::string::npos);
  CHECK(slurp(path) == content);
  CHECK_FALSE(std::filesystem::exists(path + "-wal"));
}

TEST_CASE("an SQLite file of another application is refused, unchanged") {
  TempDir dir;
  const auto path = dir.file("other.db");
  raw_sql(path, "CREATE TABLE customers(id INTEGER); CREATE TABLE orders(id INTEGER);");
  const auto before = slurp(path);
  const auto err = open_error({path});
  CHECK(err == "storage.db_path: " + path + " is an SQLite database of another application (tables: customers, orders)");
  CHECK(slurp(path) == before);
  // Another application that sets user_version is refused too.
  raw_sql(path, "PRAGMA user_version = 1");
  CHECK(open_error({path}).find("another application") != std::string::npos);
}

TEST_CASE("a newer schema version is refused") {
  TempDir dir;
  const auto path = dir.file("q.db");
  { Database::open({path}); }
  raw_sql(path, "PRAGMA user_version = 99");
  CHECK(open_error({path}).find("schema version 99, newer than this build supports (1)") != std::string::npos);
  CHECK(open_error({path, OpenMode::read_only}).find("newer") != std::string::npos);
}

TEST_CASE("a read-only file is refused for writing but opens read-only") {
  TempDir dir;
  const auto path = dir.file("q.db");
  {
    auto db = Database::open({path});
    std::vector<Event> one{Event{0, 1, "a", AccountRemoved{"x"}}};
    EventStore(*db).append(one);
  }
  std::filesystem::permissions(path, std::filesystem::perms::owner_read);
  const auto err = open_error({path});
  CHECK(err.find("storage.db_path: " + path + " is read-only") == 0);
  auto ro = Database::open({path, OpenMode::read_only});
  CHECK(EventStore(*ro).last_seq() == 1);
  std::vector<Event> more{Event{0, 1, "a", AccountRemoved{"x"}}};
  CHECK_THROWS_AS(EventStore(*ro).append(more), StorageError);
}

TEST_CASE("read-only mode never creates a file") {
  TempDir dir;
  const auto path = dir.file("absent.db");
  CHECK(open_error({path, OpenMode::read_only}) == "storage.db_path: " + path + " does not exist");
  CHECK_FALSE(std::filesystem::exists(path));
}

TEST_CASE("synchronous names parse") {
  Synchronous s{};
  CHECK(parse_synchronous("full", s));
  CHECK(s == Synchronous::full);
  CHECK(parse_synchronous("normal", s));
  CHECK(s == Synchronous::normal);
  CHECK_FALSE(parse_synchronous("off", s));
}
