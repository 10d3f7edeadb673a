"""The laptop's backups: automatic copies, a file to take away, restoring one."""
