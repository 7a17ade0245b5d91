"""What the bot says and does with one message: policies, phrases, small talk, actions.

Pure, no I/O, except the runner that executes the rasa-sdk actions in-process.
"""
