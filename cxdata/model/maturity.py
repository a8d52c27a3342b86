"""The CEM maturity questionnaire: its six elements, thirty questions, the five levels and what
moves a company up each of them (EN/RU). Plain data; the scores are computed in
``cxdata.analysis.maturity``.

The method (customer experience management, CEM): a company's system for managing customer
experience has six elements that hold each other up: *measuring* the experience, *fixing* what goes
wrong, *knowing* the customer, creating *new services and products* from that knowledge, a CX
*strategy*, and a *culture* that carries it out. Each element grows through stages: from reactive
feedback collection to proactive, from products built on experts' opinion to customer-centred
design, from declaring that service matters to financial models and cascaded service KPIs.

Five questions per element, each answered 0–10 (0: not at all, 10: fully, as routine everywhere);
about 25 minutes for the thirty. The questions climb the stages of their element: the first asks
for the basics, the last for the anticipatory practice.

Levels (Gartner's five levels of customer engagement), by score on the 0–10 scale:

=====  ======================  ==========
level  name                    score
=====  ======================  ==========
1      reactive                0 to < 2
2      regular                 2 to < 4
3      extended                4 to < 6
4      proactive               6 to < 8
5      anticipatory            8 to 10
=====  ======================  ==========

The company's level is that of its overall score (the mean of the six element scores), but never
more than one level above its weakest element: one element far behind keeps the others from giving
customers a truly good experience (measuring nothing, a company fixes the wrong problems and cannot
tell whether a fix worked).
"""

from __future__ import annotations

from dataclasses import dataclass

ELEMENTS = ("measurement", "fixing", "knowledge", "innovation", "strategy", "culture")
QUESTIONS_PER_ELEMENT = 5
SCORE_MIN, SCORE_MAX = 0, 10
# Lower bounds of levels 2..5 on the 0–10 scale (level 1 starts at 0).
LEVEL_FLOORS = (2.0, 4.0, 6.0, 8.0)
LEVELS = ("reactive", "regular", "extended", "proactive", "anticipatory")
# The overall level is at most this many levels above the weakest element's.
WEAKEST_ELEMENT_LEAD = 1


@dataclass(frozen=True)
class Question:
    id: str  # "<element>_<n>", n = 1..5: the key of an answer file and of the stored rows
    element: str
    text_en: str
    text_ru: str

    def text(self, lang: str) -> str:
        return self.text_ru if lang == "ru" else self.text_en


ELEMENT_NAMES = {
    "measurement": ("Measurement", "Измерение"),
    "fixing": ("Fixing problems", "Исправление проблем"),
    "knowledge": ("Customer knowledge", "Знание клиента"),
    "innovation": ("New services and products", "Новые услуги и продукты"),
    "strategy": ("Strategy", "Стратегия"),
    "culture": ("Culture", "Культура"),
}

LEVEL_NAMES = {
    "reactive": ("Reactive service", "Реактивное обслуживание"),
    "regular": ("Regular service", "Регулярное обслуживание"),
    "extended": ("Extended service", "Расширенное обслуживание"),
    "proactive": ("Proactive relationship management", "Проактивное управление отношениями с клиентами"),
    "anticipatory": ("Anticipatory relationship management", "Предвосхищающее управление отношениями с клиентами"),
}

LEVEL_DESCRIPTIONS = {
    "reactive": ("The company answers customers' requests, with no systematic approach to the relationship.",
                 "Компания отвечает на запросы клиентов, но не управляет отношениями с ними систематически."),
    "regular": ("Customers are served regularly, but the relationship is still not managed as a system.",
                "Клиентов обслуживают регулярно, но отношениями с ними всё ещё не управляют как системой."),
    "extended": ("Service is more individual, and customer data is used to manage the relationship.",
                 "Обслуживание более индивидуально, данные о клиентах используются для управления отношениями."),
    "proactive": ("Data and analytics predict customers' needs; solutions and services are personalised.",
                  "Данные и аналитика прогнозируют потребности клиентов; решения и услуги персонализированы."),
    "anticipatory": ("Advanced analytics and machine learning anticipate needs and offer the best-fitting "
                     "solution before the customer asks.",
                     "Продвинутая аналитика и машинное обучение предвосхищают потребности и предлагают "
                     "подходящее решение раньше, чем клиент попросит."),
}

_QUESTIONS = {
    "measurement": (
        ("We ask customers about their experience regularly, not only when they complain.",
         "Мы регулярно спрашиваем клиентов об их опыте, а не только когда они жалуются."),
        ("Every key stage of the customer journey and every channel has its own survey (NPS, CSAT or CES).",
         "У каждого ключевого этапа пути клиента и у каждого канала есть свой опрос (NPS, CSAT или CES)."),
        ("Feedback is collected right after the interaction and reaches the responsible managers within days.",
         "Обратная связь собирается сразу после взаимодействия и за несколько дней доходит до ответственных "
         "руководителей."),
        ("Survey answers are linked to customer data (purchases, complaints, churn) to see which experiences "
         "drive revenue and loyalty.",
         "Ответы на опросы связаны с данными о клиентах (покупками, жалобами, оттоком), чтобы видеть, какой опыт "
         "влияет на выручку и лояльность."),
        ("Signals in operational data (delays, failed payments, repeated contacts) warn us of a poor experience "
         "before the customer tells us.",
         "Сигналы в операционных данных (задержки, неуспешные платежи, повторные обращения) предупреждают о плохом "
         "опыте раньше, чем о нём скажет клиент."),
    ),
    "fixing": (
        ("Every complaint is registered, and the customer gets an answer.",
         "Каждая жалоба регистрируется, и клиент получает ответ."),
        ("Complaints have resolution standards (time, quality), and we check how many are resolved within them.",
         "Для жалоб есть стандарты решения (срок, качество), и мы проверяем, сколько жалоб решено в их пределах."),
        ("A low score is followed up: someone calls the customer back and closes the loop.",
         "На низкую оценку реагируют: клиенту перезванивают и замыкают цикл обратной связи."),
        ("We find the root causes of repeated problems and fix the processes, not only single cases.",
         "Мы находим коренные причины повторяющихся проблем и исправляем процессы, а не только отдельные случаи."),
        ("Improvements are chosen by their effect on customers and money, and we measure whether each fix worked.",
         "Улучшения выбираются по их влиянию на клиентов и деньги, и мы измеряем, сработало ли каждое исправление."),
    ),
    "knowledge": (
        ("We know who our customers are: one record per customer with contacts and purchase history.",
         "Мы знаем, кто наши клиенты: по каждому клиенту одна запись с контактами и историей покупок."),
        ("Customers are segmented by needs and value, not only by demographics.",
         "Клиенты разделены на сегменты по потребностям и ценности, а не только по анкетным данным."),
        ("We have mapped the customer journey from the customer's side and keep the map up to date.",
         "Мы описали путь клиента с его точки зрения и поддерживаем эту карту в актуальном состоянии."),
        ("Employees who talk to customers see their history, feedback and complaints in one place.",
         "Сотрудники, которые общаются с клиентами, видят их историю, отзывы и жалобы в одном месте."),
        ("We predict customers' needs and risks (churn, next purchase, lifetime value) and act on the predictions.",
         "Мы прогнозируем потребности и риски клиентов (уход, следующую покупку, пожизненную ценность) и действуем "
         "по этим прогнозам."),
    ),
    "innovation": (
        ("Ideas for new products and services come from customer feedback, not only from experts' opinion.",
         "Идеи новых продуктов и услуг берутся из отзывов клиентов, а не только из мнения экспертов."),
        ("Customers take part in designing and testing new services (interviews, prototypes, pilots).",
         "Клиенты участвуют в разработке и проверке новых услуг (интервью, прототипы, пилотные запуски)."),
        ("Before a launch, every new product is checked against the customer journey, stage by stage.",
         "Перед запуском каждый новый продукт проверяется по пути клиента, этап за этапом."),
        ("After a launch we measure customers' experience of the new service and improve it.",
         "После запуска мы измеряем опыт клиентов с новой услугой и дорабатываем её."),
        ("What we know about customers lets us offer personal services before they ask.",
         "Знания о клиентах позволяют нам предлагать персональные услуги раньше, чем клиент о них попросит."),
    ),
    "strategy": (
        ("The company has a written customer experience strategy with clear goals.",
         "У компании есть записанная стратегия клиентского опыта с понятными целями."),
        ("The goals are set in numbers (NPS, CSAT, churn) with a target for each year.",
         "Цели выражены в числах (NPS, CSAT, отток) с целевым значением на каждый год."),
        ("The targets are cascaded into the objectives of departments and managers.",
         "Целевые значения каскадированы в цели подразделений и руководителей."),
        ("A financial model links customer experience to revenue, retention and costs, and investments in it "
         "are decided by that model.",
         "Финансовая модель связывает клиентский опыт с выручкой, удержанием и затратами, и решения об инвестициях "
         "в него принимаются по этой модели."),
        ("Top management reviews the results regularly and changes priorities and budgets by them.",
         "Высшее руководство регулярно разбирает результаты и меняет по ним приоритеты и бюджеты."),
    ),
    "culture": (
        ("Employees know that customer experience matters, and leaders show it in deeds, not only in declarations.",
         "Сотрудники знают, что клиентский опыт важен, и руководители показывают это делами, а не только "
         "декларациями."),
        ("Employees see customers' feedback on their own work.",
         "Сотрудники видят отзывы клиентов о своей собственной работе."),
        ("Front-line employees may solve a customer's problem on the spot, without asking a manager.",
         "Сотрудники первой линии могут решить проблему клиента на месте, не спрашивая руководителя."),
        ("Customer-centred behaviour counts in hiring, training, appraisal and pay.",
         "Клиентоориентированное поведение учитывается при найме, обучении, оценке и оплате труда."),
        ("Departments solve customers' problems together, and managers regularly spend time with customers.",
         "Подразделения вместе решают проблемы клиентов, а руководители регулярно проводят время с клиентами."),
    ),
}

QUESTIONS: tuple[Question, ...] = tuple(
    Question(f"{element}_{number}", element, en, ru)
    for element in ELEMENTS
    for number, (en, ru) in enumerate(_QUESTIONS[element], 1)
)
QUESTION_IDS = tuple(question.id for question in QUESTIONS)

# What moves an element from each level to the next (levels 1..4; level 5 keeps what it has).
NEXT_STEPS = {
    "measurement": (
        ("Ask customers regularly instead of waiting for complaints: start with one survey at the most "
         "important stage.",
         "Спрашивайте клиентов регулярно, а не ждите жалоб: начните с одного опроса на самом важном этапе."),
        ("Cover every key stage and channel with a short survey right after the interaction.",
         "Охватите каждый ключевой этап и канал коротким опросом сразу после взаимодействия."),
        ("Link survey answers to purchases, complaints and churn to see which experiences matter for money.",
         "Свяжите ответы с покупками, жалобами и оттоком, чтобы видеть, какой опыт важен для денег."),
        ("Move from collecting feedback to predicting it: warning signals from operational data.",
         "Перейдите от сбора отзывов к их прогнозу: сигналы-предупреждения из операционных данных."),
    ),
    "fixing": (
        ("Register every complaint and answer every customer.",
         "Регистрируйте каждую жалобу и отвечайте каждому клиенту."),
        ("Set resolution standards (time, quality) and check how many complaints meet them.",
         "Установите стандарты решения (срок, качество) и проверяйте, сколько жалоб им соответствует."),
        ("Close the loop with every detractor and look for the root causes of repeated problems.",
         "Замыкайте цикл с каждым критиком и ищите коренные причины повторяющихся проблем."),
        ("Choose improvements by their effect on customers and money, and measure whether each fix worked.",
         "Выбирайте улучшения по влиянию на клиентов и деньги и измеряйте, сработало ли каждое исправление."),
    ),
    "knowledge": (
        ("Keep one record per customer with contacts and purchase history.",
         "Ведите одну запись по каждому клиенту с контактами и историей покупок."),
        ("Segment customers by needs and value, and map their journey from their side.",
         "Разделите клиентов на сегменты по потребностям и ценности и опишите их путь с их точки зрения."),
        ("Put each customer's history, feedback and complaints in front of the employees who serve them.",
         "Покажите историю, отзывы и жалобы каждого клиента сотрудникам, которые его обслуживают."),
        ("Predict needs and risks (churn, lifetime value) and act on the predictions.",
         "Прогнозируйте потребности и риски (уход, пожизненную ценность) и действуйте по прогнозам."),
    ),
    "innovation": (
        ("Take ideas for new services from customer feedback, not only from experts' opinion.",
         "Берите идеи новых услуг из отзывов клиентов, а не только из мнения экспертов."),
        ("Involve customers in designing and testing new services.",
         "Вовлекайте клиентов в разработку и проверку новых услуг."),
        ("Check every launch against the customer journey and measure the experience after it.",
         "Проверяйте каждый запуск по пути клиента и измеряйте опыт после него."),
        ("Use customer knowledge to offer personal services before customers ask.",
         "Используйте знания о клиентах, чтобы предлагать персональные услуги раньше, чем клиент попросит."),
    ),
    "strategy": (
        ("Write the customer experience strategy down, with clear goals.",
         "Запишите стратегию клиентского опыта с понятными целями."),
        ("Turn the goals into numbers with yearly targets (NPS, CSAT, churn).",
         "Выразите цели в числах с целевыми значениями на год (NPS, CSAT, отток)."),
        ("Cascade the targets into the objectives of departments and managers.",
         "Каскадируйте целевые значения в цели подразделений и руководителей."),
        ("Build a financial model that links experience to money and decide investments by it.",
         "Постройте финансовую модель, связывающую опыт с деньгами, и принимайте по ней решения об инвестициях."),
    ),
    "culture": (
        ("Let leaders show in deeds, not declarations, that customer experience matters.",
         "Пусть руководители показывают делами, а не декларациями, что клиентский опыт важен."),
        ("Show every employee customers' feedback on their own work.",
         "Показывайте каждому сотруднику отзывы клиентов о его работе."),
        ("Let the front line solve customers' problems on the spot.",
         "Дайте первой линии право решать проблемы клиентов на месте."),
        ("Make customer-centred behaviour count in hiring, training, appraisal and pay.",
         "Учитывайте клиентоориентированное поведение при найме, обучении, оценке и оплате труда."),
    ),
}
KEEP_AT_TOP = ("Keep it there: review the practice every year, as customers' expectations move.",
               "Удерживайте уровень: пересматривайте практику каждый год, ведь ожидания клиентов меняются.")


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "ru" else pair[0]


def element_name(element: str, lang: str) -> str:
    return _pick(ELEMENT_NAMES[element], lang)


def level_name(level: str, lang: str) -> str:
    return _pick(LEVEL_NAMES[level], lang)


def level_description(level: str, lang: str) -> str:
    return _pick(LEVEL_DESCRIPTIONS[level], lang)


def next_step(element: str, level: str, lang: str) -> str:
    """What moves ``element`` from ``level`` to the next one (at the top: how to stay there).

    >>> next_step("strategy", "extended", "en")
    'Cascade the targets into the objectives of departments and managers.'
    """
    number = LEVELS.index(level)
    return _pick(KEEP_AT_TOP if number == len(LEVELS) - 1 else NEXT_STEPS[element][number], lang)


def questions_of(element: str) -> tuple[Question, ...]:
    return tuple(question for question in QUESTIONS if question.element == element)
