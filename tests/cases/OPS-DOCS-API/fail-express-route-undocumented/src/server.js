const express = require("express");
const { answer } = require("./agent");

const app = express();
app.use(express.json({ limit: "16kb" }));

app.post("/api/chat", async (req, res) => {
  res.json({ answer: await answer(req.body.sessionId, req.body.text) });
});

app.post("/api/feedback", (req, res) => {
  res.status(204).end();
});

app.get("/healthz", (req, res) => res.json({ status: "ok" }));

app.listen(process.env.PORT || 8080);
