"""Eligibility rules as data (YAML next to their legal references) and the engine that
evaluates them: see ``model.py`` for the file format and ``engine.py`` for the logic."""
