from central_hub.client import CentralHubClient

hub = CentralHubClient(base_url="http://central-hub:8001")

# Register service on startup
await hub.register_service(
    service_name="polygon-live-collector",
    version="1.2.3",
    host="polygon-live-collector",
    port=8002,
    dependencies=["central-hub", "timescaledb", "nats"],
    metadata={
        "type": "data-ingestion",
        "phase": "phase-1",
        "priority": "P0"
    }
)

# Start heartbeat loop
async def send_heartbeat():
    while True:
        await hub.heartbeat("polygon-live-collector", status="healthy")
        await asyncio.sleep(30)

asyncio.create_task(send_heartbeat())
