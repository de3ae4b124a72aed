#include "performance_api.hpp"

#include "access_gate.hpp"

#include "basics/printable_text.hpp"
#include "basics/service_name.hpp"
#include "http/encoding.hpp"
#include "http/json_body.hpp"

#include <nlohmann/json.hpp>

#include <cmath>

namespace hub {

namespace {

using http::Request;
using http::Response;
using nlohmann::json;
using performance::kBuckets;
using performance::OperationReport;

constexpr size_t kMaxOperationsPerReport = 1000;
constexpr size_t kMaxOperationName = 200;

Response bad_request(const Request& request, const std::string& message) {
  return http::error(request, 400, "invalid_argument", message + "; nothing was taken");
}

// One operation of a report; a problem names what is wrong, at `path`.
std::optional<OperationReport> operation_of(const json& item, const std::string& path, std::string& problem) {
  if (!item.is_object()) {
    problem = path + ": must be an object";
    return std::nullopt;
  }
  OperationReport report;
  const auto name = item.find("operation");
  if (name == item.end() || !name->is_string() || name->get_ref<const std::string&>().empty() ||
      name->get_ref<const std::string&>().size() > kMaxOperationName) {
    problem = path + ".operation: required, a name of up to " + std::to_string(kMaxOperationName) + " bytes";
    return std::nullopt;
  }
  report.operation = printable_text(name->get<std::string>(), kMaxOperationName);
  const auto buckets = item.find("buckets");
  if (buckets == item.end() || !buckets->is_array() || buckets->size() != kBuckets) {
    problem = path + ".buckets: must be " + std::to_string(kBuckets) + " counts, one per bucket of bounds_ms and one above";
    return std::nullopt;
  }
  uint64_t total = 0;
  for (size_t i = 0; i < kBuckets; ++i) {
    const json& count = (*buckets)[i];
    if (!count.is_number_unsigned() && !(count.is_number_integer() && count.get<int64_t>() >= 0)) {
      problem = path + ".buckets[" + std::to_string(i) + "]: must be a whole number from 0";
      return std::nullopt;
    }
    report.buckets[i] = count.get<uint64_t>();
    total += report.buckets[i];
  }
  report.count = total;
  if (const auto count = item.find("count");
      count != item.end() && !(count->is_number_integer() && count->get<int64_t>() == static_cast<int64_t>(total))) {
    problem = path + ".count: must equal the buckets' sum, " + std::to_string(total);
    return std::nullopt;
  }
  const auto sum = item.find("sum_ms");
  if (sum == item.end() || !sum->is_number() || !std::isfinite(sum->get<double>()) || sum->get<double>() < 0) {
    problem = path + ".sum_ms: required, a number of milliseconds from 0";
    return std::nullopt;
  }
  report.sum_ms = sum->get<double>();
  return report;
}

Response post_performance(const Request& request, performance::PerformanceReports& reports) {
  std::string problem;
  const auto body = http::parse_json_body(request.body, 8, problem);
  if (!body) return bad_request(request, "invalid JSON body: " + problem);
  if (!body->is_object()) return bad_request(request, "the body must be {\"service\", \"bounds_ms\", \"operations\": […]}");
  const std::string service = body->value("service", "");
  if (const std::string wrong = validate_service_name("service", service); !wrong.empty()) return bad_request(request, wrong);
  const auto* caller = request.caller ? &request.caller->role() : nullptr;
  if (caller && caller->kind == security::Role::Kind::service)
    if (auto refusal = refuse_other_service(request, service)) return *refusal;
  if (const auto bounds = body->find("bounds_ms"); bounds != body->end() && *bounds != json(performance::kBoundsMs))
    return bad_request(request, "bounds_ms: the hub's buckets are " + json(performance::kBoundsMs).dump() + "; report in those");
  const auto list = body->find("operations");
  if (list == body->end() || !list->is_array()) return bad_request(request, "operations: required, a list");
  if (list->size() > kMaxOperationsPerReport)
    return bad_request(request, "operations: at most " + std::to_string(kMaxOperationsPerReport) + " in one report");
  std::vector<OperationReport> operations;
  for (size_t i = 0; i < list->size(); ++i) {
    auto report = operation_of((*list)[i], "operations[" + std::to_string(i) + "]", problem);
    if (!report) return bad_request(request, problem);
    operations.push_back(std::move(*report));
  }
  const size_t dropped = reports.add(service, operations);
  return {200, "application/json", json{{"accepted", operations.size() - dropped}, {"dropped", dropped}}.dump()};
}

}  // namespace

void add_performance_routes(http::Router& router, performance::PerformanceReports& reports) {
  router.add("POST", "/performance", [&reports](const Request& request) { return post_performance(request, reports); });
  router.add("GET", "/performance", [&reports](const Request& request) {
    const auto query = http::parse_query(request.query);
    if (!query) return bad_request(request, "the query string has a malformed %-escape");
    std::string service;
    for (const auto& [key, value] : *query) {
      if (key != "service")
        return bad_request(request, printable_text(key, 40) + ": unknown query parameter; GET /performance takes service");
      service = value;
    }
    return Response{200, "application/json", json{{"bounds_ms", performance::kBoundsMs}, {"services", reports.list(service)}}.dump()};
  });
}

}  // namespace hub
