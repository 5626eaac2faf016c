SELECT
  customer_id,
  "t_orders_90d",
  "t_orders_6m",
  "t_spend_6m",
  "t_orders_total",
  "t_returned",
  "t_all_90d",
  "t_spend_2w",
  "t_orders_1y"
FROM (
  SELECT
    customer_id,
    "t_orders_90d",
    "t_orders_6m",
    "t_spend_6m",
    "t_orders_total",
    "t_returned",
    "t_all_90d",
    "t_spend_2w",
    "t_orders_1y"
  FROM (
    SELECT
      *,
      (
        orders_90d
      ) AS "t_orders_90d",
      (
        orders_6m
      ) AS "t_orders_6m",
      (
        spend_6m
      ) AS "t_spend_6m",
      (
        orders_total
      ) AS "t_orders_total",
      (
        returned_orders
      ) AS "t_returned",
      (
        all_orders_90d
      ) AS "t_all_90d",
      (
        spend_2w
      ) AS "t_spend_2w",
      (
        orders_1y
      ) AS "t_orders_1y"
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
              _c0 AND _c1) AS "orders_90d",
            COUNT(*) FILTER(WHERE
              _c2 AND _c1) AS "orders_6m",
            SUM(_v3) FILTER(WHERE
              _c2 AND _c1) AS "spend_6m",
            COUNT(*) FILTER(WHERE
              _c1) AS "orders_total",
            COUNT(*) FILTER(WHERE
              _c4) AS "returned_orders",
            COUNT(*) FILTER(WHERE
              _c0) AS "all_orders_90d",
            SUM(_v3) FILTER(WHERE
              _c5 AND _c1) AS "spend_2w",
            COUNT(*) FILTER(WHERE
              _c6 AND _c1) AS "orders_1y"
          FROM (
            SELECT
              customer_id,
              "ordered_at",
              "ordered_at" >= CAST('2026-06-30' AS DATE) + INTERVAL '1' DAY - INTERVAL '90' DAY AS _c0,
              COALESCE(NOT COALESCE(returned, FALSE), FALSE) AS _c1,
              "ordered_at" >= CAST('2026-06-30' AS DATE) + INTERVAL '1' DAY - INTERVAL '6' MONTH AS _c2,
              amount AS _v3,
              COALESCE(COALESCE(returned, FALSE), FALSE) AS _c4,
              "ordered_at" >= CAST('2026-06-30' AS DATE) + INTERVAL '1' DAY - INTERVAL '2' WEEK AS _c5,
              "ordered_at" >= CAST('2026-06-30' AS DATE) + INTERVAL '1' DAY - INTERVAL '1' YEAR AS _c6
            FROM orders
            WHERE
              NOT customer_id IS NULL
              AND "ordered_at" < CAST('2026-06-30' AS DATE) + INTERVAL '1' DAY
          )
          WHERE
            (
              _c0 AND _c1
            )
            OR (
              _c2 AND _c1
            )
            OR (
              _c1
            )
            OR (
              _c4
            )
            OR (
              _c0
            )
            OR (
              _c5 AND _c1
            )
            OR (
              _c6 AND _c1
            )
          GROUP BY
            customer_id
        )
        SELECT
          c.customer_id,
          COALESCE(s0."orders_90d", 0) AS "orders_90d",
          COALESCE(s0."orders_6m", 0) AS "orders_6m",
          COALESCE(s0."spend_6m", 0) AS "spend_6m",
          COALESCE(s0."orders_total", 0) AS "orders_total",
          COALESCE(s0."returned_orders", 0) AS "returned_orders",
          COALESCE(s0."all_orders_90d", 0) AS "all_orders_90d",
          COALESCE(s0."spend_2w", 0) AS "spend_2w",
          COALESCE(s0."orders_1y", 0) AS "orders_1y"
        FROM customers AS c
        LEFT JOIN s0
          USING (customer_id)
      ) AS f
      JOIN customers AS c
        USING (customer_id)
    )
  )
)
