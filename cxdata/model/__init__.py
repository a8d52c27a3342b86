"""The model: tables, filters, the CX rules, the metric registry, roles. Plain Python and Ibis; no database."""
