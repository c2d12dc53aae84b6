"""CSV import and export of offers, housing requests and matches (see formats.py for the columns)."""
