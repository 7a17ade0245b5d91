"""The human desk: conversations and transcripts, agents, queue, claims, persistence."""
