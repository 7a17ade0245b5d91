"""The desk as customers hear of it: status and waits, notices, timers and knowledge gaps."""
