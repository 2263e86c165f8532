"""The catalog: SQLite record of every sound, its state and its embedding."""
