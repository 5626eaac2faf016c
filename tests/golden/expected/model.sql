SELECT
  customer_id,
  "p_alive",
  "risk",
  "clv_12m",
  "tenure",
  "gap"
FROM (
  SELECT
    customer_id,
    "p_alive",
    "clv_12m",
    "tenure",
    "risk",
    "gap"
  FROM (
    SELECT
      *,
      CASE
        WHEN (
          p_alive
        ) IS NULL
        THEN NULL
        WHEN (
          p_alive
        ) < 0.3
        THEN 'high'
        WHEN (
          p_alive
        ) < 0.7
        THEN 'mid'
        ELSE 'low'
      END AS "risk",
      (
        ROUND(clv_12m - spend_total, 2)
      ) AS "gap"
    FROM (
      SELECT
        *,
        "m__p_alive" AS "p_alive",
        "m__clv_12m" AS "clv_12m",
        "m__T" AS "tenure"
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
          CAST(v."T" AS DOUBLE) AS "m__T",
          CAST(v."clv_12m" AS DOUBLE) AS "m__clv_12m",
          CAST(v."p_alive" AS DOUBLE) AS "m__p_alive",
          CAST('2026-06-30' AS DATE) AS as_of
        FROM (
          WITH s0 AS (
            SELECT
              customer_id,
              SUM(_v1) FILTER(WHERE
                _c0) AS "spend_total"
            FROM (
              SELECT
                customer_id,
                "ordered_at",
                COALESCE(NOT COALESCE(returned, FALSE), FALSE) AS _c0,
                amount AS _v1
              FROM orders
              WHERE
                NOT customer_id IS NULL
                AND "ordered_at" < CAST('2026-06-30' AS DATE) + INTERVAL '1' DAY
            )
            WHERE
              (
                _c0
              )
            GROUP BY
              customer_id
          )
          SELECT
            c.customer_id,
            COALESCE(s0."spend_total", 0) AS "spend_total"
          FROM customers AS c
          LEFT JOIN s0
            USING (customer_id)
        ) AS f
        JOIN customers AS c
          USING (customer_id)
        LEFT JOIN customer_value AS v
          USING (customer_id)
      )
    )
  )
)
