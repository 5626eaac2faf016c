SELECT
  customer_id,
  "logins",
  "event_channel",
  "pages",
  "last_event",
  "first_event",
  "engaged"
FROM (
  SELECT
    customer_id,
    "logins",
    "event_channel",
    "pages",
    "last_event",
    "first_event",
    "engaged"
  FROM (
    SELECT
      *,
      (
        logins_90d
      ) AS "logins",
      (
        top_event_channel_90d
      ) AS "event_channel",
      (
        pages_viewed
      ) AS "pages",
      (
        last_event_type
      ) AS "last_event",
      (
        first_event_at
      ) AS "first_event",
      CASE
        WHEN logins_90d > 0 AND orders_90d > 0
        THEN 'both'
        WHEN logins_90d > 0
        THEN 'browser'
        WHEN orders_90d > 0
        THEN 'buyer'
        ELSE 'idle'
      END AS "engaged"
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
              _c0 AND _c1) AS "logins_90d",
            ARG_MAX(_v2, "occurred_at") AS "last_event_type",
            MIN(_v3) AS "first_event_at"
          FROM (
            SELECT
              customer_id,
              "occurred_at",
              "occurred_at" >= CAST('2026-06-30' AS DATE) + INTERVAL '1' DAY - INTERVAL '90' DAY AS _c0,
              COALESCE(event_type = 'login', FALSE) AS _c1,
              event_type AS _v2,
              occurred_at AS _v3
            FROM events
            WHERE
              NOT customer_id IS NULL
              AND "occurred_at" < CAST('2026-06-30' AS DATE) + INTERVAL '1' DAY
          )
          GROUP BY
            customer_id
        ), s1 AS (
          SELECT
            customer_id,
            FIRST(_value ORDER BY _n0 DESC, _value) FILTER(WHERE
              _n0 > 0) AS "top_event_channel_90d"
          FROM (
            SELECT
              customer_id,
              _value,
              COUNT(*) FILTER(WHERE
                _c0) AS _n0
            FROM (
              SELECT
                customer_id,
                channel AS _value,
                "occurred_at" >= CAST('2026-06-30' AS DATE) + INTERVAL '1' DAY - INTERVAL '90' DAY AS _c0
              FROM events
              WHERE
                NOT customer_id IS NULL
                AND "occurred_at" < CAST('2026-06-30' AS DATE) + INTERVAL '1' DAY
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
            COUNT(*) FILTER(WHERE
              _n0 > 0) AS "pages_viewed"
          FROM (
            SELECT
              customer_id,
              _value,
              COUNT(*) FILTER(WHERE
                _c0) AS _n0
            FROM (
              SELECT
                customer_id,
                properties ->> '$.page' AS _value,
                COALESCE(event_type = 'view', FALSE) AS _c0
              FROM events
              WHERE
                NOT customer_id IS NULL
                AND "occurred_at" < CAST('2026-06-30' AS DATE) + INTERVAL '1' DAY
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
        ), s3 AS (
          SELECT
            customer_id,
            COUNT(*) FILTER(WHERE
              _c0 AND _c1) AS "orders_90d"
          FROM (
            SELECT
              customer_id,
              "ordered_at",
              "ordered_at" >= CAST('2026-06-30' AS DATE) + INTERVAL '1' DAY - INTERVAL '90' DAY AS _c0,
              COALESCE(NOT COALESCE(returned, FALSE), FALSE) AS _c1
            FROM orders
            WHERE
              NOT customer_id IS NULL
              AND "ordered_at" < CAST('2026-06-30' AS DATE) + INTERVAL '1' DAY
          )
          WHERE
            (
              _c0 AND _c1
            )
          GROUP BY
            customer_id
        )
        SELECT
          c.customer_id,
          COALESCE(s0."logins_90d", 0) AS "logins_90d",
          s1."top_event_channel_90d" AS "top_event_channel_90d",
          COALESCE(s2."pages_viewed", 0) AS "pages_viewed",
          s0."last_event_type" AS "last_event_type",
          s0."first_event_at" AS "first_event_at",
          COALESCE(s3."orders_90d", 0) AS "orders_90d"
        FROM customers AS c
        LEFT JOIN s0
          USING (customer_id)
        LEFT JOIN s1
          USING (customer_id)
        LEFT JOIN s2
          USING (customer_id)
        LEFT JOIN s3
          USING (customer_id)
      ) AS f
      JOIN customers AS c
        USING (customer_id)
    )
  )
)
