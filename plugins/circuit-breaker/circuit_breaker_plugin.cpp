// The circuit-breaker plugin: the breakers the hub keeps per service.
#include "circuit_breaker_plugin.hpp"
#include "sliding_window_breaker.hpp"

HUB_PLUGIN(circuit_breaker_plugin, "circuit-breaker", "1.0.0", "Circuit breakers: sliding_window (Resilience4j's, with leased trial calls)",
           HUB_CIRCUIT_BREAKER("sliding_window", hub::circuit_breaker::SlidingWindowBreaker))
