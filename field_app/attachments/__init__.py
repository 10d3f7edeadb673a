"""Attachments: photos and scans, stored content-addressed under the data folder."""
