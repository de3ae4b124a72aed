// The security sections: `auth`, `tls`, `audit` and `registration`. Nothing here has a secret
// for a default: tokens live in storage (as hashes) and keys in files the YAML names.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace hub {

struct TlsSettings {
  std::filesystem::path certificate;  // PEM, the chain after the hub's own certificate; empty: plain HTTP
  std::filesystem::path key;          // PEM private key
  std::string min_version = "1.2";    // "1.2" or "1.3"
  // OpenSSL's cipher list for TLS 1.2 (TLS 1.3 suites are all AEAD and left at OpenSSL's default).
  std::string ciphers = "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:!eNULL:!MD5:!RC4:!3DES";
  // mTLS: the CAs that sign client certificates; empty: clients are not asked for one. A verified
  // client certificate whose subject's common name is NAME acts as role service:NAME.
  std::filesystem::path client_ca;
  bool client_certificate_required = false;  // with client_ca: refuse a handshake without one
  bool enabled() const { return !certificate.empty(); }
};

// Which addresses a registrant may give as an instance's host: the hub's probes connect there.
struct RegistrationRules {
  std::vector<std::string> allowed_networks;  // CIDR; empty: any address not denied
  std::vector<std::string> denied_networks;   // CIDR; checked first
  // Host names (not addresses): "any", "none", or the patterns a name must match ("*.svc.cluster.local").
  // Names are not resolved here; the operator vouches for the zones listed.
  std::vector<std::string> allowed_host_names{"*"};
};

struct SecuritySettings {
  enum class Auth { disabled, required };
  // A manifest built in code (an embedder, a test) starts with auth disabled, which the hub only
  // allows on a loopback address; the YAML says `auth: required` for anything else.
  Auth auth = Auth::disabled;
  bool allow_remote_without_auth = false;  // auth disabled on a non-loopback address: only when said
  TlsSettings tls;
  int audit_retention_days = 90;
  RegistrationRules registration;
};

}  // namespace hub
