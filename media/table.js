// The tables panel's script: draws the tables the extension posts (src/vscode/tables/
// tablePanel.ts, already sorted and filtered there) and sends back what the user does: a header
// click sorts, a filter box filters, a group row shows that group, a consumer row its pending
// entries only, boxes select pending entries (shift-click for a range), the toolbar's buttons run
// the tree's own commands on them, a double-click opens an entry's journey. Reports what it drew.
/* global acquireVsCodeApi */
(function () {
  const vscode = acquireVsCodeApi();
  const NAMES = { groups: 'Groups', consumers: 'Consumers', pending: 'Pending entries' };
  let data = null;
  let anchor = null; // the last box ticked, for shift-click ranges

  function el(tag, props, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k in e && typeof v !== 'string') e[k] = v;
      else e.setAttribute(k, v);
    }
    for (const c of children) if (c) e.append(c);
    return e;
  }

  /** A section's fixed part (title, filter, note), built once so the filter keeps its focus. */
  function frame(name) {
    const section = document.getElementById(name);
    if (section.dataset.built) return section;
    section.dataset.built = '1';
    const input = el('input', { type: 'search', class: 'filter', placeholder: 'Filter', 'aria-label': `Filter ${NAMES[name].toLowerCase()}` });
    let t;
    input.addEventListener('input', () => {
      clearTimeout(t);
      t = setTimeout(() => vscode.postMessage({ type: 'filter', table: name, text: input.value }), 150);
    });
    section.append(el('div', { class: 'bar' }, el('h2', { text: NAMES[name] }), el('span', { class: 'chips' }), input), el('p', { class: 'note' }), el('div', { class: 'toolbar' }), el('div', { class: 'scroll' }), el('div', { class: 'more' }));
    return section;
  }

  function header(name, t) {
    const tr = el('tr');
    if (name === 'pending') {
      const shown = t.rows.map((r) => r.key);
      const all = shown.length > 0 && shown.every((k) => data.selected.includes(k));
      const box = el('input', { type: 'checkbox', 'aria-label': 'Select all shown', checked: all });
      box.addEventListener('change', () => vscode.postMessage({ type: 'select', ids: shown, on: box.checked }));
      tr.append(el('th', { class: 'check' }, box));
    }
    for (const c of t.columns) {
      const sorted = t.sort.key === c.key;
      const b = el('button', { class: 'sort', title: c.title, text: c.label + (sorted ? (t.sort.dir === 'asc' ? ' ▲' : ' ▼') : '') });
      b.addEventListener('click', () => vscode.postMessage({ type: 'sort', table: name, key: c.key }));
      tr.append(el('th', { class: c.numeric ? 'num' : undefined, 'aria-sort': sorted ? (t.sort.dir === 'asc' ? 'ascending' : 'descending') : undefined }, b));
    }
    return el('thead', {}, tr);
  }

  function body(name, t) {
    const tb = el('tbody');
    const keys = t.rows.map((r) => r.key);
    for (const r of t.rows) {
      const current = (name === 'groups' && r.key === data.group) || (name === 'consumers' && r.key === data.consumer);
      const selected = name === 'pending' && data.selected.includes(r.key);
      const tr = el('tr', { class: [...r.marks, current ? 'current' : '', selected ? 'selected' : ''].filter(Boolean).join(' ') || undefined, 'data-key': r.key });
      if (name === 'pending') {
        const box = el('input', { type: 'checkbox', 'aria-label': `Select ${r.key}`, checked: selected });
        box.addEventListener('click', (e) => {
          let ids = [r.key];
          if (e.shiftKey && anchor && keys.includes(anchor)) {
            const [a, b] = [keys.indexOf(anchor), keys.indexOf(r.key)].sort((x, y) => x - y);
            ids = keys.slice(a, b + 1);
          }
          anchor = r.key;
          vscode.postMessage({ type: 'select', ids, on: box.checked });
        });
        tr.append(el('td', { class: 'check' }, box));
        tr.addEventListener('dblclick', () => vscode.postMessage({ type: 'action', action: 'journey', id: r.key }));
        tr.title = 'Double-click: journey of this message';
      } else {
        tr.classList.add('pick');
        tr.tabIndex = 0;
        const pick = () => vscode.postMessage(name === 'groups' ? { type: 'group', group: r.key } : { type: 'consumer', consumer: r.key === data.consumer ? null : r.key });
        tr.addEventListener('click', pick);
        tr.addEventListener('keydown', (e) => {
          if (e.key === 'Enter' || e.key === ' ') {
            e.preventDefault();
            pick();
          }
        });
      }
      for (const c of t.columns) {
        const cell = r.cells[c.key];
        tr.append(el('td', { class: [c.numeric ? 'num' : '', c.key].join(' '), title: cell.title || undefined, text: cell.text }));
      }
      tb.append(tr);
    }
    return tb;
  }

  function toolbar(section) {
    const bar = section.querySelector('.toolbar');
    bar.textContent = '';
    const n = data.selected.length;
    bar.append(el('span', { class: 'count', text: n ? `${n.toLocaleString('en-US')} selected` : 'Tick entries to act on them' }));
    const actions = [
      ['claim', 'Claim…', true],
      ['ack', 'Acknowledge…', true],
      ['deadLetter', 'Dead-letter…', true],
      ['journey', 'Journey', false],
    ];
    for (const [action, label, writes] of actions) {
      const disabled = !n || (action === 'journey' && n !== 1) || (writes && data.readOnly);
      const b = el('button', { text: label, disabled, title: writes && data.readOnly ? 'Read-only connection' : undefined, 'data-action': action });
      b.addEventListener('click', () => vscode.postMessage({ type: 'action', action }));
      bar.append(b);
    }
  }

  function draw() {
    if (!data) return;
    document.getElementById('title').textContent = data.group === undefined ? data.title : `${data.title} › ${data.group}`;
    document.getElementById('readAt').textContent = data.readAt;
    document.getElementById('error').textContent = data.error || '';
    const rows = {};
    for (const name of ['groups', 'consumers', 'pending']) {
      const t = data[name];
      const section = frame(name);
      const input = section.querySelector('.filter');
      if (document.activeElement !== input) input.value = t.filter;
      section.querySelector('.note').textContent = t.note + (t.filter ? ` ${t.rows.length.toLocaleString('en-US')} of ${t.loaded.toLocaleString('en-US')} match the filter.` : '');
      const chips = section.querySelector('.chips');
      chips.textContent = '';
      if (name === 'pending' && data.consumer !== undefined) {
        const chip = el('button', { class: 'chip', title: 'Show every consumer’s pending entries', text: `consumer: ${data.consumer} ✕` });
        chip.addEventListener('click', () => vscode.postMessage({ type: 'consumer', consumer: null }));
        chips.append(chip);
      }
      const scroll = section.querySelector('.scroll');
      scroll.textContent = '';
      scroll.append(el('table', {}, header(name, t), body(name, t)));
      const more = section.querySelector('.more');
      more.textContent = '';
      if (name === 'pending') {
        toolbar(section);
        if (t.more) {
          const b = el('button', { class: 'secondary', text: t.more });
          b.addEventListener('click', () => vscode.postMessage({ type: 'more' }));
          more.append(b);
        }
      }
      rows[name] = t.rows.length;
    }
    vscode.postMessage({ type: 'rendered', rows, text: document.body.innerText });
  }

  window.addEventListener('message', (e) => {
    if (e.data && e.data.type === 'data') {
      data = e.data.data;
      draw();
    }
  });
  document.getElementById('refresh').addEventListener('click', () => vscode.postMessage({ type: 'refresh' }));
  vscode.postMessage({ type: 'ready' });
})();
