"""EN/RU strings of the CX-and-money page, registered with ``cxdata.i18n``, and label helpers."""

from __future__ import annotations

import math

from cxdata.analysis.money_stats import is_significant
from cxdata.i18n import format_number, register_text, translate

TEXT: dict[str, dict[str, str]] = {
    # --- page frame
    "money_headline_title": {"en": "The CX change worth most", "ru": "Самое ценное улучшение CX"},
    "money_horizon": {"en": "Horizon, months", "ru": "Горизонт, месяцев"},
    "money_horizon_help": {
        "en": "How far ahead revenue at risk, drivers and what-if projections look.",
        "ru": "На сколько месяцев вперёд считаются выручка под риском, драйверы и сценарии «что если».",
    },
    "money_no_customers": {
        "en": "No paying customers in this selection ({caption}). Widen the period or remove some filters.",
        "ru": "В этом выборе нет платящих клиентов ({caption}). Расширьте период или уберите часть фильтров.",
    },
    "money_too_small": {
        "en": "Only {n} customers with an NPS answer in this selection: figures below are shown with their "
        "sample sizes, and most differences will not be significant.",
        "ru": "В этом выборе лишь {n} клиентов с ответом NPS: цифры ниже показаны с размером выборки, и "
        "большинство различий не будут значимыми.",
    },
    "money_section_classes": {"en": "Economics by CX class", "ru": "Экономика по CX-классам"},
    "money_section_risk": {"en": "Revenue at risk", "ru": "Выручка под риском"},
    "money_section_drivers": {"en": "Key drivers in money", "ru": "Ключевые драйверы в деньгах"},
    "money_section_cohorts": {"en": "Cohort retention", "ru": "Удержание когорт"},
    "money_section_units": {"en": "Unit economics", "ru": "Юнит-экономика"},
    "money_section_whatif": {"en": "What if", "ru": "Что если"},
    "money_dimension": {"en": "Split customers by", "ru": "Разбить клиентов по"},
    "money_class_rule": {
        "en": "Customers of the period: paying customers who had not churned before its first day. A customer's "
        "class is their latest answer dated on or before the period's last day (any touchpoint), on the answer's own "
        "scale: CSAT satisfied = its top two boxes (4–5 on 1–5, 9–10 on 1–10), dissatisfied = its bottom two; CES "
        "easy above its middle (5–7 on 1–7, 4–5 on 1–5), hard below it. Differences vs "
        "{reference}: two-proportion z-test (retention, churn), Welch's t-test (ARPU, LTV, purchases), "
        "two-sided, 5% level; bars show 95% intervals; amber = fewer than 30 customers.",
        "ru": "Клиенты периода: платящие клиенты, не ушедшие до его первого дня. Класс клиента — по его последнему "
        "ответу не позже последнего дня периода (любая точка контакта), по шкале самого ответа: CSAT «довольны» — два "
        "верхних балла (4–5 из 1–5, 9–10 из 1–10), «недовольны» — два нижних; CES «легко» — выше середины шкалы "
        "(5–7 из 1–7, 4–5 из 1–5), «трудно» — ниже. Различия с группой «{reference}»: "
        "z-тест двух долей (удержание, отток), t-тест Уэлча (ARPU, LTV, покупки), двусторонние, уровень 5%; "
        "отрезки — 95% интервалы; янтарный цвет — меньше 30 клиентов.",
    },
    # --- dimensions and classes
    "money_dimension_nps": {"en": "NPS class", "ru": "Класс NPS"},
    "money_dimension_csat": {"en": "CSAT band", "ru": "Группа CSAT"},
    "money_dimension_ces": {"en": "CES band", "ru": "Группа CES"},
    "money_dimension_complaints": {"en": "Complaint status", "ru": "Статус жалоб"},
    "money_class_all": {"en": "Everyone", "ru": "Все"},
    "money_class_nps_promoter": {"en": "Promoters (9–10)", "ru": "Промоутеры (9–10)"},
    "money_class_nps_passive": {"en": "Passives (7–8)", "ru": "Нейтралы (7–8)"},
    "money_class_nps_detractor": {"en": "Detractors (0–6)", "ru": "Критики (0–6)"},
    # CSAT and CES answers are classed on their own scale (``cxdata.model.rules.classes_on_scale``).
    "money_class_csat_satisfied": {"en": "Satisfied (top two boxes)", "ru": "Довольны (два верхних балла)"},
    "money_class_csat_neutral": {"en": "Neutral (between)", "ru": "Нейтральны (между ними)"},
    "money_class_csat_dissatisfied": {"en": "Dissatisfied (bottom two boxes)", "ru": "Недовольны (два нижних балла)"},
    "money_class_ces_easy": {"en": "Easy (above the middle)", "ru": "Легко (выше середины)"},
    "money_class_ces_neutral": {"en": "Neutral (the middle)", "ru": "Средне (середина)"},
    "money_class_ces_hard": {"en": "Hard (below the middle)", "ru": "Трудно (ниже середины)"},
    "money_class_no_answer": {"en": "No answer", "ru": "Нет ответа"},
    "money_class_complaints_none": {"en": "No complaint", "ru": "Без жалоб"},
    "money_class_complaints_resolved": {"en": "Complaints resolved", "ru": "Жалобы решены"},
    "money_class_complaints_unresolved": {"en": "Unresolved complaint", "ru": "Есть нерешённая жалоба"},
    # --- metrics and their definitions (hover help)
    "money_metric_customers": {"en": "Customers", "ru": "Клиенты"},
    "money_metric_revenue": {"en": "Revenue", "ru": "Выручка"},
    "money_metric_arpu": {"en": "ARPU", "ru": "ARPU"},
    "money_metric_ltv": {"en": "LTV (historical)", "ru": "LTV (фактический)"},
    "money_metric_purchase_frequency": {"en": "Purchases a month", "ru": "Покупок в месяц"},
    "money_metric_retention_rate": {"en": "Retention", "ru": "Удержание"},
    "money_metric_churn_rate": {"en": "Churn a month", "ru": "Отток в месяц"},
    "money_def_customers": {
        "en": "Paying customers who had not churned before the period's first day.",
        "ru": "Платящие клиенты, не ушедшие до первого дня периода.",
    },
    "money_def_revenue": {
        "en": "Their net revenue in the period (refunds subtracted).",
        "ru": "Их чистая выручка за период (за вычетом возвратов).",
    },
    "money_def_arpu": {
        "en": "Revenue in the period / those of them with a transaction in the period; 95% normal interval.",
        "ru": "Выручка за период / число тех из них, у кого была транзакция в периоде; 95% нормальный интервал.",
    },
    "money_def_ltv": {
        "en": "Net revenue to the as-of date per customer (whole history, no forecast); 95% normal interval.",
        "ru": "Чистая выручка до даты данных на клиента (вся история, без прогноза); 95% нормальный интервал.",
    },
    "money_def_purchase_frequency": {
        "en": "Purchases (positive transactions) in the period per customer per 30 days.",
        "ru": "Покупки (положительные транзакции) за период на клиента за 30 дней.",
    },
    "money_def_retention_rate": {
        "en": "Customers active on the period's first day still active on its last day (as in the overview); "
        "95% Wilson interval.",
        "ru": "Доля клиентов, активных в первый день периода и активных в последний (как в обзоре); "
        "95% интервал Уилсона.",
    },
    "money_def_churn_rate": {
        "en": "Monthly churn: 1 − retention^(30 / days in the period) (as in the overview).",
        "ru": "Месячный отток: 1 − удержание^(30 / дней в периоде) (как в обзоре).",
    },
    "money_gap_note": {"en": "{metrics}: {text}.", "ru": "{metrics}: {text}."},
    "money_gap_note_classes": {"en": "{metrics} — {classes}: {text}.", "ru": "{metrics} — {classes}: {text}."},
    # --- significance
    "money_significant": {"en": "significant", "ru": "значимо"},
    "money_not_significant": {"en": "not significant", "ru": "не значимо"},
    "money_reference": {"en": "reference", "ru": "база сравнения"},
    "money_class": {"en": "Class", "ru": "Класс"},
    # --- revenue at risk
    "money_risk_group_detractor": {"en": "Detractors", "ru": "Критики"},
    "money_risk_group_passive": {"en": "Passives", "ru": "Нейтралы"},
    "money_risk_group_unresolved": {"en": "Unresolved complaints", "ru": "Нерешённые жалобы"},
    "money_risk_reference_promoter": {"en": "promoters", "ru": "у промоутеров"},
    "money_risk_reference_resolved": {"en": "resolved complaints", "ru": "при решённых жалобах"},
    "money_risk_note": {
        "en": "churn {churn} a month vs {reference_churn} for {reference} · {customers} customers · {significance}",
        "ru": "отток {churn} в месяц против {reference_churn} {reference} · клиентов: {customers} · {significance}",
    },
    "money_risk_model": {
        "en": "Model: revenue at risk = the group's monthly revenue (revenue in the period × 30 / days) × "
        "(E(reference churn) − E(its churn)), E(c) = Σ over the next {h} months of (1 − c)^m — the revenue the "
        "group would still bring over {h} months if it churned like its reference group (detractors and "
        "passives like promoters; customers with an unresolved complaint like those whose complaints were "
        "resolved). Constant churn and spend assumed; an association, not proof of cause.",
        "ru": "Модель: выручка под риском = месячная выручка группы (выручка за период × 30 / дней) × "
        "(E(отток базы) − E(её отток)), E(c) = сумма (1 − c)^m за следующие {h} мес. — выручка, которую группа "
        "ещё принесла бы за {h} мес., если бы уходила как группа сравнения (критики и нейтралы — как промоутеры; "
        "клиенты с нерешённой жалобой — как те, чьи жалобы решены). Отток и траты постоянны; это связь, "
        "а не доказательство причины.",
    },
    # --- drivers
    "money_driver_csat": {"en": "CSAT at {stage}", "ru": "CSAT: {stage}"},
    "money_driver_ces": {"en": "CES at {stage}", "ru": "CES: {stage}"},
    "money_driver_complaint": {"en": "Complaints: {category}", "ru": "Жалобы: {category}"},
    "money_category_registration_problem": {"en": "registration problem", "ru": "проблема регистрации"},
    "money_category_payment_failed": {"en": "payment failed", "ru": "сбой оплаты"},
    "money_category_billing": {"en": "billing", "ru": "счета и списания"},
    "money_category_delivery_delay": {"en": "delivery delay", "ru": "задержка доставки"},
    "money_category_product_quality": {"en": "product quality", "ru": "качество продукта"},
    "money_category_staff_rudeness": {"en": "staff rudeness", "ru": "грубость персонала"},
    "money_drivers_title": {"en": "Importance in money × performance", "ru": "Важность в деньгах × исполнение"},
    "money_drivers_x": {"en": "Performance: % of customers with a good experience", "ru": "Исполнение: % клиентов с хорошим опытом"},
    "money_drivers_y": {"en": "Revenue at stake over {h} months, {currency}", "ru": "Выручка на кону за {h} мес., {currency}"},
    "money_drivers_model": {
        "en": "Customers active on the period's first day. Exposed: a CSAT answer below the top two boxes of its scale "
        "(1–3 on 1–5) or a CES answer not above the middle of its scale (1–4 on 1–7) at the stage (latest answer by "
        "the period's end), or a complaint of the category. Churn effect: odds ratio "
        "(exposed vs not) with a 95% Woolf interval and Wald test; revenue effect: revenue in the period per "
        "customer, Welch's t-test; 5% level. Importance = revenue at stake over {h} months: the exposed customers' "
        "monthly revenue × (E(churn of the unexposed) − E(their churn)), as for revenue at risk. Performance = "
        "% not exposed. Drivers overlap; associations, not proof of cause.",
        "ru": "Клиенты, активные в первый день периода. «Затронуты»: оценка CSAT ниже двух верхних баллов своей шкалы "
        "(1–3 из 1–5) или CES не выше середины своей шкалы (1–4 из 1–7) на этапе (последний ответ к концу периода) "
        "либо жалоба этой категории. Влияние на отток: отношение шансов "
        "(затронутые против остальных) с 95% интервалом Вулфа и тестом Вальда; на выручку: выручка за период на "
        "клиента, t-тест Уэлча; уровень 5%. Важность = выручка на кону за {h} мес.: месячная выручка затронутых × "
        "(E(оттока остальных) − E(их оттока)), как для выручки под риском. Исполнение = % незатронутых. "
        "Драйверы пересекаются; это связь, а не доказательство причины.",
    },
    "money_col_driver": {"en": "Driver", "ru": "Драйвер"},
    "money_col_exposed": {"en": "Exposed", "ru": "Затронуто"},
    "money_col_performance": {"en": "Performance", "ru": "Исполнение"},
    "money_col_churn_exposed": {"en": "Churn if exposed", "ru": "Отток затронутых"},
    "money_col_churn_unexposed": {"en": "Churn otherwise", "ru": "Отток остальных"},
    "money_col_odds_ratio": {"en": "Odds ratio of churn (95%)", "ru": "Отношение шансов оттока (95%)"},
    "money_col_churn_test": {"en": "Churn effect", "ru": "Влияние на отток"},
    "money_col_revenue_gap": {"en": "Revenue gap per customer", "ru": "Разница выручки на клиента"},
    "money_col_revenue_test": {"en": "Revenue effect", "ru": "Влияние на выручку"},
    "money_col_at_stake": {"en": "At stake, {h} months", "ru": "На кону, {h} мес."},
    # --- cohorts
    "money_cohort_measure": {"en": "Show", "ru": "Показать"},
    "money_cohort_customer_retention": {"en": "Customer retention", "ru": "Удержание клиентов"},
    "money_cohort_revenue_retention": {"en": "Revenue retention", "ru": "Удержание выручки"},
    "money_cohort_title": {"en": "{measure} by monthly cohort", "ru": "{measure} по месячным когортам"},
    "money_cohort_x": {"en": "Months since the first purchase", "ru": "Месяцев после первой покупки"},
    "money_curves_title": {"en": "{measure} by NPS class", "ru": "{measure} по классам NPS"},
    "money_cohort_rule": {
        "en": "Cohort = month of the first purchase (first purchases in the period). Customer retention at month k = "
        "cohort customers with no churn event by the end of month k / cohort customers; revenue retention = the "
        "cohort's net revenue in month k / in month 0. Only months ended by the as-of date. By NPS class: the "
        "customer's latest NPS answer by the period's end, cohorts pooled (shaded: 95% Wilson interval).",
        "ru": "Когорта — месяц первой покупки (первые покупки в периоде). Удержание клиентов в месяце k = клиенты "
        "когорты без события оттока к концу месяца k / клиенты когорты; удержание выручки = чистая выручка "
        "когорты в месяце k / в месяце 0. Только месяцы, закончившиеся к дате данных. По классам NPS: последний "
        "ответ NPS к концу периода, когорты объединены (заливка — 95% интервал Уилсона).",
    },
    "money_no_cohorts": {
        "en": "No first purchases in this selection, so there is no cohort to follow.",
        "ru": "В этом выборе нет первых покупок — нет когорт для анализа.",
    },
    # --- unit economics
    "money_units_title": {"en": "LTV / CAC by acquisition channel", "ru": "LTV / CAC по каналам привлечения"},
    "money_units_rule": {
        "en": "People first contacted in the period (as the overview's LTV and CAC). CAC = acquisition cost of all "
        "contacted / those who became paying; LTV = net revenue to the as-of date per paying customer (recent "
        "periods have had less time to spend); payback = CAC / monthly net revenue per paying customer (net "
        "revenue / customer-months since the first purchase); lifetime = customer-months / churn events. By NPS "
        "class each class carries its channel's CAC (the class is known only after acquisition). Dashed line: "
        "the standard LTV/CAC of 3.",
        "ru": "Люди с первым контактом в периоде (как LTV и CAC в обзоре). CAC = затраты на привлечение всех "
        "пришедших / ставшие платящими; LTV = чистая выручка до даты данных на платящего клиента (у недавних "
        "периодов меньше времени на покупки); окупаемость = CAC / месячная чистая выручка на платящего клиента "
        "(выручка / клиенто-месяцы с первой покупки); срок жизни = клиенто-месяцы / события оттока. По классам NPS "
        "у каждого класса CAC его канала (класс известен только после привлечения). Пунктир — норма LTV/CAC = 3.",
    },
    "money_col_channel": {"en": "Acquisition channel", "ru": "Канал привлечения"},
    "money_col_paying": {"en": "Paying customers", "ru": "Платящие клиенты"},
    "money_col_cac": {"en": "CAC", "ru": "CAC"},
    "money_col_ltv": {"en": "LTV", "ru": "LTV"},
    "money_col_ltv_cac": {"en": "LTV / CAC", "ru": "LTV / CAC"},
    "money_col_payback": {"en": "Payback, months", "ru": "Окупаемость, мес."},
    "money_col_lifetime": {"en": "Expected lifetime, months", "ru": "Ожидаемый срок жизни, мес."},
    "money_col_pays_back": {"en": "Pays back", "ru": "Окупается"},
    "money_yes": {"en": "yes", "ru": "да"},
    "money_never": {"en": "never", "ru": "никогда"},
    "money_all_channels": {"en": "All channels", "ru": "Все каналы"},
    "money_channel_total": {"en": "Channel total", "ru": "Весь канал"},
    "money_difference": {"en": "{metric}: difference", "ru": "{metric}: разница"},
    "money_units_by_class": {"en": "By NPS class", "ru": "По классам NPS"},
    "money_never_pays_back": {
        "en": "Never pays back (payback longer than the expected lifetime): {groups}.",
        "ru": "Не окупаются (окупаемость дольше ожидаемого срока жизни): {groups}.",
    },
    "money_all_pay_back": {
        "en": "Every channel and NPS class with paying customers pays back within its expected lifetime.",
        "ru": "Все каналы и классы NPS с платящими клиентами окупаются за ожидаемый срок жизни.",
    },
    "money_known_pay_back": {
        "en": "Every channel and NPS class whose payback is known pays back within its expected lifetime.",
        "ru": "Все каналы и классы NPS с известной окупаемостью окупаются за ожидаемый срок жизни.",
    },
    "money_pays_back_unknown": {
        "en": "Payback not known for {channels}: {reasons}.",
        "ru": "Окупаемость неизвестна для каналов {channels}: {reasons}.",
    },
    "money_no_acquisition": {
        "en": "Nobody was first contacted in this selection's period, so there is no acquisition to price.",
        "ru": "В периоде этого выбора нет новых контактов — нечего оценивать.",
    },
    # --- what-if
    "money_scenario": {"en": "Scenario", "ru": "Сценарий"},
    "money_scenario_nps": {"en": "+N NPS points", "ru": "+N пунктов NPS"},
    "money_scenario_drop_off": {"en": "−N% drop-off at a stage", "ru": "−N% потерь на этапе"},
    "money_nps_points": {"en": "NPS points", "ru": "Пунктов NPS"},
    "money_to_class": {"en": "Move detractors to", "ru": "Перевести критиков в"},
    "money_stage": {"en": "Stage", "ru": "Этап"},
    "money_drop_percent": {"en": "Cut the drop-off by, %", "ru": "Сократить потери на, %"},
    "money_whatif_revenue": {"en": "Revenue change over {h} months", "ru": "Изменение выручки за {h} мес."},
    "money_whatif_gain_nps": {"en": "Gain per moved detractor, {h} months", "ru": "Прирост на критика, {h} мес."},
    "money_whatif_gain_drop_off": {"en": "Value per recovered person, {h} months", "ru": "Ценность вернувшегося, {h} мес."},
    "money_whatif_ltv": {"en": "LTV change per customer, {h} months", "ru": "Изменение LTV на клиента, {h} мес."},
    "money_whatif_nps_model": {
        "en": "Assumptions: NPS +{achieved} points by moving {movers} of {base} customers with an NPS class from "
        "detractors to {target} (every 1% of these customers moved adds {step} NPS point(s)). A moved customer takes the "
        "target class's measured monthly revenue per customer ({revenue_after} vs {revenue_before}) and monthly "
        "churn ({churn_after} vs {churn_before}); value over {h} months = monthly revenue × Σ (1 − churn)^m. "
        "The measured gap: churn {churn_test}, revenue {revenue_test}. It assumes the gap is caused by the "
        "experience.",
        "ru": "Допущения: NPS +{achieved} п. за счёт перевода {movers} из {base} клиентов с классом NPS из критиков "
        "в {target} (каждый 1% этих клиентов даёт {step} п. NPS). Переведённый клиент получает измеренные месячную "
        "выручку на клиента целевого класса ({revenue_after} против {revenue_before}) и месячный отток "
        "({churn_after} против {churn_before}); ценность за {h} мес. = месячная выручка × Σ (1 − отток)^m. "
        "Измеренный разрыв: отток — {churn_test}, выручка — {revenue_test}. Предполагается, что разрыв вызван "
        "опытом клиента.",
    },
    "money_whatif_drop_model": {
        "en": "Assumptions: {percent}% fewer of the {dropped} people of the period who reached «{stage}» but not "
        "«{next_stage}» → {recovered} more reach it. Each is worth what the funnel values a dropped person at: "
        "{value_to_date} (lost value {lost_value} / dropped — the mean net revenue to date of those who went on, "
        "by segment), earned over the ~{months} months the period's entrants have had; scaled to {h} months "
        "linearly (× {h} / {months}), no extra churn. Not a statistical test.",
        "ru": "Допущения: на {percent}% меньше из {dropped} человек периода, дошедших до «{stage}», но не до "
        "«{next_stage}», → ещё {recovered} доходят до него. Каждый стоит столько, во сколько воронка оценивает ушедшего: "
        "{value_to_date} (потерянная ценность {lost_value} / ушедшие — средняя чистая выручка до даты данных тех, "
        "кто пошёл дальше, по сегментам), заработанная за ~{months} мес., что были у пришедших в периоде; "
        "пересчёт на {h} мес. линейно (× {h} / {months}), без дополнительного оттока. Статистический тест не "
        "применяется.",
    },
    "money_whatif_no_stage": {
        "en": "The funnel has no stage with a drop-off in this selection.",
        "ru": "В этом выборе у воронки нет этапа с потерями.",
    },
    "money_whatif_unknown": {
        "en": "Not enough data in this selection to project this scenario.",
        "ru": "В этом выборе недостаточно данных для этого сценария.",
    },
    # --- headline
    "money_headline": {
        "en": "{lever}: about {money} over {h} months ({detail}).",
        "ru": "{lever}: около {money} за {h} мес. ({detail}).",
    },
    "money_headline_next": {"en": "Next: {lever}, about {money}.", "ru": "Следом: {lever}, около {money}."},
    "money_headline_none": {
        "en": "No CX difference in this selection is statistically significant (p ≥ 0.05), so no lever can be "
        "priced. Widen the period or remove filters.",
        "ru": "Ни одно различие CX в этом выборе не значимо статистически (p ≥ 0,05), поэтому оценить рычаг нельзя. "
        "Расширьте период или уберите фильтры.",
    },
    "money_lever_detractor": {
        "en": "Keep detractors as loyal as promoters", "ru": "Удержать критиков так же, как промоутеров",
    },
    "money_lever_passive": {"en": "Keep passives as loyal as promoters", "ru": "Удержать нейтралов так же, как промоутеров"},
    "money_lever_unresolved": {"en": "Resolve open complaints", "ru": "Решать открытые жалобы"},
    "money_lever_csat": {"en": "Fix CSAT at {stage}", "ru": "Поднять CSAT на этапе «{stage}»"},
    "money_lever_ces": {"en": "Make {stage} easier (CES)", "ru": "Упростить этап «{stage}» (CES)"},
    "money_lever_complaint": {"en": "Prevent {category} complaints", "ru": "Предотвращать жалобы «{category}»"},
    "money_headline_detail": {
        "en": "they churn {churn} a month vs {reference_churn}, {p}",
        "ru": "их отток {churn} в месяц против {reference_churn}, {p}",
    },
}
register_text(TEXT)


def class_label(dimension: str, cx_class: str, lang: str) -> str:
    """'Promoters (9–10)', 'Нет ответа', 'Everyone'."""
    if cx_class == "all":
        return translate("money_class_all", lang)
    if cx_class == "no_answer":
        return translate("money_class_no_answer", lang)
    return translate(f"money_class_{dimension}_{cx_class}", lang)


def category_label(category: str, lang: str) -> str:
    key = f"money_category_{category}"
    return translate(key, lang) if key in TEXT else category.replace("_", " ")


def driver_label(kind: str, subject: str, lang: str, stage_labels: dict[str, dict[str, str]]) -> str:
    """'CSAT at Onboarding', 'Жалобы: качество продукта'."""
    if kind == "complaint":
        return translate("money_driver_complaint", lang, category=category_label(subject, lang))
    return translate(f"money_driver_{kind}", lang, stage=stage_label(subject, lang, stage_labels))


def stage_label(stage: str, lang: str, stage_labels: dict[str, dict[str, str]]) -> str:
    return stage_labels.get(stage, {}).get(lang) or stage.replace("_", " ")


def format_p_value(p_value: float | None, lang: str) -> str:
    """'p < 0.001', 'p = 0.03' (decimal comma in Russian), '—' when untested."""
    if p_value is None or (isinstance(p_value, float) and math.isnan(p_value)):
        return "—"
    if p_value < 0.001:
        return f"p < {format_number(0.001, lang, 3)}"
    return f"p = {format_number(p_value, lang, 3)}"


def significance_text(p_value: float | None, lang: str) -> str:
    """'significant, p < 0.001' / 'not significant, p = 0.27' / '—'."""
    if p_value is None or (isinstance(p_value, float) and math.isnan(p_value)):
        return "—"
    word = "money_significant" if is_significant(p_value) else "money_not_significant"
    return f"{translate(word, lang)}, {format_p_value(p_value, lang)}"
