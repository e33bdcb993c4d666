// @ts-check
/**
 * Russian and English labels. `t(key)` in the current language; `setLang` switches (no DOM
 * here, so the rules that use labels can be tested without a browser).
 *
 * @module
 */

/** @type {Record<string, Record<"ru" | "en", string>>} */
const LABELS = {
  title: { ru: "Трафик-дашборд", en: "Traffic Dashboard" },
  language: { ru: "Язык", en: "Language" },
  signIn: { ru: "Вход", en: "Sign in" },
  email: { ru: "Эл. почта", en: "Email" },
  password: { ru: "Пароль", en: "Password" },
  signInPassword: { ru: "Войти", en: "Sign in" },
  magicLink: { ru: "Прислать ссылку для входа", en: "Email me a sign-in link" },
  magicSent: {
    ru: "Ссылка для входа отправлена на {email}. Откройте её в этом браузере.",
    en: "A sign-in link was sent to {email}. Open it in this browser.",
  },
  signOut: { ru: "Выйти", en: "Sign out" },
  signedInAs: { ru: "Вы вошли как {email}", en: "Signed in as {email}" },
  roleAdmin: { ru: "администратор: все таргетологи", en: "admin: every targetologist" },
  roleUser: { ru: "таргетолог: только ваши данные", en: "targetologist: your numbers only" },
  localSession: {
    ru: "Локальная сессия: токен выпущен локальным стендом (npm run demo), действует до {time}.",
    en: "Local session: a token minted by the local stack (npm run demo), valid until {time}.",
  },
  localNoAuth: {
    ru: "На локальном стенде нет Supabase Auth: откройте ссылку, которую печатает npm run demo.",
    en: "The local stack has no Supabase Auth: open the link that npm run demo prints.",
  },
  notConfigured: {
    ru: "Не задан адрес проекта или публичный ключ (dashboard/config.js).",
    en: "No project URL or publishable key configured (dashboard/config.js).",
  },
  sessionExpired: {
    ru: "Сессия истекла: войдите снова.",
    en: "The session expired: sign in again.",
  },
  signInFailed: { ru: "Не удалось войти: {message}", en: "Sign-in failed: {message}" },
  period: { ru: "Период", en: "Period" },
  today: { ru: "Сегодня", en: "Today" },
  "7d": { ru: "7 дней", en: "7 days" },
  "30d": { ru: "30 дней", en: "30 days" },
  custom: { ru: "Свой период", en: "Custom range" },
  from: { ru: "С", en: "From" },
  to: { ru: "По", en: "To" },
  apply: { ru: "Показать", en: "Show" },
  targetologist: { ru: "Таргетолог", en: "Targetologist" },
  allTeams: { ru: "Все команды", en: "All teams" },
  teamPages: { ru: "Страницы команд", en: "Team pages" },
  teamsPage: { ru: "Команды {from}–{to} из {total}", en: "Teams {from}–{to} of {total}" },
  prevPage: { ru: "← Назад", en: "← Previous" },
  nextPage: { ru: "Вперёд →", en: "Next →" },
  teamTotal: { ru: "Итого по команде", en: "Team total" },
  unattributed: { ru: "Без таргетолога", en: "Unattributed" },
  summary: { ru: "Итоги", en: "Summary" },
  vsPrevious: { ru: "к пред. периоду {from} – {to}", en: "vs previous {from} – {to}" },
  noPrevious: { ru: "нет данных для сравнения", en: "nothing to compare with" },
  metricsTable: { ru: "Показатели по таргетологам", en: "Metrics per targetologist" },
  team: { ru: "Команда", en: "Team" },
  spendUsd: { ru: "Расход, $", en: "Spend, $" },
  spendKzt: { ru: "Расход, ₸", en: "Spend, ₸" },
  leads: { ru: "Лиды", en: "Leads" },
  metaLeads: { ru: "Лиды Meta", en: "Meta leads" },
  metaGap: { ru: "Meta − CRM", en: "Meta − CRM" },
  metaGapPct: { ru: "Meta − CRM, % от Meta", en: "Meta − CRM, % of Meta" },
  sales: { ru: "Продажи", en: "Sales" },
  revenue: { ru: "Выручка, ₸", en: "Revenue, ₸" },
  roas: { ru: "ROAS", en: "ROAS" },
  cpa: { ru: "CPA, $", en: "CPA, $" },
  cpl: { ru: "Цена лида, $", en: "Cost per lead, $" },
  ctr: { ru: "CTR", en: "CTR" },
  cpc: { ru: "CPC, $", en: "CPC, $" },
  cpm: { ru: "CPM, $", en: "CPM, $" },
  conversion: { ru: "Лид → продажа", en: "Lead → sale" },
  impressions: { ru: "Показы", en: "Impressions" },
  clicks: { ru: "Клики", en: "Clicks" },
  change: { ru: "изменение", en: "change" },
  charts: { ru: "По дням", en: "Per day" },
  chartSpend: { ru: "Расход по дням, $", en: "Spend per day, $" },
  chartLeads: { ru: "Лиды по дням", en: "Leads per day" },
  chartRevenue: { ru: "Выручка по дням, ₸", en: "Revenue per day, ₸" },
  chartRoas: { ru: "ROAS по дням", en: "ROAS per day" },
  campaigns: { ru: "Кампании", en: "Campaigns" },
  campaign: { ru: "Кампания", en: "Campaign" },
  adset: { ru: "Группа объявлений", en: "Ad set" },
  ad: { ru: "Объявление", en: "Ad" },
  allCampaigns: { ru: "Все кампании", en: "All campaigns" },
  drillHint: {
    ru: "Нажмите на строку, чтобы раскрыть группы и объявления.",
    en: "Choose a row to open its ad sets and ads.",
  },
  open: { ru: "Открыть {name}", en: "Open {name}" },
  sortBy: { ru: "Сортировать по: {name}", en: "Sort by {name}" },
  csv: { ru: "Скачать CSV", en: "Download CSV" },
  noRows: { ru: "Нет данных за период.", en: "No data for this period." },
  freshness: { ru: "Свежесть данных", en: "Data freshness" },
  source: { ru: "Источник", en: "Source" },
  lastSync: { ru: "Последняя синхронизация", en: "Last sync" },
  status: { ru: "Статус", en: "Status" },
  ok: { ru: "в порядке", en: "ok" },
  failed: { ru: "ошибка", en: "failed" },
  running: { ru: "идёт", en: "running" },
  never: { ru: "ещё не было", en: "never" },
  stale: { ru: "устарели", en: "stale" },
  facebook_ads: { ru: "Facebook Ads", en: "Facebook Ads" },
  aggregation: { ru: "Пересчёт метрик", en: "Metrics aggregation" },
  amocrm: { ru: "AmoCRM", en: "AmoCRM" },
  full: { ru: "Полная синхронизация", en: "Full sync" },
  warnFailed: {
    ru: "{source}: синхронизация не удалась — {message}",
    en: "{source}: sync failed — {message}",
  },
  warnStale: {
    ru: "{source}: данные устарели, последняя успешная синхронизация {ago} назад.",
    en: "{source}: data is stale, last successful sync {ago} ago.",
  },
  warnNever: { ru: "{source}: синхронизаций ещё не было.", en: "{source}: never synced yet." },
  warnCron: {
    ru: "Задание {job}: последний запуск {status}.",
    en: "Job {job}: last run {status}.",
  },
  warnTokenInvalid: {
    ru: "Токен Facebook недействителен: подключите аккаунт заново.",
    en: "The Facebook token is invalid: reconnect the account.",
  },
  warnTokenExpiring: {
    ru: "Токен Facebook истекает {when}: продлите его.",
    en: "The Facebook token expires {when}: renew it.",
  },
  warnTokenExpired: {
    ru: "Токен Facebook истёк {when}: подключите аккаунт заново.",
    en: "The Facebook token expired {when}: reconnect the account.",
  },
  allFresh: { ru: "Все источники свежие.", en: "Every source is fresh." },
  openAlerts: { ru: "Открытые оповещения", en: "Open alerts" },
  loading: { ru: "Загрузка…", en: "Loading…" },
  error: { ru: "Ошибка: {message}", en: "Error: {message}" },
  minutes: { ru: "{n} мин", en: "{n} min" },
  hours: { ru: "{n} ч", en: "{n} h" },
  days: { ru: "{n} дн.", en: "{n} d" },
};

/** @type {"ru" | "en"} */
let lang = "ru";

export function currentLang() {
  return lang;
}

/**
 * The label `key` in the current language, `{name}` placeholders filled from `vars`.
 * @param {string} key @param {Record<string, string | number>} [vars]
 */
export function t(key, vars = {}) {
  const entry = LABELS[key];
  const text = entry ? entry[lang] : key;
  return text.replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? `{${k}}`));
}

/** True when `key` has a label. @param {string} key */
export function hasLabel(key) {
  return Object.hasOwn(LABELS, key);
}

/**
 * Switches the language (the page re-labels itself: app.js `relabel`).
 * @param {string} next
 * @returns {"ru" | "en"}
 */
export function setLang(next) {
  lang = next === "en" ? "en" : "ru";
  return lang;
}
