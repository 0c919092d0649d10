from agent.main import app
from fastapi.testclient import TestClient


def test_question_needs_a_body() -> None:
    client = TestClient(app)
    assert client.post("/api/question", json={}).status_code == 422
