"""The office's own view of what laptops sent: opinions, forums, and every record's history."""
