from central_hub.api import ConfigAPI

api = ConfigAPI()

# Update config for a service
new_config = {
    "operational": {
        "symbols": ["EURUSD", "XAUUSD", "GBPUSD"],  # Added GBPUSD
        "websocket_reconnect_delay": 10  # Increased delay
    }
}

# Update (creates new version)
version = await api.update_config(
    service_name="polygon-live-collector",
    config_data=new_config,
    created_by="admin"
)

print(f"Config updated to version {version}")

# All instances of polygon-live-collector will hot-reload automatically!
