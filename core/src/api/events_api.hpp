// The hub's events as a WebSocket (GET /events/stream?topics=instance.,alert.), for the dashboard
// and anything else that follows the hub live; and GET /whoami, the caller a token makes.
#pragma once

#include "http/router.hpp"

#include <hub/event_bus.hpp>

namespace hub {

void add_event_routes(http::Router& router, EventBus& events, bool auth_required);

}  // namespace hub
