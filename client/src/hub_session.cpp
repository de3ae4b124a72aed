#include "hub_session.hpp"

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/SSLManager.h>

#include <pthread.h>

#include <cstdlib>
#include <map>
#include <mutex>
#include <stdexcept>

namespace hub::client {

namespace {

// One verifying context per CA file, shared by every session to it.
Poco::Net::Context::Ptr context_for(const std::string& ca_file) {
  static std::once_flag initialized;
  std::call_once(initialized, [] { Poco::Net::initializeSSL(); });
  static std::mutex mutex;
  static std::map<std::string, Poco::Net::Context::Ptr> contexts;
  std::lock_guard lock(mutex);
  auto& context = contexts[ca_file];
  if (!context) {
    Poco::Net::Context::Params params;
    params.caLocation = ca_file;
    params.verificationMode = Poco::Net::Context::VERIFY_STRICT;
    params.loadDefaultCAs = ca_file.empty();
    params.cipherList = "HIGH:!aNULL:!eNULL:!MD5:!RC4:!3DES";
    context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
    context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
  }
  return context;
}

}  // namespace

std::unique_ptr<Poco::Net::HTTPClientSession> open_session(const Poco::URI& hub, const std::string& ca_file) {
  if (hub.getScheme() == "https")
    return std::make_unique<Poco::Net::HTTPSClientSession>(hub.getHost(), hub.getPort(), context_for(ca_file));
  if (hub.getScheme() != "http") throw std::invalid_argument("the hub's URL must start with http:// or https://, not " + hub.toString());
  return std::make_unique<Poco::Net::HTTPClientSession>(hub.getHost(), hub.getPort());
}

void authorize(Poco::Net::HTTPRequest& request, const std::string& token) {
  if (!token.empty()) request.set("Authorization", "Bearer " + token);
}

namespace {

sigset_t pipe_only() {
  sigset_t pipe;
  sigemptyset(&pipe);
  sigaddset(&pipe, SIGPIPE);
  return pipe;
}

}  // namespace

QuietPipe::QuietPipe() {
  const sigset_t pipe = pipe_only();
  sigset_t pending;
  sigpending(&pending);
  pending_before_ = sigismember(&pending, SIGPIPE) == 1;
  pthread_sigmask(SIG_BLOCK, &pipe, &previous_);
}

QuietPipe::~QuietPipe() {
  const sigset_t pipe = pipe_only();
  sigset_t pending;
  sigpending(&pending);
  if (!pending_before_ && sigismember(&pending, SIGPIPE) == 1) {
    const timespec now{0, 0};
    sigtimedwait(&pipe, nullptr, &now);
  }
  pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
}

std::string from_environment(const std::string& given, const char* variable) {
  if (!given.empty()) return given;
  const char* value = std::getenv(variable);
  return value ? value : "";
}

}  // namespace hub::client
