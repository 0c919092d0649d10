from fastapi import FastAPI
from pydantic import BaseModel

app = FastAPI(title="contoso-agent")


class Question(BaseModel):
    session_id: str
    text: str


@app.post("/v1/chat")
async def chat(question: Question) -> dict[str, str]:
    return {"answer": await answer(question)}


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


async def answer(question: Question) -> str:
    raise NotImplementedError
