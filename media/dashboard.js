// The dashboard panel's script: draws the data the extension posts (src/vscode/dashboard/
// dashboardPanel.ts) as uPlot charts on one time axis, with markers where something happened,
// in the theme's own colours; range buttons ask for another range. Reports what it drew.
/* global uPlot, acquireVsCodeApi */
(function () {
  const vscode = acquireVsCodeApi();
  const chartsEl = document.getElementById('charts');
  const noteEl = document.getElementById('note');
  const markersEl = document.getElementById('markers');
  let last = null;
  let plots = [];

  const css = (name, fallback) => getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
  const palette = () => ['--vscode-charts-blue', '--vscode-charts-orange', '--vscode-charts-green', '--vscode-charts-purple', '--vscode-charts-red', '--vscode-charts-yellow'].map((n, i) => css(n, ['#3794ff', '#d18616', '#89d185', '#b180d7', '#f14c4c', '#cca700'][i]));
  const MARKER_COLOURS = { gap: ['--vscode-charts-red', '#f14c4c'], reset: ['--vscode-charts-orange', '#d18616'], stuck: ['--vscode-charts-yellow', '#cca700'], deadLetters: ['--vscode-charts-purple', '#b180d7'], failover: ['--vscode-charts-blue', '#3794ff'] };
  const markerColour = (kind) => (MARKER_COLOURS[kind] ? css(...MARKER_COLOURS[kind]) : css('--vscode-descriptionForeground', '#888'));

  /** A tick's label: hours and minutes (with seconds on the 5-minute range), the day on the 24-hour one. */
  function timeLabel(v, range) {
    const d = new Date(v * 1000);
    if (range === '24h') return d.toLocaleString([], { weekday: 'short', hour: '2-digit', minute: '2-digit' });
    return d.toLocaleTimeString([], range === '5m' ? { hour: '2-digit', minute: '2-digit', second: '2-digit' } : { hour: '2-digit', minute: '2-digit' });
  }

  function draw() {
    const data = last;
    for (const p of plots) p.destroy();
    plots = [];
    chartsEl.textContent = '';
    markersEl.textContent = '';
    if (!data) return;
    document.getElementById('title').textContent = data.title;
    for (const b of document.querySelectorAll('#ranges button')) b.setAttribute('aria-pressed', String(b.dataset.range === data.range));
    noteEl.textContent = data.note || '';
    chartsEl.dataset.points = String(data.x.length);
    const fg = css('--vscode-foreground', '#ccc');
    const grid = css('--vscode-editorWidget-border', 'rgba(128,128,128,0.25)');
    const colours = palette();
    const width = Math.max(320, chartsEl.clientWidth - 8);
    for (const c of data.charts) {
      if (!c.lines.length) continue;
      const box = document.createElement('section');
      box.className = 'chart';
      chartsEl.appendChild(box);
      const opts = {
        title: c.title,
        width,
        height: 170,
        scales: { x: { time: true } },
        series: [{}].concat(c.lines.map((l, i) => ({ label: l.name, stroke: colours[i % colours.length], width: 1.5, spanGaps: false, value: (u, v) => (v == null ? '–' : `${Math.round(v * 10) / 10}${c.unit}`) }))),
        axes: [
          // Local clock times (uPlot's own labels read ":44.500" on a span of seconds).
          { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid }, space: 90, values: (u, splits) => splits.map((v) => timeLabel(v, data.range)) },
          { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid }, size: 56 },
        ],
        hooks: {
          draw: [
            (u) => {
              const ctx = u.ctx;
              ctx.save();
              for (const m of data.markers) {
                const x = u.valToPos(m.t, 'x', true);
                if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
                ctx.strokeStyle = markerColour(m.kind);
                ctx.setLineDash([4, 3]);
                ctx.lineWidth = 1;
                ctx.beginPath();
                ctx.moveTo(x, u.bbox.top);
                ctx.lineTo(x, u.bbox.top + u.bbox.height);
                ctx.stroke();
              }
              ctx.restore();
            },
          ],
        },
      };
      plots.push(new uPlot(opts, [data.x].concat(c.lines.map((l) => l.values)), box));
    }
    for (const m of data.markers) {
      const li = document.createElement('li');
      li.className = `marker ${m.kind}`;
      li.textContent = `${new Date(m.t * 1000).toLocaleTimeString()} ${m.text}`;
      markersEl.appendChild(li);
    }
    vscode.postMessage({ type: 'rendered', charts: plots.length, text: document.body.innerText });
  }

  window.addEventListener('message', (e) => {
    if (e.data && e.data.type === 'data') {
      last = e.data.data;
      draw();
    }
  });
  document.getElementById('ranges').addEventListener('click', (e) => {
    const b = e.target instanceof Element ? e.target.closest('button[data-range]') : null;
    if (b) vscode.postMessage({ type: 'range', range: b.dataset.range });
  });
  let resizeTimer;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(draw, 150);
  });
  vscode.postMessage({ type: 'ready' });
})();
