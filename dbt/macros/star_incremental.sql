{#- Incremental loading of the star-schema facts, by delivery.

    Every staging row carries (business_date, delivery), and staging shows only the newest
    committed delivery of each date (macro committed_feed). A fact keeps the `delivery`
    column of the feed that drives it, so comparing the fact's (business_date, delivery)
    pairs with the feed's tells exactly what is new:

      - a normal day: one new pair, one date processed;
      - a late delivery (an older date arriving after newer ones): its pair is new, it lands
        in its own date;
      - a redelivery (delivery n+1 of a date already built): its pair is new, the date is
        processed again and delete+insert on unique_key business_date replaces it whole.

    Facts are configured materialized='incremental', incremental_strategy='delete+insert',
    unique_key='business_date', and use:

      star_new_deliveries(feed)        the where-predicate limiting every input of the
                                       fact to the dates with a new delivery;
      star_purge_superseded(feed)      a pre-hook deleting the dates whose built delivery is
                                       no longer the visible one (a redelivery whose file of
                                       this feed carries no rows or was rejected: delete+insert
                                       alone would keep the superseded rows, since it only
                                       deletes dates present in the new batch).

    Together they keep an incrementally built fact identical to a full refresh.
    On a first build or --full-refresh both are no-ops: the whole history is built. -#}

{#- The dates of `source` whose (business_date, delivery) pair `target` does not hold:
    the feed's dates the fact has not built yet (source feed, target the fact), or the
    fact's dates the feed no longer shows (source the fact, target the feed). -#}
{% macro star_unmatched_dates(source, target) -%}
    select source_pairs.business_date
    from (select distinct business_date, delivery from {{ source }}) as source_pairs
    left join (select distinct business_date, delivery from {{ target }}) as target_pairs
        on target_pairs.business_date = source_pairs.business_date
        and target_pairs.delivery = source_pairs.delivery
    where target_pairs.business_date is null
{%- endmacro %}

{#- Predicate for a where clause: `date_column` is one of the dates to (re)build.
    Apply it to every staging input of the fact (same date column), so that a normal day
    reads and joins one day of data, not the history. -#}
{% macro star_new_deliveries(feed, date_column='business_date') -%}
    {%- if is_incremental() -%}
        {{ date_column }} in ({{ star_unmatched_dates(feed, this) }})
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}

{#- Pre-hook: remove from the fact every date whose built delivery is not the feed's
    visible delivery of that date (superseded, or the date no longer visible at all). -#}
{% macro star_purge_superseded(feed) -%}
    {%- if is_incremental() -%}
        {{ delete_where(this, 'business_date in (' ~ star_unmatched_dates(this, feed) ~ ')') }}
    {%- endif -%}
{%- endmacro %}
