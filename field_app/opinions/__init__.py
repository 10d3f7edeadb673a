"""Opinions: what citizens raised (ý kiến, kiến nghị, phản ánh, khiếu nại, tố cáo)."""
