"""Database engine, models and migrations. Only ``timeboxd.services`` imports this."""
