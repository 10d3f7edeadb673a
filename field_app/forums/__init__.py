"""Forums: the meetings where citizens speak, their minutes and amendments."""
