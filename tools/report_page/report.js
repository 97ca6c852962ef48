// trnsim report: draws the page from the JSON in #report-data (tools/report_data.cpp, report_timeline.cpp,
// report_sweep.cpp write it). Hand-written, no libraries: SVG for the charts, a canvas for the timeline
// (hundreds of thousands of slices). Each chart marks its element with data-rendered (a count of what it
// drew) once drawn, which the browser test (tools/tests/report_browser_test.py) checks.
(function () {
  'use strict';
  const data = JSON.parse(document.getElementById('report-data').textContent);
  const root = document.getElementById('report');
  const SVG = 'http://www.w3.org/2000/svg';

  // ---- small helpers ----
  function el(tag, attrs, children) {
    const e = document.createElement(tag);
    for (const k in attrs || {}) {
      if (k === 'text') e.textContent = attrs[k];
      else if (k === 'cls') e.className = attrs[k];
      else e.setAttribute(k, attrs[k]);
    }
    for (const c of children || []) e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    return e;
  }
  function sv(tag, attrs, parent) {
    const e = document.createElementNS(SVG, tag);
    for (const k in attrs || {}) {
      if (k === 'text') e.textContent = attrs[k];
      else e.setAttribute(k, attrs[k]);
    }
    if (parent) parent.appendChild(e);
    return e;
  }
  function section(title, id, parent) {
    const s = el('section', id ? {id: id} : {}, [el('h2', {text: title})]);
    (parent || root).appendChild(s);
    return s;
  }
  function num(x, digits) {
    if (x === null || x === undefined || x === '' || !isFinite(x)) return '\u2014';
    return Number(x).toLocaleString('en-US', {maximumFractionDigits: digits === undefined ? 1 : digits});
  }
  function sig(x, n) {
    if (!isFinite(x)) return '\u2014';
    return Number(Number(x).toPrecision(n || 3)).toLocaleString('en-US', {maximumFractionDigits: 12});
  }
  function ns(x) {
    if (!isFinite(x)) return '\u2014';
    const a = Math.abs(x);
    if (a < 1e3) return sig(x, 4) + ' ns';
    if (a < 1e6) return sig(x / 1e3, 4) + ' us';
    if (a < 1e9) return sig(x / 1e6, 4) + ' ms';
    return sig(x / 1e9, 4) + ' s';
  }
  function bytes(x) {
    if (!isFinite(x)) return '\u2014';
    if (x < 1024) return x + ' B';
    if (x < 1048576) return sig(x / 1024, 4) + ' KiB';
    if (x < 1073741824) return sig(x / 1048576, 4) + ' MiB';
    return sig(x / 1073741824, 4) + ' GiB';
  }
  function flops(x) {
    if (!isFinite(x)) return '\u2014';
    const u = [[1e15, 'P'], [1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
    for (const [d, p] of u) if (Math.abs(x) >= d) return sig(x / d, 3) + ' ' + p;
    return sig(x, 3) + ' ';
  }
  // Opcode colours: golden-angle hues, so neighbouring indices differ and the same index is always the same.
  function colour(i) {
    if (i < 0) return '#d5d9e0';
    return 'hsl(' + ((i * 137.508 + 200) % 360).toFixed(1) + ',' + (i % 3 === 1 ? 55 : 68) + '%,' +
           (i % 2 ? 46 : 58) + '%)';
  }
  function table(headers, rows, numeric) {
    const t = el('table');
    t.appendChild(el('tr', {}, headers.map((h, i) => el('th', numeric && numeric[i] ? {cls: 'num', text: h} : {text: h}))));
    for (const r of rows) {
      t.appendChild(el('tr', {}, r.map((c, i) => {
        const td = el('td', numeric && numeric[i] ? {cls: 'num'} : {});
        if (c instanceof Node) td.appendChild(c);
        else td.textContent = c;
        return td;
      })));
    }
    return t;
  }
  function verdictSpan(v) {
    const cls = v === 'PASS' || v === 'pass' ? 'pass' : v === 'FAIL' || v === 'fail' || v === 'ERROR' ? 'fail' : 'skip';
    return el('span', {cls: cls, text: v});
  }
  function rendered(e, text) { e.setAttribute('data-rendered', text); }

  // Horizontal bars: items [{label, value, colour, text}] (value in 0..max), or ranges {min, median, max}.
  function barChart(parent, id, items, opts) {
    const labelW = opts.labelW || 170, width = opts.width || 640, barH = 15, gap = 4, top = 22;
    const height = top + items.length * (barH + gap) + 8;
    const max = opts.max || Math.max(1e-9, ...items.map(i => i.range ? i.range.max : i.value));
    const svg = sv('svg', {id: id, width: width, height: height, viewBox: '0 0 ' + width + ' ' + height});
    const plotW = width - labelW - 150;  // room for the value's text
    const X = v => labelW + (v / max) * plotW;
    for (let f = 0; f <= 4; f++) {
      const x = labelW + f * plotW / 4;
      sv('line', {x1: x, x2: x, y1: top - 4, y2: height - 6, class: 'gridline'}, svg);
      sv('text', {x: x, y: top - 8, 'text-anchor': 'middle', text: opts.tick(max * f / 4)}, svg);
    }
    items.forEach((it, i) => {
      const y = top + i * (barH + gap);
      sv('text', {x: labelW - 6, y: y + barH - 3, 'text-anchor': 'end', text: it.label}, svg);
      if (it.range) {
        const r = it.range;
        sv('rect', {x: X(r.min), y: y + 2, width: Math.max(1, X(r.max) - X(r.min)), height: barH - 4,
                    fill: it.colour, opacity: 0.55}, svg);
        sv('line', {x1: X(r.median), x2: X(r.median), y1: y, y2: y + barH, stroke: '#1d2330', 'stroke-width': 2}, svg);
      } else {
        sv('rect', {x: labelW, y: y, width: Math.max(0.5, X(it.value) - labelW), height: barH, fill: it.colour}, svg);
      }
      sv('text', {x: X(it.range ? it.range.max : it.value) + 4, y: y + barH - 3, text: it.text}, svg);
    });
    parent.appendChild(svg);
    rendered(svg, items.length + (items.length && items[0].range ? ' ranges' : ' bars'));
    return svg;
  }

  // ---- header and summary ----
  const kind = data.kind;
  const title = document.title;
  root.appendChild(el('h1', {text: title}));

  if (kind === 'sweep') drawSweep();
  else drawRun();

  function drawRun() {
    const s = data.summary;
    const t = s.timing;
    root.appendChild(el('div', {cls: 'sub', text: (s.description ? s.description + ' \u2014 ' : '') + 'folder ' +
        data.folder + ', config ' + s.config + ', ' + s.trnsim_version}));
    const grid = el('div', {cls: 'grid'});
    root.appendChild(grid);
    const sum = section('Summary', 'summary', grid);
    const kv = [['kernel', s.kernel], ['mode', s.mode], ['hardware', s.hardware.name +
        (s.cores ? ', ' + s.cores + ' core' + (s.cores > 1 ? 's' : '') + (s.ranks ? ' per rank' : '') : '')]];
    if (s.ranks) {
      const l = s.launch;
      kv.push(['ranks', s.ranks + ' on ' + (l.system && l.system.name ? l.system.name : '?') + ' (' + l.chips_used +
               ' chip' + (l.chips_used > 1 ? 's' : '') + ', ' + l.placement + ', algorithm ' + l.algorithm + ')']);
    }
    if (s.instructions !== undefined) kv.push(['program', num(s.instructions, 0) + ' instructions, hash ' + s.program_hash]);
    if (t) {
      kv.push(['total time', ns(t.total_ns) + ' simulated']);
      kv.push(['MFU / HFU / MBU', sig(t.mfu_estimated_percent, 3) + ' % / ' + sig(t.hfu_estimated_percent, 3) + ' % / ' +
               sig(t.mbu_estimated_percent, 3) + ' %']);
      kv.push(['FLOPs', 'model ' + flops(t.model_flops) + 'FLOP, hardware ' + flops(t.hardware_flops) +
               'FLOP; PE peak ' + flops(t.peak_flops_per_s) + 'FLOP/s']);
      kv.push(['HBM', bytes(t.hbm.read_bytes) + ' read, ' + bytes(t.hbm.write_bytes) + ' written, ' +
               sig(t.hbm.achieved_GBps, 4) + ' GB/s of ' + sig(t.hbm.peak_GBps, 5) + ' GB/s peak']);
    }
    if (s.wall_s !== undefined) kv.push(['wall', sig(s.wall_s, 3) + ' s (' + num(s.instructions_per_s, 0) + ' instructions/s)']);
    const kvTable = table(['', ''], kv);
    kvTable.className = 'kv';
    kvTable.removeChild(kvTable.firstChild);
    sum.appendChild(kvTable);
    sum.appendChild(el('details', {}, [el('summary', {text: 'params'}), el('code', {text: JSON.stringify(s.params)})]));
    rendered(sum, kv.length + ' fields');

    const nm = s.numerics;
    const nsec = section('Numerics', 'numerics', grid);
    if (nm && nm.checked) {
      nsec.appendChild(el('p', {}, [verdictSpan(nm.passed ? 'PASS' : 'FAIL'),
          ' max-mode, rtol ' + nm.rtol + ', atol ' + nm.atol]));
      const names = Object.keys(nm.outputs);
      const rows = names.slice(0, 64).map(n => {
        const o = nm.outputs[n];
        return [n, verdictSpan(o.passed ? 'PASS' : 'FAIL'), sig(o.max_abs_err, 3), sig(o.max_rel_err, 3),
                num(o.mismatches, 0) + ' / ' + num(o.elements, 0)];
      });
      nsec.appendChild(el('div', {cls: 'scroll'}, [table(['output', 'verdict', 'max abs err', 'max rel err', 'mismatches'],
          rows, [0, 0, 1, 1, 1])]));
      if (names.length > 64) nsec.appendChild(el('p', {cls: 'note', text: (names.length - 64) + ' more outputs in summary.json'}));
      rendered(nsec, names.length + ' outputs');
    } else {
      nsec.appendChild(el('p', {}, [verdictSpan('not compared'), s.mode === 'timing_only'
          ? ' (timing_only: the run computed no values)' : ' (numerics not checked for this run)']));
      rendered(nsec, '0 outputs');
    }

    if (data.no_timeline) root.appendChild(el('p', {cls: 'note warn', id: 'no-timeline', text: data.no_timeline}));
    if (data.timeline) drawTimeline(data.timeline);
    if (!t) return;
    const charts = el('div', {cls: 'grid'});
    root.appendChild(charts);
    drawBusy(t, charts);
    drawRoofline(data.roofline, charts);
    drawOpcodes(t);
    if (data.ranks) drawRanks(data.ranks);
    if (t.collectives) drawCollectives(t.collectives);
  }

  // ---- busy time per engine (summary.json's per-core engine figures) ----
  function drawBusy(t, parent) {
    const sec = section('Busy time per engine', 'busy', parent);
    const cores = t.cores;
    const engines = {};
    for (const c of cores) {
      for (const name in c.engines) {
        const e = c.engines[name];
        if (e.instructions > 0) (engines[name] = engines[name] || []).push(e.busy_percent);
      }
    }
    const names = Object.keys(engines).sort((a, b) => Math.max(...engines[b]) - Math.max(...engines[a]) || (a < b ? -1 : 1));
    let items;
    if (cores.length <= 4 && !data.ranks) {
      items = [];
      cores.forEach((c, ci) => {
        for (const n of names) {
          const e = c.engines[n];
          if (!e || e.instructions === 0) continue;
          items.push({label: (cores.length > 1 ? 'core ' + c.core + ' ' : '') + n, value: e.busy_percent,
                      colour: ['#3d6fb6', '#e08a2e', '#4c9a5b', '#9b59b6'][ci], text: sig(e.busy_percent, 3) + ' % (' + ns(e.busy_ns) + ')'});
        }
      });
      sec.appendChild(el('p', {cls: 'sub', text: 'Share of the run each engine and DMA queue was busy (summary.json timing.cores).'}));
    } else {
      items = names.map(n => {
        const v = engines[n].slice().sort((a, b) => a - b);
        const r = {min: v[0], median: v[Math.floor(v.length / 2)], max: v[v.length - 1]};
        return {label: n, range: r, colour: '#3d6fb6', text: sig(r.min, 3) + ' / ' + sig(r.median, 3) + ' / ' + sig(r.max, 3) + ' %'};
      });
      sec.appendChild(el('p', {cls: 'sub', text: 'Busy % over ' + cores.length + ' cores: bar from min to max, tick at the median.'}));
    }
    barChart(sec, 'busy-chart', items, {max: 100, tick: v => v + ' %', labelW: cores.length > 1 && !data.ranks ? 190 : 150});
  }

  // ---- time per opcode (from the trace's slices, else summary.json's opcodes) ----
  function drawOpcodes(t) {
    const sec = section('Time per opcode', 'opcodes');
    let rows, colours = {};
    if (data.timeline) {
      rows = data.timeline.opcode_time;
      data.timeline.opcodes.forEach((o, i) => { colours[o] = colour(i); });
      sec.appendChild(el('p', {cls: 'sub', text: 'Total slice duration and count per opcode on each row of the trace (all cores). ' +
          'A DMA queue has several transfers in flight at once, so its totals can exceed the run\u2019s time.'}));
    } else {
      rows = Object.keys(t.opcodes).map(o => ({engine: 'all', opcode: o, count: t.opcodes[o].count, time_ns: t.opcodes[o].time_ns}));
      rows.sort((a, b) => b.time_ns - a.time_ns || (a.opcode < b.opcode ? -1 : 1));
      rows.forEach((r, i) => { colours[r.opcode] = colour(i); });
      sec.appendChild(el('p', {cls: 'sub', text: 'Time and count per opcode over all engines (summary.json timing.opcodes: the run has no trace).'}));
    }
    const top = rows.slice(0, 25);
    barChart(sec, 'opcode-chart', top.map(r => ({label: (r.engine === 'all' ? '' : r.engine + ' ') + r.opcode, value: r.time_ns,
        colour: colours[r.opcode] || '#888', text: ns(r.time_ns) + ' (' + num(r.count, 0) + ')'})), {tick: ns, labelW: 230, width: 1000});
    const d = el('details', {}, [el('summary', {text: 'all ' + rows.length + ' (row, opcode) pairs'})]);
    const tbl = table(['row', 'opcode', 'count', 'time', 'mean'], rows.map(r => [r.engine, r.opcode, num(r.count, 0), ns(r.time_ns),
        ns(r.time_ns / Math.max(1, r.count))]), [0, 0, 1, 1, 1]);
    tbl.id = 'opcode-table';
    d.appendChild(el('div', {cls: 'scroll'}, [tbl]));
    sec.appendChild(d);
  }

  // ---- roofline: log-log, FLOP/s against FLOPs per HBM byte ----
  function drawRoofline(r, parent) {
    const sec = section('Roofline', 'roofline', parent);
    const width = 600, height = 330, L = 62, R = 34, T = 16, B = 42;
    const ridge = r.ridge_intensity, peak = r.peak_flops_per_s, bw = r.peak_bytes_per_s;
    const ai = r.intensity;
    const xs = [ridge].concat(ai ? [ai] : []);
    const x0 = Math.pow(10, Math.floor(Math.log10(Math.min(...xs))) - 1), x1 = Math.pow(10, Math.ceil(Math.log10(Math.max(...xs))) + 1);
    const ys = [peak, x0 * bw].concat(r.achieved_flops_per_s ? [r.achieved_flops_per_s] : []);
    const y0 = Math.pow(10, Math.floor(Math.log10(Math.min(...ys)))), y1 = Math.pow(10, Math.ceil(Math.log10(peak * 1.5)));
    const X = v => L + (Math.log10(v) - Math.log10(x0)) / (Math.log10(x1) - Math.log10(x0)) * (width - L - R);
    const Y = v => height - B - (Math.log10(v) - Math.log10(y0)) / (Math.log10(y1) - Math.log10(y0)) * (height - T - B);
    const svg = sv('svg', {id: 'roofline-chart', width: width, height: height, viewBox: '0 0 ' + width + ' ' + height});
    for (let e = Math.log10(x0); e <= Math.log10(x1) + 1e-9; e++) {
      const x = X(Math.pow(10, e));
      sv('line', {x1: x, x2: x, y1: T, y2: height - B, class: 'gridline'}, svg);
      sv('text', {x: x, y: height - B + 14, 'text-anchor': 'middle', text: sig(Math.pow(10, e), 1)}, svg);
    }
    for (let e = Math.log10(y0); e <= Math.log10(y1) + 1e-9; e++) {
      const y = Y(Math.pow(10, e));
      sv('line', {x1: L, x2: width - R, y1: y, y2: y, class: 'gridline'}, svg);
      sv('text', {x: L - 4, y: y + 4, 'text-anchor': 'end', text: flops(Math.pow(10, e))}, svg);
    }
    sv('text', {x: (L + width - R) / 2, y: height - 6, 'text-anchor': 'middle',
                text: 'arithmetic intensity (' + r.flops_kind + ' FLOPs per HBM byte)'}, svg);
    sv('text', {x: 12, y: (T + height - B) / 2, transform: 'rotate(-90 12 ' + (T + height - B) / 2 + ')',
                'text-anchor': 'middle', text: 'FLOP/s'}, svg);
    const xa = Math.max(x0, y0 / bw);
    sv('polyline', {points: X(xa) + ',' + Y(xa * bw) + ' ' + X(ridge) + ',' + Y(peak) + ' ' + X(x1) + ',' + Y(peak),
                    fill: 'none', stroke: '#3d6fb6', 'stroke-width': 2.5}, svg);
    sv('text', {x: X(x1) - 4, y: Y(peak) - 6, 'text-anchor': 'end', text: 'PE peak ' + flops(peak) + 'FLOP/s'}, svg);
    sv('text', {x: X(Math.sqrt(xa * ridge)) + 6, y: Y(Math.sqrt(xa * ridge) * bw) + 2,
                text: 'HBM ' + sig(bw / 1e9, 4) + ' GB/s'}, svg);
    sv('circle', {cx: X(ridge), cy: Y(peak), r: 3.5, fill: '#3d6fb6'}, svg);
    sv('text', {x: X(ridge) + 5, y: Y(peak) + 14, text: 'ridge ' + sig(ridge, 3) + ' FLOP/B'}, svg);
    let points = 0;
    if (ai && r.achieved_flops_per_s) {
      const px = X(ai), py = Y(r.achieved_flops_per_s);
      sv('line', {x1: px, x2: px, y1: py, y2: Y(r.attainable_flops_per_s), stroke: '#c0392b', 'stroke-dasharray': '3 3'}, svg);
      sv('circle', {cx: px, cy: py, r: 6, fill: '#c0392b', id: 'roofline-point'}, svg);
      sv('text', {x: px + 9, y: py + 4, text: 'this run: ' + flops(r.achieved_flops_per_s) + 'FLOP/s'}, svg);
      points = 1;
    }
    sec.appendChild(svg);
    rendered(svg, points + ' point');
    sec.appendChild(el('p', {cls: 'sub', text: ai
        ? 'Intensity ' + sig(ai, 3) + ' FLOP/B (' + flops(r.flops) + 'FLOP over ' + bytes(r.hbm_bytes) + ' of HBM traffic): ' +
          r.bound + '-bound by the roofline (ridge at ' + sig(ridge, 3) + ' FLOP/B); the run reaches ' +
          sig(r.percent_of_roof, 3) + ' % of the roof at its intensity.'
        : 'No point: the run did no ' + r.flops_kind + ' FLOPs or moved no HBM bytes.'}));
  }

  // ---- several ranks: spread over ranks, collectives ----
  function drawRanks(rk) {
    const sec = section('Ranks: spread over ' + rk.count + ' ranks', 'ranks');
    sec.appendChild(el('p', {cls: 'sub', text: 'Each rank\u2019s busiest core per engine (busy %): bar from min to max over the ranks, tick at the median.'}));
    barChart(sec, 'rank-chart', rk.engines.map(e => ({label: e.engine, range: e, colour: '#7a5cc4',
        text: sig(e.min, 3) + ' / ' + sig(e.median, 3) + ' / ' + sig(e.max, 3) + ' %'})), {max: 100, tick: v => v + ' %', labelW: 150});
    if (rk.end_ns) {
      sec.appendChild(el('p', {cls: 'sub', text: 'Time each rank\u2019s last slice ends (trace): min ' + ns(rk.end_ns.min) +
          ', median ' + ns(rk.end_ns.median) + ', max ' + ns(rk.end_ns.max) + '.'}));
      barChart(sec, 'rank-end-chart', rk.per_rank.filter(r => r.end_ns !== undefined).map(r => ({label: 'rank ' + r.rank,
          value: r.end_ns, colour: '#7a5cc4', text: ns(r.end_ns)})), {tick: ns, labelW: 80});
    }
    const engines = rk.engines.map(e => e.engine);
    const d = el('details', {}, [el('summary', {text: 'per-rank busy % table'})]);
    d.appendChild(el('div', {cls: 'scroll'}, [table(['rank', 'ends'].concat(engines), rk.per_rank.map(r =>
        [String(r.rank), r.end_ns !== undefined ? ns(r.end_ns) : '\u2014'].concat(engines.map(e => sig(r.busy_percent[e], 3)))),
        [0, 1].concat(engines.map(() => 1)))]));
    sec.appendChild(d);
  }

  function drawCollectives(c) {
    const sec = section('Collectives', 'collectives');
    const kinds = Object.keys(c.by_kind || {});
    const tbl = table(['kind', 'count', 'bytes per rank', 'time', 'algorithms', 'algbw GB/s (med)', 'busbw GB/s min / med / max',
        'exposed per rank (med)'], kinds.map(k => {
      const v = c.by_kind[k];
      return [k, num(v.count, 0), bytes(v.message_bytes), ns(v.time_ns),
              Object.keys(v.algorithms).map(a => a + ' \u00d7' + v.algorithms[a]).join(', '), sig(v.algbw_GBps.median, 4),
              sig(v.busbw_GBps.min, 4) + ' / ' + sig(v.busbw_GBps.median, 4) + ' / ' + sig(v.busbw_GBps.max, 4),
              v.exposed_ns_per_rank ? ns(v.exposed_ns_per_rank.median) : '\u2014'];
    }), [0, 1, 1, 1, 0, 1, 1, 1]);
    tbl.id = 'collectives-table';
    sec.appendChild(tbl);
    rendered(sec, kinds.length + ' kinds');
    const inst = c.instances || [];
    if (inst.length) {
      const d = el('details', {}, [el('summary', {text: inst.length + ' instances' + (inst.length > 500 ? ' (first 500)' : '')})]);
      d.appendChild(el('div', {cls: 'scroll'}, [table(['kind', 'algorithm', 'row', 'cc-core', 'bytes', 'start', 'duration',
          'busbw GB/s', 'source'], inst.slice(0, 500).map(i => [i.kind, i.algorithm, JSON.stringify(i.row), String(i.cc_core),
          bytes(i.message_bytes), ns(i.start_ns), ns(i.end_ns - i.start_ns), sig(i.busbw_GBps, 4), i.source || '']),
          [0, 0, 0, 1, 1, 1, 1, 1, 0])]));
      sec.appendChild(d);
    }
    const links = (c.links || []).slice().sort((a, b) => b.utilization_percent - a.utilization_percent);
    if (links.length) {
      const d = el('details', {}, [el('summary', {text: links.length + ' links that carried data (busiest first)'})]);
      d.appendChild(el('div', {cls: 'scroll'}, [table(['link', 'bytes', 'busy', 'utilisation', 'GB/s'], links.map(l =>
          [l.link, bytes(l.bytes), ns(l.busy_ns), sig(l.utilization_percent, 3) + ' %', sig(l.GBps, 4)]), [0, 1, 1, 1, 1])]));
      sec.appendChild(d);
    }
  }

  // ---- the engine timeline ----
  function drawTimeline(tl) {
    const sec = section('Engine timeline', 'timeline');
    const total = Math.max(1, tl.end_ns);
    // Rows in draw order: a header per process, then its rows, decoded into typed arrays.
    const rows = [];
    for (const p of tl.processes) {
      rows.push({header: p.name});
      for (const r of p.rows) {
        const row = {name: r.name, process: p.name, lanes: r.lanes, count: r.count, busy: r.busy_ns};
        if (r.start) {
          const n = r.start.length, st = new Float64Array(n);
          let s = 0, maxDur = 0;
          for (let i = 0; i < n; i++) { s += r.start[i]; st[i] = s; if (r.dur[i] > maxDur) maxDur = r.dur[i]; }
          Object.assign(row, {st: st, dur: Float64Array.from(r.dur), op: Int32Array.from(r.op), src: Int32Array.from(r.src),
                              pc: Int32Array.from(r.pc), lane: Int32Array.from(r.lane), maxDur: maxDur});
        } else {
          Object.assign(row, {buckets: Int32Array.from(r.busy), top: Int32Array.from(r.top)});
        }
        rows.push(row);
      }
    }
    const note = el('p', {cls: 'note', id: 'timeline-note'});
    const how = 'Scroll to zoom around the pointer, drag across a range to zoom into it, double-click or Reset to see it all; ' +
                'hover for a slice\u2019s opcode, start, duration and source line.';
    note.textContent = tl.aggregated
        ? 'Aggregated view: the trace has ' + num(tl.slices, 0) + ' slices, more than the page embeds exactly. The ' +
          tl.aggregated_rows + ' busiest rows (marked \u2248) are drawn as buckets of ' + ns(tl.bucket_ns) + ' (' + num(tl.buckets, 0) +
          ' per row): bar height is the share of the bucket covered by slices, coloured by the opcode covering most of it. ' +
          'The other rows are exact. Open trace.pftrace in ui.perfetto.dev for every slice. ' + how
        : num(tl.slices, 0) + ' slices, each drawn exactly (one row per engine and DMA queue of each core, lanes of ' +
          'overlapping slices stacked within a row). ' + how;
    sec.appendChild(note);
    const reset = el('button', {type: 'button', text: 'Reset zoom', id: 'timeline-reset'});
    const range = el('span', {cls: 'sub', id: 'timeline-range'});
    sec.appendChild(el('div', {cls: 'controls'}, [reset, ' ', range]));
    const canvas = el('canvas', {id: 'timeline-canvas'});
    sec.appendChild(canvas);
    // Legend: the opcodes by their total time.
    const byOp = {};
    for (const r of tl.opcode_time) byOp[r.opcode] = (byOp[r.opcode] || 0) + r.time_ns;
    const legend = el('div', {cls: 'legend', id: 'timeline-legend'});
    const ops = Object.keys(byOp).sort((a, b) => byOp[b] - byOp[a] || (a < b ? -1 : 1));
    for (const o of ops) {
      legend.appendChild(el('span', {}, [el('span', {cls: 'swatch', style: 'background:' + colour(tl.opcodes.indexOf(o))}), o]));
    }
    sec.appendChild(legend);
    rendered(legend, ops.length + ' opcodes');
    const tip = el('div', {id: 'tooltip', hidden: ''});
    document.body.appendChild(tip);

    const labelW = 200, axisH = 22, headerH = 18;
    // Browsers draw no canvas taller than 32767 px: past 30000 (hundreds of traced cores) each row gets an
    // equal share of that, its lanes drawn over each other.
    const layout = compact => {
      let y = axisH;
      const share = Math.floor((30000 - axisH - headerH * tl.processes.length) / (rows.length - tl.processes.length));
      for (const r of rows) {
        r.y = y;
        if (r.header) { r.h = headerH; } else if (compact) {
          r.shown = 1;
          r.laneH = Math.max(2, share - 1);
          r.h = r.laneH + 1;
        } else {
          r.shown = Math.min(r.lanes, 4);
          r.laneH = Math.max(4, Math.floor(16 / r.shown));
          r.h = r.shown * r.laneH + 5;
        }
        y += r.h;
      }
      return y;
    };
    let y = layout(false);
    if (y > 30000) y = layout(true);
    const height = y + 4;
    let v0 = 0, v1 = total, drag = null, width = 0, marks = 0;
    // A link may name the view: report.html#view=START_NS,END_NS (the browser test opens one zoomed in).
    const view = /view=([0-9.e+]+),([0-9.e+]+)/.exec(window.location.hash);
    if (view && Number(view[2]) > Number(view[1])) { v0 = Number(view[1]); v1 = Number(view[2]); }
    const ctx = canvas.getContext('2d');
    const colours = tl.opcodes.map((o, i) => colour(i));

    function lowerBound(a, x) {
      let lo = 0, hi = a.length;
      while (lo < hi) { const m = (lo + hi) >> 1; if (a[m] < x) lo = m + 1; else hi = m; }
      return lo;
    }
    function tickStep(span, px) {
      const raw = span / Math.max(1, px / 110), p = Math.pow(10, Math.floor(Math.log10(raw)));
      for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
      return 10 * p;
    }
    function draw() {
      const dpr = window.devicePixelRatio || 1;
      width = canvas.clientWidth || 1200;
      canvas.width = Math.round(width * dpr);
      canvas.height = Math.round(height * dpr);
      canvas.style.height = height + 'px';
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.clearRect(0, 0, width, height);
      const plotW = width - labelW - 8;
      const scale = plotW / (v1 - v0);
      const X = t => labelW + (t - v0) * scale;
      // Axis.
      ctx.font = '11px system-ui, "DejaVu Sans", sans-serif';
      ctx.fillStyle = '#2b3240';
      ctx.strokeStyle = '#e3e6eb';
      const step = tickStep(v1 - v0, plotW);
      for (let t = Math.ceil(v0 / step) * step; t <= v1; t += step) {
        const x = X(t);
        ctx.beginPath(); ctx.moveTo(x + 0.5, axisH - 4); ctx.lineTo(x + 0.5, height); ctx.stroke();
        ctx.fillText(ns(t), x + 2, 12);
      }
      marks = 0;
      for (let ri = 0; ri < rows.length; ri++) {
        const r = rows[ri];
        if (r.header) {
          ctx.fillStyle = '#eef1f6';
          ctx.fillRect(0, r.y, width, r.h);
          ctx.fillStyle = '#1d2330';
          ctx.font = 'bold 12px system-ui, "DejaVu Sans", sans-serif';
          ctx.fillText(r.header, 4, r.y + 13);
          ctx.font = '11px system-ui, "DejaVu Sans", sans-serif';
          continue;
        }
        if (ri % 2) { ctx.fillStyle = '#fafbfc'; ctx.fillRect(0, r.y, width, r.h); }
        ctx.fillStyle = '#2b3240';
        ctx.fillText(r.name + (r.buckets ? ' \u2248' : ''), 12, r.y + Math.min(r.h - 3, 13));
        ctx.save();
        ctx.beginPath(); ctx.rect(labelW, r.y, plotW, r.h); ctx.clip();
        if (r.st) marks += drawExact(r, X, scale);
        else marks += drawBuckets(r, X, scale);
        ctx.restore();
      }
      if (drag && Math.abs(drag.x1 - drag.x0) > 2) {
        ctx.fillStyle = 'rgba(61,111,182,0.18)';
        ctx.fillRect(Math.min(drag.x0, drag.x1), axisH, Math.abs(drag.x1 - drag.x0), height - axisH);
      }
      range.textContent = 'showing ' + ns(v0) + ' \u2013 ' + ns(v1) + ' of ' + ns(total);
      rendered(canvas, (rows.length - tl.processes.length) + ' rows, ' + marks + ' marks');
      const box = canvas.getBoundingClientRect();
      canvas.setAttribute('data-rect', [box.left + window.scrollX, box.top + window.scrollY, box.width, box.height]
          .map(v => Math.round(v)).join(','));
    }
    function drawExact(r, X, scale) {
      let drawn = 0, last = -1;
      const lastPx = new Float64Array(r.shown).fill(-1);
      const i0 = lowerBound(r.st, v0 - r.maxDur);
      for (let i = i0; i < r.st.length && r.st[i] <= v1; i++) {
        const e = r.st[i] + r.dur[i];
        if (e < v0) continue;
        const x0 = X(r.st[i]), w = r.dur[i] * scale, lane = r.lane[i] % r.shown;
        // Many slices in one pixel: the first one there stands for them (drawing the rest changes nothing).
        if (w < 1 && Math.floor(x0) === lastPx[lane]) continue;
        lastPx[lane] = Math.floor(x0);
        if (r.op[i] !== last) { last = r.op[i]; ctx.fillStyle = colours[last]; }
        ctx.fillRect(x0, r.y + 2 + lane * r.laneH, Math.max(1, w), r.laneH - 1);
        drawn++;
      }
      return drawn;
    }
    function drawBuckets(r, X, scale) {
      const b = tl.bucket_ns, n = r.buckets.length, H = r.h - 3;
      const k0 = Math.max(0, Math.floor(v0 / b)), k1 = Math.min(n, Math.ceil(v1 / b));
      let drawn = 0, px = -1, best = -1, bestBusy = 0, sum = 0, cnt = 0;
      const flush = () => {
        if (cnt && best >= 0 && sum > 0) {
          const h = Math.max(1, H * sum / cnt / 1000);
          ctx.fillStyle = colours[best];
          ctx.fillRect(px, r.y + 1 + H - h, 1, h);
          drawn++;
        }
      };
      for (let k = k0; k < k1; k++) {
        const x0 = X(k * b), w = b * scale;
        if (w >= 1) {
          if (r.buckets[k] > 0) {
            const h = Math.max(1, H * r.buckets[k] / 1000);
            ctx.fillStyle = colours[r.top[k]];
            ctx.fillRect(x0, r.y + 1 + H - h, w, h);
            drawn++;
          }
          continue;
        }
        // Buckets narrower than a pixel: one column per pixel, their mean busy share, the busiest one's opcode.
        const p = Math.floor(x0);
        if (p !== px) { flush(); px = p; best = -1; bestBusy = 0; sum = 0; cnt = 0; }
        sum += r.buckets[k]; cnt++;
        if (r.buckets[k] > bestBusy) { bestBusy = r.buckets[k]; best = r.top[k]; }
      }
      flush();
      return drawn;
    }
    function timeAt(x) { return v0 + (x - labelW) * (v1 - v0) / (width - labelW - 8); }
    function clampView(a, b) {
      // At least 10 ns across, inside the run.
      const span = Math.max(10, Math.min(total, b - a));
      a = Math.max(0, Math.min(a, total - span));
      v0 = a; v1 = a + span;
    }
    function hit(x, y) {
      const r = rows.find(q => !q.header && y >= q.y && y < q.y + q.h);
      if (!r || x < labelW) return null;
      const t = timeAt(x), slack = 2 * (v1 - v0) / (width - labelW);
      if (r.st) {
        const lane = Math.min(r.shown - 1, Math.max(0, Math.floor((y - r.y - 2) / r.laneH)));
        let best = -1;
        for (let i = lowerBound(r.st, t + slack) - 1; i >= 0 && r.st[i] >= t - r.maxDur - slack; i--) {
          if (r.st[i] - slack <= t && t <= r.st[i] + r.dur[i] + slack) {
            best = best < 0 || r.lane[i] % r.shown === lane ? i : best;
            if (r.lane[i] % r.shown === lane) break;
          }
        }
        if (best < 0) return null;
        const i = best;
        return tl.opcodes[r.op[i]] + '\n' + r.process + ' / ' + r.name + (r.lanes > 1 ? ' (lane ' + r.lane[i] + ')' : '') +
               '\nstart ' + ns(r.st[i]) + ', duration ' + ns(r.dur[i]) +
               (r.src[i] >= 0 ? '\nsource ' + tl.sources[r.src[i]] : '') + (r.pc[i] >= 0 ? '\npc ' + r.pc[i] : '');
      }
      const k = Math.floor(t / tl.bucket_ns);
      if (k < 0 || k >= r.buckets.length) return null;
      return r.process + ' / ' + r.name + ' (aggregated)\n' + ns(k * tl.bucket_ns) + ' \u2013 ' + ns((k + 1) * tl.bucket_ns) +
             ': busy ' + (r.buckets[k] / 10).toFixed(1) + ' %' + (r.top[k] >= 0 ? ', mostly ' + tl.opcodes[r.top[k]] : '');
    }
    function pos(e) { const b = canvas.getBoundingClientRect(); return [e.clientX - b.left, e.clientY - b.top]; }
    canvas.addEventListener('wheel', e => {
      const [x] = pos(e);
      if (x < labelW) return;
      e.preventDefault();
      const t = timeAt(x), f = e.deltaY < 0 ? 0.8 : 1.25;
      clampView(t - (t - v0) * f, t + (v1 - t) * f);
      draw();
    }, {passive: false});
    canvas.addEventListener('mousedown', e => {
      const [x] = pos(e);
      if (x >= labelW) drag = {x0: x, x1: x};
    });
    window.addEventListener('mouseup', () => {
      if (!drag) return;
      const a = Math.min(drag.x0, drag.x1), b = Math.max(drag.x0, drag.x1);
      drag = null;
      if (b - a > 4) clampView(timeAt(a), timeAt(b));
      draw();
    });
    canvas.addEventListener('mousemove', e => {
      const [x, y] = pos(e);
      if (drag) { drag.x1 = Math.max(labelW, x); draw(); return; }
      const text = hit(x, y);
      tip.hidden = !text;
      if (text) {
        tip.textContent = text;
        tip.style.left = Math.min(window.innerWidth - 320, e.clientX + 14) + 'px';
        tip.style.top = (e.clientY + 14) + 'px';
      }
    });
    canvas.addEventListener('mouseleave', () => { tip.hidden = true; });
    canvas.addEventListener('dblclick', () => { v0 = 0; v1 = total; draw(); });
    reset.addEventListener('click', () => { v0 = 0; v1 = total; draw(); });
    window.addEventListener('resize', draw);
    draw();
  }

  // ---- a sweep: the points charted against the key that varies, and tabled ----
  function drawSweep() {
    const cols = data.columns, pts = data.points;
    const at = name => cols.indexOf(name);
    root.appendChild(el('div', {cls: 'sub', text: 'sweep folder ' + data.folder + ': ' + pts.length + ' points; swept ' +
        (data.keys.join(', ') || 'nothing') + (data.varying.length ? '; varying ' + data.varying.join(', ') : '')}));
    const counts = {};
    for (const p of pts) counts[p[at('verdict')]] = (counts[p[at('verdict')]] || 0) + 1;
    const vsec = section('Verdicts', 'sweep-verdicts');
    vsec.appendChild(el('p', {}, Object.keys(counts).sort().map(v => el('span', {}, [verdictSpan(v), ' ' + counts[v] + '   ']))));
    rendered(vsec, Object.keys(counts).length + ' verdicts');
    const grid = el('div', {cls: 'grid'});
    root.appendChild(grid);
    sweepChart(grid, 'sweep-total-chart', 'Simulated time (total_ns)', 'total_ns', ns, true);
    sweepChart(grid, 'sweep-mfu-chart', 'MFU (mfu_estimated_percent)', 'mfu_estimated_percent', v => sig(v, 3) + ' %', false);
    const sec = section('Points', 'sweep-points');
    const numeric = cols.map(c => c !== 'point' && c !== 'verdict' && c !== 'numerics' && c !== 'message' && data.keys.indexOf(c) < 0);
    const tbl = table(cols, pts.map(p => p.map((c, i) => cols[i] === 'verdict' ? verdictSpan(c) : c)), numeric);
    tbl.id = 'sweep-table';
    sec.appendChild(el('div', {cls: 'scroll'}, [tbl]));
    sec.appendChild(el('p', {cls: 'sub', text: 'Each point\u2019s run folder is points/NNNN/run: trnsim report it for its own page.'}));
    rendered(sec, pts.length + ' rows');
  }

  function sweepChart(parent, id, title, column, fmt, logY) {
    const sec = section(title, null, parent);
    const cols = data.columns, pts = data.points, ci = cols.indexOf(column), vi = cols.indexOf('verdict');
    const xi = data.x_key ? cols.indexOf(data.x_key) : -1;
    const series = {};
    const order = [];
    pts.forEach((p, n) => {
      const key = data.series_keys.map(k => k + '=' + p[cols.indexOf(k)]).join(', ') || 'all points';
      if (!series[key]) { series[key] = []; order.push(key); }
      const y = p[ci] === '' ? NaN : Number(p[ci]);
      series[key].push({x: xi >= 0 ? Number(p[xi]) : n, y: y, verdict: p[vi], point: p[0]});
    });
    const width = 600, height = 300, L = 70, R = 16, T = 14, B = 40;
    const all = pts.map((p, n) => ({x: xi >= 0 ? Number(p[xi]) : n, y: p[ci] === '' ? NaN : Number(p[ci])}));
    const good = all.filter(q => isFinite(q.y) && (!logY || q.y > 0));
    const svg = sv('svg', {id: id, width: width, height: height, viewBox: '0 0 ' + width + ' ' + height});
    const xs = all.map(q => q.x);
    let x0 = Math.min(...xs), x1 = Math.max(...xs);
    if (x0 === x1) { x0 -= 1; x1 += 1; }
    const logX = xi >= 0 && x0 > 0 && x1 / x0 >= 8;
    let y0 = good.length ? Math.min(...good.map(q => q.y)) : 0, y1 = good.length ? Math.max(...good.map(q => q.y)) : 1;
    if (logY) { y0 = Math.pow(10, Math.floor(Math.log10(y0 || 1))); y1 = Math.pow(10, Math.ceil(Math.log10(Math.max(y1, y0 * 10)))); }
    else { y0 = 0; y1 = y1 > 0 ? y1 * 1.1 : 1; }
    const fx = v => logX ? Math.log10(v) : v, fy = v => logY ? Math.log10(v) : v;
    const X = v => L + (fx(v) - fx(x0)) / (fx(x1) - fx(x0) || 1) * (width - L - R);
    const Y = v => height - B - (fy(v) - fy(y0)) / (fy(y1) - fy(y0) || 1) * (height - T - B);
    // Axes: y ticks (decades, or fifths), x ticks at the points' values.
    const yt = [];
    if (logY) for (let e = Math.log10(y0); e <= Math.log10(y1) + 1e-9; e++) yt.push(Math.pow(10, e));
    else for (let f = 0; f <= 5; f++) yt.push(y0 + (y1 - y0) * f / 5);
    for (const v of yt) {
      sv('line', {x1: L, x2: width - R, y1: Y(v), y2: Y(v), class: 'gridline'}, svg);
      sv('text', {x: L - 4, y: Y(v) + 4, 'text-anchor': 'end', text: fmt(v)}, svg);
    }
    const xt = Array.from(new Set(xs)).sort((a, b) => a - b);
    for (const v of xt.length <= 16 ? xt : xt.filter((v, i) => i % Math.ceil(xt.length / 16) === 0)) {
      sv('text', {x: X(v), y: height - B + 14, 'text-anchor': 'middle', text: xi >= 0 ? sig(v, 4) : pts[v][0]}, svg);
    }
    sv('text', {x: (L + width - R) / 2, y: height - 6, 'text-anchor': 'middle', text: xi >= 0 ? data.x_key : 'point'}, svg);
    const lineColours = ['#3d6fb6', '#e08a2e', '#7a5cc4', '#4c9a5b', '#b5485d', '#5aa7c7', '#8c7a3a', '#555'];
    const verdictColour = {PASS: '#1f7a3f', FAIL: '#c62828', ERROR: '#111', SKIP: '#8a93a3'};
    let marks = 0;
    order.forEach((key, si) => {
      const s = series[key].filter(q => isFinite(q.y) && (!logY || q.y > 0)).sort((a, b) => a.x - b.x);
      const c = lineColours[si % lineColours.length];
      if (s.length > 1) sv('polyline', {points: s.map(q => X(q.x) + ',' + Y(q.y)).join(' '), fill: 'none', stroke: c, 'stroke-width': 1.5}, svg);
      for (const q of s) {
        const m = sv('circle', {cx: X(q.x), cy: Y(q.y), r: 4.5, fill: verdictColour[q.verdict] || '#888', stroke: c, 'stroke-width': 1.5}, svg);
        sv('title', {text: 'point ' + q.point + ' (' + key + '): ' + fmt(q.y) + ', ' + q.verdict}, m);
        marks++;
      }
    });
    sec.appendChild(svg);
    rendered(svg, marks + ' points');
    const legend = el('div', {cls: 'legend'});
    order.forEach((key, si) => legend.appendChild(el('span', {}, [el('span', {cls: 'swatch', style: 'background:' +
        lineColours[si % lineColours.length]}), key])));
    sec.appendChild(legend);
    const verdicts = el('div', {cls: 'legend'}, ['marker fill: verdict ']);
    for (const v of ['PASS', 'FAIL', 'ERROR', 'SKIP']) {
      verdicts.appendChild(el('span', {}, [el('span', {cls: 'swatch', style: 'border-radius:6px;background:' + verdictColour[v]}), v]));
    }
    sec.appendChild(verdicts);
    const missing = all.length - good.length;
    if (missing) sec.appendChild(el('p', {cls: 'sub', text: missing + ' point(s) have no ' + column + ' (errors, or functional runs) and are not drawn.'}));
  }
})();
