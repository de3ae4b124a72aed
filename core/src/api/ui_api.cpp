#include "ui_api.hpp"

#include "http/encoding.hpp"

#include <hub/dashboard_assets.hpp>

#include <map>
#include <memory>

namespace hub {

namespace {

using http::Request;
using http::Response;

constexpr const char* kPageHeaders =
    "Content-Security-Policy: default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'\r\n"
    "X-Content-Type-Options: nosniff\r\n"
    "Referrer-Policy: no-referrer\r\n"
    "Cache-Control: no-cache\r\n";

using Assets = std::map<std::string, const dashboard::Asset*, std::less<>>;

Response serve(const Assets& assets, const Request& request, const std::string& path) {
  if (assets.empty()) return http::error(request, 404, "not_built", "this hubd was built without the dashboard (-DHUB_DASHBOARD=OFF)");
  auto found = assets.find(path);
  if (found == assets.end()) return http::error(request, 404, "not_found", "the dashboard has no file /ui/" + path);
  Response response{200, std::string(found->second->content_type), std::string(found->second->body)};
  response.headers = kPageHeaders;
  return response;
}

}  // namespace

void add_ui_routes(http::Router& router) {
  auto assets = std::make_shared<Assets>();
  for (const dashboard::Asset& asset : dashboard::assets()) (*assets)[std::string(asset.path)] = &asset;
  // The router takes /ui/ as /ui: both are the page, whose own links are absolute for that reason.
  router.add(
      "GET", "/ui", [assets](const Request& r) { return serve(*assets, r, "index.html"); }, http::Runs::on_io_thread);
  router.add(
      "GET", "/ui/{file}", [assets](const Request& r) { return serve(*assets, r, r.params.at("file")); }, http::Runs::on_io_thread);
  router.add(
      "GET", "/ui/vendor/{file}", [assets](const Request& r) { return serve(*assets, r, "vendor/" + r.params.at("file")); },
      http::Runs::on_io_thread);
}

}  // namespace hub
