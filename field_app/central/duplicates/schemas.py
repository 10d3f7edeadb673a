"""What the office API answers about likely duplicates."""

from __future__ import annotations

from marshmallow import Schema, fields


class SimilarItemSchema(Schema):
    id = fields.UUID(metadata={"description": "Mã ý kiến (do máy bản tạo)."})
    score = fields.Float(metadata={"description": "Độ giống, từ 0 đến 1 (chỉ những ý kiến "
                                                  "vượt ngưỡng của ứng dụng).",
                                   "example": 0.46})
    reasons = fields.List(fields.String(), metadata={
        "description": "Vì sao có thể trùng, bằng tiếng Việt: các từ cùng nói, cùng lĩnh "
                       "vực, cùng bản hay bản khác.",
        "example": ["Cùng nói về: «sạt lở», «nà lò»", "Cùng lĩnh vực: Giao thông"]})


class SimilarListSchema(Schema):
    items = fields.List(fields.Nested(SimilarItemSchema), metadata={
        "description": "Tốt nhất trước, nhiều nhất 10; rỗng khi không có ý kiến nào có thể trùng."})


similar_list_schema = SimilarListSchema()
