from central_hub.config import ConfigClient

client = ConfigClient(service_name="risk-management")
await client.init_async()

# Enable hot-reload (watch for config updates)
async def on_config_update(new_config):
    logger.info("Config updated via Central Hub!")

    # Update runtime settings
    global MAX_POSITION_SIZE
    MAX_POSITION_SIZE = new_config['operational']['position_limits']['max_position_size']

    logger.info(f"Max position size updated to: {MAX_POSITION_SIZE}")

# Start hot-reload listener
await client.watch_config(callback=on_config_update)
