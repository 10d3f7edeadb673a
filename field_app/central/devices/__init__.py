"""Enrolled laptops: enrolment codes, revocation, pushes received, USB bundles."""
