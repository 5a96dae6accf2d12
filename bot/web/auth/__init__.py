"""Signing in to the workbench: passwords, sessions, CSRF, login limits."""
