"""A denouncer's identity (tố cáo), kept apart and encrypted at rest (Luật Tố cáo 2018, Art. 47)."""
