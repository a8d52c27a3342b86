"""Presentation: frames in, figures, tables and texts out; no database."""
