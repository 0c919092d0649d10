from fastapi import FastAPI

app = FastAPI()


@app.post("/api/question")
async def question(body: dict[str, str]) -> dict[str, str]:
    return {"answer": body["question"]}
