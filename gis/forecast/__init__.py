"""Early warning (预警): weekly count forecasts per grid, village and town, and rising-trend alerts."""
