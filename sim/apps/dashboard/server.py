"""Starting the dashboard: checks (port, host, packages) with one-line errors, then the solara server.

The server binds to 127.0.0.1 unless told otherwise: the page can run any scenario on this
machine's CPU and memory, so exposing it is a deliberate choice (``--host 0.0.0.0``).
Solara's assets come from the ``solara-assets`` package (no CDN: the page works offline), and
its version check and telemetry are switched off.
"""

from __future__ import annotations

import errno
import os
import socket

APP = "sim.apps.dashboard.app:Page"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


class DashboardError(Exception):
    """Bad dashboard options or a missing package (reported as one line, exit code 2)."""


def check_port(port: int) -> int:
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise DashboardError(f"--port {port!r}: must be an integer in [1, 65535]")
    return port


def check_free(host: str, port: int) -> None:
    """Fail early, in one line, when the address cannot be bound (in use, or no such host)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise DashboardError(f"--host {host!r}: not an address of this machine") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRNOTAVAIL:  # the address is not one of this machine's
                raise DashboardError(f"--host {host!r}: not an address of this machine "
                                     f"({exc.strerror}); use 127.0.0.1 or one of its own") from None
            raise DashboardError(f"--port {port}: cannot listen on {host}:{port} ({exc.strerror}); "
                                 "choose another port") from None


def _quiet_solara() -> None:
    for key, value in (("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False"), ("SOLARA_THEME_SHOW_BANNER", "False")):
        os.environ.setdefault(key, value)


def check_packages() -> None:
    """The page needs mesa[viz] (solara) and solara-assets; say how to install them if missing."""
    _quiet_solara()
    try:
        import solara  # noqa: F401
        import solara_assets  # noqa: F401
        from mesa.visualization import SolaraViz  # noqa: F401
    except ImportError as exc:
        raise DashboardError(f"the dashboard needs the viz extra ({exc.name} is missing): "
                             "run scripts/setup, or pip install -e '.[viz]'") from None


def warm_up() -> None:
    """Load (or compile) the numba kernels before the first visitor: a tiny run of one day."""
    from sim.apps.dashboard.model import DashboardModel

    DashboardModel(accounts=200).step()


def serve(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> None:
    """Run the dashboard until interrupted (blocking)."""
    check_port(port)
    check_free(host, port)
    check_packages()
    warm_up()
    from solara.__main__ import run

    print(f"marginsim dashboard: http://{host}:{port}  (Ctrl-C stops it)", flush=True)
    run.main(args=[APP, "--host", host, "--port", str(port), "--production", "--no-open", "--no-check-version",
                   "--log-level", "warning"], standalone_mode=False)
