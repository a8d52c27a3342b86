"""The one registry of metrics: name, labels, definition, formula, unit, scale, direction.

KPI tiles, hover help, the CLI, the README table and the tests all read from here, so a metric
has exactly one definition. Values are computed in ``cxdata.questions.metrics`` in the *display unit*
stated here (NPS in points, shares in percent, money in the database currency).
"""

from __future__ import annotations

from dataclasses import dataclass

from cxdata.model.rules import band_text

# A sample smaller than this is flagged "small sample" wherever the metric is shown.
MIN_SAMPLE_SIZE = 30

# A customer counts as retained/churned by the churn_events table; these windows are stated once.
RETENTION_DEFINITION = (
    "Paying customer = has a purchase (positive transaction) on or before the day in question. "
    "Active on a day = paying and no churn event on or before that day."
)


# What the metrics are made of, "table.column" (see ``Metric.needs``). A purchase belongs to a
# customer, and a customer's churn comes from ``churn_events``; the acquisition cohort is the people
# first contacted in the period, with their purchases to the as-of date.
PURCHASES = ("transactions.customer_id", "transactions.amount")
RETENTION_NEEDS = ("customers.customer_id", *PURCHASES, "churn_events.churned_at")
ACQUISITION_NEEDS = ("customers.signup_at", *PURCHASES)
COST_NEEDS = (*ACQUISITION_NEEDS, "customers.acquisition_cost")


@dataclass(frozen=True)
class Metric:
    name: str
    label_en: str
    label_ru: str
    description_en: str
    description_ru: str
    formula: str
    unit: str  # "points", "%", "score", "money", "ratio", "count"
    scale: str  # the range the value lives on, stated for the reader
    higher_is_better: bool
    sample_of: str  # what n counts
    # The formula, scale and sample in Russian (the English ones above also go into the docs).
    formula_ru: str = ""
    scale_ru: str = ""
    sample_of_ru: str = ""
    decimals: int = 1
    # The "table.column"s the value is made of: when one is missing or never filled, the metric is
    # not available (``metrics_needing``, ``cxdata.engine.coverage``).
    needs: tuple[str, ...] = ()
    # True when the value depends on how long the customers have had to spend (cohort age), so a
    # recent period always looks worse than an older one: not compared in headlines.
    depends_on_cohort_age: bool = False

    def label(self, lang: str) -> str:
        return self.label_ru if lang == "ru" else self.label_en

    def description(self, lang: str) -> str:
        return self.description_ru if lang == "ru" else self.description_en

    def formula_text(self, lang: str) -> str:
        return self.formula_ru if lang == "ru" and self.formula_ru else self.formula

    def scale_text(self, lang: str) -> str:
        return self.scale_ru if lang == "ru" and self.scale_ru else self.scale

    def sample_text(self, lang: str) -> str:
        return self.sample_of_ru if lang == "ru" and self.sample_of_ru else self.sample_of


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric(
            name="nps",
            label_en="NPS",
            label_ru="NPS",
            description_en=f"Net Promoter Score: share of promoters ({band_text('nps', 'promoter')}) minus share of "
            f"detractors ({band_text('nps', 'detractor')}) "
            "among survey answers to 'How likely are you to recommend us?' dated in the period. "
            "95% interval from the multinomial variance.",
            description_ru=f"Индекс потребительской лояльности: доля промоутеров ({band_text('nps', 'promoter')}) минус "
            f"доля критиков ({band_text('nps', 'detractor')}) "
            "среди ответов на вопрос «Насколько вероятно, что вы порекомендуете нас?» за период. "
            "95% интервал по мультиномиальной дисперсии.",
            formula="100 × (promoters − detractors) / answers",
            formula_ru="100 × (промоутеры − критики) / ответы",
            unit="points",
            scale="−100 … +100",
            scale_ru="−100 … +100",
            higher_is_better=True,
            sample_of="survey answers with an NPS score",
            sample_of_ru="ответы на опросы с оценкой NPS",
            decimals=1,
            needs=("surveys.nps",),
        ),
        Metric(
            name="csat",
            label_en="CSAT",
            label_ru="CSAT",
            description_en="Customer satisfaction: share of answers in the top two boxes of their own scale "
            f"({band_text('csat', 'satisfied')} on 1–5, 6–7 on 1–7, 9–10 on 1–10; the scale is stored with each answer, "
            "1–5 by default), surveys dated in the period. 95% Wilson interval.",
            description_ru="Удовлетворённость: доля ответов в двух верхних баллах своей шкалы "
            f"({band_text('csat', 'satisfied')} из 1–5, 6–7 из 1–7, 9–10 из 1–10; шкала хранится с каждым ответом, "
            "по умолчанию 1–5) в опросах за период. 95% интервал Уилсона.",
            formula="100 × answers in the top two boxes of their scale / answers",
            formula_ru="100 × ответы в двух верхних баллах своей шкалы / ответы",
            unit="%",
            scale="0 … 100 %",
            scale_ru="0 … 100 %",
            higher_is_better=True,
            sample_of="survey answers with a CSAT score",
            sample_of_ru="ответы на опросы с оценкой CSAT",
            decimals=1,
            needs=("surveys.csat",),
        ),
        Metric(
            name="ces",
            label_en="CES",
            label_ru="CES",
            description_en="Customer Effort Score: mean agreement with 'It was easy to get what I needed' "
            "on the answers' scale (1–7 by default, 1–5 or 1–10 as declared when loaded; the top = least effort), "
            "surveys dated in the period. Not available when the selection mixes answers on different scales "
            "(a mean across them means nothing). 95% normal interval.",
            description_ru="Индекс усилий клиента: среднее согласие с «Мне было легко решить задачу» "
            "по шкале ответов (по умолчанию 1–7; 1–5 или 1–10, если так указано при загрузке; высший балл = "
            "минимум усилий) в опросах за период. Недоступен, если в выборке ответы по разным шкалам "
            "(их среднее ничего не значит). 95% нормальный интервал.",
            formula="mean(CES answer)",
            formula_ru="среднее (ответ CES)",
            unit="score",
            scale="1 … 7 (7 = easiest)",
            scale_ru="1 … 7 (7 = легче всего)",
            higher_is_better=True,
            sample_of="survey answers with a CES score",
            sample_of_ru="ответы на опросы с оценкой CES",
            decimals=2,
            needs=("surveys.ces",),
        ),
        Metric(
            name="revenue",
            label_en="Revenue",
            label_ru="Выручка",
            description_en="Net revenue: sum of transaction amounts dated in the period, refunds subtracted; "
            "anonymous transactions (loaded on purpose without a customer) included.",
            description_ru="Чистая выручка: сумма транзакций за период за вычетом возвратов, включая анонимные "
            "(загруженные намеренно без клиента).",
            formula="Σ amount (refunds negative)",
            formula_ru="Σ сумм (возвраты со знаком минус)",
            unit="money",
            scale="currency",
            scale_ru="валюта",
            higher_is_better=True,
            sample_of="transactions",
            sample_of_ru="транзакции",
            decimals=0,
            needs=("transactions.amount",),
        ),
        Metric(
            name="anonymous_revenue",
            label_en="Anonymous revenue",
            label_ru="Анонимная выручка",
            description_en="The part of net revenue loaded without a customer: sum of the amounts of anonymous "
            "transactions (a file marked anonymous on purpose) dated in the period, refunds subtracted. It is "
            "in revenue, but in no customer's ARPU, LTV or cohort.",
            description_ru="Часть чистой выручки, загруженная без клиента: сумма анонимных транзакций (файл, "
            "намеренно отмеченный как анонимный) за период за вычетом возвратов. Она входит в выручку, но не "
            "в ARPU, LTV или когорты клиентов.",
            formula="Σ amount of transactions without a customer",
            formula_ru="Σ сумм транзакций без клиента",
            unit="money",
            scale="currency",
            scale_ru="валюта",
            higher_is_better=False,
            sample_of="anonymous transactions",
            sample_of_ru="анонимные транзакции",
            decimals=0,
            needs=("transactions.amount",),
        ),
        Metric(
            name="anonymous_revenue_share",
            label_en="Anonymous share of revenue",
            label_ru="Доля анонимной выручки",
            description_en="Anonymous revenue as a share of net revenue in the period (none when net revenue "
            "is not positive).",
            description_ru="Анонимная выручка как доля чистой выручки за период (не считается, если чистая "
            "выручка не положительна).",
            formula="100 × anonymous revenue / revenue",
            formula_ru="100 × анонимная выручка / выручка",
            unit="%",
            scale="0 … 100 %",
            scale_ru="0 … 100 %",
            higher_is_better=False,
            sample_of="transactions",
            sample_of_ru="транзакции",
            decimals=1,
            needs=("transactions.amount",),
        ),
        Metric(
            name="arpu",
            label_en="ARPU",
            label_ru="ARPU",
            description_en="Average revenue per active customer: net revenue of known customers in the period "
            "divided by the number of customers with at least one transaction in the period (anonymous "
            "transactions belong to no customer and are left out of both).",
            description_ru="Средняя выручка на активного клиента: чистая выручка известных клиентов за период, "
            "делённая на число клиентов хотя бы с одной транзакцией за период (анонимные транзакции не "
            "относятся ни к одному клиенту и не входят ни в одно, ни в другое).",
            formula="revenue of known customers / customers with a transaction in the period",
            formula_ru="выручка известных клиентов / клиенты с транзакцией в периоде",
            unit="money",
            scale="currency per customer",
            scale_ru="валюта на клиента",
            higher_is_better=True,
            sample_of="customers with a transaction in the period",
            sample_of_ru="клиенты с транзакцией в периоде",
            decimals=0,
            needs=PURCHASES,
        ),
        Metric(
            name="churn_rate",
            label_en="Churn rate",
            label_ru="Отток",
            description_en="Average monthly churn: customers active on the first day of the period who "
            "churned by its last day, as a share, converted to a 30-day rate: "
            "1 − (1 − period churn)^(30 / days in period). " + RETENTION_DEFINITION,
            description_ru="Средний месячный отток: доля клиентов, активных в первый день периода, ушедших до "
            "его последнего дня, пересчитанная на 30 дней: 1 − (1 − отток за период)^(30 / дней в периоде). "
            "Платящий клиент — с покупкой до этого дня; активный — платящий и без события оттока.",
            formula="100 × (1 − retention^(30 / days))",
            formula_ru="100 × (1 − удержание^(30 / дней))",
            unit="%",
            scale="0 … 100 % per month",
            scale_ru="0 … 100 % в месяц",
            higher_is_better=False,
            sample_of="customers active at the start of the period",
            sample_of_ru="клиенты, активные в начале периода",
            decimals=2,
            needs=RETENTION_NEEDS,
        ),
        Metric(
            name="retention_rate",
            label_en="Retention",
            label_ru="Удержание",
            description_en="Share of customers active on the first day of the period who are still active on "
            "its last day (new customers of the period excluded). " + RETENTION_DEFINITION,
            description_ru="Доля клиентов, активных в первый день периода и всё ещё активных в последний день "
            "(новые клиенты периода не учитываются).",
            formula="100 × still active at end / active at start",
            formula_ru="100 × активны в конце / активны в начале",
            unit="%",
            scale="0 … 100 % over the period",
            scale_ru="0 … 100 % за период",
            higher_is_better=True,
            sample_of="customers active at the start of the period",
            sample_of_ru="клиенты, активные в начале периода",
            decimals=1,
            needs=RETENTION_NEEDS,
        ),
        Metric(
            name="conversion_rate",
            label_en="Conversion",
            label_ru="Конверсия",
            description_en="Share of people first contacted in the period who have made a purchase "
            "by the as-of date.",
            description_ru="Доля людей с первым контактом в периоде, совершивших покупку к дате данных.",
            formula="100 × contacted in period with a purchase / contacted in period",
            formula_ru="100 × впервые обратившиеся в периоде с покупкой / впервые обратившиеся в периоде",
            unit="%",
            scale="0 … 100 %",
            scale_ru="0 … 100 %",
            higher_is_better=True,
            sample_of="people first contacted in the period",
            sample_of_ru="люди, впервые обратившиеся в периоде",
            decimals=1,
            needs=ACQUISITION_NEEDS,
            depends_on_cohort_age=True,
        ),
        Metric(
            name="ltv",
            label_en="LTV (historical)",
            label_ru="LTV (фактический)",
            description_en="Historical lifetime value: net revenue to the as-of date per paying customer, for "
            "customers first contacted in the period (realised revenue, no forecast; recent cohorts "
            "have had less time to spend).",
            description_ru="Фактическая ценность клиента: чистая выручка до даты данных на платящего клиента "
            "среди впервые пришедших в периоде (без прогноза; у недавних когорт меньше времени).",
            formula="Σ net revenue of paying customers acquired in period / their count",
            formula_ru="Σ чистой выручки платящих клиентов, привлечённых в периоде / их число",
            unit="money",
            scale="currency per customer",
            scale_ru="валюта на клиента",
            higher_is_better=True,
            sample_of="paying customers first contacted in the period",
            sample_of_ru="платящие клиенты, впервые обратившиеся в периоде",
            decimals=0,
            needs=ACQUISITION_NEEDS,
            depends_on_cohort_age=True,
        ),
        Metric(
            name="cac",
            label_en="CAC",
            label_ru="CAC",
            description_en="Customer acquisition cost: acquisition spend on everyone first contacted in the "
            "period (including leads who never bought) divided by those of them who became paying customers.",
            description_ru="Стоимость привлечения: затраты на всех впервые пришедших в периоде (включая "
            "не купивших), делённые на число ставших платящими.",
            formula="Σ acquisition_cost of contacted / paying customers among them",
            formula_ru="Σ затрат на привлечение обратившихся / платящие клиенты среди них",
            unit="money",
            scale="currency per customer",
            scale_ru="валюта на клиента",
            higher_is_better=False,
            sample_of="paying customers first contacted in the period",
            sample_of_ru="платящие клиенты, впервые обратившиеся в периоде",
            decimals=0,
            needs=COST_NEEDS,
            depends_on_cohort_age=True,
        ),
        Metric(
            name="ltv_cac",
            label_en="LTV / CAC",
            label_ru="LTV / CAC",
            description_en="Historical LTV divided by CAC for the same customers; above 3 is the usual "
            "standard for healthy acquisition.",
            description_ru="Фактический LTV, делённый на CAC тех же клиентов; норма — выше 3.",
            formula="ltv / cac",
            formula_ru="LTV / CAC",
            unit="ratio",
            scale="× (times)",
            scale_ru="× (раз)",
            higher_is_better=True,
            sample_of="paying customers first contacted in the period",
            sample_of_ru="платящие клиенты, впервые обратившиеся в периоде",
            decimals=2,
            needs=COST_NEEDS,
            depends_on_cohort_age=True,
        ),
        Metric(
            name="complaints",
            label_en="Complaints",
            label_ru="Жалобы",
            description_en="Number of complaints opened in the period.",
            description_ru="Число жалоб, открытых за период.",
            formula="count(complaints)",
            formula_ru="число жалоб",
            unit="count",
            scale="complaints",
            scale_ru="жалобы",
            higher_is_better=False,
            sample_of="complaints",
            sample_of_ru="жалобы",
            decimals=0,
            needs=("complaints.opened_at",),
        ),
        Metric(
            name="anonymous_complaints",
            label_en="Anonymous complaints",
            label_ru="Анонимные жалобы",
            description_en="The complaints opened in the period that were loaded without a customer (a file "
            "marked anonymous on purpose): counted in complaints, linked to no customer.",
            description_ru="Жалобы за период, загруженные без клиента (файл, намеренно отмеченный как "
            "анонимный): входят в число жалоб, но не связаны ни с одним клиентом.",
            formula="count(complaints without a customer)",
            formula_ru="число жалоб без клиента",
            unit="count",
            scale="complaints",
            scale_ru="жалобы",
            higher_is_better=False,
            sample_of="anonymous complaints",
            sample_of_ru="анонимные жалобы",
            decimals=0,
            needs=("complaints.opened_at",),
        ),
        Metric(
            name="unresolved_share",
            label_en="Unresolved complaints",
            label_ru="Нерешённые жалобы",
            description_en="Share of complaints opened in the period that are still unresolved on the as-of date.",
            description_ru="Доля жалоб за период, не решённых к дате данных.",
            formula="100 × complaints without resolved_at / complaints",
            formula_ru="100 × жалобы без даты решения / жалобы",
            unit="%",
            scale="0 … 100 %",
            scale_ru="0 … 100 %",
            higher_is_better=False,
            sample_of="complaints",
            sample_of_ru="жалобы",
            decimals=1,
            needs=("complaints.opened_at", "complaints.resolved_at"),
        ),
        # The complaints page's own numbers (``cxdata.questions.complaints``; ``python -m cxdata complaints``).
        Metric(
            name="complaint_rate",
            label_en="Complaints per 1,000 customers",
            label_ru="Жалобы на 1 000 клиентов",
            description_en="Complaints opened in the period per 1,000 customers active in it (paying on or before "
            "its last day, no churn event before its first day). Per region, the region's own complaints and "
            "active customers; per category, stage or channel, that part of the complaints over all the active "
            "customers of the selection.",
            description_ru="Жалобы, открытые за период, на 1 000 клиентов, активных в нём (с покупкой не позже его "
            "последнего дня и без события оттока до его первого дня). По региону — жалобы и активные клиенты "
            "этого региона; по категории, этапу или каналу — эта часть жалоб на всех активных клиентов выборки.",
            formula="1000 × complaints / active customers",
            unit="count",
            scale="complaints per 1,000 customers",
            higher_is_better=False,
            sample_of="customers active in the period",
            decimals=1,
            needs=("complaints.opened_at", *PURCHASES),
        ),
        Metric(
            name="resolution_hours",
            label_en="Median resolution time",
            label_ru="Медианное время решения",
            description_en="Median hours from opening to resolution of the complaints opened in the period and "
            "resolved by the as-of date. Its target (the CX standard) is set per complaint category.",
            description_ru="Медиана часов от открытия до решения жалоб, открытых за период и решённых к дате "
            "данных. Цель (стандарт CX) задаётся для каждой категории жалоб.",
            formula="median(resolved_at − opened_at) in hours",
            unit="count",
            scale="hours",
            higher_is_better=False,
            sample_of="complaints resolved by the as-of date",
            decimals=1,
            needs=("complaints.opened_at", "complaints.resolved_at"),
        ),
        Metric(
            name="overdue_share",
            label_en="Overdue complaints",
            label_ru="Просроченные жалобы",
            description_en="Share of the complaints opened in the period, among those whose category has a "
            "resolution-time target, that took longer than the target: resolved after it, or still unresolved "
            "on the as-of date and older than it.",
            description_ru="Доля жалоб за период (среди тех, у чьей категории есть цель по времени решения), "
            "решавшихся дольше цели: решённых позже неё или не решённых к дате данных и открытых раньше.",
            formula="100 × complaints open longer than their category's target / complaints with a target",
            unit="%",
            scale="0 … 100 %",
            higher_is_better=False,
            sample_of="complaints whose category has a target",
            decimals=1,
            needs=("complaints.opened_at", "complaints.resolved_at", "complaints.category"),
        ),
        Metric(
            name="period_churn_share",
            label_en="Churned in the period",
            label_ru="Ушли за период",
            description_en="Share of the customers active on the period's first day who churned by its last day, "
            "for customers with a complaint of the period still unresolved on the as-of date and for the others. "
            + RETENTION_DEFINITION + " 95% Wilson interval.",
            description_ru="Доля клиентов, активных в первый день периода, ушедших до его последнего дня: у клиентов "
            "с жалобой за период, не решённой к дате данных, и у остальных. Платящий клиент — с покупкой до "
            "этого дня; активный — платящий и без события оттока. 95% интервал Уилсона.",
            formula="100 × churned by the end / active at the start",
            unit="%",
            scale="0 … 100 % over the period",
            higher_is_better=False,
            sample_of="customers active at the start of the period",
            decimals=1,
            needs=("complaints.customer_id", "complaints.resolved_at", *RETENTION_NEEDS),
        ),
        Metric(
            name="revenue_at_stake",
            label_en="Revenue at stake",
            label_ru="Выручка под угрозой",
            description_en="Net revenue over the 12 months to the period's last day of the customers with a "
            "complaint of the period still unresolved on the as-of date who had not churned by the period's end.",
            description_ru="Чистая выручка за 12 месяцев до последнего дня периода от клиентов с жалобой за период, "
            "не решённой к дате данных, которые не ушли до конца периода.",
            formula="Σ amount over 12 months of active customers with an unresolved complaint",
            unit="money",
            scale="currency",
            higher_is_better=False,
            sample_of="active customers with an unresolved complaint",
            decimals=0,
            needs=("complaints.customer_id", "complaints.resolved_at", *RETENTION_NEEDS),
        ),
    )
}
# The complaints page's numbers: printed by ``python -m cxdata complaints``, not by ``metrics``.
COMPLAINT_PAGE_METRICS = ("complaint_rate", "resolution_hours", "overdue_share", "period_churn_share",
                          "revenue_at_stake")

# The order KPI tiles appear in on the overview.
OVERVIEW_METRICS = ("nps", "csat", "ces", "revenue", "churn_rate", "ltv_cac")
# The metrics the CLI ``metrics`` command prints (all but the complaints page's own).
CLI_METRICS = tuple(name for name in METRICS if name not in COMPLAINT_PAGE_METRICS)
# A total -> (its part loaded on purpose without a customer, that part's share of the total or
# None): the total's tile says how much of it is anonymous whenever any is.
ANONYMOUS_PARTS: dict[str, tuple[str, str | None]] = {
    "revenue": ("anonymous_revenue", "anonymous_revenue_share"),
    "complaints": ("anonymous_complaints", None),
}


@dataclass(frozen=True)
class Measure:
    """A number shown on a page that is not a registry metric (the money page's per-class and
    per-channel figures), with what it is made of, so coverage has one table for both."""

    name: str
    label_en: str
    label_ru: str
    needs: tuple[str, ...]

    def label(self, lang: str) -> str:
        return self.label_ru if lang == "ru" else self.label_en


MEASURES: dict[str, Measure] = {
    m.name: m
    for m in (
        Measure("class_retention", "Retention and churn by CX class", "Удержание и отток по классам CX",
                RETENTION_NEEDS),
        Measure("revenue_at_risk", "Revenue at risk", "Выручка под риском", RETENTION_NEEDS),
        Measure("drivers", "Key drivers of churn", "Ключевые факторы оттока", RETENTION_NEEDS),
        Measure("cohort_retention", "Retention of cohorts", "Удержание когорт", RETENTION_NEEDS),
        Measure("unit_economics", "Unit economics by acquisition channel", "Юнит-экономика по каналам привлечения",
                COST_NEEDS),
        Measure("payback", "Payback and expected lifetime", "Окупаемость и ожидаемый срок жизни",
                (*COST_NEEDS, "churn_events.churned_at")),
        # The journey's "why they leave": a refusal is a churn event; a complaint has its category;
        # "silent" means neither a complaint nor a survey answer, so it needs both to have been loaded.
        Measure("churn_reasons", "Churn reasons of the customers lost at a step",
                "Причины отказа клиентов, потерянных на шаге", ("churn_events.churned_at", "churn_events.reason")),
        Measure("complaint_reasons", "Complaint categories of the customers lost at a step",
                "Категории жалоб клиентов, потерянных на шаге", ("complaints.customer_id", "complaints.category")),
        Measure("silent_loss", "Silent loss", "Тихие потери", ("surveys.customer_id", "complaints.customer_id")),
        Measure("funnel", "Customer journey", "Путь клиента", ("journey_stages.stage", "journey_events.customer_id")),
        Measure("clv", "Predicted lifetime value", "Прогноз ценности клиента",
                ("transactions.customer_id", "transactions.amount")),
        Measure("churn_risk", "Churn risk of active customers", "Риск ухода активных клиентов",
                ("transactions.customer_id", "transactions.amount", "churn_events.churned_at")),
    )
}


def needs_of(name: str) -> tuple[str, ...]:
    """The "table.column"s a metric or a named measure is made of.

    >>> needs_of("unresolved_share")
    ('complaints.opened_at', 'complaints.resolved_at')
    """
    return METRICS[name].needs if name in METRICS else MEASURES[name].needs


def metrics_needing(table: str, column: str) -> tuple[str, ...]:
    """The registry metrics (in registry order) that ``table.column`` being absent or never filled
    switches off. ``measures_needing`` answers the same for the named measures.

    >>> metrics_needing("customers", "acquisition_cost")
    ('cac', 'ltv_cac')
    >>> metrics_needing("churn_events", "churned_at")
    ('churn_rate', 'retention_rate', 'period_churn_share', 'revenue_at_stake')
    """
    wanted = f"{table}.{column}"
    return tuple(name for name, metric in METRICS.items() if wanted in metric.needs)


def measures_needing(table: str, column: str) -> tuple[str, ...]:
    """The named measures (``MEASURES``) that ``table.column`` being absent or never filled switches off.

    >>> measures_needing("customers", "acquisition_cost")
    ('unit_economics', 'payback')
    """
    wanted = f"{table}.{column}"
    return tuple(name for name, measure in MEASURES.items() if wanted in measure.needs)
