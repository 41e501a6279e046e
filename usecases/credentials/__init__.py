"""Credentials: password hashing, signed access tokens and opaque secrets (no database here)."""
