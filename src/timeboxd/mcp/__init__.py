"""The MCP server: the same services as the REST API, as tools, resources and a prompt for
AI assistants, over stdio (``timeboxd mcp``) or streamable HTTP at ``/mcp``."""
