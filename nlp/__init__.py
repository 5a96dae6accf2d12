"""The router (派单): reads a resident's message and names the category, the responsible unit and
the place, from data files that describe one district (default: Lanzhou's Anning district).

Imports nothing else from the project. Entry point: `nlp.router.Router.load()`.
"""
