"""Pydantic models at the edges, shared by the API, the CLI and MCP."""
