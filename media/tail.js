// The tail view's script. Renders rows with textContent only (never HTML from data), keeps at
// most data-max-rows rows, and reports back how many it shows so the extension can check it.
// Row actions (open, copy id, copy as JSON) are messages to the extension, which reads the entry
// by id: the view holds nothing but the text it shows. The protocol: src/vscode/tail/protocol.ts.
(function () {
  const vscode = acquireVsCodeApi();
  const body = document.body;
  const maxRows = Number(body.dataset.maxRows) || 5000;
  const list = document.getElementById('rows');
  const filterInput = document.getElementById('filter');
  const pauseBtn = document.getElementById('pause');
  const rateEl = document.getElementById('rate');
  const countEl = document.getElementById('count');
  const stateEl = document.getElementById('state');
  const noticeEl = document.getElementById('notice');
  const errorEl = document.getElementById('error');
  const menu = document.getElementById('menu');
  // Where the tail started, in words ("$" and "0" are XREAD's own ids), the id itself on hover.
  const from = body.dataset.from;
  const titleEl = document.getElementById('title');
  titleEl.textContent = `${body.dataset.stream} · ${body.dataset.connection} · ${from === '$' ? 'from now' : from === '0' || from === '0-0' ? 'from the beginning' : `after ${from}`}`;
  titleEl.title = `Reading with XREAD … STREAMS ${body.dataset.stream} ${from}${from === '$' ? ' ($: only entries added after the tail started)' : ''}`;

  let paused = false;
  /** The extension stopped reading (an error, or its connection went): nothing more comes. */
  let stopped = false;
  let held = [];
  let filter = '';
  let lastId;
  /** Rows the filter lets through (all rows without a filter), kept as rows come and go. */
  let shown = 0;
  /** The row whose context menu is open. */
  let menuRow;
  let noticeTimer;

  function matches(el) {
    return !filter || el.dataset.text.includes(filter);
  }

  // Times: the id's ms part in local time in the column (with the date when it is not today), and
  // UTC (ISO 8601) on hover. Formatted by hand: Intl per row would cost more than the row itself.
  const pad = (n, w = 2) => String(n).padStart(w, '0');
  function msOf(id) {
    const ms = parseInt(id, 10);
    return Number.isFinite(ms) && ms >= 0 && ms <= 8.64e15 ? ms : undefined;
  }
  function dayOf(d) {
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  }
  function clockOf(d) {
    return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
  }
  /** The time column's text: hh:mm:ss.mmm local, after the local date when that is not `today`. */
  function timeOf(id, today) {
    const ms = msOf(id);
    if (ms === undefined) return '';
    const d = new Date(ms);
    const day = dayOf(d);
    if (day === today) return clockOf(d);
    // Dates appear: widen the time column for good (every row stays aligned).
    body.classList.add('dated');
    return `${day} ${clockOf(d)}`;
  }
  function utcTitle(id) {
    const ms = msOf(id);
    if (ms === undefined) return '';
    const d = new Date(ms);
    const off = -d.getTimezoneOffset();
    const zone = `UTC${off < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`;
    return `${d.toISOString()} (UTC)\n${dayOf(d)} ${clockOf(d)} (local, ${zone})`;
  }

  // Rows are divs in a grid (not a table): with content-visibility, rows off screen cost no layout
  // or paint, so a view of thousands of rows stays cheap to update. Their handlers are delegated
  // (one listener on the list), so a row is only its elements.
  function rowElement(r, today) {
    const el = document.createElement('div');
    el.className = 'row';
    el.setAttribute('role', 'row');
    el.dataset.id = r.id;
    const id = document.createElement('span');
    id.className = 'id';
    id.setAttribute('role', 'cell');
    // A span that acts as a link (focusable, Enter opens): cheaper to lay out than a button.
    const open = document.createElement('span');
    open.className = 'open';
    open.setAttribute('role', 'link');
    open.tabIndex = 0;
    open.textContent = r.id;
    id.append(open);
    const time = document.createElement('span');
    time.className = 'time';
    time.setAttribute('role', 'cell');
    time.textContent = timeOf(r.id, today);
    const fields = document.createElement('span');
    fields.className = 'fields';
    fields.setAttribute('role', 'cell');
    let text = r.id + ' ';
    for (const [k, v] of r.fields) {
      const f = document.createElement('span');
      f.className = 'f';
      const ks = document.createElement('span');
      ks.className = 'k';
      ks.textContent = k + '=';
      const vs = document.createElement('span');
      vs.className = 'v';
      vs.textContent = v;
      f.append(ks, vs);
      fields.append(f);
      text += k + '=' + v + ' ';
    }
    el.dataset.text = text.toLowerCase();
    el.append(id, time, fields);
    if (matches(el)) shown++;
    else el.classList.add('hidden');
    return el;
  }

  function render(rows) {
    if (rows.length > maxRows) rows = rows.slice(rows.length - maxRows);
    const frag = document.createDocumentFragment();
    const today = dayOf(new Date());
    // Newest on top.
    for (let i = rows.length - 1; i >= 0; i--) frag.append(rowElement(rows[i], today));
    list.prepend(frag);
    while (list.childElementCount > maxRows) {
      const old = list.lastElementChild;
      if (!old.classList.contains('hidden')) shown--;
      if (menuRow === old) closeMenu();
      old.remove();
    }
    if (rows.length) lastId = rows[rows.length - 1].id;
    // A rendered batch also says when it was put in the DOM, how many rows it added and its oldest
    // id, so publish-to-display latency can be measured (bench/tailView).
    report(rows.length ? { at: Date.now(), added: rows.length, firstId: rows[0].id } : undefined);
  }

  // While paused the extension reads nothing from Redis; the view says how many arrived meanwhile
  // (from the status the extension sends every second) and catches up on Resume.
  let arrived = 0;
  let arrivedAtPause = 0;

  function rowsText(n) {
    return n === 1 ? '1 row' : `${n} rows`;
  }

  function showCount() {
    const total = list.childElementCount;
    // Rows of the batch that was on its way when Pause was pressed are held, plus what arrived since.
    const since = paused ? held.length + Math.max(0, arrived - arrivedAtPause) : 0;
    // With a filter: shown of kept ("9 of 67 rows").
    countEl.textContent = (filter ? `${shown} of ${rowsText(total)}` : rowsText(total)) + (since > 0 ? ` (+${since} new while paused)` : '');
  }

  function report(batch) {
    showCount();
    vscode.postMessage({ type: 'rendered', rows: list.childElementCount, shown, lastId, ...batch });
  }

  function applyFilter(text) {
    filter = text.toLowerCase();
    shown = 0;
    for (const el of list.children) {
      const hide = !matches(el);
      el.classList.toggle('hidden', hide);
      if (!hide) shown++;
    }
    if (menuRow && menuRow.classList.contains('hidden')) closeMenu();
    showCount();
    vscode.postMessage({ type: 'count', rows: list.childElementCount, shown, filter });
  }

  // ---- Row actions: a click on an id opens the entry; a context menu (right-click, or the menu
  // key / Shift+F10 on a focused id) offers Open, Copy ID, Copy as JSON.
  function act(action, id) {
    if (id) vscode.postMessage({ type: action, id });
  }

  /** Where the open menu sits relative to its row's top, so it follows the row when the view scrolls. */
  let menuOffset = 0;

  function openMenu(row, x, y) {
    closeMenu();
    menuRow = row;
    row.classList.add('menu-open');
    menu.dataset.id = row.dataset.id;
    menu.hidden = false;
    // Inside the viewport, below and right of the pointer when it fits.
    const w = menu.offsetWidth;
    const h = menu.offsetHeight;
    const top = Math.max(0, y + h > window.innerHeight ? y - h : y);
    menu.style.left = `${Math.max(0, Math.min(x, window.innerWidth - w - 2))}px`;
    menu.style.top = `${top}px`;
    menuOffset = top - row.getBoundingClientRect().top;
    menu.querySelector('button').focus({ preventScroll: true });
  }

  /** On scroll: the menu moves with its row, and closes when the row leaves the rows' visible area. */
  function followRow() {
    if (menu.hidden || !menuRow) return;
    const r = menuRow.getBoundingClientRect();
    const topOfRows = document.querySelector('.top').getBoundingClientRect().bottom;
    if (r.bottom <= topOfRows || r.top >= window.innerHeight) closeMenu();
    else menu.style.top = `${r.top + menuOffset}px`;
  }

  function closeMenu(refocus) {
    if (menu.hidden) return;
    menu.hidden = true;
    const row = menuRow;
    menuRow = undefined;
    if (row) {
      row.classList.remove('menu-open');
      if (refocus && row.isConnected) row.querySelector('span.open').focus();
    }
  }

  list.addEventListener('click', (e) => {
    const open = e.target.closest && e.target.closest('span.open');
    if (open) act('open', open.closest('.row').dataset.id);
  });
  list.addEventListener('contextmenu', (e) => {
    const row = e.target.closest && e.target.closest('.row');
    if (!row || !row.dataset.id) return;
    e.preventDefault();
    // From the keyboard the event may carry no pointer position: place it under the id then.
    const r = row.getBoundingClientRect();
    const atPointer = e.clientY >= r.top && e.clientY <= r.bottom && (e.clientX !== 0 || e.clientY !== 0);
    const idRect = row.querySelector('span.open').getBoundingClientRect();
    openMenu(row, atPointer ? e.clientX : idRect.left, atPointer ? e.clientY : idRect.bottom);
  });
  // On a focused id: Enter opens the entry; the menu key or Shift+F10 opens the menu under the id
  // (not left to the browser, which may not turn them into a contextmenu event).
  list.addEventListener('keydown', (e) => {
    const open = e.target.closest && e.target.closest('span.open');
    if (!open) return;
    if (e.key === 'Enter') {
      e.preventDefault();
      act('open', open.closest('.row').dataset.id);
    } else if (e.key === 'ContextMenu' || (e.shiftKey && e.key === 'F10')) {
      e.preventDefault();
      e.stopPropagation();
      const r = open.getBoundingClientRect();
      openMenu(open.closest('.row'), r.left, r.bottom);
    }
  });
  // Times show UTC on hover: the title is made when the pointer gets there, not for every row.
  list.addEventListener('mouseover', (e) => {
    const t = e.target.closest && e.target.closest('.time');
    if (t && !t.title) t.title = utcTitle(t.parentElement.dataset.id);
  });
  menu.addEventListener('click', (e) => {
    const item = e.target.closest && e.target.closest('button[data-action]');
    if (!item) return;
    const id = menu.dataset.id;
    closeMenu(true);
    act(item.dataset.action, id);
  });
  menu.addEventListener('keydown', (e) => {
    const items = [...menu.querySelectorAll('button')];
    const i = items.indexOf(document.activeElement);
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      items[(i + (e.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length].focus();
    } else if (e.key === 'Home' || e.key === 'End') {
      e.preventDefault();
      items[e.key === 'Home' ? 0 : items.length - 1].focus();
    } else if (e.key === 'Escape' || e.key === 'Tab') {
      e.preventDefault();
      closeMenu(true);
    }
  });
  document.addEventListener('mousedown', (e) => {
    if (!menu.hidden && !menu.contains(e.target)) closeMenu();
  });
  window.addEventListener('scroll', followRow, { passive: true });
  window.addEventListener('resize', () => closeMenu());
  window.addEventListener('blur', () => closeMenu());

  function notice(text, error) {
    noticeEl.textContent = text;
    noticeEl.classList.toggle('error', Boolean(error));
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(() => (noticeEl.textContent = ''), error ? 10000 : 4000);
  }

  window.addEventListener('message', (event) => {
    const m = event.data;
    if (m.type === 'rows') {
      if (paused) {
        held = held.concat(m.rows);
        if (held.length > maxRows) held = held.slice(held.length - maxRows);
        report();
      } else render(m.rows);
    }
    if (m.type === 'rows' || m.type === 'rate') {
      // A held batch is counted by held.length from now on, not twice.
      arrived = m.received || 0;
      if (paused && m.type === 'rows') arrivedAtPause = arrived;
      showCount();
      rateEl.textContent = `${(m.rate || 0).toFixed(1)} msg/s`;
      if (m.skipped && !stopped) stateEl.textContent = `${paused ? 'paused' : 'following'} · ${m.skippedExact === false ? 'at least ' : ''}${m.skipped} not shown to keep up (newest first)`;
    }
    if (m.type === 'error' || m.type === 'stopped') {
      stopped = true;
      errorEl.hidden = false;
      errorEl.classList.toggle('stopped', m.type === 'stopped');
      errorEl.textContent = m.message;
      stateEl.textContent = 'stopped';
      rateEl.textContent = '0.0 msg/s';
      pauseBtn.disabled = true;
      pauseBtn.title = 'The tail stopped reading';
      // Rows held while paused are shown: nothing more comes.
      if (paused) {
        paused = false;
        pauseBtn.textContent = 'Pause';
        const rows = held;
        held = [];
        if (rows.length) render(rows);
        else showCount();
      }
    }
    if (m.type === 'notice') notice(m.text, m.error);
    if (m.type === 'filter') {
      filterInput.value = m.text;
      applyFilter(m.text);
    }
  });

  pauseBtn.addEventListener('click', () => {
    if (stopped) return;
    paused = !paused;
    arrivedAtPause = arrived;
    pauseBtn.textContent = paused ? 'Resume' : 'Pause';
    stateEl.textContent = paused ? 'paused' : 'following';
    vscode.postMessage({ type: 'pause', paused });
    if (!paused && held.length) {
      const rows = held;
      held = [];
      render(rows);
    } else showCount();
  });
  document.getElementById('clear').addEventListener('click', () => {
    closeMenu();
    list.textContent = '';
    held = [];
    shown = 0;
    body.classList.remove('dated');
    report();
  });
  filterInput.addEventListener('input', () => applyFilter(filterInput.value));
  vscode.postMessage({ type: 'ready' });
  report();
})();
