"""One message's way through the service: receive, decide, store, deliver.

Also the agents' actions on a conversation (claim, reply, transfer, resolve).
"""
