"""Reports: the official periods, the figures against the targets, the dashboard, the
XLSX/CSV/DOCX exports, the public results page and the reports API (issue 11)."""
