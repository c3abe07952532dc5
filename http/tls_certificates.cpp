// http/tls_certificates.cpp — see tls_certificates.hpp.
#include "http/tls_certificates.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstdio>

namespace qg {

struct TlsCertificates::Pair {
  X509* leaf = nullptr;
  EVP_PKEY* key = nullptr;
  STACK_OF(X509)* chain = nullptr;
  ~Pair() {
    X509_free(leaf);
    EVP_PKEY_free(key);
    if (chain) sk_X509_pop_free(chain, X509_free);
  }
};

namespace {

std::string openssl_error() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown error";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof buf);
  return buf;
}

std::shared_ptr<const TlsCertificates::Pair> load_pair(const std::string& cert_path,
                                                       const std::string& key_path,
                                                       std::string& error) {
  auto pair = std::make_shared<TlsCertificates::Pair>();
  std::FILE* cert = std::fopen(cert_path.c_str(), "r");
  if (!cert) {
    error = "server.tls.cert: cannot read " + cert_path;
    return nullptr;
  }
  pair->leaf = PEM_read_X509(cert, nullptr, nullptr, nullptr);
  if (pair->leaf) {
    pair->chain = sk_X509_new_null();
    while (X509* extra = PEM_read_X509(cert, nullptr, nullptr, nullptr)) sk_X509_push(pair->chain, extra);
    ERR_clear_error();  // the loop ends on "no start line"
  }
  std::fclose(cert);
  if (!pair->leaf) {
    error = "server.tls.cert: " + cert_path + " holds no PEM certificate (" + openssl_error() + ")";
    return nullptr;
  }
  std::FILE* key = std::fopen(key_path.c_str(), "r");
  if (!key) {
    error = "server.tls.key: cannot read " + key_path;
    return nullptr;
  }
  pair->key = PEM_read_PrivateKey(key, nullptr, nullptr, nullptr);
  std::fclose(key);
  if (!pair->key) {
    error = "server.tls.key: " + key_path + " holds no PEM private key (" + openssl_error() + ")";
    return nullptr;
  }
  if (X509_check_private_key(pair->leaf, pair->key) != 1) {
    ERR_clear_error();
    error = "server.tls.key: " + key_path + " does not match the certificate in " + cert_path;
    return nullptr;
  }
  return pair;
}

}  // namespace

TlsCertificates::TlsCertificates(std::string cert_path, std::string key_path)
    : cert_path_(std::move(cert_path)), key_path_(std::move(key_path)) {}

TlsCertificates::~TlsCertificates() = default;

bool TlsCertificates::reload(std::string& error) {
  std::string cert, key;
  {
    std::lock_guard lock(mutex_);
    cert = cert_path_;
    key = key_path_;
  }
  return reload(cert, key, error);
}

bool TlsCertificates::reload(const std::string& cert_path, const std::string& key_path, std::string& error) {
  auto pair = load_pair(cert_path, key_path, error);
  if (!pair) return false;
  std::lock_guard lock(mutex_);
  cert_path_ = cert_path;
  key_path_ = key_path;
  pair_ = std::move(pair);
  return true;
}

bool TlsCertificates::loaded() const { return current() != nullptr; }

std::shared_ptr<const TlsCertificates::Pair> TlsCertificates::current() const {
  std::lock_guard lock(mutex_);
  return pair_;
}

int TlsCertificates::on_handshake(::ssl_st* ssl, void* self) {
  auto pair = static_cast<TlsCertificates*>(self)->current();
  if (!pair) return 0;  // no certificate: the handshake fails
  return SSL_use_cert_and_key(ssl, pair->leaf, pair->key, pair->chain, 1) == 1 ? 1 : 0;
}

void TlsCertificates::install(SSL_CTX* ctx) {
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_cert_cb(ctx, &TlsCertificates::on_handshake, this);
}

}  // namespace qg
