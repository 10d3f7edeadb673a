"""Everything that crosses the wire between a field laptop and the central.

The protocol, client, server blueprint and bundle transport arrive with the
sync issue. This package imports neither Flask views nor `field_app`.
"""
