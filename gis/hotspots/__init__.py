"""Supervisors' statistics: aggregation, Getis-Ord Gi* hotspots, emerging hotspots, 考核 and the overdue board."""
