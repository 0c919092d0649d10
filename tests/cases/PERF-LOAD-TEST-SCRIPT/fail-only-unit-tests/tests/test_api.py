from fastapi.testclient import TestClient

from agent.main import app


def test_question_needs_a_body() -> None:
    client = TestClient(app)
    assert client.post("/api/question", json={}).status_code == 422
