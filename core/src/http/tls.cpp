#include "tls.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cerrno>
#include <stdexcept>

namespace hub::http {

namespace {

std::string openssl_reason() {
  std::string reasons;
  while (unsigned long code = ERR_get_error()) {
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    reasons += (reasons.empty() ? "" : "; ") + std::string(text);
  }
  return reasons.empty() ? "no reason given" : reasons;
}

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error("TLS: " + what + ": " + openssl_reason());
}

std::shared_ptr<SSL_CTX> make_context(const TlsSettings& settings) {
  ERR_clear_error();
  std::shared_ptr<SSL_CTX> context(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
  if (!context) fail("cannot create a context");
  SSL_CTX* ctx = context.get();
  if (settings.min_version != "1.2" && settings.min_version != "1.3")
    throw std::runtime_error("TLS: min_version must be 1.2 or 1.3, not " + settings.min_version);
  SSL_CTX_set_min_proto_version(ctx, settings.min_version == "1.3" ? TLS1_3_VERSION : TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION);
  // Answers are written from a string that may grow between retries of one write.
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
  if (SSL_CTX_set_cipher_list(ctx, settings.ciphers.c_str()) != 1) fail("tls.ciphers \"" + settings.ciphers + "\" names no usable cipher");
  if (SSL_CTX_use_certificate_chain_file(ctx, settings.certificate.c_str()) != 1)
    fail("cannot load the certificate " + settings.certificate.string());
  if (SSL_CTX_use_PrivateKey_file(ctx, settings.key.c_str(), SSL_FILETYPE_PEM) != 1) fail("cannot load the key " + settings.key.string());
  if (SSL_CTX_check_private_key(ctx) != 1)
    fail("the key " + settings.key.string() + " does not belong to the certificate " + settings.certificate.string());
  if (!settings.client_ca.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, settings.client_ca.c_str(), nullptr) != 1)
      fail("cannot load the client CA " + settings.client_ca.string());
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(settings.client_ca.c_str());
    if (names) SSL_CTX_set_client_CA_list(ctx, names);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | (settings.client_certificate_required ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0), nullptr);
    static const unsigned char session_context[] = "central-hub";
    SSL_CTX_set_session_id_context(ctx, session_context, sizeof session_context - 1);
  }
  return context;
}

}  // namespace

TlsContext::TlsContext(const TlsSettings& settings) : settings_(settings), context_(make_context(settings)) {}

void TlsContext::reload() {
  std::shared_ptr<SSL_CTX> fresh = make_context(settings_);
  std::lock_guard lock(mutex_);
  context_ = std::move(fresh);
}

SSL* TlsContext::session(int fd) const {
  std::shared_ptr<SSL_CTX> context;
  {
    std::lock_guard lock(mutex_);
    context = context_;
  }
  SSL* ssl = SSL_new(context.get());  // holds its own reference to the context
  if (!ssl) return nullptr;
  if (SSL_set_fd(ssl, fd) != 1) {
    SSL_free(ssl);
    return nullptr;
  }
  SSL_set_accept_state(ssl);
  return ssl;
}

TlsStream::TlsStream(SSL* session) : session_(session) {}

TlsStream::~TlsStream() {
  if (established_ && !broken_) {
    ERR_clear_error();
    SSL_shutdown(session_);  // one try: the socket is non-blocking and closes next
  }
  SSL_free(session_);
  ERR_clear_error();
}

ssize_t TlsStream::outcome(int result) {
  const int error = SSL_get_error(session_, result);
  if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
    errno = EAGAIN;
    return -1;
  }
  if (error == SSL_ERROR_ZERO_RETURN) return 0;  // close_notify
  broken_ = true;
  if (failure_.empty()) failure_ = error == SSL_ERROR_SYSCALL && !ERR_peek_error() ? "the peer closed the connection" : openssl_reason();
  ERR_clear_error();
  errno = ECONNRESET;
  return -1;
}

bool TlsStream::handshake() {
  ERR_clear_error();
  const int result = SSL_do_handshake(session_);
  if (result != 1) return outcome(result), false;
  established_ = true;
  if (X509* certificate = SSL_get_peer_certificate(session_)) {
    // Verified: the context refuses the handshake for a certificate its CA did not sign.
    char name[256] = {};
    if (SSL_get_verify_result(session_) == X509_V_OK &&
        X509_NAME_get_text_by_NID(X509_get_subject_name(certificate), NID_commonName, name, sizeof name) > 0)
      client_subject_ = name;
    X509_free(certificate);
  }
  return true;
}

ssize_t TlsStream::receive(char* buffer, size_t size) {
  if (broken_) return errno = ECONNRESET, -1;
  if (!established_ && !handshake()) return -1;
  ERR_clear_error();
  const int result = SSL_read(session_, buffer, static_cast<int>(std::min<size_t>(size, 1 << 30)));
  return result > 0 ? result : outcome(result);
}

ssize_t TlsStream::send(const char* data, size_t size) {
  if (broken_) return errno = ECONNRESET, -1;
  if (!established_ && !handshake()) return -1;
  ERR_clear_error();
  const int result = SSL_write(session_, data, static_cast<int>(std::min<size_t>(size, 1 << 30)));
  return result > 0 ? result : outcome(result);
}

}  // namespace hub::http
