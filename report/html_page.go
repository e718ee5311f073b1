package report

// htmlTemplate is the report's page up to the table's data; WriteTo
// appends the data (JSON in a <script type="application/json">) and the
// one inline script, htmlScript, whose hash the CSP allows.
const htmlTemplate = `{{define "head"}}<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{{.Policy}}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>trailsweep report: {{.Title}}</title>
<style>
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1b1f24;background:#f6f7f9}
header{background:#1b2a3a;color:#fff;padding:14px 24px}
header h1{margin:0;font-size:20px}
header p{margin:4px 0 0;color:#c9d3de;font-size:12px;word-break:break-all}
main{padding:8px 24px 40px;max-width:1600px}
section{background:#fff;border:1px solid #dde1e6;border-radius:6px;padding:12px 16px;margin:14px 0}
h2{font-size:16px;margin:0 0 10px}
table{border-collapse:collapse;font-size:13px}
th,td{border-bottom:1px solid #eceef1;padding:3px 8px;text-align:left;vertical-align:top}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;word-break:break-all}
.cards{display:flex;gap:10px;flex-wrap:wrap}
.card{border-radius:6px;padding:8px 14px;min-width:110px;color:#fff}
.card b{display:block;font-size:22px}
.sev-critical{background:#7f1d1d}.sev-high{background:#c2410c}.sev-medium{background:#ca8a04}.sev-low{background:#1d4ed8}.sev-other{background:#6b7280}
.card.total{background:#1b2a3a}
svg .sev-critical{fill:#7f1d1d}svg .sev-high{fill:#c2410c}svg .sev-medium{fill:#ca8a04}svg .sev-low{fill:#1d4ed8}svg .sev-other{fill:#6b7280}
svg .empty rect.base{fill:#d1d5db}svg text{font-size:10px;fill:#4b5563}
span.sev{display:inline-block;white-space:nowrap;color:#fff;border-radius:3px;padding:0 6px;font-size:12px}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(340px,1fr));gap:14px}
.matrix td.c{text-align:center;min-width:34px}
.matrix td.hot{background:#fde68a}
.matrix th.v{writing-mode:vertical-rl;transform:rotate(180deg);font-weight:600;white-space:nowrap}
#filters{display:flex;flex-wrap:wrap;gap:8px;margin-bottom:8px}
#filters label{font-size:12px;color:#4b5563;display:flex;flex-direction:column}
#filters select,#filters input{font:inherit;padding:2px 4px;max-width:260px}
#findings th{cursor:pointer;user-select:none;white-space:nowrap;background:#f3f4f6;position:sticky;top:0}
#findings th[aria-sort=ascending]::after{content:" \25B2"}#findings th[aria-sort=descending]::after{content:" \25BC"}
#findings td{max-width:320px;overflow-wrap:anywhere}
#pager{margin:8px 0;display:flex;gap:8px;align-items:center}
.legend span{margin-right:10px}
#findings tbody tr:not(.detail){cursor:pointer}#findings tbody tr:not(.detail):hover,#findings tr.open{background:#eef2ff}
#findings tr.detail>td{max-width:none;background:#f8fafc;border:1px solid #c7d2fe;padding:8px 12px}
#findings tr.detail h3{margin:0 0 6px;font-size:14px}
pre.raw,pre.json{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;white-space:pre-wrap;overflow-wrap:anywhere;margin:0;max-height:480px;overflow:auto;background:#fff;border:1px solid #e5e7eb;padding:6px}
table.top button.expand{border:0;background:none;cursor:pointer;font-size:12px;padding:0 4px}
tr.pdetail>td{background:#f8fafc;padding:6px 8px}tr.pdetail svg{display:block;margin:4px 0 0}
.pview .axis{display:flex;justify-content:space-between;font-size:11px;color:#4b5563;margin-bottom:6px}
#pin{display:flex;align-items:flex-end;gap:4px;font-size:12px}#pin[hidden]{display:none}#pin-text{background:#e0e7ff;border-radius:3px;padding:2px 6px;max-width:420px;overflow-wrap:anywhere}
.note{color:#6b7280;font-size:12px}
</style>
</head>
<body>
<header><h1>trailsweep report</h1><p>{{.Title}} · generated {{.Generated}}</p></header>
<main>
<section id="coverage"><h2>Coverage</h2>
<table>{{range .Coverage}}<tr><th>{{.Name}}</th><td class="mono">{{.Class}}</td></tr>{{end}}</table>
</section>
<section id="severity"><h2>Findings by severity</h2>
<div class="cards"><div class="card total" data-severity="total"><b id="total-count">{{.Total}}</b>findings</div>
{{range .Severities}}<div class="card {{.Class}}" data-severity="{{.Name}}"><b class="count">{{.Count}}</b>{{.Name}} · {{pct .Pct}}</div>
{{end}}</div>
</section>
<section id="rules"><h2>Findings by rule</h2>
<table><thead><tr><th>rule</th><th>severity</th><th class="n">findings</th><th>id</th></tr></thead><tbody>
{{range .Rules}}<tr data-rule-id="{{.ID}}"><td class="rule-name">{{.Name}}</td><td><span class="sev {{sevclass .Severity}}">{{.Severity}}</span></td><td class="n count">{{.Count}}</td><td><code>{{.ID}}</code></td></tr>
{{end}}</tbody></table>
</section>
<section id="attack"><h2>MITRE ATT&amp;CK: tactic × technique</h2>
{{if .Tactics}}<table class="matrix"><thead><tr><th>technique</th>{{range .Tactics}}<th class="v">{{.}}</th>{{end}}</tr></thead><tbody>
{{range .Techniques}}<tr><th><code>{{.ID}}</code></th>{{range .Cells}}<td class="c{{if .}} hot{{end}}">{{if .}}{{.}}{{end}}</td>{{end}}</tr>
{{end}}</tbody></table>
<p class="note">A finding counts in every cell of its rule's tactics × techniques.</p>{{else}}<p class="note">No finding carries ATT&amp;CK tactics.</p>{{end}}
</section>
<section id="timeline"><h2>Timeline{{if .Bucket}}: findings per {{.Bucket}}, {{.Span}} (UTC){{end}}</h2>
{{if .Bars}}<svg viewBox="0 0 1000 230" width="100%" height="230" role="img" aria-label="findings per {{.Bucket}}">
{{range .Bars}}<g class="bucket{{if .Empty}} empty{{end}}" data-count="{{.Count}}" data-label="{{.Label}}"><title>{{.Label}}: {{.Count}}</title>{{if .Empty}}<rect class="base" x="{{f .X}}" y="197" width="{{f .W}}" height="3"/>{{end}}{{$x := .X}}{{$w := .W}}{{range .Rects}}<rect class="{{.Severity}}" x="{{f $x}}" y="{{f .Y}}" width="{{f $w}}" height="{{f .H}}"/>{{end}}{{if .ShowLabel}}<text x="{{f .X}}" y="215">{{.LabelShort}}</text>{{end}}</g>
{{end}}</svg>
<p class="legend">{{range .SeverityOrder}}<span><span class="sev sev-{{.}}">{{.}}</span></span>{{end}}{{if .NoTime}}<span class="note">{{.NoTime}} findings have no event time.</span>{{end}}</p>
{{else}}<p class="note">No finding has an event time.</p>{{end}}
</section>
<section id="principals"><h2>Principals</h2><div class="grid">
{{template "top" (list "users and roles" .Users 7)}}{{template "top" (list "access keys" .Keys 8)}}{{template "top" (list "source IPs" .IPs 9)}}{{template "top" (list "user agents" .Agents 10)}}
</div><p class="note">▸ opens a principal's own timeline and rules.</p></section>
<section id="table"><h2>Findings</h2>
<div id="filters">
<label>rule<select id="f-rule"><option value="">all</option>{{range .Rules}}<option value="{{.Name}}">{{.Name}}</option>{{end}}</select></label>
<label>severity<select id="f-severity"><option value="">all</option>{{range .Severities}}{{if .Count}}<option>{{.Name}}</option>{{end}}{{end}}</select></label>
<label>account<select id="f-account"><option value="">all</option>{{range .Accounts}}<option>{{.}}</option>{{end}}</select></label>
<label>principal<input id="f-principal" type="search" placeholder="user, role or ARN"></label>
<label>source IP<input id="f-ip" type="search" placeholder="prefix or part"></label>
<label>text<input id="f-text" type="search" placeholder="anything in the row"></label>
<span id="pin" hidden><span id="pin-text"></span><button id="pin-clear" type="button" title="remove this filter">✕</button></span>
</div>
<p class="note">Click a row (or press Enter on it) for the finding's raw record, when the scan kept it (--raw), and all its columns.</p>
<div id="pager"><button id="prev" type="button">◀ previous</button><span id="shown">loading…</span><button id="next" type="button">next ▶</button></div>
<table id="findings"><thead><tr>{{range $i, $c := .Columns}}<th data-col="{{$i}}"{{if eq $i 0}} aria-sort="ascending"{{end}}>{{$c}}</th>{{end}}</tr></thead><tbody></tbody></table>
</section>
</main>
{{end}}
{{define "top"}}<div><h3>{{index . 0}}</h3>{{$rows := index . 1}}{{$col := index . 2}}{{if $rows}}<table class="top"><tbody>{{range $rows}}<tr class="principal" data-col="{{$col}}"><td><button type="button" class="expand" aria-expanded="false" title="its timeline and rules">▸</button></td><td class="mono name">{{.Name}}</td><td class="n count">{{.Count}}</td></tr>{{end}}</tbody></table>{{else}}<p class="note">none</p>{{end}}</div>{{end}}`

// htmlScript renders the findings table from the embedded JSON: filter,
// sort, 100 rows a page. It renders the first page from the metadata block
// at once, then parses the row blocks (HTML.Add describes the encoding)
// a few at a time once the document is loaded; filtering, sorting or
// paging before then parses the rest first. Opening a row decompresses
// the block of details that holds it (htmlDetails); expanding a principal
// counts its findings per bucket and per rule over every row. Values are
// set with textContent only.
const htmlScript = `(function () {
"use strict";
var $ = function (id) { return document.getElementById(id); };
var meta = JSON.parse($("findings-meta").textContent);
var D = [null].concat(meta.dict), total = meta.total, CHUNK = meta.chunk, COLS = meta.columns, TL = meta.buckets;
var PAGE = 100, page = 0, data = [], view = meta.first, sortCol = 0, sortDir = 1, pin = null;
var loaded = total === 0, blocks = null, nextBlock = 0, pending = null, others = [];
var rank = {critical: 4, high: 3, medium: 2, low: 1};
var NS = "http://www.w3.org/2000/svg";
var tbody = document.querySelector("#findings tbody");
var heads = document.querySelectorAll("#findings th");
var fRule = $("f-rule"), fSev = $("f-severity"), fAcct = $("f-account"), fPrin = $("f-principal"), fIP = $("f-ip"), fText = $("f-text");
function el(tag, cls, text) {
  var e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}
function svg(tag, attrs) {
  var e = document.createElementNS(NS, tag);
  for (var k in attrs) e.setAttribute(k, attrs[k]);
  return e;
}
function sevClass(s) { return "sev-" + (rank[s] ? s : "other"); }
function time(t) {
  return t === null ? "" : new Date(t * 1000).toISOString().slice(0, 19).replace("T", " ");
}
function cell(r, c) {
  if (c === 0) return time(r[0]);
  var v = r[c];
  if (typeof v === "number") v = D[c][v];
  return c === 11 ? v + "#" + r[12] : v;
}
// matcher returns whether column c of a row is exactly val.
function matcher(c, val) {
  var i = D[c].indexOf(val);
  return function (r) { var v = r[c]; return v === i || v === val; };
}
function filtered() {
  return pin || fRule.value || fSev.value || fAcct.value || fPrin.value || fIP.value || fText.value;
}
// has returns whether column c of row r holds text (lower case), looking
// each dictionary entry up once.
function has(c, text) {
  var m = c === 0 ? null : D[c].map(function (s) { return s.toLowerCase().indexOf(text) >= 0; });
  var digits = /^[0-9 :-]+$/.test(text), hash = text.indexOf("#") >= 0;
  return function (r) {
    if (c === 0) return digits && time(r[0]).indexOf(text) >= 0;
    var v = r[c];
    if (c === 11 && hash) return cell(r, 11).toLowerCase().indexOf(text) >= 0;
    if (typeof v === "number" ? m[v] : v.toLowerCase().indexOf(text) >= 0) return true;
    return c === 11 && String(r[12]).indexOf(text) >= 0;
  };
}
function apply() {
  if (!loaded) { whenLoaded(apply, true); return; }
  var rule = fRule.value, sev = fSev.value, acct = fAcct.value;
  var prin = fPrin.value.toLowerCase(), ip = fIP.value.toLowerCase(), text = fText.value.toLowerCase();
  if (!filtered()) {
    view = data;
  } else {
    var hp = prin && has(7, prin), hi = ip && has(9, ip), ht = [], hpin = pin && matcher(pin.col, pin.val);
    if (text) for (var c = 0; c < 12; c++) ht.push(has(c, text));
    view = [];
    for (var i = 0; i < data.length; i++) {
      var r = data[i];
      if (hpin && !hpin(r)) continue;
      if (rule && cell(r, 2) !== rule) continue;
      if (sev && cell(r, 1) !== sev) continue;
      if (acct && cell(r, 3) !== acct) continue;
      if (hp && !hp(r)) continue;
      if (hi && !hi(r)) continue;
      if (text) {
        var any = false;
        for (var k = 0; k < 12 && !any; k++) any = ht[k](r);
        if (!any) continue;
      }
      view.push(r);
    }
  }
  sortView();
  page = 0;
  render();
}
function sortView() {
  var c = sortCol, d = sortDir, key;
  if (c === 0) {
    key = function (r) { return r[0] === null ? -Infinity : r[0]; };
  } else if (c === 1) {
    key = function (r) { return rank[cell(r, 1)] || 0; };
  } else {
    key = function (r) { var v = r[c]; return typeof v === "number" ? D[c][v] : v; };
  }
  view.sort(function (a, b) {
    var x = key(a), y = key(b);
    if (x === y && c === 11) { x = String(a[12]); y = String(b[12]); }
    return x < y ? -d : x > y ? d : 0;
  });
}
function render() {
  var n = loaded ? view.length : total;
  var pages = Math.max(1, Math.ceil(n / PAGE));
  if (page >= pages) page = pages - 1;
  if (page < 0) page = 0;
  var from = page * PAGE, to = Math.min(n, from + PAGE);
  var frag = document.createDocumentFragment();
  for (var i = from; i < to; i++) {
    var r = view[i], tr = document.createElement("tr");
    tr.setAttribute("data-n", String(r[13]));
    tr.tabIndex = 0;
    for (var j = 0; j < 12; j++) {
      var td = document.createElement("td"), v = cell(r, j);
      if (j === 1) {
        td.appendChild(el("span", "sev " + sevClass(v), v));
      } else {
        td.textContent = v;
      }
      if (j >= 7) td.className = "mono";
      tr.appendChild(td);
    }
    frag.appendChild(tr);
  }
  tbody.replaceChildren(frag);
  $("shown").textContent = (n ? (from + 1) + "–" + to : "0") + " of " + n +
    (n !== total ? " (filtered from " + total + ")" : "") + " · page " + (page + 1) + "/" + pages +
    (loaded ? "" : " · loading rows…");
  $("prev").disabled = page === 0;
  $("next").disabled = page >= pages - 1;
  document.body.setAttribute("data-shown", String(n));
  document.body.setAttribute("data-ready", "1");
}
// parseBlock parses the next block of rows and appends each row's
// position (the blocks are in the order the findings were added).
function parseBlock() {
  var b = blocks[nextBlock++], rows = JSON.parse(b.textContent), base = data.length;
  b.textContent = "";
  for (var i = 0; i < rows.length; i++) { rows[i].push(base + i); data.push(rows[i]); }
}
function done() {
  loaded = true;
  document.body.setAttribute("data-loaded", "1");
  var p = pending, o = others;
  pending = null;
  others = [];
  if (p) { p(); } else { view = data; sortView(); render(); }
  o.forEach(function (f) { f(); });
}
function findBlocks() {
  if (!blocks) blocks = document.querySelectorAll("script.findings-rows");
}
function finish() {
  findBlocks();
  while (nextBlock < blocks.length) parseBlock();
  done();
}
// whenLoaded runs fn once every row is parsed: now, parsing the rest,
// when the document is loaded; else once it is. Of the table's actions
// (table true) only the last waiting runs.
function whenLoaded(fn, table) {
  if (loaded) { fn(); return; }
  if (table) { pending = fn; } else { others.push(fn); }
  if (document.readyState !== "loading") finish();
}
function background() {
  if (loaded) return;
  findBlocks();
  if (pending || others.length) { finish(); return; }
  var until = Date.now() + 40;
  while (nextBlock < blocks.length && Date.now() < until) parseBlock();
  if (nextBlock < blocks.length) { setTimeout(background, 0); } else { done(); }
}

// visible makes control, bidi and line-separator characters visible as
// escapes (tabs and newlines stay), as the report does for every value.
function visible(s) {
  return s.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, function (ch) {
    var c = ch.charCodeAt(0), h = c.toString(16);
    return c < 0x100 ? "\\x" + ("0" + h).slice(-2) : "\\u" + ("000" + h).slice(-4);
  });
}
// pretty indents s when it is JSON, keeping its text (numbers, escapes)
// as written; else returns it as it is. Either way made visible.
function pretty(s) {
  try { JSON.parse(s); } catch (err) { return visible(s); }
  var out = [], ind = 0, str = false, esc = false;
  function nl() { out.push("\n" + "  ".repeat(ind)); }
  for (var i = 0; i < s.length; i++) {
    var ch = s[i];
    if (str) {
      out.push(ch);
      if (esc) esc = false; else if (ch === "\\") esc = true; else if (ch === "\"") str = false;
      continue;
    }
    switch (ch) {
    case "\"": str = true; out.push(ch); break;
    case "{": case "[":
      var j = i + 1;
      while (" \t\r\n".indexOf(s[j]) >= 0 && j < s.length) j++;
      if (s[j] === (ch === "{" ? "}" : "]")) { out.push(ch + s[j]); i = j; break; }
      out.push(ch); ind++; nl(); break;
    case "}": case "]": ind--; nl(); out.push(ch); break;
    case ",": out.push(ch); nl(); break;
    case ":": out.push(": "); break;
    case " ": case "\t": case "\r": case "\n": break;
    default: out.push(ch);
    }
  }
  return visible(out.join(""));
}
function docLoaded() {
  return new Promise(function (ok) {
    if (document.readyState !== "loading") ok(); else document.addEventListener("DOMContentLoaded", function () { ok(); });
  });
}
// detailBlock returns (a promise of) the k-th block of details, decoded;
// the last few stay decoded.
var cacheKeys = [], cache = [];
function detailBlock(k) {
  var at = cacheKeys.indexOf(k);
  if (at >= 0) return cache[at];
  var p = docLoaded().then(function () {
    var s = document.querySelectorAll("script.findings-detail")[k];
    if (!s) throw new Error("no detail in the report for this finding");
    if (typeof DecompressionStream === "undefined") throw new Error("this browser has no DecompressionStream");
    var bin = atob(JSON.parse(s.textContent)), u = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) u[i] = bin.charCodeAt(i);
    return new Response(new Blob([u]).stream().pipeThrough(new DecompressionStream("gzip"))).text();
  }).then(JSON.parse);
  cacheKeys.push(k);
  cache.push(p);
  if (cacheKeys.length > 4) { cacheKeys.shift(); cache.shift(); }
  return p;
}
var JSONCOLS = {request_parameters: 1, response_elements: 1, details: 1};
function detailView(n, e) {
  var box = el("div", "detail-view"), raw = e[e.length - 1];
  var head = el("h3", "", "finding " + (n + 1) + " of " + total + ": " + e[1] + " ");
  var close = el("button", "close", "✕ close");
  close.type = "button";
  head.appendChild(close);
  box.appendChild(head);
  var t = el("table", "columns"), tb = el("tbody");
  for (var c = 0; c < e.length - 1; c++) {
    if (e[c] === "") continue;
    var tr = el("tr"), td = el("td", "mono");
    tr.setAttribute("data-column", COLS[c]);
    tr.appendChild(el("th", "", COLS[c]));
    if (JSONCOLS[COLS[c]]) { td.appendChild(el("pre", "json", pretty(e[c]))); } else { td.textContent = e[c]; }
    tr.appendChild(td);
    tb.appendChild(tr);
  }
  t.appendChild(tb);
  if (raw) {
    box.appendChild(el("h4", "", "raw record"));
    box.appendChild(el("pre", "raw", pretty(raw)));
    var more = el("details");
    more.appendChild(el("summary", "", "all columns"));
    more.appendChild(t);
    box.appendChild(more);
  } else {
    box.appendChild(el("p", "note", "All columns (the raw record is in the report when the scan ran with --raw):"));
    box.appendChild(t);
  }
  return box;
}
// toggleDetail opens the detail of the finding of row tr below it, closing
// any other; on an open row it closes it.
function toggleDetail(tr) {
  var open = tbody.querySelector("tr.detail");
  if (open) {
    var was = open.previousElementSibling;
    was.classList.remove("open");
    open.remove();
    if (was === tr) return;
  }
  var n = Number(tr.getAttribute("data-n")), dtr = el("tr", "detail"), td = el("td", "", "loading…");
  td.colSpan = 12;
  td.setAttribute("data-state", "loading");
  dtr.appendChild(td);
  tr.after(dtr);
  tr.classList.add("open");
  detailBlock(Math.floor(n / CHUNK)).then(function (rows) {
    td.replaceChildren(detailView(n, rows[n % CHUNK]));
    td.setAttribute("data-state", "ready");
  }, function (err) {
    td.textContent = "cannot show this finding: " + err.message;
    td.setAttribute("data-state", "error");
  });
}
tbody.addEventListener("click", function (ev) {
  if (ev.target.closest("button.close")) { toggleDetail(ev.target.closest("tr.detail").previousElementSibling); return; }
  var tr = ev.target.closest("tr");
  if (tr && !tr.classList.contains("detail") && !ev.target.closest("tr.detail")) toggleDetail(tr);
});
tbody.addEventListener("keydown", function (ev) {
  if (ev.key === "Enter" && ev.target.matches("tr[data-n]")) toggleDetail(ev.target);
});

function bucketLabel(i) {
  var s = new Date((TL.start + i * TL.step) * 1000).toISOString();
  return TL.unit === "hour" ? s.slice(0, 13).replace("T", " ") + ":00" : s.slice(0, 10);
}
// chart draws per-bucket severity counts b as the main timeline does:
// stacked, low at the bottom, an empty bucket as a grey base line.
function chart(b, label) {
  var W = 1000, H = 100, peak = 0, tot = [], bw = W / TL.n;
  for (var i = 0; i < TL.n; i++) {
    var t = 0;
    for (var s in b[i]) t += b[i][s];
    tot.push(t);
    if (t > peak) peak = t;
  }
  var root = svg("svg", {viewBox: "0 0 1000 " + H, width: "100%", height: String(H), preserveAspectRatio: "none", role: "img", "aria-label": label, "class": "ptimeline"});
  for (i = 0; i < TL.n; i++) {
    var g = svg("g", {"class": tot[i] ? "bucket" : "bucket empty", "data-count": String(tot[i]), "data-label": bucketLabel(i)});
    var title = svg("title", {});
    title.textContent = bucketLabel(i) + ": " + tot[i];
    g.appendChild(title);
    var x = (i * bw).toFixed(2), w = Math.max(bw - 1, 0.5).toFixed(2), y = H;
    if (!tot[i]) g.appendChild(svg("rect", {"class": "base", x: x, y: String(H - 3), width: w, height: "3"}));
    var sevs = Object.keys(b[i] || {}).filter(function (s) { return TL.sevs.indexOf(s) < 0; }).sort().reverse().concat(TL.sevs);
    sevs.forEach(function (s) {
      var c = (b[i] || {})[s];
      if (!c) return;
      var h = c * (H - 5) / peak;
      y -= h;
      g.appendChild(svg("rect", {"class": sevClass(s), "data-severity": s, x: x, y: y.toFixed(2), width: w, height: h.toFixed(2)}));
    });
    root.appendChild(g);
  }
  return root;
}
// principalView counts the findings whose column col is name, per bucket
// of the timeline and per rule, over every row.
function principalView(col, name) {
  var match = matcher(col, name), n = 0, rules = {}, b = [];
  for (var i = 0; i < data.length; i++) {
    var r = data[i];
    if (!match(r)) continue;
    n++;
    var rule = cell(r, 2), sev = cell(r, 1), x = rules[rule] || (rules[rule] = {n: 0, sev: sev});
    x.n++;
    if (TL && r[0] !== null) {
      var j = Math.floor((r[0] - TL.start) / TL.step);
      if (j >= 0 && j < TL.n) { var m = b[j] || (b[j] = {}); m[sev] = (m[sev] || 0) + 1; }
    }
  }
  var box = el("div", "pview");
  box.setAttribute("data-count", String(n));
  var names = Object.keys(rules).sort(function (p, q) { return rules[q].n - rules[p].n || (p < q ? -1 : p > q ? 1 : 0); });
  box.appendChild(el("p", "note", n + " findings of " + names.length + " rules" + (TL ? ", per " + TL.unit + ":" : "")));
  if (TL) {
    box.appendChild(chart(b, "findings per " + TL.unit));
    var axis = el("div", "axis");
    axis.appendChild(el("span", "", bucketLabel(0)));
    axis.appendChild(el("span", "", bucketLabel(TL.n - 1)));
    box.appendChild(axis);
  }
  var t = el("table", "prules"), tb = el("tbody");
  names.forEach(function (k) {
    var tr = el("tr"), sv = el("td");
    tr.appendChild(el("td", "rule-name", k));
    sv.appendChild(el("span", "sev " + sevClass(rules[k].sev), rules[k].sev));
    tr.appendChild(sv);
    tr.appendChild(el("td", "n count", String(rules[k].n)));
    tb.appendChild(tr);
  });
  t.appendChild(tb);
  box.appendChild(t);
  var show = el("button", "pin", "show its findings in the table");
  show.type = "button";
  show.addEventListener("click", function () { setPin(col, name); });
  box.appendChild(show);
  return box;
}
function togglePrincipal(btn) {
  var tr = btn.closest("tr"), next = tr.nextElementSibling;
  if (next && next.classList.contains("pdetail")) {
    next.remove();
    btn.setAttribute("aria-expanded", "false");
    btn.textContent = "▸";
    return;
  }
  btn.setAttribute("aria-expanded", "true");
  btn.textContent = "▾";
  var dtr = el("tr", "pdetail"), td = el("td", "", "counting…");
  td.colSpan = 3;
  dtr.appendChild(td);
  tr.after(dtr);
  var col = Number(tr.getAttribute("data-col")), name = tr.querySelector(".name").textContent;
  whenLoaded(function () { td.replaceChildren(principalView(col, name)); }, false);
}
$("principals").addEventListener("click", function (ev) {
  var b = ev.target.closest("button.expand");
  if (b) togglePrincipal(b);
});
// setPin filters the table to the rows whose column col is val.
function setPin(col, val) {
  pin = {col: col, val: val};
  $("pin-text").textContent = heads[col].textContent + " = " + val;
  $("pin").hidden = false;
  apply();
  $("table").scrollIntoView();
}
$("pin-clear").addEventListener("click", function () {
  pin = null;
  $("pin").hidden = true;
  apply();
});

var timer = 0;
function later() { clearTimeout(timer); timer = setTimeout(apply, 200); }
function turn(by) { return function () { whenLoaded(function () { page += by; render(); }, true); }; }
[fRule, fSev, fAcct].forEach(function (e) { e.addEventListener("change", apply); });
[fPrin, fIP, fText].forEach(function (e) { e.addEventListener("input", later); });
$("prev").addEventListener("click", turn(-1));
$("next").addEventListener("click", turn(1));
heads.forEach(function (th) {
  th.addEventListener("click", function () {
    var c = Number(th.getAttribute("data-col"));
    sortDir = c === sortCol ? -sortDir : 1;
    sortCol = c;
    heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", sortDir > 0 ? "ascending" : "descending");
    whenLoaded(function () { sortView(); page = 0; render(); }, true);
  });
});
render();
if (loaded) {
  document.body.setAttribute("data-loaded", "1");
} else if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", function () { setTimeout(background, 0); });
} else {
  setTimeout(background, 0);
}
})();
`
