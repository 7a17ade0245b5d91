"""The edges where people reach the service.

``web`` serves the customer chat and the agent console, ``telegram`` the Telegram bot and
the staff group, ``terminal`` the `helpline chat` command. Only this package imports web
and messaging frameworks.
"""
