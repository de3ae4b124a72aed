from central_hub.monitoring import InfrastructureMonitor

monitor = InfrastructureMonitor()

# Check all infrastructure components
async def check_infrastructure():
    results = await monitor.check_all()

    for component, status in results.items():
        if status['status'] == 'healthy':
            print(f"✅ {component}: {status['response_time_ms']:.2f}ms")
        else:
            print(f"❌ {component}: {status['error_message']}")

# Run checks every 60 seconds
while True:
    await check_infrastructure()
    await asyncio.sleep(60)
