"""The web app: server-rendered pages at ``/`` calling the same services as the API."""
