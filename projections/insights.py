"""Read-only queries across the project read models: tags, calendar, stats, similar
projects, exports and per-organisation views. (Being built.)"""
