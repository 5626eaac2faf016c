"""Canonical tables: their fields, types and the header synonyms that map raw exports onto them.

Raw files arrive with headers such as ``客户编号`` / ``手机号`` / ``下单时间`` or ``Customer ID``;
:mod:`huaxiang.ingest.mapping` matches them to these fields. Columns that match nothing are kept
in the row's ``attributes`` JSON, never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

FieldType = Literal["string", "integer", "decimal", "date", "timestamp", "boolean", "json"]


@dataclass(frozen=True)
class Field:
    name: str
    type: FieldType
    label_zh: str
    synonyms: tuple[str, ...] = ()
    pii: bool = False
    required: bool = False


@dataclass(frozen=True)
class Table:
    name: str
    label_zh: str
    fields: tuple[Field, ...]
    # fields whose equality means "the same record" for key de-duplication
    natural_key: tuple[str, ...] = ()
    # the field that orders versions of a record for "latest wins"
    time_field: str | None = None
    by_name: dict[str, Field] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {f.name: f for f in self.fields})

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]


def _f(
    name: str, type_: FieldType, zh: str, *syn: str, pii: bool = False, req: bool = False
) -> Field:
    return Field(name, type_, zh, (zh, *syn), pii=pii, required=req)


_CUSTOMER_ID = (
    "客户编号",
    "客户ID",
    "客户id",
    "客户号",
    "会员编号",
    "会员ID",
    "会员号",
    "用户ID",
    "用户编号",
    "customer_id",
    "customer id",
    "cust_id",
    "customerid",
    "member_id",
    "user_id",
    "client_id",
)

CUSTOMERS = Table(
    "customers",
    "客户",
    (
        _f("customer_id", "string", "客户编号", *_CUSTOMER_ID, req=True),
        _f("customer_type", "string", "客户类型", "客户性质", "type", "customer_type"),
        _f(
            "name",
            "string",
            "姓名",
            "客户姓名",
            "名字",
            "联系人",
            "name",
            "full_name",
            "customer_name",
            pii=True,
        ),
        _f("gender", "string", "性别", "gender", "sex"),
        _f("birth_date", "date", "出生日期", "生日", "出生年月", "birthday", "birth_date", "dob"),
        _f("age", "integer", "年龄", "age"),
        _f("province", "string", "省份", "省", "所在省份", "province", "state"),
        _f(
            "city",
            "string",
            "所在城市",
            "城市",
            "地域",
            "地区",
            "所在地区",
            "所在地",
            "city",
            "region",
            "location",
        ),
        _f("occupation", "string", "职业", "occupation", "job", "profession"),
        _f(
            "income_band",
            "string",
            "收入水平",
            "收入",
            "月收入",
            "收入区间",
            "income",
            "income_band",
        ),
        _f(
            "member_level",
            "string",
            "会员等级",
            "会员级别",
            "等级",
            "member_level",
            "tier",
            "vip_level",
        ),
        _f(
            "registered_at",
            "timestamp",
            "注册时间",
            "注册日期",
            "入会时间",
            "开户时间",
            "registered_at",
            "signup_date",
            "created_at",
            "register_time",
        ),
        _f(
            "first_channel",
            "string",
            "注册渠道",
            "来源渠道",
            "首次渠道",
            "获客渠道",
            "first_channel",
            "acquisition_channel",
            "source_channel",
        ),
        _f(
            "phone",
            "string",
            "手机号",
            "手机",
            "手机号码",
            "联系方式",
            "联系电话",
            "电话",
            "mobile",
            "phone",
            "phone_number",
            "tel",
            pii=True,
        ),
        _f("email", "string", "邮箱", "电子邮箱", "电子邮件", "email", "e-mail", "mail", pii=True),
        _f("union_id", "string", "微信UnionID", "unionid", "union_id", "wechat_unionid", "外部ID"),
        _f(
            "id_number",
            "string",
            "身份证号",
            "身份证",
            "证件号码",
            "id_number",
            "id_card",
            pii=True,
        ),
        _f("company_name", "string", "企业名称", "公司名称", "单位名称", "company", "company_name"),
        _f("industry", "string", "所属行业", "行业", "industry"),
        _f("staff_size", "string", "人员规模", "员工人数", "企业规模", "staff_size", "employees"),
        _f("revenue_band", "string", "营收规模", "年营收", "年营业额", "revenue", "revenue_band"),
        _f(
            "credit_code", "string", "统一社会信用代码", "信用代码", "credit_code", "uscc", pii=True
        ),
        _f("decision_cycle", "string", "决策周期", "decision_cycle"),
        _f(
            "first_purchase_at",
            "date",
            "首次购买时间",
            "首次购买日期",
            "首购时间",
            "first_purchase",
        ),
        _f(
            "last_purchase_at",
            "date",
            "最近购买时间",
            "最近购买日期",
            "最后购买时间",
            "last_purchase",
        ),
        _f("avg_order_value", "decimal", "客单价", "平均客单价", "avg_order_value", "aov"),
        _f(
            "purchase_frequency",
            "integer",
            "购买频次",
            "近6个月购买频次",
            "购买次数",
            "purchase_frequency",
        ),
        _f("preferred_categories", "string", "偏好品类", "购买品类", "preferred_categories"),
        _f("preferred_channel", "string", "渠道偏好", "偏好渠道", "preferred_channel"),
        _f("active_slot", "string", "活跃时段", "active_slot"),
        _f(
            "updated_at",
            "timestamp",
            "更新时间",
            "最后更新",
            "最近更新时间",
            "updated_at",
            "last_updated",
        ),
    ),
    natural_key=("customer_id",),
    time_field="updated_at",
)

ORDERS = Table(
    "orders",
    "订单",
    (
        _f(
            "order_id",
            "string",
            "订单号",
            "订单编号",
            "订单ID",
            "单号",
            "order_id",
            "order id",
            "order_no",
            req=True,
        ),
        _f("customer_id", "string", "客户编号", *_CUSTOMER_ID, req=True),
        _f(
            "ordered_at",
            "timestamp",
            "下单时间",
            "订单时间",
            "购买时间",
            "交易时间",
            "支付时间",
            "ordered_at",
            "order_time",
            "order_date",
            "purchase_date",
            "created_at",
            req=True,
        ),
        _f(
            "amount",
            "decimal",
            "金额",
            "订单金额",
            "实付金额",
            "支付金额",
            "成交金额",
            "amount",
            "total",
            "order_amount",
            "price",
            req=True,
        ),
        _f(
            "category",
            "string",
            "品类",
            "商品品类",
            "商品类目",
            "类目",
            "category",
            "product_category",
        ),
        _f("channel", "string", "渠道", "下单渠道", "购买渠道", "channel", "sales_channel"),
        _f(
            "coupon_used", "boolean", "是否用券", "使用优惠券", "用券", "coupon_used", "used_coupon"
        ),
        _f("discount", "decimal", "优惠金额", "折扣金额", "折扣", "discount", "discount_amount"),
        _f("returned", "boolean", "是否退货", "退货", "returned", "is_returned"),
    ),
    natural_key=("order_id",),
    time_field="ordered_at",
)

EVENTS = Table(
    "events",
    "行为事件",
    (
        _f("customer_id", "string", "客户编号", *_CUSTOMER_ID, req=True),
        _f(
            "occurred_at",
            "timestamp",
            "事件时间",
            "时间",
            "行为时间",
            "occurred_at",
            "event_time",
            "ts",
            "timestamp",
            "time",
            req=True,
        ),
        _f(
            "event_type",
            "string",
            "事件类型",
            "行为类型",
            "行为",
            "event_type",
            "event",
            "type",
            req=True,
        ),
        _f("channel", "string", "渠道", "端", "平台", "channel", "platform"),
        _f("properties", "json", "属性", "事件属性", "properties", "props", "attributes"),
    ),
    time_field="occurred_at",
)

SURVEY_RESPONSES = Table(
    "survey_responses",
    "问卷答卷",
    (
        _f(
            "respondent_id",
            "string",
            "答卷编号",
            "序号",
            "答卷ID",
            "编号",
            "respondent_id",
            "response_id",
            req=True,
        ),
        _f("customer_id", "string", "客户编号", *_CUSTOMER_ID),
        _f("started_at", "timestamp", "开始答题时间", "开始时间", "started_at", "start_time"),
        _f("submitted_at", "timestamp", "提交答卷时间", "提交时间", "submitted_at", "submit_time"),
        _f("duration_s", "decimal", "所用时间", "答题时长", "用时", "duration", "duration_s"),
        _f("phone", "string", "手机号", "手机", "联系方式", "phone", "mobile", pii=True),
    ),
    natural_key=("respondent_id",),
    time_field="submitted_at",
)

FEEDBACK = Table(
    "feedback",
    "客户反馈",
    (
        _f("feedback_id", "string", "反馈编号", "工单号", "反馈ID", "feedback_id", "ticket_id"),
        _f("customer_id", "string", "客户编号", *_CUSTOMER_ID),
        _f(
            "text",
            "string",
            "反馈内容",
            "内容",
            "意见",
            "建议",
            "评价内容",
            "留言",
            "text",
            "content",
            "comment",
            "feedback",
            req=True,
        ),
        _f("channel", "string", "渠道", "反馈渠道", "来源", "channel", "source"),
        _f("created_at", "timestamp", "反馈时间", "时间", "创建时间", "created_at", "time", "date"),
        _f("rating", "decimal", "评分", "满意度", "星级", "rating", "score", "stars"),
    ),
    natural_key=("feedback_id",),
    time_field="created_at",
)

TABLES: dict[str, Table] = {
    t.name: t for t in (CUSTOMERS, ORDERS, EVENTS, SURVEY_RESPONSES, FEEDBACK)
}

# technical columns every raw and clean row carries, for provenance
PROVENANCE_COLUMNS = ("_source", "_load_id", "_row")
ATTRIBUTES_COLUMN = "attributes"
