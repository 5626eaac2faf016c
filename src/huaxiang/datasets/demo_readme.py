"""The ``README.md`` written next to the demo files: what each file holds and what was planted."""

from __future__ import annotations

from typing import Any


def _table(header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return [*lines, ""]


def readme(planted: dict[str, Any]) -> str:
    g = planted["generator"]
    crm, shop, orders = planted["crm_customers"], planted["shop_members"], planted["orders"]
    events, survey, fb = planted["events"], planted["survey"], planted["feedback"]
    ident = planted["identity"]
    out = [
        "# huaxiang 演示数据集（demo data set）",
        "",
        f"由 `huaxiang.datasets.demo.generate_demo` 生成：客户数 {g['customers']:,}，"
        f"随机种子 {g['seed']}，数据截止日（as-of）{g['as_of']}。相同种子生成的文件逐字节相同。",
        "下文所有数字都是生成时精确统计的，机器可读版本见 `planted.json`。",
        "",
        "## 文件",
        "",
    ]
    out += _table(
        ("文件", "内容", "格式"),
        [
            (
                "crm_customers.csv",
                "CRM 客户导出（个人与企业客户）",
                "GBK 编码，中文表头，CRLF 换行",
            ),
            (
                "shop_members.csv",
                "线上商城会员名单，独立的会员编号（M…）",
                "UTF-8 带 BOM，英文表头",
            ),
            ("orders.csv", "订单明细，客户编号含 CRM 编号与会员编号", "UTF-8，中文表头"),
            ("events.jsonl", "APP / 小程序 / 官网行为埋点", "JSON Lines"),
            ("survey.xlsx", f"问卷星风格答卷导出（工作表「{survey['sheet']}」）", "Excel"),
            ("feedback.csv", "客服工单与评价反馈", "UTF-8，中文表头"),
        ],
    )
    out += ["## 隐藏的客户细分（不写入任何列）", ""]
    out += _table(
        (
            "细分",
            "人数",
            "其中 CRM 客户",
            "订单数",
            "客单价",
            "用券率",
            "APP 占比",
            "小程序占比",
            "20-22 点占比",
            "11-14 点占比",
            "近 90 天订单",
        ),
        [
            (
                s["label"],
                s["persons"],
                s["crm_customers"],
                s["orders"],
                s["avg_order_value"],
                s["coupon_rate"],
                s["app_share"],
                s["mini_program_share"],
                s["evening_20_22_share"],
                s["lunch_11_14_share"],
                s["orders_last_90_days"],
            )
            for s in planted["segments"].values()
        ],
    )
    out += [
        "流失风险客户在截止日前 90 天以上没有订单、没有行为事件，且此前至少 2 笔订单。"
        "订单日期有季节性：双11、618、双12、三八节高峰，春节前后低谷。年龄、收入、城市等级与细分相关。",
        "",
        "## crm_customers.csv",
        "",
    ]
    out += _table(
        ("埋点", "数量"),
        [
            ("数据行", crm["rows"]),
            ("不同客户编号", crm["distinct_ids"]),
            ("完全重复行", crm["exact_duplicates"]),
            ("同编号新版本（更新时间更晚、字段有变）", crm["key_duplicates"]),
            ("企业客户", crm["company_customers"]),
            ("同一统一社会信用代码的两个客户编号", crm["credit_code_duplicates"]),
            ("年龄不可能（<0 或 >120）的行", crm["age_impossible_rows"]),
            ("只有年龄、没有出生日期的行", crm["age_only_rows"]),
            ("手机号格式不同但有效（+86、空格、横线、0086）", crm["phone_reformatted"]),
            ("手机号格式错误（位数不对或含字母）", crm["phone_malformed"]),
            ("备注含英文逗号（带引号）的行", crm["quoted_remarks"]),
        ],
    )
    out += [
        "出生日期格式：" + "，".join(f"`{k}` {v}" for k, v in crm["birth_date_formats"].items()),
        "",
        "空值（按列）：" + "，".join(f"{k} {v}" for k, v in crm["missing"].items()),
        "",
        "`备注` 列不在标准字段中，应作为属性保留。",
        "",
    ]
    out += ["## shop_members.csv 与身份识别", ""]
    out += _table(
        ("埋点", "数量"),
        [
            ("会员记录", shop["rows"]),
            ("仅商城会员（不在 CRM）", shop["member_only"]),
            ("仅凭手机号可匹配 CRM", shop["by_phone_only"]),
            ("仅凭邮箱可匹配 CRM", shop["by_email_only"]),
            ("手机号与邮箱都可匹配", shop["by_phone_and_email"]),
            ("链式匹配（手机号对应 CRM 客户 A，邮箱对应 CRM 客户 B）", shop["chain"]),
            ("同一人重复注册（相同 unionid）", shop["duplicate_registration"]),
            ("可匹配到 CRM 的会员合计", shop["matching_crm"]),
            ("真实人数（persons）", ident["persons"]),
            (
                "按客户编号/手机/邮箱/信用代码/unionid 传递合并后的预期簇数",
                ident["expected_clusters"],
            ),
        ],
    )
    out += [
        "手机号与邮箱在两个来源里写法不同（+86、空格、大小写、首尾空格），需标准化后再匹配。",
        "",
    ]
    out += ["## orders.csv", ""]
    out += _table(
        ("埋点", "数量"),
        [
            ("数据行", orders["rows"]),
            ("不同订单号", orders["distinct_order_ids"]),
            ("重复订单（同一订单号出现两次）", orders["duplicate_rows"]),
            ("负金额", orders["negative_amounts"]),
            (
                f"极端金额（≥ {orders['extreme_min_yuan']:,} 元，高净值候选）",
                orders["extreme_amounts"],
            ),
            ("金额 > 3 × 全表均值的行（含极端金额）", orders["amount_gt_3x_mean"]),
            ("下单时间晚于截止日", orders["future_dated"]),
            ("未知客户编号", orders["unknown_customer"]),
            ("品类为空", orders["missing_category"]),
            ("金额带 ¥ 前缀", orders["currency_prefixed"]),
        ],
    )
    out += [
        f"全表金额均值 {orders['amount_mean']} 元（含重复、负数与极端值）。下单时间格式："
        + "，".join(f"`{k}` {v}" for k, v in orders["time_formats"].items()),
        "",
    ]
    out += [
        "## events.jsonl",
        "",
        f"共 {events['lines']:,} 行，其中 {events['malformed']} 行被截断、不是合法 JSON，"
        f"行号（从 1 开始）：{', '.join(str(x) for x in events['malformed_lines'])}。",
        "",
        "## survey.xlsx",
        "",
    ]
    out += _table(
        ("埋点", "数量"),
        [
            ("答卷", survey["rows"]),
            ("答题时间 < 180 秒", survey["too_fast"]),
            ("逻辑矛盾（近 6 个月「从未购买」却「每周」购买）", survey["contradictory"]),
            ("无效答卷合计", survey["invalid"]),
            ("有效答卷", survey["valid"]),
            ("未留客户编号", survey["anonymous"]),
        ],
    )
    out += [
        f"样本占客户数 {survey['share_of_customers']:.1%}，低于 5% 的样本量要求，应给出提示。",
        "第 3 题每个选项一列（0/1），第 8 题多选以「┋」连接在一个单元格。",
        "",
        "## feedback.csv",
        "",
    ]
    themes = list(fb["themes"])
    out += _table(
        ("细分", *themes),
        [(seg, *(counts[t] for t in themes)) for seg, counts in fb["themes_by_segment"].items()],
    )
    out += [
        f"共 {fb['rows']:,} 条，反馈内容为空 {fb['empty_text']} 条，评分为空 "
        f"{fb['missing_rating']} 条。主题按关键词判定（见 `demo_vocab.FEEDBACK_THEMES`）。",
        "",
    ]
    return "\n".join(out)
