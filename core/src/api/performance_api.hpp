// POST /performance: a service's PerformanceTracker report, checked whole; GET /performance[?service=]:
// every operation's count, mean and percentiles. /metrics exports hub_operation_duration_seconds.
#pragma once

#include "http/router.hpp"
#include "performance/performance_reports.hpp"

namespace hub {

void add_performance_routes(http::Router& router, performance::PerformanceReports& reports);

}  // namespace hub
