// The built-in health probes: one library, one implementation per kind of
// target. Each check has its own deadline and returns a status, its latency
// and a message that says what failed.
#include "health_probe_plugin.hpp"

#include "clickhouse_probe.hpp"
#include "exec_probe.hpp"
#include "http_probe.hpp"
#include "kafka_probe.hpp"
#include "nats_probe.hpp"
#include "postgres_probe.hpp"
#include "redis_probe.hpp"
#include "tcp_probe.hpp"

HUB_PLUGIN(health_probe_plugin, "health-probe", "1.0.0",
           "Health probes for HTTP endpoints, TCP ports, PostgreSQL, NATS, Kafka, ClickHouse, Redis and commands",
           HUB_HEALTH_PROBE("http", hub::probes::HttpProbe), HUB_HEALTH_PROBE("tcp", hub::probes::TcpProbe),
           HUB_HEALTH_PROBE("postgres", hub::probes::PostgresProbe), HUB_HEALTH_PROBE("nats", hub::probes::NatsProbe),
           HUB_HEALTH_PROBE("kafka", hub::probes::KafkaProbe), HUB_HEALTH_PROBE("clickhouse", hub::probes::ClickHouseProbe),
           HUB_HEALTH_PROBE("redis", hub::probes::RedisProbe), HUB_HEALTH_PROBE("exec", hub::probes::ExecProbe))
