// The discovery plugin: the liveness policy for self-registered instances,
// and two sources of instances, a static list and DNS.
#include "discovery_plugin.hpp"
#include "dns_source.hpp"
#include "liveness_policy.hpp"
#include "static_source.hpp"

HUB_PLUGIN(discovery_plugin, "discovery", "1.0.0", "Liveness policy, static instance lists and DNS (A/SRV) discovery",
           HUB_DISCOVERY("liveness", hub::discovery::LivenessPolicy), HUB_DISCOVERY("static", hub::discovery::StaticSource),
           HUB_DISCOVERY("dns", hub::discovery::DnsSource))
