"""Cases: opinions merged into one piece of work, routed to a unit with a legal deadline."""
