"""The laptop's own figures (issue 11, part 5): what it holds, offline, for its villages."""
