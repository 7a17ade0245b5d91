"""Commands a customer can send on any channel (Telegram's slash commands, buttons).

A channel adapter sends one of these as the ``payload`` of an incoming message; the
runtime answers it without consulting the knowledge. ``/human`` lives with the answer
policy (:data:`bot.dialogue.answer_policy.HUMAN_COMMAND`) because free text can ask for a
person too.
"""

from __future__ import annotations

START_COMMAND = "/start"
HELP_COMMAND = "/help"
END_COMMAND = "/end"
# Not typed by customers: a channel sends it for a photo, sticker, voice note and the like.
UNSUPPORTED_COMMAND = "/unsupported"

CUSTOMER_COMMANDS = frozenset({START_COMMAND, HELP_COMMAND, END_COMMAND, UNSUPPORTED_COMMAND})
