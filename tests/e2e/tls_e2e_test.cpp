// End-to-end (issue 16 item 9): server.tls.cert/key make the listener speak HTTPS; a reload
// (POST /api/v1/reload, and SIGHUP) swaps the certificate for new connections; a bad pair is refused at
// start naming the key. Certificates come from the openssl CLI, the client is curl.
#include "tests/support/daemon_process.hpp"
#include "tests/support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <array>
#include <csignal>
#include <cstdio>
#include <string>
#include <thread>

using namespace qg::test;

namespace {

std::string sh(const std::string& command) {
  std::string out;
  if (FILE* p = popen((command + " 2>/dev/null").c_str(), "r")) {
    std::array<char, 4096> buf;
    while (std::size_t n = std::fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
    pclose(p);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

// A self-signed certificate for 127.0.0.1 with `cn`, written to <dir>/<name>.crt/.key.
void make_cert(const TempDir& dir, const std::string& name, const std::string& cn) {
  const std::string crt = dir.file(name + ".crt"), key = dir.file(name + ".key");
  sh("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=" + cn +
     " -addext subjectAltName=IP:127.0.0.1 -keyout " + key + " -out " + crt);
  REQUIRE_MESSAGE(!dir.read(name + ".crt").empty(), "openssl could not make a certificate");
}

// The subject CN the server presents on a new connection.
std::string served_cn(int port) {
  return sh("openssl s_client -connect 127.0.0.1:" + std::to_string(port) +
            " </dev/null 2>/dev/null | openssl x509 -noout -subject | sed 's/.*CN *= *//'");
}

std::string https_status(int port, const std::string& ca, const std::string& path, const std::string& extra = "") {
  return sh("curl -s -o /dev/null -w '%{http_code}' --cacert " + ca + " " + extra + " https://127.0.0.1:" +
            std::to_string(port) + path);
}

}  // namespace

TEST_CASE("server.tls: HTTPS on listen, certificate reloaded by POST /api/v1/reload and by SIGHUP") {
  TempDir certs("qg-tls");
  make_cert(certs, "one", "qg-one");
  make_cert(certs, "two", "qg-two");
  const std::string live_crt = certs.file("live.crt"), live_key = certs.file("live.key");
  certs.write("live.crt", certs.read("one.crt"));
  certs.write("live.key", certs.read("one.key"));

  DaemonOptions o;
  o.wait_ready = false;  // /ready is HTTPS now; polled below with curl
  o.config("server:\n  admin_token: tls-admin-token-123456\n  tls:\n    cert: \"" + live_crt +
           "\"\n    key: \"" + live_key + "\"\n");
  DaemonProcess d(o);
  std::string why;
  REQUIRE_MESSAGE(d.start(&why), why << d.stderr_text());
  std::string status;
  for (int i = 0; i < 200 && status != "200"; ++i) {
    status = https_status(d.port(), certs.file("one.crt"), "/ready");
    if (status != "200") std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  REQUIRE_MESSAGE(status == "200", d.stderr_text());
  CHECK(d.stderr_text().find("(https)") != std::string::npos);
  CHECK(https_status(d.port(), certs.file("one.crt"), "/health") == "200");
  CHECK(served_cn(d.port()) == "qg-one");
  // Plain HTTP on the TLS port gets no HTTP answer.
  CHECK(d.get("/health").status != 200);

  // New pair on disk + reload: new connections get it.
  certs.write("live.crt", certs.read("two.crt"));
  certs.write("live.key", certs.read("two.key"));
  CHECK(https_status(d.port(), certs.file("one.crt"), "/api/v1/reload",
                     "-X POST -d '{}' -H 'Authorization: Bearer tls-admin-token-123456'") == "200");
  CHECK(served_cn(d.port()) == "qg-two");
  CHECK(https_status(d.port(), certs.file("two.crt"), "/health") == "200");

  // A broken pair on reload keeps the current certificate.
  certs.write("live.key", certs.read("one.key"));  // does not match two.crt
  https_status(d.port(), certs.file("two.crt"), "/api/v1/reload",
               "-X POST -d '{}' -H 'Authorization: Bearer tls-admin-token-123456'");
  CHECK(served_cn(d.port()) == "qg-two");
  CHECK(d.stderr_text().find("tls: reload failed") != std::string::npos);

  // SIGHUP (systemd's ExecReload) reloads the pair as well: back to the first certificate.
  certs.write("live.crt", certs.read("one.crt"));
  certs.write("live.key", certs.read("one.key"));
  REQUIRE(::kill(d.pid(), SIGHUP) == 0);
  std::string cn;
  for (int i = 0; i < 100 && cn != "qg-one"; ++i) {
    cn = served_cn(d.port());
    if (cn != "qg-one") std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  CHECK(cn == "qg-one");
  CHECK(https_status(d.port(), certs.file("one.crt"), "/health") == "200");
  CHECK(d.stderr_text().find("SIGHUP: config reloaded") != std::string::npos);
  CHECK(d.stop() == 0);
}

TEST_CASE("server.tls: a key that does not match the certificate stops the start, naming it") {
  TempDir certs("qg-tls-bad");
  make_cert(certs, "one", "qg-one");
  make_cert(certs, "two", "qg-two");
  DaemonOptions o;
  o.wait_ready = false;
  o.config("server:\n  tls:\n    cert: \"" + certs.file("one.crt") + "\"\n    key: \"" + certs.file("two.key") + "\"\n");
  DaemonProcess d(o);
  d.start();
  CHECK(d.wait_exit(std::chrono::seconds{20}) == 1);
  CHECK(d.stderr_text().find("server.tls.key") != std::string::npos);
  CHECK(d.stderr_text().find("does not match") != std::string::npos);
}
