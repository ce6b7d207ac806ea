"""The app of ``timeboxd serve`` without its metrics middleware, for measuring what the
middleware costs (bench/events.py ``metrics``), and a runner that starts either app the
way ``timeboxd serve`` does (uvloop, the envelope's httptools protocol, no access log):

    python bench/nometrics_app.py nometrics_app:create PORT
    python bench/nometrics_app.py timeboxd.api.app:create_app_from_env PORT
"""

from __future__ import annotations

import sys
from pathlib import Path

# The script's directory comes first on the path, and its bench/mcp.py would shadow the
# mcp package the app imports: the package is imported first, the directory put last
# (where uvicorn still finds "nometrics_app:create").
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
import mcp.server  # noqa: E402, F401

sys.path.append(str(HERE))

from fastapi import FastAPI  # noqa: E402

from timeboxd.api.app import create_app_from_env  # noqa: E402
from timeboxd.api.metrics import MetricsMiddleware  # noqa: E402


def create() -> FastAPI:
    app = create_app_from_env()
    app.user_middleware = [m for m in app.user_middleware if m.cls is not MetricsMiddleware]
    return app


if __name__ == "__main__":
    import uvicorn

    uvicorn.run(
        sys.argv[1],
        factory=True,
        port=int(sys.argv[2]),
        workers=2,
        loop="uvloop",
        http="timeboxd.api.http:EnvelopeHttpToolsProtocol",
        log_level="warning",
        access_log=False,
    )
