"""The raw limit for bench/api.py: a bare FastAPI route returning a constant."""

from fastapi import FastAPI

app = FastAPI()


@app.get("/constant")
async def constant() -> dict[str, bool]:
    return {"ok": True}
