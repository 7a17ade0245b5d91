"""The deployment's settings: the model, and where a bad setting is."""
