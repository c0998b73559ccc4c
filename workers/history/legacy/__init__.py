"""Importing the 2014 legacy database: reading the file, checking it, planning and importing."""
