"""Persistence of the human desk. SQLAlchemy is imported only inside this package."""
