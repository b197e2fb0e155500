"""The web API and dashboard (``pip install 'steppe[web]'``): a thin client of steppe.

``create_app(Settings(...))`` gives the FastAPI app; ``steppe serve`` runs it with uvicorn.
"""

from steppe.web.app import create_app
from steppe.web.settings import Settings, new_token

__all__ = ["Settings", "create_app", "new_token"]
