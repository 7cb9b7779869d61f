"""Everything FRR-specific: rendering, talking to the daemons, applying, reading state."""
