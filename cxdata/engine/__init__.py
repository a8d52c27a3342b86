"""The engine: the DuckDB file, the engines, the saved copies (rollups) and their readers, the one router."""
