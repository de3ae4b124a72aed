from central_hub.client import CentralHubClient

hub = CentralHubClient(base_url="http://central-hub:8001")

# Get all healthy services
services = await hub.get_services(status="healthy")

for service in services:
    print(f"{service['service_name']}: {service['host']}:{service['port']}")

# Find specific service
feature_service = await hub.get_service("feature-engineering")
if feature_service:
    print(f"Feature service URL: http://{feature_service['host']}:{feature_service['port']}")
