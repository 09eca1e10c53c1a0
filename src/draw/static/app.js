// gawwn draw page: place a box or parts, type a caption, watch GAWWN draw. Plain JS, no build step.
// Coordinates are normalised to [0,1] (x right, y down; box = top-left + size), as `gawwn sample`.
'use strict';
(() => {
  const $ = (id) => document.getElementById(id);
  const editor = $('editor');
  const ctx = editor.getContext('2d');
  const E = editor.width; // editor pixels per unit

  const st = {
    models: [], colors: [], model: null,
    seed: randomSeed(), locked: false,
    box: { x: 0.2, y: 0.25, w: 0.6, h: 0.5 },
    parts: new Map(), // name -> {x, y}: parts the user placed
    selected: null, // part name to place next
    result: null, // last /api/sample response
    prevLayout: null, // layout before the last edit (interpolate from it)
    inFlight: false, pending: null, // request coalescing: at most one in flight, the latest waits
    latencies: [], draws: 0, lastError: null,
  };
  // Test and notebook hook: read-only view of the page state.
  window.__draw = {
    get draws() { return st.draws; },
    get latencies() { return st.latencies.slice(); },
    get lastError() { return st.lastError; },
    get busy() { return st.inFlight || st.pending !== null; },
    condition: () => (st.result ? st.result.condition : null),
    layout: () => layout(),
  };

  function randomSeed() { return Math.floor(Math.random() * 2147483647); }
  const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
  const family = () => (st.model ? st.model.family : null);

  function layout() {
    if (family() === 'bbox') return { box: { ...st.box } };
    return { keypoints: [...st.parts].map(([name, p]) => ({ name, x: p.x, y: p.y })) };
  }

  // ---- requests -------------------------------------------------------------------------------------------
  async function post(path, body) {
    const r = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const j = await r.json();
    if (!r.ok) throw new Error(j.error || `HTTP ${r.status}`);
    return j;
  }

  /** Asks for new images; `t0` is when the user's input happened (drag-to-image latency starts there). */
  function requestDraw(t0 = performance.now()) {
    if (!st.model) return;
    if (family() === 'keypoint' && st.parts.size === 0 && !st.model.keypointGen) {
      setStatus('place at least one part (no keypoint generator loaded to complete them)');
      return;
    }
    const body = { model: st.model.id, caption: captionText(), n: Number($('n').value), seed: st.seed, ...layout() };
    if (st.inFlight) { st.pending = { body, t0: st.pending ? st.pending.t0 : t0 }; return; }
    send(body, t0);
  }

  async function send(body, t0) {
    st.inFlight = true;
    try {
      const r = await post('/api/sample', body);
      await showResult(r);
      const ms = performance.now() - t0;
      st.latencies.push(ms);
      st.draws++;
      st.lastError = null;
      const t = r.timing;
      setStatus(`drag→image ${ms.toFixed(0)} ms (server: text ${t.embedMs.toFixed(0)} + sample ${t.sampleMs.toFixed(0)} + png ${t.encodeMs.toFixed(0)} ms) · seed ${body.seed}${st.locked ? ' (locked)' : ''} · median ${median(st.latencies).toFixed(0)} ms over ${st.latencies.length}`);
    } catch (e) {
      st.lastError = String(e.message || e);
      setStatus(st.lastError, true);
    } finally {
      st.inFlight = false;
      if (st.pending) { const p = st.pending; st.pending = null; send({ ...p.body, ...layout(), caption: captionText(), seed: st.seed, n: Number($('n').value) }, p.t0); }
    }
  }

  function median(a) { const s = a.slice().sort((x, y) => x - y); return s.length ? s[Math.floor(s.length / 2)] : 0; }
  function captionText() { return $('caption').value.trim() || 'a bird'; }
  function setStatus(msg, err = false) { const s = $('status'); s.textContent = msg; s.className = err ? 'status error' : 'status'; }

  async function showResult(r) {
    const box = $('samples');
    const n = r.images.length;
    while (box.children.length > n) box.lastChild.remove();
    while (box.children.length < n) {
      const cell = document.createElement('div');
      cell.className = 'cell';
      cell.append(document.createElement('img'), document.createElement('canvas'));
      box.append(cell);
    }
    const imgs = [...box.querySelectorAll('img')];
    await Promise.all(imgs.map((img, i) => { img.src = 'data:image/png;base64,' + r.images[i]; img.dataset.testid = 'sample'; return img.decode(); }));
    st.result = r;
    drawOverlays();
    drawEditor();
  }

  // ---- drawing --------------------------------------------------------------------------------------------
  function partColor(name) { const k = st.model.partNames.indexOf(name); return st.colors[k % st.colors.length] || '#000'; }

  /** Box and parts over a canvas of side `S`: given parts solid, Gk-filled parts dashed rings. */
  function drawLayout(c, S, keypoints, opts = {}) {
    if (family() === 'bbox') {
      const b = opts.box || st.box;
      c.strokeStyle = 'rgb(255,48,48)'; c.lineWidth = 2;
      c.strokeRect(b.x * S, b.y * S, b.w * S, b.h * S);
      if (opts.handles) { c.fillStyle = 'rgb(255,48,48)'; for (const [hx, hy] of corners(b)) c.fillRect(hx * S - 4, hy * S - 4, 8, 8); }
      return;
    }
    const r = Math.max(3, S / 48);
    for (const k of keypoints || []) {
      if (!k.v) continue;
      c.beginPath(); c.arc(k.x * S, k.y * S, r, 0, Math.PI * 2);
      c.lineWidth = 2;
      if (k.generated) { c.setLineDash([3, 3]); c.strokeStyle = partColor(k.name); c.stroke(); c.setLineDash([]); }
      else { c.fillStyle = partColor(k.name); c.fill(); c.strokeStyle = '#fff'; c.stroke(); }
      if (opts.labels) { c.fillStyle = '#000'; c.font = '11px sans-serif'; c.fillText(k.name, k.x * S + r + 2, k.y * S - r); }
    }
  }

  function drawOverlays() {
    const show = $('overlay').checked;
    const kps = st.result && st.result.condition.keypoints;
    [...$('samples').querySelectorAll('canvas')].forEach((cv, i) => {
      cv.width = 192; cv.height = 192;
      const c = cv.getContext('2d');
      c.clearRect(0, 0, 192, 192);
      if (show) drawLayout(c, 192, kps ? kps[i] : null, { box: st.result.condition.box });
    });
  }

  function drawEditor() {
    ctx.clearRect(0, 0, E, E);
    const img = $('samples').querySelector('img');
    if (img && img.complete && img.naturalWidth) { ctx.globalAlpha = 0.45; ctx.imageSmoothingEnabled = false; ctx.drawImage(img, 0, 0, E, E); ctx.globalAlpha = 1; }
    ctx.strokeStyle = 'rgba(0,0,0,0.08)'; ctx.lineWidth = 1;
    for (let i = 1; i < 8; i++) { const p = (i * E) / 8; ctx.beginPath(); ctx.moveTo(p, 0); ctx.lineTo(p, E); ctx.moveTo(0, p); ctx.lineTo(E, p); ctx.stroke(); }
    if (!st.model) return;
    if (family() === 'bbox') return drawLayout(ctx, E, null, { handles: true });
    // Gk-filled parts of sample 1 (dashed) under the given ones (solid, labelled).
    const gen = st.result && st.result.condition.keypoints ? st.result.condition.keypoints[0].filter((k) => k.generated && k.v && !st.parts.has(k.name)) : [];
    drawLayout(ctx, E, gen, { labels: true });
    drawLayout(ctx, E, [...st.parts].map(([name, p]) => ({ name, x: p.x, y: p.y, v: 1 })), { labels: true });
    if (st.selected && st.parts.has(st.selected)) {
      const p = st.parts.get(st.selected);
      ctx.strokeStyle = '#000'; ctx.lineWidth = 1; ctx.beginPath(); ctx.arc(p.x * E, p.y * E, 12, 0, Math.PI * 2); ctx.stroke();
    }
  }

  function corners(b) { return [[b.x, b.y], [b.x + b.w, b.y], [b.x, b.y + b.h], [b.x + b.w, b.y + b.h]]; }

  // ---- editing --------------------------------------------------------------------------------------------
  let drag = null;
  const MIN = 0.05;

  function pos(ev) { const r = editor.getBoundingClientRect(); return { x: clamp((ev.clientX - r.left) / r.width, 0, 1), y: clamp((ev.clientY - r.top) / r.height, 0, 1) }; }

  function beginEdit() {
    st.editStart = JSON.stringify(layout());
    if (!st.locked) st.seed = randomSeed();
  }
  function endEdit() {
    const before = st.editStart;
    st.editStart = null;
    if (before !== undefined && before !== null && before !== JSON.stringify(layout())) st.prevLayout = JSON.parse(before);
  }

  function partAt(p) {
    let best = null; let bd = 12 / E;
    for (const [name, q] of st.parts) { const d = Math.hypot(q.x - p.x, q.y - p.y); if (d < bd) { bd = d; best = name; } }
    return best;
  }

  editor.addEventListener('pointerdown', (ev) => {
    if (!st.model || ev.button !== 0) return;
    editor.setPointerCapture(ev.pointerId);
    const p = pos(ev);
    const hit = family() === 'keypoint' ? partAt(p) : null;
    if (family() === 'keypoint' && !hit && !st.selected) { setStatus('pick a part below, then click where it goes'); return; }
    beginEdit();
    if (family() === 'bbox') {
      const b = st.box;
      const ci = corners(b).findIndex(([x, y]) => Math.abs(x - p.x) * E < 9 && Math.abs(y - p.y) * E < 9);
      if (ci >= 0) {
        // Resize: the opposite corner stays fixed.
        const [ox, oy] = corners(b)[3 - ci];
        drag = { kind: 'resize', ox, oy };
      } else if (p.x > b.x && p.x < b.x + b.w && p.y > b.y && p.y < b.y + b.h) drag = { kind: 'move', dx: p.x - b.x, dy: p.y - b.y };
      else drag = { kind: 'resize', ox: p.x, oy: p.y };
    } else {
      if (hit) st.selected = hit;
      else st.parts.set(st.selected, p);
      drag = { kind: 'part', name: st.selected };
      renderParts();
      requestDraw(performance.now());
    }
    drawEditor();
  });

  editor.addEventListener('pointermove', (ev) => {
    if (!drag) return;
    const t0 = performance.now();
    const p = pos(ev);
    if (drag.kind === 'move') {
      st.box.x = clamp(p.x - drag.dx, 0, 1 - st.box.w);
      st.box.y = clamp(p.y - drag.dy, 0, 1 - st.box.h);
    } else if (drag.kind === 'resize') {
      const x0 = Math.min(drag.ox, p.x); const x1 = Math.max(drag.ox, p.x);
      const y0 = Math.min(drag.oy, p.y); const y1 = Math.max(drag.oy, p.y);
      if (x1 - x0 < MIN || y1 - y0 < MIN) return;
      st.box = { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
    } else st.parts.set(drag.name, p);
    drawEditor();
    requestDraw(t0);
  });

  const finish = () => { if (!drag) return; drag = null; endEdit(); requestDraw(performance.now()); };
  editor.addEventListener('pointerup', finish);
  editor.addEventListener('pointercancel', finish);

  function removePart(name) {
    if (!st.parts.has(name)) return;
    beginEdit();
    st.parts.delete(name);
    endEdit();
    renderParts(); drawEditor(); requestDraw();
  }
  editor.addEventListener('contextmenu', (ev) => { ev.preventDefault(); const h = partAt(pos(ev)); if (h) removePart(h); });
  editor.addEventListener('dblclick', (ev) => { const h = partAt(pos(ev)); if (h) removePart(h); });
  document.addEventListener('keydown', (ev) => {
    if ((ev.key === 'Delete' || ev.key === 'Backspace') && document.activeElement === document.body && st.selected) removePart(st.selected);
  });

  function renderParts() {
    const box = $('parts');
    box.textContent = '';
    if (family() !== 'keypoint') return;
    for (const name of st.model.partNames) {
      const el = document.createElement('span');
      el.className = 'part' + (st.selected === name ? ' selected' : '') + (st.parts.has(name) ? ' placed' : '');
      const sw = document.createElement('span'); sw.className = 'swatch'; sw.style.background = partColor(name);
      const pick = document.createElement('button'); pick.textContent = name; pick.dataset.part = name; pick.title = `place the ${name}`;
      pick.onclick = () => { st.selected = name; renderParts(); drawEditor(); };
      el.append(sw, pick);
      if (st.parts.has(name)) {
        const rm = document.createElement('button'); rm.textContent = '×'; rm.title = `remove the ${name}`; rm.dataset.remove = name;
        rm.onclick = () => removePart(name);
        el.append(rm);
      }
      box.append(el);
    }
  }

  // ---- controls -------------------------------------------------------------------------------------------
  let captionTimer = 0;
  $('caption').addEventListener('input', () => {
    const t0 = performance.now();
    clearTimeout(captionTimer);
    captionTimer = setTimeout(() => { if (!st.locked) st.seed = randomSeed(); requestDraw(t0); }, 250);
  });
  $('n').addEventListener('change', () => requestDraw());
  $('overlay').addEventListener('change', drawOverlays);
  $('new-noise').onclick = () => { st.seed = randomSeed(); requestDraw(); };
  $('lock-noise').onclick = () => { st.locked = !st.locked; $('lock-noise').setAttribute('aria-pressed', String(st.locked)); };
  $('model').addEventListener('change', () => selectModel($('model').value));

  $('interpolate').onclick = async () => {
    if (!st.model) return;
    const to = layout();
    const from = st.prevLayout || to;
    try {
      setStatus('interpolating…');
      const t0 = performance.now();
      const r = await post('/api/interpolate', { model: st.model.id, caption: captionText(), n: Number($('n').value), seed: st.seed, index: 0, frames: 8, from, to });
      const strip = $('strip');
      strip.textContent = '';
      for (const b64 of r.images) { const img = document.createElement('img'); img.src = 'data:image/png;base64,' + b64; strip.append(img); }
      $('strip-wrap').className = 'shown';
      setStatus(`interpolation: ${r.images.length} frames in ${(performance.now() - t0).toFixed(0)} ms`);
    } catch (e) { st.lastError = String(e.message || e); setStatus(st.lastError, true); }
  };

  function download(name, blob) {
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob); a.download = name;
    document.body.append(a); a.click(); a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  }
  $('save-png').onclick = () => {
    const imgs = [...$('samples').querySelectorAll('img')];
    if (!imgs.length) return;
    const w = imgs[0].naturalWidth; const h = imgs[0].naturalHeight;
    const cv = document.createElement('canvas'); cv.width = w * imgs.length; cv.height = h;
    const c = cv.getContext('2d');
    imgs.forEach((img, i) => c.drawImage(img, i * w, 0));
    cv.toBlob((b) => download('gawwn-draw.png', b), 'image/png');
  };
  $('save-json').onclick = () => {
    if (!st.result) return;
    download('gawwn-draw.json', new Blob([JSON.stringify(st.result.condition, null, 1) + '\n'], { type: 'application/json' }));
  };

  function selectModel(id) {
    st.model = st.models.find((m) => m.id === id) || st.models[0];
    // Parts the new model does not have (a bird's beak on the people model) would be refused by the server.
    for (const name of [...st.parts.keys()]) if (!st.model.partNames.includes(name)) st.parts.delete(name);
    st.result = null; st.prevLayout = null;
    $('samples').textContent = '';
    if (family() === 'keypoint') {
      $('hint').textContent = 'Pick a part, click to place it, drag to move, double-click or right-click to remove.' +
        (st.model.keypointGen ? ' Missing parts are filled in by the keypoint generator.' : ' No keypoint generator loaded: only the parts you place are used.');
      if (st.parts.size === 0 && st.model.keypointGen === null) {
        st.parts.set(st.model.partNames[0], { x: 0.5, y: 0.5 });
      }
    } else $('hint').textContent = 'Drag inside the box to move it, drag a corner to resize, drag elsewhere to draw a new box.';
    renderParts(); drawEditor(); requestDraw();
  }

  async function init() {
    try {
      const r = await (await fetch('/api/models')).json();
      st.models = r.models; st.colors = r.colors;
      for (const m of st.models) { const o = document.createElement('option'); o.value = m.id; o.textContent = `${m.id} (${m.family})`; $('model').append(o); }
      selectModel(st.models[0].id);
    } catch (e) { setStatus(`cannot reach the server: ${e}`, true); }
  }
  init();
})();
