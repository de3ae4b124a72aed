// For tests of what a peer that goes away mid-write does: SIGPIPE back to its default (ending the
// process) and unblocked in this thread, whatever mask the shell that started the test handed down,
// so threads made from here on would die of it unless the code under test guards against it.
#pragma once

#include <pthread.h>

#include <csignal>

namespace hub::testing {

// True when SIGPIPE is now deliverable with its default action.
inline bool let_sigpipe_kill() {
  sigset_t pipe;
  sigemptyset(&pipe);
  sigaddset(&pipe, SIGPIPE);
  return pthread_sigmask(SIG_UNBLOCK, &pipe, nullptr) == 0 && std::signal(SIGPIPE, SIG_DFL) != SIG_ERR;
}

}  // namespace hub::testing
