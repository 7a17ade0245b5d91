"""The web adapters: the customer web chat and the agent console (FastAPI/Starlette only here)."""

from bot.channels.web.app import create_app

__all__ = ["create_app"]
