from central_hub.config import ConfigClient

# Initialize client with safe defaults
client = ConfigClient(
    service_name="tick-aggregator",
    safe_defaults={
        "operational": {
            "timeframes": ["5m", "15m", "1h"],
            "aggregation_interval_seconds": 60
        }
    }
)

# Initialize connection to Central Hub
await client.init_async()

# Fetch config (Layer 2: Central Hub)
config = await client.get_config()

# Use config
timeframes = config['operational']['timeframes']
interval = config['operational']['aggregation_interval_seconds']

print(f"Aggregating to: {timeframes}, Interval: {interval}s")
