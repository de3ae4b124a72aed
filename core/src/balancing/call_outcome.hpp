// One call's outcome as a caller reports it (POST /outcomes): what the balancers' live figures,
// the service's circuit and the instances' outlier ejection learn from.
#pragma once

#include <cstdint>
#include <string>

namespace hub {

enum class CallResult { success, failure, timeout, rejected };

struct CallOutcome {
  std::string instance_id;
  CallResult result = CallResult::success;
  int64_t duration_us = 0;
  int64_t lease = 0;  // the `lease` GET /lb answered with, 0 when the caller picked the instance itself
};

}  // namespace hub
