// The Allot console: plain pages over the admin API. Every figure comes from the API with the signed-in token;
// the server checks each call's scope, and the pages hide what the identity's scopes do not allow.
'use strict';

const state = { token: sessionStorage.getItem('allot.token'), me: null, timers: [], charts: [], editor: null, view: 0 };

// ---------------------------------------------------------------- plumbing

const esc = v => String(v ?? '').replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
const $ = sel => document.querySelector(sel);
const fmt = (v, digits = 3) => v === null || v === undefined || Number.isNaN(v) ? '–'
  : typeof v === 'number' ? (Number.isInteger(v) ? v.toLocaleString('en') : v.toFixed(digits)) : esc(v);
const may = scope => !!state.me && state.me.scopes.includes(scope);

class ApiError extends Error {
  constructor(status, body, text) {
    super(body && body.message ? body.message : (text || ('HTTP ' + status)));
    this.status = status;
    this.body = body;
  }
}

async function api(method, path, body) {
  const headers = {};
  if (state.token) headers.Authorization = 'Bearer ' + state.token;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch (e) { /* not JSON */ }
  if (res.status === 401 && state.me) {
    // The token expired or was revoked: back to signing in rather than polling on with it.
    location.hash = '#/signout';
  }
  if (!res.ok) throw new ApiError(res.status, json, text);
  return json;
}

function say(text, ok = false) {
  const m = $('#message');
  m.textContent = text;
  m.className = ok ? 'ok' : '';
  m.hidden = !text;
}

function fail(e) {
  const field = e.body && e.body.field ? ' (field: ' + e.body.field + ')' : '';
  say(e.message + field);
}

/**
 * Whether the view that called it is still the one shown: a view that awaited the API while the user moved on
 * must not draw over the next one, nor leave its polls running.
 */
function liveView() {
  const view = state.view;
  return () => view === state.view;
}

/** Runs fn now and every ms while the view stays. */
function poll(fn, ms, live) {
  if (!live()) return;
  const run = () => (live() ? fn() : Promise.resolve()).catch(fail);
  run();
  state.timers.push(setInterval(run, ms));
}

function chart(id) {
  const el = document.getElementById(id);
  const c = echarts.getInstanceByDom(el) || echarts.init(el);
  if (!state.charts.includes(c)) state.charts.push(c);
  return c;
}

function leaveView() {
  state.timers.forEach(clearInterval);
  state.timers = [];
  state.charts.forEach(c => c.dispose());
  state.charts = [];
  state.editor = null;
}

const dayBefore = day => {
  const d = new Date(day + 'T00:00:00Z');
  d.setUTCDate(d.getUTCDate() - 1);
  return d.toISOString().slice(0, 10);
};

// ---------------------------------------------------------------- sign-in and routing

async function signIn(token) {
  state.token = token;
  try {
    state.me = await api('GET', '/v1/admin/whoami');
    sessionStorage.setItem('allot.token', token);
  } catch (e) {
    state.token = null;
    state.me = null;
    sessionStorage.removeItem('allot.token');
    throw e;
  }
}


function renderHeader() {
  const nav = $('#nav');
  nav.hidden = !state.me;
  nav.querySelectorAll('a').forEach(a => {
    a.hidden = !may(a.dataset.scope);
    a.classList.toggle('current', location.hash.startsWith(a.getAttribute('href')));
  });
  $('#who').innerHTML = state.me
    ? `<span id="identity">${esc(state.me.name)}</span> <span class="muted">${state.me.scopes.map(esc).join(' · ')}</span>
       <button class="secondary" id="sign-out">Sign out</button>` : '';
  if (state.me) $('#sign-out').onclick = () => { location.hash = '#/signout'; };
}

function viewSignIn(view) {
  view.innerHTML = `<section class="card signin"><h2>Sign in</h2>
    <p class="muted">A token from your identities file (or <code>ALLOT_ADMIN_TOKEN</code>), or a JWT from your
    identity provider. It is kept for this browser tab only.</p>
    <form id="signin-form"><input id="token" type="password" autocomplete="off" placeholder="token or JWT">
    <button id="sign-in" type="submit">Sign in</button></form></section>`;
  $('#signin-form').onsubmit = async ev => {
    ev.preventDefault();
    try {
      await signIn($('#token').value.trim());
      // The view asked for before signing in, if any.
      route();
    } catch (e) {
      fail(e);
    }
  };
}

const routes = [
  [/^#\/cities$/, viewCities],
  [/^#\/city\/([^/]+)$/, viewCity],
  [/^#\/rules$/, viewRules],
  [/^#\/pid(?:\/([^/]+))?$/, viewPid],
  [/^#\/models$/, viewModels],
  [/^#\/audit(?:\?.*)?$/, viewAudit],
];

async function route() {
  state.view++;
  leaveView();
  const view = $('#view');
  if (location.hash === '#/signout') {
    sessionStorage.removeItem('allot.token');
    state.token = null;
    state.me = null;
    history.replaceState(null, '', '#/cities');
  }
  if (!state.me && state.token) {
    try { await signIn(state.token); } catch (e) { /* ask again */ }
  }
  renderHeader();
  if (!state.me) {
    viewSignIn(view);
    return;
  }
  const hash = location.hash || '#/cities';
  for (const [pattern, render] of routes) {
    const m = hash.match(pattern);
    if (m) {
      if (!may('read')) {
        view.innerHTML = `<section class="card">${esc(state.me.name)} holds no <code>read</code> scope: nothing here to show.</section>`;
        return;
      }
      view.innerHTML = '';
      try { await render(view, ...m.slice(1).map(v => v && decodeURIComponent(v))); } catch (e) { fail(e); }
      return;
    }
  }
  location.hash = '#/cities';
}

// A message stays while its view re-renders (after an approval, say) and goes when the user moves on.
window.addEventListener('hashchange', () => { say(''); route(); });
window.addEventListener('resize', () => state.charts.forEach(c => c.resize()));

// ---------------------------------------------------------------- cities

function flags(s) {
  const out = [];
  if (s.degraded) out.push('<span class="flag bad">degraded</span>');
  if (s.restoring) out.push('<span class="flag bad">restoring</span>');
  if (s.frozen) out.push('<span class="flag">λ frozen</span>');
  if (s.rules && s.rules.fallback) out.push('<span class="flag bad">rules fallback</span>');
  if (s.pendingWrites > 0) out.push(`<span class="flag">${s.pendingWrites} pending writes</span>`);
  return out.join('') || '<span class="flag good">ok</span>';
}

async function viewCities(view) {
  const live = liveView();
  view.innerHTML = `<h2>Cities</h2><section class="card"><table id="cities"><thead><tr><th>city</th><th class="num">λ</th>
    <th>target</th><th class="num">measured</th><th class="num">decisions today</th><th class="num">decisions/s</th>
    <th>model</th><th>rules</th><th>flags</th></tr></thead><tbody></tbody></table></section>`;
  const last = {};
  poll(async () => {
    const { cities } = await api('GET', '/v1/admin/cities');
    const now = Date.now();
    $('#cities tbody').innerHTML = cities.map(s => {
      const prev = last[s.city];
      const rate = prev && now > prev.at ? Math.max(0, (s.counts.decisions - prev.n) / ((now - prev.at) / 1000)) : null;
      last[s.city] = { at: now, n: s.counts.decisions };
      return `<tr data-city="${esc(s.city)}"><td><a href="#/city/${encodeURIComponent(s.city)}">${esc(s.city)}</a></td>
        <td class="num lambda">${fmt(s.lambda, 4)}</td><td>${esc(s.target.type)} ${fmt(s.target.value, 2)}</td>
        <td class="num">${fmt(s.target.measured, 3)}</td><td class="num decisions">${fmt(s.counts.decisions)}</td>
        <td class="num">${rate === null ? '…' : rate.toFixed(1)}</td><td>${esc(s.modelVersion)}</td>
        <td>${esc(s.rules && s.rules.version)}</td><td>${flags(s)}</td></tr>`;
    }).join('');
  }, 3000, live);
}

// ---------------------------------------------------------------- one city

/** Yesterday's points moved a day later, so both days share today's time axis. */
const shifted = (points, field) => points.map(p => [new Date(p.at).getTime() + 86400000, p[field]]);
const series = (points, field) => points.map(p => [new Date(p.at).getTime(), p[field]]);

function lineChart(id, title, lines, target) {
  const c = chart(id);
  const option = {
    title: { text: title, textStyle: { fontSize: 13 } }, tooltip: { trigger: 'axis' },
    legend: { top: 0, right: 0 }, grid: { left: 50, right: 20, top: 40, bottom: 30 },
    xAxis: { type: 'time' }, yAxis: { type: 'value', scale: true },
    series: lines.map(l => ({ name: l.name, type: 'line', showSymbol: l.data.length < 60, data: l.data,
      lineStyle: l.dashed ? { type: 'dashed', opacity: 0.6 } : undefined, step: l.step ? 'end' : undefined })),
  };
  if (target !== undefined && target !== null) {
    option.series[0].markLine = { symbol: 'none', data: [{ yAxis: target, name: 'target' }],
      label: { formatter: 'target ' + target }, lineStyle: { color: '#c0392b' } };
  }
  c.setOption(option, true);
  document.getElementById(id).dataset.points = lines[0].data.length;
}

function barChart(id, title, entries) {
  const c = chart(id);
  c.setOption({
    title: { text: title, textStyle: { fontSize: 13 } }, tooltip: {}, grid: { left: 50, right: 20, top: 40, bottom: 30 },
    xAxis: { type: 'category', data: entries.map(e => e[0]) }, yAxis: { type: 'value' },
    series: [{ type: 'bar', data: entries.map(e => e[1]) }],
  }, true);
  document.getElementById(id).dataset.points = entries.length;
}

/** What a day's chart leaves out, said beside it. */
function chartFlags(day, name) {
  return [day.truncated ? `<span class="flag">${name}: oldest decisions not charted</span>` : '',
    day.behind ? `<span class="flag">${name}: catching up with the stream</span>` : '',
    day.unreadable > 0 ? `<span class="flag bad">${name}: ${day.unreadable} records in a newer format skipped</span>` : ''].join('');
}

async function viewCity(view, city) {
  const live = liveView();
  view.innerHTML = `<h2>${esc(city)} <span class="muted" id="city-day"></span></h2>
    <section class="card" id="city-summary"></section>
    <div class="grid">
      <section class="card"><div id="chart-lambda" class="chart"></div></section>
      <section class="card"><div id="chart-measure" class="chart"></div></section>
      <section class="card"><div id="chart-spend" class="chart"></div></section>
      <section class="card"><div id="chart-levels" class="chart"></div></section>
    </div>
    <div class="grid">
      <section class="card"><h3>Groups</h3><table id="groups"><tbody></tbody></table></section>
      <section class="card"><h3>Rule hits today</h3><table id="rule-hits"><tbody></tbody></table></section>
    </div>`;
  let yesterday = null;
  poll(async () => {
    const s = await api('GET', `/v1/cities/${encodeURIComponent(city)}/state`);
    const today = await api('GET', `/v1/admin/cities/${encodeURIComponent(city)}/day?day=${s.day}`);
    if (!yesterday || yesterday.day !== dayBefore(s.day)) {
      yesterday = await api('GET', `/v1/admin/cities/${encodeURIComponent(city)}/day?day=${dayBefore(s.day)}`);
    }
    $('#city-day').textContent = s.day;
    $('#city-summary').innerHTML = `λ <b id="city-lambda">${fmt(s.lambda, 4)}</b> ·
      ${esc(s.target.type)} target <b>${fmt(s.target.value, 2)}</b>, measured (${esc(s.target.steerOn)})
      <b>${fmt(s.target.measured, 3)}</b> · decisions <b>${fmt(s.counts.decisions)}</b> ·
      expected spend <b>${fmt(s.spend.expected, 2)}</b> · PID kp ${fmt(s.pid.kp, 4)} ki ${fmt(s.pid.ki, 5)} kd ${fmt(s.pid.kd, 3)}
      every ${fmt(s.pid.intervalSeconds)} s · ${flags(s)} ${chartFlags(today, 'today')} ${chartFlags(yesterday, 'yesterday')}`;
    lineChart('chart-lambda', 'λ through the day', [
      { name: 'today', data: series(today.points, 'lambda'), step: true },
      { name: 'yesterday', data: shifted(yesterday.points, 'lambda'), dashed: true, step: true }]);
    lineChart('chart-measure', 'Running ' + today.constraint + ' against the target', [
      { name: 'today', data: series(today.points, 'measured') },
      { name: 'yesterday', data: shifted(yesterday.points, 'measured'), dashed: true }], today.target);
    lineChart('chart-spend', 'Expected coupon spend (running)', [
      { name: 'today', data: series(today.points, 'spend') },
      { name: 'yesterday', data: shifted(yesterday.points, 'spend'), dashed: true }]);
    const total = Object.values(today.levels).reduce((a, b) => a + b, 0) || 1;
    barChart('chart-levels', 'Share of each level offered today (%)',
      Object.entries(today.levels).map(([k, v]) => [k === 'none' ? 'none' : 'level ' + k, +(100 * v / total).toFixed(1)]));
    $('#groups tbody').innerHTML = Object.entries(today.groups)
      .map(([g, n]) => `<tr><td>${esc(g)}</td><td class="num">${fmt(n)}</td></tr>`).join('') || '<tr><td class="muted">no decisions yet</td></tr>';
    $('#rule-hits tbody').innerHTML = Object.entries(today.ruleHits).sort((a, b) => b[1] - a[1])
      .map(([r, n]) => `<tr><td>${esc(r)}</td><td class="num">${fmt(n)}</td></tr>`).join('') || '<tr><td class="muted">no rule acted today</td></tr>';
  }, 5000, live);
}

// ---------------------------------------------------------------- rules

const rules = { files: {}, current: null, errors: [] };

function modeOf(name) {
  if (name.endsWith('.json')) return { name: 'javascript', json: true };
  if (name.endsWith('.drl')) return 'text/x-java';
  return null;
}

function showFile(name) {
  if (state.editor && rules.current !== null) rules.files[rules.current] = state.editor.getValue();
  rules.current = name;
  $('#rule-file').value = name;
  state.editor.setOption('mode', modeOf(name));
  state.editor.setValue(rules.files[name] ?? '');
  markErrors();
}

function loadFiles(files) {
  rules.files = { ...files };
  rules.current = null;
  rules.errors = [];
  const names = Object.keys(rules.files).sort();
  $('#rule-file').innerHTML = names.map(n => `<option>${esc(n)}</option>`).join('');
  $('#rule-errors').innerHTML = '';
  if (names.length) showFile(names[0]);
}

/** Marks the current file's error lines in the editor, gutter and background. */
function markErrors() {
  const cm = state.editor;
  cm.clearGutter('errors');
  for (let i = 0; i < cm.lineCount(); i++) cm.removeLineClass(i, 'wrap', 'cm-error-line');
  for (const e of rules.errors.filter(e => e.file === rules.current && e.line > 0)) {
    const line = Math.min(e.line, cm.lineCount()) - 1;
    cm.addLineClass(line, 'wrap', 'cm-error-line');
    const dot = document.createElement('span');
    dot.className = 'cm-error-gutter';
    dot.title = e.message;
    dot.textContent = '●';
    cm.setGutterMarker(line, 'errors', dot);
  }
}

function draftBody() {
  rules.files[rules.current] = state.editor.getValue();
  const body = { files: rules.files };
  const cities = $('#rule-cities').value.split(',').map(s => s.trim()).filter(Boolean);
  if (cities.length) body.cities = cities;
  const examples = $('#rule-examples').value.trim();
  if (examples) {
    try { body.examples = JSON.parse(examples); } catch (e) { throw new ApiError(400, { message: 'examples are not JSON: ' + e.message, field: 'examples' }); }
  }
  const description = $('#rule-description').value.trim();
  if (description) body.description = description;
  return body;
}

function showCheck(result) {
  rules.errors = [];
  markErrors();
  const ex = (result.examples || result.exampleResults || []);
  $('#rule-errors').innerHTML = '';
  $('#rule-check').innerHTML = `<span class="flag good">compiles</span> ${esc(result.version)}
    ${ex.length ? ` · examples: ${ex.filter(r => r.passed).length}/${ex.length} pass` : ''}
    ${ex.filter(r => !r.passed).map(r => `<div class="muted">✗ ${esc(r.name)}: ${esc(r.problem || '')}</div>`).join('')}`;
}

function showRejection(e) {
  if (!(e.body && e.body.errors)) { fail(e); return; }
  rules.errors = e.body.errors;
  $('#rule-check').innerHTML = '<span class="flag bad">refused</span> ' + esc(e.message);
  $('#rule-errors').innerHTML = rules.errors.map(x => `<li data-file="${esc(x.file)}" data-line="${x.line}">
    ${esc(x.file)}, line ${x.line}${x.column > 0 ? ', column ' + x.column : ''}: ${esc(x.message)}</li>`).join('');
  const first = rules.errors.find(x => x.file in rules.files);
  if (first && first.file !== rules.current) showFile(first.file); else markErrors();
  if (first && first.line > 0) state.editor.scrollIntoView({ line: first.line - 1, ch: 0 }, 80);
}

function renderDiff(d) {
  return Object.entries(d.files).map(([name, f]) => `<h3>${esc(name)} <span class="flag">${esc(f.status)}</span></h3>` +
    (f.diff ? `<pre class="diff">${f.diff.split('\n').map(l => `<span class="${l.startsWith('@@') ? 'hunk'
      : l.startsWith('+') ? 'add' : l.startsWith('-') ? 'del' : ''}">${esc(l)}</span>`).join('\n')}</pre>` : '')).join('');
}

function renderDryRun(r) {
  const t = r.total;
  const impact = (name, i) => `<tr><td>${esc(name)}</td><td class="num">${fmt(i.decisions)}</td><td class="num">${fmt(i.changed)}</td>
    <td class="num">${fmt(i.conversionsAfter - i.conversionsBefore, 2)}</td><td class="num">${fmt(i.revenueAfter - i.revenueBefore, 2)}</td>
    <td class="num">${fmt(i.spendAfter - i.spendBefore, 2)}</td></tr>`;
  const transitions = Object.entries(r.transitions).flatMap(([from, to]) => Object.entries(to)
    .filter(([l]) => l !== from).map(([l, n]) => `<tr><td>${esc(from)} → ${esc(l)}</td><td class="num">${fmt(n)}</td></tr>`)).join('');
  return `<p>Replayed <b id="dry-run-decisions">${fmt(t.decisions)}</b> recorded decisions of ${esc(r.city)} under
    ${esc(r.rulesVersion)}: <b id="dry-run-changed">${fmt(t.changed)}</b> would change.</p>
    <table><thead><tr><th></th><th class="num">decisions</th><th class="num">changed</th><th class="num">Δ conversions</th>
    <th class="num">Δ revenue</th><th class="num">Δ spend</th></tr></thead><tbody>${impact('all', t)}
    ${Object.entries(r.bySegment).map(([s, i]) => impact(s, i)).join('')}</tbody></table>
    ${transitions ? `<h3>Level changes</h3><table><tbody>${transitions}</tbody></table>` : ''}
    ${r.examples.length ? `<h3>Examples</h3><table><tbody>${r.examples.slice(0, 10).map(c => `<tr><td>${esc(c.decisionId)}</td>
      <td>${esc(c.segment)}</td><td>${c.before ?? 'none'} → ${c.after ?? 'none'}</td><td>${esc(c.rules.join(', '))}</td></tr>`).join('')}</tbody></table>` : ''}`;
}

async function viewRules(view) {
  const live = liveView();
  const edit = may('rules:edit');
  const approve = may('rules:approve');
  view.innerHTML = `<h2>Guardrail rules</h2>
    <section class="card" id="rules-running"></section>
    <div class="split">
      <section class="card"><h3>Versions</h3><table id="versions"><thead><tr><th>version</th><th>author</th><th>state</th><th></th></tr></thead>
        <tbody></tbody></table>
        <h3>Diff</h3><div class="row"><label>from<select id="diff-from"></select></label><label>to<select id="diff-to"></select></label>
        <button class="secondary" id="diff">Diff</button></div><div id="diff-out"></div></section>
      <section class="card" id="editor-card"><h3>Editor</h3>
        <div class="row"><label>file<select id="rule-file"></select></label>
          ${edit ? `<label>new file<input id="new-file" placeholder="name.json, .csv or .drl"></label>
          <button class="secondary" id="add-file" type="button">Add</button>` : ''}
          <button class="secondary" id="load-running" type="button">Open what runs</button></div>
        <textarea id="rule-source"></textarea>
        <ul id="rule-errors"></ul><div id="rule-check"></div>
        ${edit ? `<div class="row"><label>description<input id="rule-description" size="40"></label>
          <label>cities (comma-separated; empty: all)<input id="rule-cities"></label></div>
          <label class="muted">test examples (JSON list: arrival and what it must get)</label>
          <textarea class="examples" id="rule-examples" placeholder='[{"name":"staff get nothing","arrival":{"city":"demo","userId":"staff-1","segment":"new"},"expect":{"denied":true}}]'></textarea>
          <div class="row"><button id="validate" type="button">Validate</button> <button id="save-draft" type="button">Save draft</button></div>`
          : '<p class="muted">Editing needs the rules:edit scope.</p>'}
      </section>
    </div>
    <section class="card"><h3>Dry-run</h3><div class="row"><label>on the recorded decisions of<select id="dry-run-city"></select></label></div><div id="dry-run"><p class="muted">Dry-run a version to see what it would change on recorded decisions.</p></div></section>`;
  state.editor = CodeMirror.fromTextArea($('#rule-source'), { lineNumbers: true, gutters: ['errors', 'CodeMirror-linenumbers'], readOnly: !edit });
  window.allotEditor = state.editor;
  $('#rule-file').onchange = ev => showFile(ev.target.value);

  const openRunning = async () => {
    const running = await api('GET', '/v1/admin/rules/active');
    if (live()) loadFiles(running.files);
  };
  $('#load-running').onclick = () => openRunning().catch(fail);
  await openRunning();
  if (!live()) return;
  await refreshRuleLists(view, edit, approve);

  $('#diff').onclick = async () => {
    try { $('#diff-out').innerHTML = renderDiff(await api('GET', `/v1/admin/rules/diff?from=${encodeURIComponent($('#diff-from').value)}&to=${encodeURIComponent($('#diff-to').value)}`)); } catch (e) { fail(e); }
  };
  if (!edit) return;
  $('#add-file').onclick = () => {
    const name = $('#new-file').value.trim();
    if (!/^[\w.-]+\.(json|csv|drl)$/.test(name)) { say('a rule file is named like fairness.json, caps.csv or custom.drl'); return; }
    if (!(name in rules.files)) {
      rules.files[name] = name.endsWith('.json') ? '{ "rules": [] }\n' : '';
      $('#rule-file').insertAdjacentHTML('beforeend', `<option>${esc(name)}</option>`);
    }
    showFile(name);
  };
  $('#validate').onclick = async () => {
    try { say(''); showCheck(await api('POST', '/v1/admin/rules/validate', draftBody())); } catch (e) { showRejection(e); }
  };
  $('#save-draft').onclick = async () => {
    try {
      const saved = await api('POST', '/v1/admin/rules/drafts', draftBody());
      say('saved ' + saved.version + (saved.examplesPassed === false ? ' (its examples fail: it cannot be approved)' : ''), true);
      await refreshRuleLists(view, edit, approve);
    } catch (e) { showRejection(e); }
  };
}

/** What runs where, and the saved versions with the actions the identity may take on each. */
async function refreshRuleLists(view, edit, approve) {
  const again = () => refreshRuleLists(view, edit, approve);
  const overview = await api('GET', '/v1/admin/rules');
  const chosen = $('#dry-run-city').value;
  $('#dry-run-city').innerHTML = Object.keys(overview.cities).map(c => `<option ${c === chosen ? 'selected' : ''}>${esc(c)}</option>`).join('');
  $('#rules-running').innerHTML = `<table id="running"><thead><tr><th>city</th><th>running</th><th>fallback</th><th></th></tr></thead><tbody>
    ${Object.entries(overview.cities).map(([city, c]) => ({ city, ...c })).map(c => `<tr><td>${esc(c.city)}</td><td class="running-version">${esc(c.active)}</td><td>${esc(c.fallbackFrom || '')}</td>
    <td>${approve ? `<button class="secondary rollback" data-city="${esc(c.city)}">Roll back</button>` : ''}</td></tr>`).join('')}</tbody></table>
    <p class="muted">Four-eyes approval is ${overview.fourEyes ? 'on: a version is approved by someone other than its author' : 'off'}.</p>`;
  view.querySelectorAll('button.rollback').forEach(b => b.onclick = async () => {
    try {
      const r = await api('POST', '/v1/admin/rules/rollback?city=' + encodeURIComponent(b.dataset.city));
      const to = typeof r.active === 'string' ? r.active : JSON.stringify(r.active);
      say('rolled back ' + b.dataset.city + ' to ' + to, true);
      await again();
    } catch (e) { fail(e); }
  });

  const { versions } = await api('GET', '/v1/admin/rules/versions?limit=50');
  const options = versions.map(v => `<option>${esc(v.version)}</option>`).join('');
  $('#diff-from').innerHTML = options;
  $('#diff-to').innerHTML = options;
  if (versions.length > 1) $('#diff-from').selectedIndex = 1;
  $('#versions tbody').innerHTML = versions.map(v => `<tr data-version="${esc(v.version)}"><td title="${esc(v.description || '')}">${esc(v.version)}
      <div class="muted">${esc(v.description || '')}</div></td><td>${esc(v.author)}</td>
      <td>${v.active ? '<span class="flag good">active</span>' : ''}${v.approvedBy ? `<span class="flag">approved by ${esc(v.approvedBy)}</span>` : '<span class="flag">draft</span>'}
      ${v.examplesPassed === false ? '<span class="flag bad">examples fail</span>' : ''}</td>
      <td><button class="secondary open">Open</button> ${edit ? '<button class="secondary dry-run">Dry-run</button>' : ''}
      ${approve && !v.approvedBy ? '<button class="approve">Approve</button>' : ''}
      ${approve && v.approvedBy && !v.active ? '<button class="activate">Activate</button>' : ''}</td></tr>`).join('')
    || '<tr><td colspan="4" class="muted">No saved versions yet: edit, validate and save a draft.</td></tr>';
  view.querySelectorAll('#versions tr[data-version]').forEach(tr => {
    const version = tr.dataset.version;
    const on = (cls, fn) => { const b = tr.querySelector('button.' + cls); if (b) b.onclick = () => fn().catch(fail); };
    on('open', async () => {
      const v = await api('GET', '/v1/admin/rules/versions/' + encodeURIComponent(version));
      loadFiles(v.files);
      if ($('#rule-examples')) $('#rule-examples').value = v.examples && v.examples.length ? JSON.stringify(v.examples, null, 1) : '';
      if ($('#rule-description')) $('#rule-description').value = v.description || '';
      if ($('#rule-cities')) $('#rule-cities').value = (v.cities || []).join(', ');
    });
    on('dry-run', async () => {
      $('#dry-run').innerHTML = '<p class="muted">replaying…</p>';
      $('#dry-run').innerHTML = renderDryRun(await api('POST', `/v1/admin/rules/versions/${encodeURIComponent(version)}/dry-run`,
        { city: $('#dry-run-city').value }));
      $('#dry-run').scrollIntoView();
    });
    on('approve', async () => {
      await api('POST', `/v1/admin/rules/versions/${encodeURIComponent(version)}/approve`);
      say('approved ' + version, true);
      await again();
    });
    on('activate', async () => {
      await api('POST', `/v1/admin/rules/versions/${encodeURIComponent(version)}/activate`, {});
      say('activated ' + version + ': every replica runs it within a second', true);
      await again();
    });
  });
}

// ---------------------------------------------------------------- PID

// The API's ranges (docs/operations.md); the form checks them before any call, the API again.
const GAIN_FIELDS = [['kp', 'kp (proportional)', 0, ''], ['ki', 'ki (integral, per second)', 0, ''], ['kd', 'kd (derivative, seconds)', 0, ''],
  ['intervalSeconds', 'interval (s)', 0.001, 86400], ['lambdaMin', 'λ min', 0, ''], ['lambdaMax', 'λ max', 0, '']];

/** The form's gains; with {@code since}, only those that differ from it (what the operator changed). */
function gainsFromForm(since) {
  if (!$('#pid-form').reportValidity()) throw new ApiError(400, { message: 'a gain is out of its range' });
  const body = {};
  for (const [f] of GAIN_FIELDS) {
    const v = Number($('#pid-' + f).value);
    if (!since || v !== since[f]) body[f] = v;
  }
  if (Number(body.lambdaMin ?? since?.lambdaMin) > Number(body.lambdaMax ?? since?.lambdaMax)) {
    throw new ApiError(400, { message: 'λ min must not exceed λ max', field: 'lambdaMin' });
  }
  const steerOn = $('#pid-steerOn').value;
  if (!since || steerOn !== since.steerOn) body.steerOn = steerOn;
  return body;
}

function whatIfChart(r) {
  const pts = (w, f) => w.path.map(p => [new Date(p.at).getTime(), p[f]]);
  lineChart('chart-whatif', 'λ: in force against proposed', [
    { name: 'proposed', data: pts(r.proposed, 'lambda'), step: true },
    { name: 'in force', data: pts(r.current, 'lambda'), dashed: true, step: true }]);
  lineChart('chart-whatif-measure', 'Running measure against the target', [
    { name: 'proposed', data: pts(r.proposed, 'measured') },
    { name: 'in force', data: pts(r.current, 'measured'), dashed: true }], r.target);
  const dev = v => v === null ? '–' : (100 * v).toFixed(3) + ' %';
  $('#whatif-summary').innerHTML = `<table><thead><tr><th></th><th class="num">end deviation</th><th class="num">end λ</th>
    <th class="num">revenue</th><th class="num">purchases</th></tr></thead><tbody>
    ${[['in force', r.current], ['proposed', r.proposed]].map(([n, w]) => `<tr><td>${n}</td><td class="num" id="whatif-${n === 'proposed' ? 'proposed' : 'current'}-deviation">${dev(w.endDeviation)}</td>
      <td class="num">${fmt(w.endLambda, 4)}</td><td class="num">${fmt(w.revenue, 1)}</td><td class="num">${fmt(w.purchases, 1)}</td></tr>`).join('')}
    </tbody></table><p class="muted">${fmt(r.decisions)} recorded decisions of ${esc(r.day || (r.days || []).join(', '))} replayed; purchases drawn from the recorded curves.</p>`;
}

async function viewPid(view, city) {
  const live = liveView();
  const { cities } = await api('GET', '/v1/admin/cities');
  if (!live()) return;
  if (!city) city = cities[0].city;
  const ops = may('ops');
  view.innerHTML = `<h2>PID controller <select id="pid-city">${cities.map(c => `<option ${c.city === city ? 'selected' : ''}>${esc(c.city)}</option>`).join('')}</select></h2>
    <section class="card" id="pid-state"></section>
    ${ops ? `<section class="card"><h3>Gains</h3>
      <p class="muted">λ = λ₀ + kp·e + ki·∫e dt + kd·de/dt around the day's starting λ₀; e is the target minus the measure.
      A change takes effect at the next tick on whichever replica steers.</p>
      <form class="inline" id="pid-form">${GAIN_FIELDS.map(([f, label, min, max]) => `<label>${label}<input type="number" id="pid-${f}" min="${min}" ${max ? `max="${max}"` : ''} step="any" required></label>`).join('')}
      <label>steer on<select id="pid-steerOn"><option>expected</option><option>realized</option></select></label>
      <label>what-if day<input type="date" id="pid-day"></label></form>
      <div class="row"><button class="secondary" id="what-if" type="button">What-if</button>
      <button class="secondary" id="suggest" type="button">Suggest gains</button>
      <button id="apply-gains" type="button">Apply gains</button></div></section>
      <section class="card"><h3>What-if</h3><div class="grid"><div id="chart-whatif" class="chart"></div><div id="chart-whatif-measure" class="chart"></div></div>
      <div id="whatif-summary" class="muted">Run a what-if to replay a recorded day with the gains in the form.</div></section>
      <section class="card"><h3>Override λ</h3><form class="inline" id="lambda-form">
      <label>λ<input type="number" id="lambda-value" min="0" step="any"></label>
      <label>freeze<select id="lambda-freeze"><option value="true">hold it</option><option value="false">steer from it</option></select></label>
      <label>for (minutes; empty: until unfrozen)<input type="number" id="lambda-minutes" min="1" step="1"></label></form>
      <button id="set-lambda" type="button">Set λ</button></section>`
      : '<section class="card muted">Changing gains, what-ifs and λ overrides need the ops scope.</section>'}`;
  $('#pid-city').onchange = ev => { location.hash = '#/pid/' + encodeURIComponent(ev.target.value); };
  // The settings the form was filled from: Apply sends what the operator changed, not a stale copy of the rest.
  let loaded = null;
  const refresh = async () => {
    const s = await api('GET', `/v1/cities/${encodeURIComponent(city)}/state`);
    $('#pid-state').innerHTML = `λ <b id="pid-lambda">${fmt(s.lambda, 4)}</b> ${s.frozen ? `<span class="flag">frozen${s.frozenUntil ? ' until ' + esc(s.frozenUntil) : ''}</span>` : ''}
      · gains in force: kp <b id="pid-kp-now">${fmt(s.pid.kp, 5)}</b>, ki <b id="pid-ki-now">${fmt(s.pid.ki, 6)}</b>, kd <b>${fmt(s.pid.kd, 4)}</b>,
      every ${fmt(s.pid.intervalSeconds)} s, λ in [${fmt(s.pid.lambdaMin)}, ${fmt(s.pid.lambdaMax)}] · steering on ${esc(s.target.steerOn)}
      · ${esc(s.target.type)} ${fmt(s.target.measured, 3)} against ${fmt(s.target.value, 2)} · ticks ${fmt(s.pid.ticks)}`;
    if (ops && !loaded) {
      loaded = { steerOn: s.target.steerOn };
      for (const [f] of GAIN_FIELDS) {
        $('#pid-' + f).value = s.pid[f];
        loaded[f] = s.pid[f];
      }
      $('#pid-steerOn').value = s.target.steerOn;
      $('#pid-day').value = s.day;
      $('#lambda-value').value = s.lambda;
    }
  };
  poll(refresh, 5000, live);
  if (!ops) return;
  const busy = async (button, fn) => {
    button.disabled = true;
    try { await fn(); } catch (e) { fail(e); } finally { button.disabled = false; }
  };
  $('#what-if').onclick = ev => busy(ev.target, async () => {
    const body = gainsFromForm();
    if ($('#pid-day').value) body.day = $('#pid-day').value;
    whatIfChart(await api('POST', `/v1/admin/cities/${encodeURIComponent(city)}/what-if`, body));
  });
  $('#suggest').onclick = ev => busy(ev.target, async () => {
    say('searching: each candidate is a replay of the day…', true);
    const body = $('#pid-day').value ? { days: [$('#pid-day').value] } : {};
    const r = await api('POST', `/v1/admin/cities/${encodeURIComponent(city)}/suggest-gains`, body);
    for (const [f] of GAIN_FIELDS) if (r.suggested[f] !== undefined) $('#pid-' + f).value = r.suggested[f];
    whatIfChart(r);
    say(`suggested kp ${fmt(r.suggested.kp, 5)}, ki ${fmt(r.suggested.ki, 6)} after ${r.evaluations} replays: review the what-if, then apply`, true);
  });
  $('#apply-gains').onclick = ev => busy(ev.target, async () => {
    const changed = gainsFromForm(loaded);
    if (!Object.keys(changed).length) { say('nothing to apply: the form holds the settings in force', true); return; }
    const r = await api('PUT', `/v1/admin/cities/${encodeURIComponent(city)}/pid`, changed);
    say(`gains applied to ${city}${r.audited ? ' and audited' : ''}: kp ${r.pid.kp}, ki ${r.pid.ki}, kd ${r.pid.kd}`, true);
    loaded = null;
    await refresh();
  });
  $('#set-lambda').onclick = ev => busy(ev.target, async () => {
    if (!$('#lambda-form').reportValidity() || $('#lambda-value').value === '') {
      throw new ApiError(400, { message: 'λ needs a value of at least 0', field: 'lambda' });
    }
    const body = { lambda: Number($('#lambda-value').value), freeze: $('#lambda-freeze').value === 'true' };
    const minutes = $('#lambda-minutes').value;
    if (minutes && body.freeze) body.expiresInSeconds = Number(minutes) * 60;
    await api('PUT', `/v1/admin/cities/${encodeURIComponent(city)}/lambda`, body);
    say(`λ of ${city} set to ${body.lambda}`, true);
    await refresh();
  });
}

// ---------------------------------------------------------------- models

async function viewModels(view) {
  const live = liveView();
  const { cities } = await api('GET', '/v1/admin/cities');
  if (!live()) return;
  view.innerHTML = '<h2>Models</h2>' + cities.map(c => `<section class="card model" data-city="${esc(c.city)}"></section>`).join('');
  for (const c of cities) {
    const m = await api('GET', `/v1/admin/cities/${encodeURIComponent(c.city)}/model`);
    if (!live()) return;
    const card = m.card;
    const el = view.querySelector(`section.model[data-city="${CSS.escape(c.city)}"]`);
    const metric = k => card.metrics[k] === undefined ? '–' : fmt(card.metrics[k], 4);
    const chartId = 'chart-calibration-' + c.city.replace(/[^\w-]/g, '_');
    el.innerHTML = `<h3>${esc(c.city)}: ${esc(card.version)}</h3>
      <p>trained ${esc(card.trainedAt)} on ${fmt(card.trainingRows)} rows · AUC <b class="auc">${metric('auc')}</b> · log loss <b>${metric('logLoss')}</b>
      · PCOC <b>${metric('pcoc')}</b> <span class="muted">(predicted over observed conversions; 1 is calibrated)</span></p>
      <p class="muted">${esc(card.provenance)}</p>
      <div class="grid"><div id="${chartId}" class="chart"></div>
      <div><h3>Swaps</h3><table><thead><tr><th>when</th><th>who</th><th>from</th><th>to</th></tr></thead><tbody>
      ${m.swaps.map(s => `<tr><td>${esc(s.at)}</td><td>${esc(s.who)}</td><td>${esc(s.before && s.before.modelVersion)}</td><td>${esc(s.after && s.after.modelVersion)}</td></tr>`).join('')
        || '<tr><td colspan="4" class="muted">no swap since the service began keeping its audit trail</td></tr>'}</tbody></table>
      ${may('ops') ? `<div class="row"><label>model directory<input class="swap-path" size="40" value="${esc(m.directory || '')}"></label>
        <button class="swap">Swap</button></div><p class="muted">Loads the model into the replica that answers; every
        replica swaps by itself when the city's model directory changes.</p>` : ''}</div></div>`;
    const bins = card.calibration || [];
    const cal = chart(chartId);
    cal.setOption({
      title: { text: 'Calibration by decile of prediction', textStyle: { fontSize: 13 } }, tooltip: { trigger: 'axis' }, legend: { top: 0, right: 0 },
      grid: { left: 50, right: 20, top: 40, bottom: 30 }, xAxis: { type: 'category', data: bins.map(b => 'd' + b.decile) }, yAxis: { type: 'value' },
      series: [{ name: 'predicted', type: 'bar', data: bins.map(b => +b.meanPredicted.toFixed(4)) },
        { name: 'observed', type: 'bar', data: bins.map(b => +b.observedRate.toFixed(4)) }],
    }, true);
    document.getElementById(chartId).dataset.points = bins.length;
    const swap = el.querySelector('button.swap');
    if (swap) swap.onclick = async () => {
      try {
        const r = await api('PUT', `/v1/admin/cities/${encodeURIComponent(c.city)}/model`, { path: el.querySelector('.swap-path').value });
        say(`${c.city} now serves ${r.modelVersion} (was ${r.previousVersion})`, true);
      } catch (e) { fail(e); }
    };
  }
}

// ---------------------------------------------------------------- audit

async function viewAudit(view) {
  const live = liveView();
  const params = new URLSearchParams(location.hash.split('?')[1] || '');
  view.innerHTML = `<h2>Audit trail</h2><section class="card"><form class="inline" id="audit-form">
    <label>who<input id="audit-who"></label><label>action (prefix, e.g. rules.)<input id="audit-action"></label>
    <label>target<input id="audit-target"></label><label>since<input id="audit-since" type="datetime-local"></label>
    <label>&nbsp;<button type="submit">Filter</button></label></form>
    <table id="audit"><thead><tr><th>when</th><th>who</th><th>action</th><th>target</th><th>before</th><th>after</th></tr></thead><tbody></tbody></table></section>`;
  const load = async () => {
    const q = new URLSearchParams({ limit: '200' });
    for (const f of ['who', 'action', 'target']) { const v = $('#audit-' + f).value.trim(); if (v) q.set(f, v); }
    const since = $('#audit-since').value;
    if (since) q.set('since', new Date(since).toISOString());
    const { entries } = await api('GET', '/v1/admin/audit?' + q);
    if (!live()) return;
    const json = v => v === null || v === undefined ? '' : `<code>${esc(JSON.stringify(v))}</code>`;
    $('#audit tbody').innerHTML = entries.map(e => `<tr><td>${esc(e.at)}</td><td>${esc(e.who)}</td><td>${esc(e.action)}</td>
      <td>${esc(e.target)}</td><td>${json(e.before)}</td><td>${json(e.after)}</td></tr>`).join('')
      || '<tr><td colspan="6" class="muted">no entries</td></tr>';
  };
  $('#audit-form').onsubmit = ev => { ev.preventDefault(); load().catch(fail); };
  params.forEach((v, k) => { if ($('#audit-' + k)) $('#audit-' + k).value = v; });
  await load();
}

route();
