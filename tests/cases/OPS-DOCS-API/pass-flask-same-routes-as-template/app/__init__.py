from flask import Flask, jsonify, request

from app.agent import answer
from app.metrics import exposition

app = Flask(__name__)


@app.post("/api/question")
def question():
    return jsonify(answer=answer(request.json["session_id"], request.json["question"]))


@app.get("/health")
def health():
    return jsonify(status="ok")


@app.get("/metrics")
def metrics():
    return exposition(), 200, {"Content-Type": "text/plain; version=0.0.4"}
