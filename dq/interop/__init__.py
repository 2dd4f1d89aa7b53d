"""Working with other data-quality tools: rules exported to Great Expectations."""
