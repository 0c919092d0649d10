from locust import HttpUser, task


class Asker(HttpUser):
    @task
    def ask(self):
        self.client.post("/api/question", json={"question": "What is our refund policy?"})
