"""Supervision services: `workflow` (the clue lifecycle table and its guards), `clues` (every write of a clue,
visibility, the overdue job). Import the modules by name."""
