"""The app shell: layout, language choice, health check (and, later, offline)."""
