"""Areas: province, commune (from the official 2025 list) and villages."""
