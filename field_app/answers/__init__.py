"""Answers read out at the next forum, and the citizens' satisfaction with them."""
