"""Load test for msft-agent; results and method in docs/performance-baseline.md.

    LOADTEST_TOKEN=$(az account get-access-token --resource api://msft-agent --query accessToken -o tsv) \
    locust -f loadtest/locustfile.py --host https://agent-staging.contoso.com
"""

import os
import random

from locust import HttpUser, between, task

QUESTIONS = [
    "How do I request a new laptop?",
    "What is the travel expense limit for a hotel night in Munich?",
    "Summarise the parental leave policy for Germany.",
    "Which VPN client should I install on macOS?",
    "How many vacation days carry over to next year?",
]


class AgentUser(HttpUser):
    wait_time = between(2, 6)

    def on_start(self) -> None:
        self.client.headers["Authorization"] = f"Bearer {os.environ['LOADTEST_TOKEN']}"
        self.session_id: str | None = None

    @task(10)
    def ask(self) -> None:
        body = {"question": random.choice(QUESTIONS)}
        if self.session_id:
            body["session_id"] = self.session_id
        request = self.client.post("/api/question", json=body, name="/api/question", catch_response=True)
        with request as response:
            if response.status_code == 200:
                self.session_id = response.json().get("session_id")
            elif response.status_code == 429:
                response.success()  # rate limiting is expected behaviour, not a failure
            else:
                response.failure(f"HTTP {response.status_code}")

    @task(1)
    def health(self) -> None:
        self.client.get("/health", name="/health")
