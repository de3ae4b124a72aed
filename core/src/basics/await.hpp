// Waits for an answer given through a callback: the blocking form of an
// asynchronous call. Must not be used on the thread that gives the answer.
//
//   Registered registered = await<Registered>([&](auto done) { registry.register_instance(record, done); });
#pragma once

#include <functional>
#include <future>

namespace hub {

template <class Result, class Start>
Result await(Start&& start) {
  std::promise<Result> promise;
  std::future<Result> future = promise.get_future();
  std::function<void(Result)> done = [&promise](Result result) { promise.set_value(std::move(result)); };
  start(std::move(done));
  return future.get();
}

}  // namespace hub
