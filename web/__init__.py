"""The local web workspace (``arbitre serve``): routes, the SQLite store and page templates.

An interface like ``cli.py``, and as thin: the questionnaire is ``engine.interview``'s conversation, the
recommendation is the pipeline's, the pages are rendered from the same data as the report. Files stay
the contract: an assessment exports to and imports from the answers YAML and audit JSON the CLI uses.
"""
