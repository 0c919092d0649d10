"""Entry point of the container: `python -m agent_service`."""

import uvicorn

from agent_service.app import create_app
from agent_service.config import load_settings


def main() -> None:
    settings = load_settings()
    uvicorn.run(
        create_app(settings),
        host="0.0.0.0",  # the pod's only interface; exposure is governed by the NetworkPolicy
        port=settings.port,
        log_level=settings.log_level.lower(),
        timeout_graceful_shutdown=45,
    )


if __name__ == "__main__":
    main()
