// GET /ui/: the dashboard's files, served from the binary with headers that keep the page to its
// own origin (a Content-Security-Policy with no outside source, no framing).
#pragma once

#include "http/router.hpp"

namespace hub {

void add_ui_routes(http::Router& router);

}  // namespace hub
