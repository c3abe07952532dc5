// http/tls_certificates.hpp — the certificate and key the HTTPS listener presents, reloadable.
//
// server.tls.cert (PEM: the leaf certificate, then any intermediates) and server.tls.key (PEM
// private key) are read into memory; the listener's SSL_CTX asks for them on every handshake
// (SSL_CTX_set_cert_cb), so reload() — on POST /api/v1/reload, /qg_reload or SIGHUP — swaps
// them for new connections without a restart; connections already open keep theirs. A reload
// that fails (missing file, key not matching the certificate) keeps the current pair and says
// why. Depends on OpenSSL only.
#pragma once

#include <memory>
#include <mutex>
#include <string>

typedef struct ssl_ctx_st SSL_CTX;
struct ssl_st;  // SSL, declared here at global scope as OpenSSL does

namespace qg {

class TlsCertificates {
 public:
  TlsCertificates(std::string cert_path, std::string key_path);
  ~TlsCertificates();
  TlsCertificates(const TlsCertificates&) = delete;
  TlsCertificates& operator=(const TlsCertificates&) = delete;

  // Reads the files again (new paths when given); on failure keeps the current pair.
  bool reload(std::string& error);
  bool reload(const std::string& cert_path, const std::string& key_path, std::string& error);
  // Makes `ctx` present the current pair on every handshake (and offers TLS 1.2+ only).
  void install(SSL_CTX* ctx);
  bool loaded() const;

  struct Pair;

 private:
  std::shared_ptr<const Pair> current() const;
  static int on_handshake(::ssl_st* ssl, void* self);

  mutable std::mutex mutex_;
  std::string cert_path_, key_path_;
  std::shared_ptr<const Pair> pair_;
};

}  // namespace qg
