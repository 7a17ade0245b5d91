"""The process: composition root, entry points, logging, metrics and start-up checks."""
