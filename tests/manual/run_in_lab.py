"""Run every code cell of a notebook through a live JupyterLab server, as an analyst would.

Not part of the pytest suite (it needs a running server). Start `make lab`, then from the
project root:

    .venv/bin/python tests/manual/run_in_lab.py http://localhost:8888 TOKEN 03_lead_scoring.ipynb

It opens a session with the notebook's own kernel (`smk`), runs the code cells in order over the
kernel's websocket and prints each error; exit status 1 when any cell failed.
"""

import asyncio
import json
import sys
import urllib.request
import uuid

from tornado.websocket import websocket_connect

base, token, nbpath = sys.argv[1], sys.argv[2], sys.argv[3]


def api(method, path, body=None):
    req = urllib.request.Request(
        f"{base}{path}?token={token}",
        method=method,
        data=json.dumps(body).encode() if body else None,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req) as response:
        body = response.read()
    return json.loads(body) if body else None


nb = api("GET", f"/api/contents/{nbpath}")["content"]
sess = api(
    "POST",
    "/api/sessions",
    {"path": nbpath, "type": "notebook", "kernel": {"name": nb["metadata"]["kernelspec"]["name"]}},
)
kid = sess["kernel"]["id"]
print("kernel", sess["kernel"]["name"])


async def main():
    ws = await websocket_connect(
        f"{base.replace('http', 'ws')}/api/kernels/{kid}/channels?token={token}"
    )
    errors = 0
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        msg_id = uuid.uuid4().hex
        await ws.write_message(
            json.dumps(
                {
                    "header": {
                        "msg_id": msg_id,
                        "msg_type": "execute_request",
                        "username": "t",
                        "session": sess["id"],
                        "version": "5.3",
                    },
                    "parent_header": {},
                    "metadata": {},
                    "content": {
                        "code": cell["source"],
                        "silent": False,
                        "store_history": True,
                        "user_expressions": {},
                        "allow_stdin": False,
                        "stop_on_error": True,
                    },
                    "channel": "shell",
                }
            )
        )
        while True:
            m = json.loads(await ws.read_message())
            if m.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            if m["msg_type"] == "error":
                errors += 1
                print(f"cell {i}: {m['content']['ename']}: {m['content']['evalue']}")
            if m["msg_type"] == "execute_reply":
                break
    print(nbpath, "cells run, errors:", errors)
    return errors


failed = asyncio.run(main())
api("DELETE", f"/api/sessions/{sess['id']}")
sys.exit(1 if failed else 0)
