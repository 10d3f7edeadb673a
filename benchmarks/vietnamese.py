"""Realistic Vietnamese opinions for the sync benchmarks (seeded, reproducible).

What a village head writes down at a forum in Sơn La: a request about a road,
water, land papers or a landslide, raised by a named villager, about 300 bytes
of UTF-8 each. Not a benchmark itself; the sync_* scripts import it.
"""

from __future__ import annotations

import random
from typing import Any

VILLAGES = ("Bản Nà Lò", "Bản Đán", "Tiểu khu 1", "Bản Hua Nà", "Bản Púng Bon", "Bản Nà Lốc",
            "Bản Ít Luông", "Bản Co Muông", "Bản Huổi Ngùa", "Bản Pá Liềng", "Bản Tạ Bú",
            "Bản Nà Nghè")
SURNAMES = ("Lò", "Quàng", "Cầm", "Lường", "Tòng", "Vì", "Điêu", "Hà", "Nguyễn", "Trần",
            "Lê", "Mùa", "Giàng", "Sùng", "Thào")
GIVEN = ("Minh", "Hoa", "Sơn", "Thắng", "Xuân", "Phương", "Dũng", "Tuấn", "Lả", "Panh",
         "Chinh", "Ơn", "Thanh", "Hùng", "Nhung", "Hương", "Páo", "Sính", "Dế", "Khăm")
OPENERS = ("Đề nghị UBND xã", "Bà con trong bản đề nghị chính quyền", "Cử tri kiến nghị xã",
           "Nhân dân bản đề nghị các cấp có thẩm quyền", "Hội Nông dân bản đề nghị xã",
           "Đại diện các hộ gia đình đề nghị UBND xã")
# (category code, request): the request names the problem as villagers say it.
REQUESTS = (
    ("construction", "sửa chữa tuyến đường liên bản từ trung tâm xã vào {v} đã xuống cấp "
                     "nghiêm trọng, mùa mưa bùn lầy, xe máy không đi được, học sinh đi học "
                     "rất vất vả"),
    ("land", "sớm cấp giấy chứng nhận quyền sử dụng đất cho các hộ đã sinh sống ổn định từ "
             "năm {y}; hồ sơ nộp đã hơn một năm nhưng đến nay chưa được giải quyết"),
    ("water", "đầu tư hệ thống nước sinh hoạt tập trung cho {v}; hiện bà con phải dùng nước "
              "suối, mùa khô thiếu nước trầm trọng, nhiều hộ phải đi gánh nước rất xa"),
    ("environment", "hỗ trợ khắc phục sạt lở đất sau đợt mưa lũ tháng {m} làm hư hỏng {n} "
                    "nhà dân và nhiều diện tích ruộng lúa, nương ngô của bà con"),
    ("social_policy", "xem xét đưa {n} hộ vào danh sách hộ nghèo, hộ cận nghèo vì đời sống "
                      "còn rất khó khăn nhưng chưa được hưởng chính sách hỗ trợ"),
    ("electricity", "kéo điện lưới quốc gia về các hộ ở cuối {v}; hiện còn {n} hộ chưa có "
                    "điện, phải dùng máy thủy điện nhỏ, điện yếu và hay hỏng"),
    ("health", "bố trí thêm cán bộ y tế cho trạm y tế xã; người dân đi khám bệnh phải chờ "
               "lâu, thiếu thuốc theo bảo hiểm y tế, phải ra huyện mua"),
    ("education", "sửa phòng học ở điểm trường {v} bị dột nát, bàn ghế hỏng; mùa đông các "
                  "cháu học sinh bị rét, không có chỗ ở bán trú"),
    ("agriculture", "có biện pháp xử lý tình trạng gia súc thả rông phá hoại hoa màu; nhiều "
                    "hộ trồng ngô, sắn, chè bị thiệt hại mà chưa được bồi thường"),
    ("culture", "công khai các khoản thu chi đóng góp xây dựng nhà văn hóa {v}; bà con đã "
                "đóng góp từ năm {y} nhưng chưa được biết đã chi vào những việc gì"),
    ("construction", "nạo vét mương thủy lợi dẫn nước vào cánh đồng {v}; mương bị bồi lấp "
                     "nên vụ xuân vừa qua nhiều ruộng bậc thang không cấy được"),
    ("procedures", "rút ngắn thời gian chứng thực giấy tờ, đăng ký khai sinh; bà con ở xa "
                   "phải đi lại nhiều lần, mỗi lần mất cả ngày đường"),
    ("security", "tăng cường tuần tra vì thời gian gần đây có tình trạng trộm cắp trâu bò, "
                 "xe máy ở {v}, bà con rất lo lắng"),
)
CLOSERS = ("Đề nghị xã sớm xem xét, trả lời cho bà con được biết.",
           "Mong chính quyền quan tâm giải quyết dứt điểm.",
           "Bà con mong được trả lời cụ thể trước kỳ họp tới.",
           "Việc này đã kiến nghị nhiều lần nhưng chưa được giải quyết.")
SPOT_ANSWERS = ("Phó Chủ tịch UBND xã tiếp thu, giao cán bộ địa chính kiểm tra và trả lời "
                "bằng văn bản trong tháng này.",
                "Xã đã đưa vào kế hoạch năm sau; sẽ báo cáo huyện để xin kinh phí.")
OFFICIALS = ("Cầm Văn Sơn", "Lò Thị Phương", "Quàng Văn Thắng")


def person(rng: random.Random, gender: str) -> str:
    middle = "Thị" if gender == "female" else "Văn"
    return f"{rng.choice(SURNAMES)} {middle} {rng.choice(GIVEN)}"


def opinion_fields(rng: random.Random, village: str | None = None) -> dict[str, Any]:
    """Return the fields a secretary fills in for one opinion (as `create_opinion` takes)."""
    category, request = rng.choice(REQUESTS)
    text = request.format(v=village or rng.choice(VILLAGES), y=rng.randint(1995, 2015),
                          m=rng.randint(6, 9), n=rng.randint(3, 40))
    content = f"{rng.choice(OPENERS)} {text}. {rng.choice(CLOSERS)}"
    gender = rng.choice(("female", "male"))
    fields: dict[str, Any] = {
        "kind": rng.choice(("opinion", "petition", "petition", "feedback")),
        "level": rng.choice(("commune", "commune", "province", "village")),
        "category_code": category, "content": content, "anonymous": False,
        "raiser_name": person(rng, gender), "raiser_gender": gender,
        "raiser_phone": f"09{rng.randint(10_000_000, 99_999_999)}" if rng.random() < 0.3
        else None,
        "source_org": rng.choice((None, None, "farmers_union", "womens_union", "citizen")),
        "on_behalf_households": rng.randint(2, 60) if rng.random() < 0.3 else None,
        "answered_on_spot": False, "spot_answer": None, "spot_answer_by": None,
    }
    if rng.random() < 0.15:
        fields.update(answered_on_spot=True, spot_answer=rng.choice(SPOT_ANSWERS),
                      spot_answer_by=rng.choice(OFFICIALS))
    return fields
