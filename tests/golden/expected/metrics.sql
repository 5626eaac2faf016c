SELECT
  customer_id,
  "top_category_tag",
  "top_channel_tag",
  "coupon_share_tag",
  "categories_tag",
  "first_category_tag",
  "last_channel_tag",
  "max_amount_tag",
  "avg_amount_tag",
  "min_amount_tag",
  "last_order_tag"
FROM (
  SELECT
    customer_id,
    "top_category_tag",
    "top_channel_tag",
    "coupon_share_tag",
    "categories_tag",
    "first_category_tag",
    "last_channel_tag",
    "max_amount_tag",
    "avg_amount_tag",
    "min_amount_tag",
    "last_order_tag"
  FROM (
    SELECT
      *,
      (
        top_category
      ) AS "top_category_tag",
      (
        top_channel_6m
      ) AS "top_channel_tag",
      (
        coupon_share_6m
      ) AS "coupon_share_tag",
      (
        categories
      ) AS "categories_tag",
      (
        first_category
      ) AS "first_category_tag",
      (
        last_channel
      ) AS "last_channel_tag",
      (
        max_amount
      ) AS "max_amount_tag",
      (
        avg_amount
      ) AS "avg_amount_tag",
      (
        min_amount_90d
      ) AS "min_amount_tag",
      (
        last_order_at
      ) AS "last_order_tag"
    FROM (
      SELECT
        f.*,
        c."customer_type" AS "c__customer_type",
        c."name" AS "c__name",
        c."gender" AS "c__gender",
        c."birth_date" AS "c__birth_date",
        c."age" AS "c__age",
        c."province" AS "c__province",
        c."city" AS "c__city",
        c."occupation" AS "c__occupation",
        c."income_band" AS "c__income_band",
        c."member_level" AS "c__member_level",
        c."registered_at" AS "c__registered_at",
        c."first_channel" AS "c__first_channel",
        c."phone" AS "c__phone",
        c."email" AS "c__email",
        c."union_id" AS "c__union_id",
        c."id_number" AS "c__id_number",
        c."company_name" AS "c__company_name",
        c."industry" AS "c__industry",
        c."staff_size" AS "c__staff_size",
        c."revenue_band" AS "c__revenue_band",
        c."credit_code" AS "c__credit_code",
        c."decision_cycle" AS "c__decision_cycle",
        c."first_purchase_at" AS "c__first_purchase_at",
        c."last_purchase_at" AS "c__last_purchase_at",
        c."avg_order_value" AS "c__avg_order_value",
        c."purchase_frequency" AS "c__purchase_frequency",
        c."preferred_categories" AS "c__preferred_categories",
        c."preferred_channel" AS "c__preferred_channel",
        c."active_slot" AS "c__active_slot",
        c."updated_at" AS "c__updated_at",
        c."city_tier" AS "c__city_tier",
        c."area" AS "c__area",
        c."region_code" AS "c__region_code",
        c."sources" AS "c__sources",
        c."record_count" AS "c__record_count",
        CAST('2026-06-30' AS DATE) AS as_of
      FROM (
        WITH s0 AS (
          SELECT
            customer_id,
            COUNT(*) FILTER(WHERE
              _c0 AND _c1 AND _c2) / NULLIF(COUNT(*) FILTER(WHERE
              _c0 AND _c1), 0) AS "coupon_share_6m",
            ARG_MIN(_v3, "ordered_at") FILTER(WHERE
              _c1) AS "first_category",
            ARG_MAX(_v4, "ordered_at") FILTER(WHERE
              _c1) AS "last_channel",
            MAX(_v5) AS "max_amount",
            AVG(_v5) FILTER(WHERE
              _c1) AS "avg_amount",
            MIN(_v5) FILTER(WHERE
              _c6 AND _c1) AS "min_amount_90d",
            MAX(_v7) FILTER(WHERE
              _c1) AS "last_order_at"
          FROM (
            SELECT
              customer_id,
              "ordered_at",
              "ordered_at" >= CAST('2026-06-30' AS DATE) + INTERVAL '1' DAY - INTERVAL '6' MONTH AS _c0,
              COALESCE(NOT COALESCE(returned, FALSE), FALSE) AS _c1,
              COALESCE(coupon_used, FALSE) AS _c2,
              category AS _v3,
              channel AS _v4,
              amount AS _v5,
              "ordered_at" >= CAST('2026-06-30' AS DATE) + INTERVAL '1' DAY - INTERVAL '90' DAY AS _c6,
              ordered_at AS _v7
            FROM orders
            WHERE
              NOT customer_id IS NULL
              AND "ordered_at" < CAST('2026-06-30' AS DATE) + INTERVAL '1' DAY
          )
          GROUP BY
            customer_id
        ), s1 AS (
          SELECT
            customer_id,
            FIRST(_value ORDER BY _n0 DESC, _value) FILTER(WHERE
              _n0 > 0) AS "top_category",
            COUNT(*) FILTER(WHERE
              _n1 > 0) AS "categories"
          FROM (
            SELECT
              customer_id,
              _value,
              COUNT(*) FILTER(WHERE
                _c0) AS _n0,
              COUNT(*) FILTER(WHERE
                _c0) AS _n1
            FROM (
              SELECT
                customer_id,
                category AS _value,
                COALESCE(NOT COALESCE(returned, FALSE), FALSE) AS _c0
              FROM orders
              WHERE
                NOT customer_id IS NULL
                AND "ordered_at" < CAST('2026-06-30' AS DATE) + INTERVAL '1' DAY
            )
            WHERE
              NOT _value IS NULL AND (
                (
                  _c0
                )
              )
            GROUP BY
              customer_id,
              _value
          )
          GROUP BY
            customer_id
        ), s2 AS (
          SELECT
            customer_id,
            FIRST(_value ORDER BY _n0 DESC, _value) FILTER(WHERE
              _n0 > 0) AS "top_channel_6m"
          FROM (
            SELECT
              customer_id,
              _value,
              COUNT(*) FILTER(WHERE
                _c0 AND _c1) AS _n0
            FROM (
              SELECT
                customer_id,
                channel AS _value,
                "ordered_at" >= CAST('2026-06-30' AS DATE) + INTERVAL '1' DAY - INTERVAL '6' MONTH AS _c0,
                COALESCE(NOT COALESCE(returned, FALSE), FALSE) AS _c1
              FROM orders
              WHERE
                NOT customer_id IS NULL
                AND "ordered_at" < CAST('2026-06-30' AS DATE) + INTERVAL '1' DAY
            )
            WHERE
              NOT _value IS NULL AND (
                (
                  _c0 AND _c1
                )
              )
            GROUP BY
              customer_id,
              _value
          )
          GROUP BY
            customer_id
        )
        SELECT
          c.customer_id,
          s1."top_category" AS "top_category",
          COALESCE(s2."top_channel_6m", 'none') AS "top_channel_6m",
          s0."coupon_share_6m" AS "coupon_share_6m",
          COALESCE(s1."categories", 0) AS "categories",
          s0."first_category" AS "first_category",
          s0."last_channel" AS "last_channel",
          s0."max_amount" AS "max_amount",
          s0."avg_amount" AS "avg_amount",
          COALESCE(s0."min_amount_90d", 0.0) AS "min_amount_90d",
          s0."last_order_at" AS "last_order_at"
        FROM customers AS c
        LEFT JOIN s0
          USING (customer_id)
        LEFT JOIN s1
          USING (customer_id)
        LEFT JOIN s2
          USING (customer_id)
      ) AS f
      JOIN customers AS c
        USING (customer_id)
    )
  )
)
