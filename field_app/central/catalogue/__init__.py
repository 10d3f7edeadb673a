"""The office's reference lists: villages as the office knows them, categories, units."""
