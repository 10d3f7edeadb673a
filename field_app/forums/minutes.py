"""The minutes (biên bản) of a forum: one model, printed as HTML or DOCX."""
