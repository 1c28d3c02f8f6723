// SPDX-License-Identifier: GPL-2.0-or-later
// The HTML report's CSS and script, inlined into every page (the page loads nothing). Colours:
// the Okabe-Ito palette (safe for the common colour-vision deficiencies), light and dark
// (prefers-color-scheme). The script only reads the page: hover tooltips on the charts from
// their data-v attributes, sortable tables, and a note on the root element of any error or
// blocked load (data-gw-errors), which the test reads back; it never builds HTML from text.
#include "html_page.h"

namespace gan::html {

const char kCss[] = R"CSS(:root{--bg:#fff;--fg:#1d2329;--muted:#5b6670;--grid:#e4e7eb;--axis:#89939d;--card:#f5f7f9;
--border:#d9dee3;--link:#0b62a8;--ok:#009E73;--fail:#D55E00;--exc:#CC79A7;--inc:#8f8f8f;--queue:#E69F00;
--run:#56B4E9;--total:#0072B2;--busy:#0072B2;--idle:#d3d8dd;--c0:#0072B2;--c1:#E69F00;--c2:#009E73;--c3:#CC79A7;
--c4:#56B4E9;--c5:#D55E00;--c6:#1d2329;--other:#a9a9a9}
@media (prefers-color-scheme:dark){:root{--bg:#14171a;--fg:#e4e8ec;--muted:#9ba6b1;--grid:#2a3037;--axis:#6c7782;
--card:#1c2025;--border:#323940;--link:#6cb6f0;--total:#3d9be0;--busy:#3d9be0;--c0:#3d9be0;--idle:#3a4149;
--c6:#e4e8ec;--other:#6f747a;--inc:#8a8a8a}}
*{box-sizing:border-box}
html{background:var(--bg);color:var(--fg)}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;margin:0 auto;max-width:1120px;
padding:0 16px 40px}
a{color:var(--link)}
code{font:12px/1.3 ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace}
header{padding:18px 0 6px;border-bottom:1px solid var(--border);margin-bottom:8px}
h1{font-size:22px;margin:0}
h2{font-size:18px;margin:30px 0 8px;padding-top:6px;border-top:1px solid var(--border)}
h3{font-size:15px;margin:18px 0 6px}
.sub{margin:4px 0 8px;color:var(--muted)}
.sub b{color:var(--fg);font-weight:600;word-break:break-all}
nav a{margin-right:16px;text-decoration:none}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:10px}
.card{background:var(--card);border:1px solid var(--border);border-radius:6px;padding:8px 11px}
.cl{color:var(--muted);font-size:12px}
.cv{font-size:17px;font-weight:600;font-variant-numeric:tabular-nums}
.cs{font-size:12px;color:var(--muted)}
.note,.muted{color:var(--muted)}
.note{font-size:12.5px;margin:4px 0 8px}
.facts{font-size:13px;color:var(--muted)}
.facts span{color:var(--fg)}
.okmsg{color:var(--ok)}
.warn{color:var(--fail);font-weight:600}
.scroll{overflow-x:auto}
table.grid{border-collapse:collapse;width:100%;font-size:13px;margin:4px 0 10px}
table.grid th{text-align:left;font-weight:600;color:var(--muted);border-bottom:1px solid var(--axis);padding:4px 7px;
white-space:nowrap}
table.grid td{border-bottom:1px solid var(--grid);padding:3px 7px;vertical-align:top}
table.kv td{padding:2px 18px 2px 0}
.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.sortable th{cursor:pointer;user-select:none}
table.sortable th[aria-sort=ascending]::after{content:" \25B2";font-size:9px}
table.sortable th[aria-sort=descending]::after{content:" \25BC";font-size:9px}
td.frames{font-size:12px;white-space:nowrap}
.fr{display:inline-block;margin-right:6px;color:var(--muted)}
.fr span{color:var(--fg)}
code.cmd{user-select:all;word-break:break-all;color:var(--fg)}
td.fnlist{font-size:12px;color:var(--muted)}
td.name{white-space:nowrap;max-width:260px;overflow:hidden;text-overflow:ellipsis}
tr.detail td{border-bottom:1px solid var(--grid);padding:0 7px 6px;font-size:12px;color:var(--muted)}
tr.main td{border-bottom:none}
.o-complete{color:var(--ok)}.o-fail{color:var(--fail)}.o-exception{color:var(--exc)}.o-incomplete{color:var(--muted)}
.o-queued{color:var(--queue)}.o-running{color:var(--total)}
article.fn{border:1px solid var(--border);border-radius:6px;padding:2px 12px 8px;margin:10px 0}
article.fn h3{margin:8px 0 2px;word-break:break-all}
article.fn p{margin:4px 0}
.fnbar{margin:4px 0 2px}
svg{display:block;max-width:100%;height:auto;overflow:visible}
svg.chart{width:100%}
.outcomes svg.bar{width:100%}
svg text{font-size:11px;fill:var(--fg)}
svg .tick,svg .plabel,svg .unit{fill:var(--muted)}
svg .unit{font-size:10px;font-style:italic}
svg .plabel{font-size:10px}
svg .rowname{font-weight:600}
svg .lname{font-size:10.5px}
svg .muted{fill:var(--muted)}
.grid{stroke:var(--grid);stroke-width:1}
.axis{stroke:var(--axis);stroke-width:1}
.lanebg{stroke:var(--grid);stroke-width:1}
.pmark{stroke:var(--fg);stroke-width:1;stroke-dasharray:3 2;opacity:.75}
.ok{fill:var(--ok);background:var(--ok);stroke:var(--ok);border-color:var(--ok)}
.fail{fill:var(--fail);background:var(--fail);stroke:var(--fail);border-color:var(--fail)}
.exc{fill:var(--exc);background:var(--exc);stroke:var(--exc);border-color:var(--exc)}
.inc{fill:var(--inc);background:var(--inc);stroke:var(--inc);border-color:var(--inc)}
.cqueue,.cq{fill:var(--queue);background:var(--queue);stroke:var(--queue);border-color:var(--queue)}
.crun{fill:var(--run);background:var(--run);stroke:var(--run);border-color:var(--run)}
.ctotal,.cfly{fill:var(--total);background:var(--total);stroke:var(--total);border-color:var(--total)}
.csub{fill:var(--fg);background:var(--fg);stroke:var(--fg);border-color:var(--fg)}
.c0{fill:var(--c0);background:var(--c0);stroke:var(--c0);border-color:var(--c0)}
.c1{fill:var(--c1);background:var(--c1);stroke:var(--c1);border-color:var(--c1)}
.c2{fill:var(--c2);background:var(--c2);stroke:var(--c2);border-color:var(--c2)}
.c3{fill:var(--c3);background:var(--c3);stroke:var(--c3);border-color:var(--c3)}
.c4{fill:var(--c4);background:var(--c4);stroke:var(--c4);border-color:var(--c4)}
.c5{fill:var(--c5);background:var(--c5);stroke:var(--c5);border-color:var(--c5)}
.c6{fill:var(--c6);background:var(--c6);stroke:var(--c6);border-color:var(--c6)}
.cother{fill:var(--other);background:var(--other);stroke:var(--other);border-color:var(--other)}
.line{fill:none;stroke-width:1.7;stroke-linejoin:round}
.line.dash{stroke-dasharray:5 3}
.dot{stroke:none}
.ct{font-size:12.5px;font-weight:600;margin:10px 0 0 62px}
.dist .area{fill-opacity:.35;stroke-width:1.3}
@media (prefers-color-scheme:dark){.dist .area{fill-opacity:.55}}
.ts .area{stroke:none}
.lanes .area{stroke:none;fill-opacity:.8}
.b1,.b2,.b3,.b4{fill:var(--busy)}
.b1{fill-opacity:.3}.b2{fill-opacity:.55}.b3{fill-opacity:.8}
.idle{fill:var(--idle);background:var(--idle)}
.idlewait{fill:var(--queue);background:var(--queue)}
.lost{fill:var(--fail)}
.kb.b1,.kb.b2,.kb.b3,.kb.b4{background:var(--busy)}
.kb.b1{opacity:.3}.kb.b2{opacity:.55}.kb.b3{opacity:.8}
.lostkey{color:var(--fail);margin-right:4px}
.hover{fill:transparent;pointer-events:all}
.xhair{stroke:var(--fg);stroke-width:1;opacity:0;pointer-events:none}
.xhair.on{opacity:.45}
.legend{display:flex;flex-wrap:wrap;gap:3px 16px;font-size:12px;margin:2px 0 12px 62px}
.lg{white-space:nowrap}
.kb{display:inline-block;width:11px;height:11px;margin-right:5px;border-radius:2px;vertical-align:-1px}
.kl{display:inline-block;width:18px;height:0;border-top-width:2.5px;border-top-style:solid;margin-right:5px;vertical-align:3px}
svg.meter{display:inline-block;vertical-align:0}
.mfill{fill:var(--busy)}
#tip{position:fixed;z-index:10;background:var(--card);color:var(--fg);border:1px solid var(--border);
border-radius:5px;padding:6px 9px;font-size:12px;line-height:1.35;pointer-events:none;
box-shadow:0 2px 8px rgba(0,0,0,.18);max-width:360px}
#tip .t{font-weight:600;margin-bottom:2px}
#tip .kb{width:9px;height:9px}
footer{margin-top:36px;padding-top:10px;border-top:1px solid var(--border);font-size:12px;color:var(--muted)}
@media print{nav,#tip{display:none}}
)CSS";

const char kScript[] = R"JS((function () {
  'use strict';
  var root = document.documentElement;
  var problems = [];
  function note(msg) {
    problems.push(String(msg));
    root.setAttribute('data-gw-errors', problems.join(' | '));
  }
  window.addEventListener('error', function (e) { note(e.message); });
  document.addEventListener('securitypolicyviolation', function (e) {
    note('blocked ' + e.blockedURI + ' (' + e.violatedDirective + ')');
  });

  function sig3(v) {
    var a = Math.abs(v);
    return a >= 99.95 ? v.toFixed(0) : a >= 9.995 ? v.toFixed(1) : v.toFixed(2);
  }
  function ms(v) {
    if (v === 0) return '0 ms';
    var a = Math.abs(v);
    if (a < 0.001 && a * 1e6 < 999.5) return sig3(v * 1e6) + ' ns';
    if (a < 1 && a * 1e3 < 999.5) return sig3(v * 1e3) + ' \u00b5s';
    if (a < 1000 && a < 999.5) return sig3(v) + ' ms';
    if (a < 60000 && a / 1e3 < 999.5) return sig3(v / 1e3) + ' s';
    if (a < 3600000) return sig3(v / 60000) + ' min';
    return sig3(v / 3600000) + ' h';
  }
  function num(v) {
    if (Math.abs(v) >= 100 || v === Math.round(v)) return Math.round(v).toLocaleString('en-US');
    return sig3(v);
  }
  function utc(nsText) {
    var d = new Date(Number(nsText) / 1e6);
    return isNaN(d) ? '' : d.toISOString().slice(0, 23).replace('T', ' ');
  }
  function values(el, name) {
    var cache = '_gw_' + name;
    if (!el[cache]) el[cache] = (el.getAttribute(name) || '').split(' ');
    return el[cache];
  }

  var tip = document.getElementById('tip');
  function line(parent, text, cls, swatch) {
    var d = document.createElement('div');
    if (cls) d.className = cls;
    if (swatch) {
      var s = document.createElement('span');
      s.className = 'kb ' + swatch;
      d.appendChild(s);
    }
    d.appendChild(document.createTextNode(text));
    parent.appendChild(d);
  }
  function showTip(evt, build) {
    while (tip.firstChild) tip.removeChild(tip.firstChild);
    build(tip);
    tip.hidden = false;
    var x = evt.clientX + 14, y = evt.clientY + 14;
    var r = tip.getBoundingClientRect();
    if (x + r.width > window.innerWidth - 4) x = evt.clientX - r.width - 14;
    if (y + r.height > window.innerHeight - 4) y = evt.clientY - r.height - 14;
    tip.style.left = Math.max(2, x) + 'px';
    tip.style.top = Math.max(2, y) + 'px';
  }
  function hideTip() { tip.hidden = true; }

  // The bin under the pointer of a chart with a time axis (data-t0, data-bin, data-n, data-x0, data-pw).
  function binAt(svg, evt) {
    var m = svg.getScreenCTM();
    if (!m) return null;
    var pt = svg.createSVGPoint();
    pt.x = evt.clientX;
    pt.y = evt.clientY;
    var p = pt.matrixTransform(m.inverse());
    var x0 = Number(svg.dataset.x0), pw = Number(svg.dataset.pw), n = Number(svg.dataset.n);
    var i = Math.floor((p.x - x0) / pw * n);
    if (!(i >= 0 && i < n)) return null;
    var hair = svg.querySelector('.xhair');
    if (hair) {
      var hx = x0 + (i + 0.5) * pw / n;
      hair.setAttribute('x1', hx);
      hair.setAttribute('x2', hx);
      hair.classList.add('on');
    }
    return { i: i, y: p.y };
  }
  function binTitle(svg, i) {
    var bin = Number(svg.dataset.bin);
    var t0 = Number(svg.dataset.t0);
    return utc(t0 + i * bin) + ' \u2013 ' + utc(t0 + (i + 1) * bin).slice(11) + ' UTC';
  }
  function leave(svg) {
    svg.addEventListener('mouseleave', function () {
      hideTip();
      var hair = svg.querySelector('.xhair');
      if (hair) hair.classList.remove('on');
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll('svg.ts'), function (svg) {
    var scale = Number(svg.dataset.scale), unit = svg.dataset.unit, isMs = svg.dataset.ms === '1';
    var series = svg.querySelectorAll('path[data-v]');
    svg.addEventListener('mousemove', function (evt) {
      var b = binAt(svg, evt);
      if (!b) { hideTip(); return; }
      showTip(evt, function (t) {
        line(t, binTitle(svg, b.i), 't');
        Array.prototype.forEach.call(series, function (p) {
          var v = values(p, 'data-v')[b.i];
          var text;
          if (v === undefined || v === '-') text = '\u2013';
          else if (isMs) text = ms(Number(v));
          else if (scale !== 1) text = num(Number(v)) + '  (' + num(Number(v) * scale) + ' ' + unit + ')';
          else text = num(Number(v));
          var cls = (p.getAttribute('class') || '').split(' ').filter(function (c) { return c !== 'area' && c !== 'line' && c !== 'dash'; });
          line(t, p.dataset.label + ': ' + text, null, cls.join(' '));
        });
      });
    });
    leave(svg);
  });

  Array.prototype.forEach.call(document.querySelectorAll('svg.lanes'), function (svg) {
    var lanes = svg.querySelectorAll('g.lane');
    var queued = svg.querySelector('path[data-q="sum:queued"]');
    var top = Number(svg.dataset.top), h = Number(svg.dataset.lane);
    svg.addEventListener('mousemove', function (evt) {
      var b = binAt(svg, evt);
      if (!b) { hideTip(); return; }
      var li = Math.floor((b.y - top) / h);
      showTip(evt, function (t) {
        line(t, binTitle(svg, b.i), 't');
        if (queued) line(t, 'queued at the end: ' + num(Number(values(queued, 'data-v')[b.i])), null, 'cq');
        if (li >= 0 && li < lanes.length) {
          var g = lanes[li];
          var v = values(g, 'data-v')[b.i], lost = Number(values(g, 'data-lost')[b.i]);
          line(t, g.dataset.name, 't');
          line(t, v === '-' ? 'not connected' : 'busy ' + (Number(v) * 100).toFixed(1) + '% of the bin');
          if (lost) line(t, lost + ' job' + (lost > 1 ? 's' : '') + ' lost when its connection closed', null, 'fail');
        }
      });
    });
    leave(svg);
  });

  // Sortable tables: by data-sort, else data-v, else the text.
  Array.prototype.forEach.call(document.querySelectorAll('table.sortable'), function (table) {
    var heads = table.querySelectorAll('thead th');
    Array.prototype.forEach.call(heads, function (th, col) {
      th.addEventListener('click', function () {
        var asc = th.getAttribute('aria-sort') !== 'ascending';
        Array.prototype.forEach.call(heads, function (o) { o.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        function key(row) {
          var c = row.cells[col];
          if (!c) return '';
          var k = c.dataset.sort !== undefined ? c.dataset.sort : c.dataset.v !== undefined ? c.dataset.v : c.textContent;
          var n = Number(k);
          return k !== '' && k !== 'null' && !isNaN(n) ? n : k === 'null' ? -Infinity : k.toLowerCase();
        }
        rows.sort(function (a, b) {
          var x = key(a), y = key(b);
          var r = typeof x === typeof y ? (x < y ? -1 : x > y ? 1 : 0) : typeof x === 'number' ? -1 : 1;
          return asc ? r : -r;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
  root.setAttribute('data-gw-ready', '1');
})();
)JS";

}  // namespace gan::html
