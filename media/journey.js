// The journey panel's script. The page is drawn by the extension (src/vscode/journey/journeyHtml.ts,
// every text escaped); this only turns clicks on [data-action] elements into messages, and reports
// the text it shows (so the extension, and its tests, know what the panel drew).
(function () {
  const vscode = acquireVsCodeApi();
  const renders = Number(document.body.dataset.renders) || 0;

  document.addEventListener('click', (e) => {
    const el = e.target instanceof Element ? e.target.closest('[data-action]') : null;
    if (!el) return;
    e.preventDefault();
    const data = {};
    for (const [k, v] of Object.entries(el.dataset)) if (k !== 'action') data[k] = String(v);
    vscode.postMessage({ type: 'action', action: el.dataset.action, data });
  });

  vscode.postMessage({ type: 'rendered', renders, text: document.body.innerText });
})();
