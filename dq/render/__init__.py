"""Outputs people and machines read: results.json, the HTML summary, the terminal summary."""
