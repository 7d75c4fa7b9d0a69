// What both pages share: the language switch, the API key kept for the browser session, and
// fetch with the errors a land officer can act on ("the server is not responding").

import { messages } from './i18n.js';

const LANG_KEY = 'gisd.lang';
const API_KEY = 'gisd.apiKey';

let lang = (() => {
  try {
    return localStorage.getItem(LANG_KEY) === 'en' ? 'en' : 'vi';
  } catch {
    return 'vi';
  }
})();

const langListeners = [];

export function getLang() {
  return lang;
}

/** t translates a message key, filling {name} placeholders from params. */
export function t(key, params = {}) {
  const table = messages[lang] || messages.vi;
  let s = table[key] ?? messages.vi[key] ?? key;
  for (const [k, v] of Object.entries(params)) s = s.replaceAll(`{${k}}`, String(v));
  return s;
}

/** applyI18n fills every element carrying data-i18n (text), data-i18n-placeholder,
 * data-i18n-title or data-i18n-aria-label with the current language. */
export function applyI18n(root = document) {
  document.documentElement.lang = lang;
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of root.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
  for (const el of root.querySelectorAll('[data-i18n-aria-label]')) el.setAttribute('aria-label', t(el.dataset.i18nAriaLabel));
}

export function setLang(l) {
  lang = l === 'en' ? 'en' : 'vi';
  try {
    localStorage.setItem(LANG_KEY, lang);
  } catch {
    /* private mode: the choice lasts for this page only */
  }
  applyI18n();
  for (const fn of langListeners) fn(lang);
}

export function onLangChange(fn) {
  langListeners.push(fn);
}

/** Number formatting as people in Vietnam write it (1.210,5) or in English (1,210.5). */
export function fmtNumber(v, digits = 1) {
  if (v === null || v === undefined || v === '' || Number.isNaN(Number(v))) return '—';
  return Number(v).toLocaleString(lang === 'en' ? 'en-GB' : 'vi-VN', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

export function fmtDate(s) {
  if (!s) return '—';
  const d = new Date(s);
  if (Number.isNaN(d.getTime())) return String(s);
  return d.toLocaleDateString(lang === 'en' ? 'en-GB' : 'vi-VN', { timeZone: 'Asia/Ho_Chi_Minh' });
}

// ---- API key: sessionStorage only, so it is gone when the browser closes. ----

const keyListeners = [];

export function getApiKey() {
  try {
    return sessionStorage.getItem(API_KEY) || '';
  } catch {
    return '';
  }
}

export function setApiKey(k) {
  try {
    if (k) sessionStorage.setItem(API_KEY, k);
    else sessionStorage.removeItem(API_KEY);
  } catch {
    /* storage disabled: the key is not kept */
  }
  for (const fn of keyListeners) fn(k);
}

export function onApiKeyChange(fn) {
  keyListeners.push(fn);
}

export function authHeaders() {
  const k = getApiKey();
  return k ? { Authorization: `Bearer ${k}` } : {};
}

/** wireApiKeyField connects the key form in the page header. */
export function wireApiKeyField() {
  const form = document.getElementById('key-form');
  if (!form) return;
  const input = form.querySelector('input');
  const state = document.getElementById('key-state');
  const show = () => {
    const has = !!getApiKey();
    state.textContent = has ? t('key.set') : t('key.none');
    state.classList.toggle('on', has);
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    setApiKey(input.value.trim());
    input.value = '';
    show();
  });
  form.querySelector('[data-action=clear]').addEventListener('click', () => {
    setApiKey('');
    input.value = '';
    show();
  });
  onLangChange(show);
  show();
}

export function wireLangSwitch() {
  const b = document.getElementById('lang');
  if (!b) return;
  const show = () => {
    b.textContent = lang === 'vi' ? 'English' : 'Tiếng Việt';
    b.setAttribute('lang', lang === 'vi' ? 'en' : 'vi');
  };
  b.addEventListener('click', () => {
    setLang(lang === 'vi' ? 'en' : 'vi');
    show();
  });
  show();
}

// ---- fetch ----

/** ApiError carries a message for people (already translated) and what the server said. */
export class ApiError extends Error {
  constructor(message, { status = 0, detail = '', problem = null } = {}) {
    super(message);
    this.status = status;
    this.detail = detail;
    this.problem = problem;
  }
}

/** statusMessage is the translated sentence for an HTTP status. */
export function statusMessage(status) {
  if (status === 0) return t('err.noServer');
  const known = [400, 401, 403, 404, 409, 413, 415, 422, 429, 503];
  if (known.includes(status)) return t(`err.${status}`);
  if (status >= 500) return t('err.5xx');
  return t('err.other', { status });
}

/**
 * api fetches a JSON document from gisd. It adds the API key, gives up after timeoutMs, and
 * turns every failure into an ApiError whose message says what happened, in the page's language.
 */
export async function api(path, { method = 'GET', body, headers = {}, timeoutMs = 20000, signal } = {}) {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(new DOMException('timeout', 'TimeoutError')), timeoutMs);
  if (signal) signal.addEventListener('abort', () => ctl.abort(signal.reason), { once: true });
  let res;
  try {
    res = await fetch(path, {
      method,
      body,
      headers: { Accept: 'application/json', ...authHeaders(), ...headers },
      signal: ctl.signal,
    });
  } catch (e) {
    clearTimeout(timer);
    if (signal?.aborted) throw e;
    throw new ApiError(t('err.noServer'), { status: 0, detail: String(e?.message || e) });
  }
  clearTimeout(timer);
  const type = res.headers.get('Content-Type') || '';
  let doc = null;
  if (type.includes('json')) {
    try {
      doc = await res.json();
    } catch {
      doc = null;
    }
  }
  if (!res.ok) {
    const detail = doc?.detail || '';
    throw new ApiError(statusMessage(res.status), { status: res.status, detail, problem: doc });
  }
  return doc;
}

/** debounce delays fn until calls stop for ms. */
export function debounce(fn, ms) {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}
