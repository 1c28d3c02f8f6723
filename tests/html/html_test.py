#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""gearman-analyze --html, rendered by headless Chromium and compared with the JSON report.

For bundled captures, a generated one (lost and stuck jobs, admin status samples) and one whose
strings try to break out of the page (hostile_capture.py):
  - the page is written, and the JSON report with --html is byte for byte the one without it;
  - the page asks for nothing: a Content-Security-Policy of default-src 'none', no src, no link,
    no href but #anchors, no url() in its CSS; Chromium logs no console message (a blocked load
    would be one) and the page's own check (data-gw-ready, data-gw-errors) saw no error or
    blocked load;
  - every number with data-j (a JSON Pointer into --format json) has the JSON's value in data-v,
    and its text shows that value;
  - every chart series over time (data-q, data-fn) and every worker lane equals, bin by bin, the
    intervals of --format json --interval WIDTH, WIDTH being the page's;
  - the hostile strings are text: no element or attribute came from them;
  - a capture with 600 functions and 120 workers gives a bounded page (500 rows
    in the functions table, 40 function cards, 40 worker lanes and one for the rest);
  - the tshark filters of the slowest jobs select exactly their frames (tshark 4.0 syntax);
  - light and dark screenshots: the page's background follows prefers-color-scheme;
  - what a reader does (generated capture): a click on each header of each sortable table sorts
    its rows up, a second click down; pointing at a chart over time shows its bin's time and a
    line per series, at a worker lane the worker and its busy share; leaving hides the tooltip.

    html_test.py --analyzer BIN --gen BIN --captures DIR [--chromium PATH] [--tshark PATH]
Exit 0 when every check passed; the failures are listed otherwise.
"""
import argparse
import base64
import hashlib
import html.parser
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
failures = []


def fail(case, msg):
    failures.append(f'{case}: {msg}')
    print(f'FAIL {case}: {msg}', file=sys.stderr)


def run(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False, **kw)


# --------------------------------------------------------------------------------------------
# The DOM

class Node:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent, self.children, self.text = tag, dict(attrs), parent, [], ''

    def all_text(self):
        return self.text + ''.join(c.all_text() for c in self.children)

    def walk(self):
        yield self
        for c in self.children:
            yield from c.walk()


class Dom(html.parser.HTMLParser):
    VOID = {'meta', 'br', 'img', 'input', 'link', 'hr', 'area', 'base', 'col', 'embed', 'source', 'track', 'wbr'}
    SELF = {'path', 'line', 'rect', 'circle'}

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.root = Node('#root', [], None)
        self.cur = self.root
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        n = Node(tag, attrs, self.cur)
        self.cur.children.append(n)
        if tag not in self.VOID:
            self.cur = n

    def handle_startendtag(self, tag, attrs):
        self.cur.children.append(Node(tag, attrs, self.cur))

    def handle_endtag(self, tag):
        n = self.cur
        while n is not self.root and n.tag != tag:
            n = n.parent
        if n is not self.root:
            self.cur = n.parent

    def handle_data(self, data):
        t = Node('#text', [], self.cur)
        t.text = data
        self.cur.children.append(t)

    def find_all(self, pred):
        return [n for n in self.root.walk() if n.tag != '#text' and pred(n)]


def shown_name(s):
    """A string of the JSON report as the page shows it (html/svg.cpp esc): control characters
    as \\xNN (\\n, \\r, \\t), C1 controls, bidi controls and line separators as \\uXXXX."""
    out = []
    for ch in s:
        c = ord(ch)
        if ch in '\n\r\t':
            out.append({'\n': '\\n', '\r': '\\r', '\t': '\\t'}[ch])
        elif c < 0x20 or c == 0x7f:
            out.append('\\x%02x' % c)
        elif 0x80 <= c <= 0x9f or 0x202a <= c <= 0x202e or 0x2066 <= c <= 0x2069 or c in (0x2028, 0x2029):
            out.append('\\u%04x' % c)
        else:
            out.append(ch)
    return ''.join(out)


def pointer(doc, path):
    """RFC 6901 JSON Pointer."""
    cur = doc
    for part in path.split('/')[1:]:
        part = part.replace('~1', '/').replace('~0', '~')
        cur = cur[int(part)] if isinstance(cur, list) else cur[part]
    return cur


def same(value, shown):
    """data-v (a string) against the JSON's value."""
    if value is None:
        return shown == 'null'
    if isinstance(value, bool):
        return shown == ('true' if value else 'false')
    if isinstance(value, (int, float)):
        try:
            return float(shown) == float(value)
        except ValueError:
            return False
    return shown == value


UNITS_MS = {'ns': 1e-6, 'µs': 1e-3, 'ms': 1.0, 's': 1e3, 'min': 6e4, 'h': 3.6e6}


def text_matches(value, text):
    """The text of a number's element shows the value (counts exactly, durations to 3 digits)."""
    text = text.strip()
    if value is None:
        return text in ('–', '-')
    if isinstance(value, str):
        return True  # times are shown as dates; the value is checked by data-v
    if text.endswith('%'):
        if text.startswith('<'):
            return 0 < value < 0.1
        return abs(float(text[:-1]) - value) <= 0.05 + 1e-9
    m = re.fullmatch(r'(-?[\d.]+) (ns|µs|ms|s|min|h)', text)
    if m:  # a duration in ms, shown to 3 digits: off by at most half its last digit
        digits = m.group(1).split('.')[1] if '.' in m.group(1) else ''
        unit = UNITS_MS[m.group(2)]
        return abs(float(m.group(1)) * unit - value) <= 0.5 * 10 ** -len(digits) * unit * (1 + 1e-9)
    if re.fullmatch(r'[\d,]+', text):
        return int(text.replace(',', '')) == value
    return False


# --------------------------------------------------------------------------------------------

def chromium(args_, url, out_flags, extra=()):
    prof = tempfile.mkdtemp(prefix='gw-chromium-')
    try:
        cmd = [args_.chromium, '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
               '--disable-background-networking', '--disable-component-update', '--disable-sync',
               '--disable-default-apps', '--mute-audio', f'--user-data-dir={prof}', '--enable-logging=stderr',
               '--v=0', '--hide-scrollbars', *extra, *out_flags, url]
        return run(cmd, timeout=120)
    finally:
        shutil.rmtree(prof, ignore_errors=True)


def first_pixel(png):
    """The RGB of the top-left pixel of an 8-bit RGB/RGBA PNG (only the first row is decoded)."""
    data = open(png, 'rb').read()
    pos, idat, ctype = 8, b'', None
    while pos < len(data):
        n, = struct.unpack('>I', data[pos:pos + 4])
        typ = data[pos + 4:pos + 8]
        if typ == b'IHDR':
            ctype = data[pos + 8 + 9]
        elif typ == b'IDAT':
            idat += data[pos + 8:pos + 8 + n]
        pos += 12 + n
    raw = zlib.decompressobj().decompress(idat, 16)
    # Filter types 0-4 leave the first pixel of the first row as is (no left or upper neighbour)
    # except Paeth/average/up on a first row, which are the raw bytes too.
    return tuple(raw[1:4]), ctype


def check_case(args_, work, name, captures, interval=None):
    case = name
    page = os.path.join(work, f'{name}.html')
    iv_args = ['--interval', str(interval)] if interval else []
    r = run([args_.analyzer, '--no-progress', '--html', page, '--format', 'json', *iv_args, *captures])
    if r.returncode != 0:
        fail(case, f'--html exit {r.returncode}: {r.stderr.decode(errors="replace")}')
        return None
    report = json.loads(r.stdout)
    plain = run([args_.analyzer, '--no-progress', '--format', 'json', *iv_args, *captures])
    if plain.stdout != r.stdout:
        fail(case, '--html changed the JSON report')

    def intervals(width):
        r = run([args_.analyzer, '--no-progress', '--format', 'json', '--interval', width, *captures])
        return json.loads(r.stdout)['intervals']
    return check_page(args_, case, page, report, intervals)


def check_page(args_, case, page, report, intervals):
    """The page against `report` (the JSON report) and intervals(WIDTH) (its intervals of WIDTH
    seconds, a string as the page gives it): (page, report, rendered DOM, size) or None."""
    text = open(page, encoding='utf-8').read()
    size = len(text.encode())

    # Static: nothing to load.
    dom = Dom(text)
    csp = [n for n in dom.find_all(lambda n: n.tag == 'meta' and n.attrs.get('http-equiv') == 'Content-Security-Policy')]
    policy = csp[0].attrs.get('content', '') if csp else ''
    if "default-src 'none'" not in policy:
        fail(case, 'no Content-Security-Policy with default-src \'none\'')
    if 'unsafe-' in policy or '*' in policy or 'http' in policy or 'data:' in policy:
        fail(case, f'the CSP allows more than the page\'s own script and style: {policy}')
    # The one script and the one style are allowed by their hashes, which must be theirs (else
    # Chromium blocks them, which the console and data-gw-ready checks below would also see).
    for tag, directive in (('script', 'script-src'), ('style', 'style-src')):
        m = re.search(r'<%s>(.*?)</%s>' % (tag, tag), text, re.S)
        want = "'sha256-%s'" % base64.b64encode(hashlib.sha256(m.group(1).encode()).digest()).decode() if m else None
        if not m or f'{directive} {want}' not in policy:
            fail(case, f'{directive} does not hold the hash of the page\'s <{tag}> ({want})')
    for n in dom.root.walk():
        if n.tag in ('link', 'iframe', 'object', 'embed', 'img', 'base', 'form', 'audio', 'video', 'source'):
            fail(case, f'<{n.tag}> element')
        for k, v in n.attrs.items():
            if k in ('src', 'srcset', 'action', 'formaction', 'xlink:href', 'poster', 'background'):
                fail(case, f'{k}= on <{n.tag}>')
            if k == 'href' and not (v or '').startswith('#'):
                fail(case, f'href={v!r}')
            if k == 'style':
                fail(case, f'style attribute on <{n.tag}> (the CSP refuses it)')
            if k.startswith('on'):
                fail(case, f'event handler attribute {k} on <{n.tag}>')
    styles = ''.join(n.all_text() for n in dom.find_all(lambda n: n.tag == 'style'))
    if 'url(' in styles or '@import' in styles:
        fail(case, 'CSS loads something (url() or @import)')
    scripts = dom.find_all(lambda n: n.tag == 'script')
    if len(scripts) != 1 or scripts[0].attrs:
        fail(case, f'{len(scripts)} script elements (one inline script expected)')

    # Rendered by Chromium: no console message, the page's own check passed.
    r = chromium(args_, 'file://' + page, ['--dump-dom', '--virtual-time-budget=2000'])
    log = r.stderr.decode(errors='replace')
    console = [l for l in log.splitlines() if ':CONSOLE' in l]
    if console:
        fail(case, 'console messages: ' + ' | '.join(console[:5]))
    if r.returncode != 0:
        fail(case, f'chromium --dump-dom exit {r.returncode}: {log[-500:]}')
        return None
    rendered = Dom(r.stdout.decode('utf-8', errors='replace'))
    html_el = rendered.find_all(lambda n: n.tag == 'html')
    if not html_el or html_el[0].attrs.get('data-gw-ready') != '1':
        fail(case, 'the page script did not run to its end (no data-gw-ready)')
    if html_el and html_el[0].attrs.get('data-gw-errors'):
        fail(case, 'page errors: ' + html_el[0].attrs['data-gw-errors'])

    # Every number: data-v is the JSON's, the text shows it.
    numbers = rendered.find_all(lambda n: 'data-j' in n.attrs)
    for n in numbers:
        path, shown = n.attrs['data-j'], n.attrs.get('data-v')
        try:
            value = pointer(report, path)
        except (KeyError, IndexError, ValueError, TypeError):
            fail(case, f'{path}: not in the JSON report')
            continue
        if not same(value, shown):
            fail(case, f'{path}: page {shown!r}, JSON {value!r}')
            continue
        label = n.all_text()
        if path == '/capture/duration_s':
            value = value * 1000 if isinstance(value, (int, float)) else value
        shown_text = re.sub(r'^p\d\d ', '', label.strip())
        if '/frames/' in path and value == 0:
            value = None  # a frame not in the capture shows as a dash
        if not isinstance(value, str) and not text_matches(value, shown_text):
            fail(case, f'{path}: shows {label!r} for {value!r}')
    if len(numbers) < 30:
        fail(case, f'only {len(numbers)} numbers with data-j')

    # Over time: the page's bins against --interval WIDTH.
    sec = rendered.find_all(lambda n: n.tag == 'section' and n.attrs.get('id') == 'time')
    width = sec[0].attrs.get('data-interval-s') if sec else None
    checked_series = 0
    if report['jobs']['total'] and width:
        ivs = intervals(width)
        if int(sec[0].attrs['data-bins']) != len(ivs):
            fail(case, f'{sec[0].attrs["data-bins"]} bins on the page, {len(ivs)} intervals of {width} s')
        for svg in rendered.find_all(lambda n: n.tag == 'svg' and 'data-t0' in n.attrs):
            t0 = int(svg.attrs['data-t0'])
            if ivs and t0 != round(float(ivs[0]['start']) * 1e9) and abs(t0 - float(ivs[0]['start']) * 1e9) > 1000:
                fail(case, f'chart {svg.attrs.get("id")} starts at {t0}, the intervals at {ivs[0]["start"]}')
            named = [p.attrs['data-fn'] for p in svg.walk() if p.tag == 'path' and 'data-fn' in p.attrs]
            for p in svg.walk():
                if p.tag != 'path' or 'data-v' not in p.attrs or 'data-q' not in p.attrs:
                    continue
                got = p.attrs['data-v'].split(' ')
                q, fn = p.attrs['data-q'], p.attrs.get('data-fn')
                if len(got) != len(ivs):
                    fail(case, f'{svg.attrs.get("id")} {q}: {len(got)} values, {len(ivs)} intervals')
                    continue
                for i, iv in enumerate(ivs):
                    fns = {shown_name(f['name']): f for f in iv['functions']}
                    if q.startswith('sum:'):
                        want = sum(f[q[4:]] for f in iv['functions'])
                    elif q == 'rest:fail+exception':
                        want = sum(f['fail'] + f['exception'] for f in iv['functions'] if shown_name(f['name']) not in named)
                    elif q == 'fail+exception':
                        f = fns.get(fn)
                        want = f['fail'] + f['exception'] if f else 0
                    elif q.startswith('total_ms.'):
                        f = fns.get(fn)
                        want = f['total_ms'][q[9:]] if f else None
                    else:
                        fail(case, f'unknown data-q {q}')
                        break
                    ok = got[i] == '-' if want is None else (got[i] != '-' and float(got[i]) == float(want))
                    if not ok:
                        fail(case, f'{svg.attrs.get("id")} {q} {fn or ""} bin {i} ({iv["start"]}): page {got[i]}, JSON {want}')
                        break
                checked_series += 1
            for g in svg.walk():
                if g.tag != 'g' or 'data-worker' not in g.attrs:
                    continue
                busy, lost = g.attrs['data-v'].split(' '), g.attrs['data-lost'].split(' ')
                for i, iv in enumerate(ivs):
                    ws = {shown_name(w['name']): w for w in iv['workers']}
                    w = ws.get(g.attrs['data-worker'])
                    if (w is None) != (busy[i] == '-') or (w and (float(busy[i]) != w['busy'] or int(lost[i]) != w['lost'])):
                        fail(case, f'lane {g.attrs["data-worker"]!r} bin {i}: page {busy[i]}/{lost[i]}, JSON {w}')
                        break
                checked_series += 1
        if checked_series < 8:
            fail(case, f'only {checked_series} series over time checked')
    print(f'ok {case}: {size} bytes, {len(numbers)} numbers and {checked_series} series checked'
          f'{", bins of " + width + " s" if width else ""}')
    return page, report, rendered, size


def check_tshark(args_, case, page_dom, limit=2):
    """The slowest jobs' filters select exactly their frames."""
    if not args_.tshark:
        return
    codes = [n.all_text() for n in page_dom.find_all(lambda n: n.tag == 'code' and 'cmd' in n.attrs.get('class', ''))]
    for cmd in codes[:limit]:
        m = re.fullmatch(r"tshark -r (\S+) -Y 'frame\.number in \{([\d,]+)\}'", cmd)
        if not m:
            fail(case, f'tshark command not as expected: {cmd!r}')
            continue
        want = [int(x) for x in m.group(2).split(',')]
        r = run([args_.tshark, '-r', m.group(1), '-Y', f'frame.number in {{{m.group(2)}}}', '-T', 'fields', '-e',
                 'frame.number'])
        got = [int(x) for x in r.stdout.split()]
        if got != want:
            fail(case, f'{cmd}: tshark selected {got} ({r.stderr.decode(errors="replace").strip()[-200:]})')


def check_live(args_):
    """A page written at the end of a live run: its numbers are the last JSON line's (the report),
    its bins the interval lines before it (when the page kept the run's interval width)."""
    lines = [json.loads(l) for l in open(args_.live_jsonl, encoding='utf-8') if l.strip()]
    report = lines[-1] if lines and lines[-1].get('type') == 'report' else None
    if report is None:
        fail('live', 'no report line')
        return 1
    ivs = [l for l in lines if l.get('type') == 'interval']
    width = report['live']['interval_s']

    def intervals(w):
        if float(w) != float(width):
            fail('live', f'the page has bins of {w} s, the run intervals of {width} s')
            return []
        return ivs
    res = check_page(args_, 'live', args_.live_page, report, intervals)
    if res and 'live capture on' not in ''.join(n.all_text() for n in res[2].find_all(lambda n: n.tag == 'header')):
        fail('live', 'the header does not say live capture')
    if failures:
        return 1
    print('html_test: live page checked')
    return 0


# --------------------------------------------------------------------------------------------
# What a reader does: click table headers, point at charts. A copy of the page gets this script
# after its own (its hash added to the copy's CSP); it records what the page did in attributes
# that --dump-dom shows, and the checks below judge them by the page's documented rules.

HARNESS = r"""(function () {
  'use strict';
  var root = document.documentElement;
  var sorts = [], tips = [];
  var tip = document.getElementById('tip');
  function cellsOf(table, col) {
    var rows = table.tBodies[0] ? table.tBodies[0].rows : [], out = [];
    for (var i = 0; i < rows.length && i < 200; ++i) {
      var c = rows[i].cells[col];
      out.push(c ? [c.dataset.sort === undefined ? null : c.dataset.sort, c.dataset.v === undefined ? null : c.dataset.v, c.textContent] : null);
    }
    return out;
  }
  Array.prototype.forEach.call(document.querySelectorAll('table.sortable'), function (table, ti) {
    var heads = table.querySelectorAll('thead th');
    Array.prototype.forEach.call(heads, function (th, col) {
      var before = JSON.stringify(cellsOf(table, col));
      ['ascending', 'descending'].forEach(function (dir) {
        th.dispatchEvent(new MouseEvent('click', { bubbles: true }));
        var cells = cellsOf(table, col);
        sorts.push({ table: table.id || String(ti), col: col, want: dir, aria: th.getAttribute('aria-sort'),
                     moved: JSON.stringify(cells) !== before, cells: cells });
      });
    });
  });
  function pointAt(svg, i, y) {
    var m = svg.getScreenCTM(), pt = svg.createSVGPoint();
    var x0 = Number(svg.dataset.x0), pw = Number(svg.dataset.pw), n = Number(svg.dataset.n);
    pt.x = x0 + (i + 0.5) * pw / n;
    pt.y = y;
    var c = pt.matrixTransform(m);
    var evt = new MouseEvent('mousemove', { bubbles: true, clientX: c.x, clientY: c.y });
    svg.dispatchEvent(evt);
    return { shown: !tip.hidden, text: tip.textContent };
  }
  Array.prototype.forEach.call(document.querySelectorAll('svg.ts'), function (svg, si) {
    if (si >= 6) return;
    var n = Number(svg.dataset.n), i = Math.floor(n / 2);
    var r = pointAt(svg, i, Number(svg.dataset.top || 20) + 5);
    var labels = Array.prototype.map.call(svg.querySelectorAll('path[data-v]'), function (p) { return p.dataset.label; });
    svg.dispatchEvent(new MouseEvent('mouseleave', {}));
    tips.push({ kind: 'ts', i: i, t0: svg.dataset.t0, bin: svg.dataset.bin, labels: labels, shown: r.shown, text: r.text,
                hidden_after_leave: tip.hidden });
  });
  Array.prototype.forEach.call(document.querySelectorAll('svg.lanes'), function (svg) {
    var lanes = svg.querySelectorAll('g.lane');
    var top = Number(svg.dataset.top), h = Number(svg.dataset.lane), n = Number(svg.dataset.n);
    for (var li = 0; li < lanes.length && li < 3; ++li) {
      var i = Math.floor(n / 2);
      var r = pointAt(svg, i, top + (li + 0.5) * h);
      var g = lanes[li];
      svg.dispatchEvent(new MouseEvent('mouseleave', {}));
      tips.push({ kind: 'lane', i: i, t0: svg.dataset.t0, bin: svg.dataset.bin, name: g.dataset.name,
                  v: (g.getAttribute('data-v') || '').split(' ')[i], shown: r.shown, text: r.text, hidden_after_leave: tip.hidden });
    }
  });
  root.setAttribute('data-gwt-sorts', JSON.stringify(sorts));
  root.setAttribute('data-gwt-tips', JSON.stringify(tips));
})();"""


def sort_key(cell):
    """The page's rule: data-sort, else data-v, else the text; numbers as numbers (before text),
    'null' lowest, text without case."""
    if cell is None:
        return (1, '')
    sort, v, text = cell
    k = sort if sort is not None else v if v is not None else text
    if k == 'null':
        return (0, float('-inf'))
    try:
        if k.strip() != '':
            return (0, float(k))
    except ValueError:
        pass
    return (1, k.lower())


def utc_text(ns):
    t = int(ns) // 1_000_000
    return time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(t // 1000)) + '.%03d' % (t % 1000)


def check_interactions(args_, case, page):
    """Sorting by every header of every sortable table, tooltips of the charts and worker lanes."""
    text = open(page, encoding='utf-8').read()
    digest = "'sha256-%s'" % base64.b64encode(hashlib.sha256(HARNESS.encode()).digest()).decode()
    copy = os.path.join(os.path.dirname(page), case + '-interact.html')
    with open(copy, 'w', encoding='utf-8') as f:
        f.write(text.replace('script-src ', 'script-src ' + digest + ' ', 1)
                .replace('</body>', '<script>' + HARNESS + '</script>\n</body>', 1))
    r = chromium(args_, 'file://' + copy, ['--dump-dom', '--virtual-time-budget=2000', '--window-size=1200,900'])
    dom = Dom(r.stdout.decode('utf-8', errors='replace'))
    el = dom.find_all(lambda n: n.tag == 'html')
    attrs = el[0].attrs if el else {}
    if 'data-gwt-sorts' not in attrs:
        fail(case, 'interactions: the test script did not run (' + r.stderr.decode(errors='replace')[-300:] + ')')
        return
    if attrs.get('data-gw-errors'):
        fail(case, 'interactions: page errors: ' + attrs['data-gw-errors'])
    sorts, tips = json.loads(attrs['data-gwt-sorts']), json.loads(attrs['data-gwt-tips'])
    moved = 0
    for s in sorts:
        where = f'table {s["table"]} column {s["col"]} {s["want"]}'
        if s['aria'] != s['want']:
            fail(case, f'{where}: aria-sort is {s["aria"]}')
        keys = [sort_key(c) for c in s['cells']]
        pairs = list(zip(keys, keys[1:]))
        bad = [p for p in pairs if (p[0] > p[1] if s['want'] == 'ascending' else p[0] < p[1])]
        if bad:
            fail(case, f'{where}: out of order, e.g. {bad[0]}')
        moved += s['moved']
    if len(sorts) < 10 or moved == 0:
        fail(case, f'interactions: {len(sorts)} header clicks, {moved} moved rows')
    for t in tips:
        i, title = t['i'], utc_text(int(t['t0']) + t['i'] * int(t['bin']))
        where = f'{t["kind"]} tooltip at bin {i}'
        if not t['shown'] or title not in t['text']:
            fail(case, f'{where}: shown {t["shown"]}, {t["text"][:120]!r} (want {title!r})')
        if not t['hidden_after_leave']:
            fail(case, f'{where}: still shown after the pointer left')
        if t['kind'] == 'ts':
            missing = [l for l in t['labels'] if l not in t['text']]
            if missing:
                fail(case, f'{where}: no line for {missing}')
        else:
            if t['name'] not in t['text']:
                fail(case, f'{where}: no lane name {t["name"]!r}')
            if t['v'] == '-':
                ok = 'not connected' in t['text']
            else:
                m = re.search(r'busy ([0-9.]+)% of the bin', t['text'])
                ok = bool(m) and abs(float(m.group(1)) - float(t['v']) * 100) <= 0.051
            if not ok:
                fail(case, f'{where}: {t["text"][:160]!r} for busy {t["v"]}')
    if sum(t['kind'] == 'ts' for t in tips) < 3 or not any(t['kind'] == 'lane' for t in tips):
        fail(case, f'interactions: {len(tips)} tooltips checked')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--analyzer')
    ap.add_argument('--gen')
    ap.add_argument('--captures')
    ap.add_argument('--chromium', default=shutil.which('chromium') or '/usr/bin/chromium')
    ap.add_argument('--tshark', default=shutil.which('tshark'))
    ap.add_argument('--keep', help='keep the pages in this folder')
    ap.add_argument('--live-page', help='only check this page, written by a live run (tests/live)')
    ap.add_argument('--live-jsonl', help='with --live-page: the run\'s --format json lines')
    args_ = ap.parse_args()
    if not os.access(args_.chromium, os.X_OK):
        print(f'html_test: no Chromium at {args_.chromium} (scripts/install-deps.sh installs it)', file=sys.stderr)
        return 1
    if args_.live_page:
        return check_live(args_)
    if not (args_.analyzer and args_.gen and args_.captures):
        ap.error('--analyzer, --gen and --captures are needed (or --live-page)')
    work = args_.keep or tempfile.mkdtemp(prefix='gw-html-')
    os.makedirs(work, exist_ok=True)
    os.chmod(work, 0o755)
    try:
        caps = args_.captures
        for name in ('libgearman-full', 'errors', 'perl-coalesce', 'php', 'nodejs-gearman'):
            res = check_case(args_, work, name, [os.path.join(caps, name + '.pcap')])
            if res and name in ('libgearman-full', 'errors'):
                check_tshark(args_, name, res[2])
        # A ring-buffer set read as one capture, with --interval given.
        check_case(args_, work, 'two-files-interval', [os.path.join(caps, 'basic-cli.pcap'),
                                                       os.path.join(caps, 'php.pcap')], interval=0.5)
        # Generated: lost jobs (worker deaths), stuck workers, admin status samples.
        gen = os.path.join(work, 'gen.pcap')
        r = run([args_.gen, '-q', '--seed', '5', '--jobs', '20000', '--workers', '12', '--clients', '6',
                 '--stuck', '2', '--worker-deaths', '6', '--admin-every', '400', '--out', gen, '--truth',
                 os.path.join(work, 'gen-truth.json')])
        if r.returncode != 0:
            fail('generated', f'gearman-gen: {r.stderr.decode(errors="replace")}')
        else:
            res = check_case(args_, work, 'generated', [gen])
            if res:
                page, report, dom, size = res
                check_interactions(args_, 'generated', page)
                lost = sum(w['lost'] for w in report['workers'])
                marks = [g for g in dom.find_all(lambda n: n.tag == 'g' and 'data-worker' in n.attrs)
                         if any(x != '0' for x in g.attrs['data-lost'].split(' '))]
                if lost == 0 or not marks:
                    fail('generated', f'{lost} jobs lost in the report, {len(marks)} lanes with lost marks')
                if report['open_at_end']['running'] + report['open_at_end']['queued'] == 0:
                    fail('generated', 'no stuck job open at the end')
                elements = len(dom.find_all(lambda n: n.tag in ('path', 'rect', 'line', 'text', 'tr', 'td', 'span')))
                if size > 1_500_000 or elements > 20000:
                    fail('generated', f'page of {size} bytes, {elements} elements for 20000 jobs')

        # Many functions, workers and clients: the page stays bounded (tables and lanes capped).
        many = os.path.join(work, 'many.pcap')
        # (Kept small: CAN_DO for every function on every worker makes the analyzer itself slow
        # under the sanitizers; 600 functions and 120 workers pass every limit.)
        spec = ';'.join('fn%04d' % i for i in range(600))
        r = run([args_.gen, '-q', '--seed', '3', '--jobs', '6000', '--workers', '120', '--clients', '50',
                 '--functions', spec, '--out', many, '--truth', os.path.join(work, 'many-truth.json')])
        if r.returncode != 0:
            fail('many', f'gearman-gen: {r.stderr.decode(errors="replace")}')
        else:
            res = check_case(args_, work, 'many', [many])
            if res:
                page, report, dom, size = res
                fn_rows = [n for t in dom.find_all(lambda n: n.tag == 'table' and n.attrs.get('id') == 'fntable')
                           for n in t.walk() if n.tag == 'tr' and n.parent.tag == 'tbody']
                lanes = dom.find_all(lambda n: n.tag == 'g' and 'lane' in n.attrs.get('class', ''))
                cards = dom.find_all(lambda n: n.tag == 'article')
                if len(report['functions']) <= 500 or len(fn_rows) != 500:
                    fail('many', f'{len(report["functions"])} functions, {len(fn_rows)} rows in the table (want 500)')
                if len(lanes) != 41 or len(cards) != 40:
                    fail('many', f'{len(lanes)} worker lanes (want 40 and one for the rest), {len(cards)} function cards')
                if size > 1_500_000:
                    fail('many', f'page of {size} bytes')

        # Hostile strings stay text.
        evil = os.path.join(work, 'hostile.pcap')
        subprocess.run([sys.executable, os.path.join(HERE, 'hostile_capture.py'), evil], check=True)
        res = check_case(args_, work, 'hostile', [evil])
        if res:
            page, report, dom, size = res
            raw = open(page, encoding='utf-8').read()
            for bad in ('<img src=x', '<b>bold', '<svg onload', '<a href="http', 'onerror="alert', '<script>alert',
                        '\u202e', '\x01', '\x1b'):
                if bad in raw:
                    fail('hostile', f'{bad!r} in the page source')
            if '&lt;img src=x onerror=&quot;alert(1)&quot;&gt;fn&lt;/script&gt;' not in raw:
                fail('hostile', 'the function name is not shown escaped')
            if 'Traceback&lt;/script&gt;' not in raw:
                fail('hostile', 'the exception text is not shown')
            text = ''.join(n.all_text() for n in dom.find_all(lambda n: n.tag == 'body'))
            if '<img src=x onerror="alert(1)">fn</script>' not in text:
                fail('hostile', 'the function name does not read as text')
            if report['open_at_end']['never_assigned'] != 1:
                fail('hostile', 'the queued job is not open at the end')

        # Light and dark.
        page = os.path.join(work, 'libgearman-full.html')
        for mode, extra, dark in (('light', (), False), ('dark', ('--force-dark-mode',), True)):
            png = os.path.join(work, f'shot-{mode}.png')
            r = chromium(args_, 'file://' + page, [f'--screenshot={png}', '--window-size=1200,900'], extra)
            if not os.path.exists(png) or os.path.getsize(png) < 20000:
                fail(mode, f'no screenshot ({r.stderr.decode(errors="replace")[-300:]})')
                continue
            (rgb, _) = first_pixel(png)
            luma = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]
            if dark != (luma < 80):
                fail(mode, f'background {rgb} in {mode} mode')
            print(f'ok screenshot {mode}: background {rgb}')
    finally:
        if not args_.keep:
            shutil.rmtree(work, ignore_errors=True)
    if failures:
        print(f'{len(failures)} failure(s)', file=sys.stderr)
        return 1
    print('html_test: all checks passed')
    return 0


if __name__ == '__main__':
    sys.exit(main())
