"""The web server's parts: the staff workbench, the resident web chat and the Open311 API."""
