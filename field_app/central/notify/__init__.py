"""Telling citizens: an answer queues a text message to the citizen's phone (outbox)."""
