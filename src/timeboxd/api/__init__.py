"""The REST face: FastAPI app, middleware and one routes module per resource."""
