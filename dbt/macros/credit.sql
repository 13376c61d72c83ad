{#- Helpers of credit grading (docs/credit-model.md). -#}

{#- Predicate: an obligation in default by the bank's definition (seeds/credit/credit_parameters):
    more than default_days_past_due days past due, five-class default_five_class_from or worse,
    or a card default_card_cycles cycles delinquent. A measure the product line lacks is null. -#}
{% macro credit_in_default(days_past_due, five_class, cycles_delinquent) -%}
    (coalesce({{ days_past_due }}, 0) > {{ seed_parameter('credit_parameters', 'default_days_past_due') }}
     or coalesce({{ five_class }}, 1) >= {{ seed_parameter('credit_parameters', 'default_five_class_from') }}
     or coalesce({{ cycles_delinquent }}, 0) >= {{ seed_parameter('credit_parameters', 'default_card_cycles') }})
{%- endmacro %}

{#- The scorecard segment of a customer (seed scorecard_models.segment): C corporates, I
    individuals with credit (the behavioural card, fitted on them), N individuals without credit
    at the grading date (outside that card's population: an expert card on the relationship). -#}
{% macro credit_segment(customer_kind, has_credit) -%}
    case when {{ customer_kind }} = 'I' and not {{ has_credit }} then 'N' else {{ customer_kind }} end
{%- endmacro %}
