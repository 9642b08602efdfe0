"""Exhibitor applications, stands, the exhibitor portal and leads."""
