"""Central's HTTP side on FastAPI (ASGI): trace page, regulator API, payment notifications, console."""
