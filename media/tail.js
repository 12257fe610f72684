// The tail view's script. Renders rows with textContent only (never HTML from data), keeps at
// most data-max-rows rows, and reports back how many it shows so the extension can check it.
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
  const errorEl = document.getElementById('error');
  document.getElementById('title').textContent = `${body.dataset.stream} · ${body.dataset.connection} · from ${body.dataset.from}`;

  let paused = false;
  let held = [];
  let filter = '';
  let lastId;

  function matches(el) {
    return !filter || el.dataset.text.includes(filter);
  }

  /** hh:mm:ss.mmm (UTC) of an id's ms part; '' when it has none. */
  function timeOf(id) {
    const ms = parseInt(id, 10);
    return Number.isFinite(ms) && ms >= 0 && ms <= 8.64e15 ? new Date(ms).toISOString().slice(11, 23) : '';
  }

  // Rows are divs in a grid (not a table): with content-visibility, rows off screen cost no layout
  // or paint, so a view of thousands of rows stays cheap to update.
  function rowElement(r) {
    const el = document.createElement('div');
    el.className = 'row';
    el.setAttribute('role', 'row');
    const id = document.createElement('span');
    id.className = 'id';
    id.setAttribute('role', 'cell');
    id.textContent = r.id;
    const time = document.createElement('span');
    time.className = 'time';
    time.setAttribute('role', 'cell');
    time.textContent = timeOf(r.id);
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
    if (!matches(el)) el.classList.add('hidden');
    return el;
  }

  function render(rows) {
    if (rows.length > maxRows) rows = rows.slice(rows.length - maxRows);
    const frag = document.createDocumentFragment();
    // Newest on top.
    for (let i = rows.length - 1; i >= 0; i--) frag.append(rowElement(rows[i]));
    list.prepend(frag);
    while (list.childElementCount > maxRows) list.lastElementChild.remove();
    if (rows.length) lastId = rows[rows.length - 1].id;
    // A rendered batch also says when it was put in the DOM, how many rows it added and its oldest
    // id, so publish-to-display latency can be measured (bench/tailView).
    report(rows.length ? { at: Date.now(), added: rows.length, firstId: rows[0].id } : undefined);
  }

  // While paused the extension reads nothing from Redis; the view says how many arrived meanwhile
  // (from the status the extension sends every second) and catches up on Resume.
  let arrived = 0;
  let arrivedAtPause = 0;

  function showCount() {
    // Rows of the batch that was on its way when Pause was pressed are held, plus what arrived since.
    const since = paused ? held.length + Math.max(0, arrived - arrivedAtPause) : 0;
    countEl.textContent = `${list.childElementCount} rows` + (since > 0 ? ` (+${since} new while paused)` : '');
  }

  function report(batch) {
    showCount();
    vscode.postMessage({ type: 'rendered', rows: list.childElementCount, lastId, ...batch });
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
      if (m.skipped) stateEl.textContent = `${paused ? 'paused' : 'following'} · ${m.skippedExact === false ? 'at least ' : ''}${m.skipped} not shown to keep up (newest first)`;
    }
    if (m.type === 'error') {
      errorEl.hidden = false;
      errorEl.textContent = m.message;
      stateEl.textContent = 'stopped';
    }
  });

  pauseBtn.addEventListener('click', () => {
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
    list.textContent = '';
    held = [];
    report();
  });
  filterInput.addEventListener('input', () => {
    filter = filterInput.value.toLowerCase();
    for (const el of list.children) el.classList.toggle('hidden', !matches(el));
  });
  vscode.postMessage({ type: 'ready' });
  report();
})();
