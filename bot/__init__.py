"""The running Helpline service: channels, dialogue, rasa-sdk actions, composition root."""
