"""The peer of bench_http.py: a bare FastAPI async endpoint returning a small JSON body, nothing else."""

from fastapi import FastAPI
from fastapi.responses import Response

app = FastAPI()
BODY = b'{"grid_code":"449901001008007","inside":true}'


@app.get("/ping")
async def ping() -> Response:
    return Response(BODY, media_type="application/json")
