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
{{template "top" (list "users and roles" .Users)}}{{template "top" (list "access keys" .Keys)}}{{template "top" (list "source IPs" .IPs)}}{{template "top" (list "user agents" .Agents)}}
</div></section>
<section id="table"><h2>Findings</h2>
<div id="filters">
<label>rule<select id="f-rule"><option value="">all</option>{{range .Rules}}<option value="{{.Name}}">{{.Name}}</option>{{end}}</select></label>
<label>severity<select id="f-severity"><option value="">all</option>{{range .Severities}}{{if .Count}}<option>{{.Name}}</option>{{end}}{{end}}</select></label>
<label>account<select id="f-account"><option value="">all</option>{{range .Accounts}}<option>{{.}}</option>{{end}}</select></label>
<label>principal<input id="f-principal" type="search" placeholder="user, role or ARN"></label>
<label>source IP<input id="f-ip" type="search" placeholder="prefix or part"></label>
<label>text<input id="f-text" type="search" placeholder="anything in the row"></label>
</div>
<div id="pager"><button id="prev" type="button">◀ previous</button><span id="shown">loading…</span><button id="next" type="button">next ▶</button></div>
<table id="findings"><thead><tr>{{range $i, $c := .Columns}}<th data-col="{{$i}}"{{if eq $i 0}} aria-sort="ascending"{{end}}>{{$c}}</th>{{end}}</tr></thead><tbody></tbody></table>
</section>
</main>
{{end}}
{{define "top"}}<div><h3>{{index . 0}}</h3>{{$rows := index . 1}}{{if $rows}}<table><tbody>{{range $rows}}<tr><td class="mono">{{.Name}}</td><td class="n">{{.Count}}</td></tr>{{end}}</tbody></table>{{else}}<p class="note">none</p>{{end}}</div>{{end}}`

// htmlScript renders the findings table from the embedded JSON: filter,
// sort, 100 rows a page. It renders the first page from the metadata block
// at once, then parses the row blocks (HTML.Add describes the encoding)
// a few at a time once the document is loaded; filtering, sorting or
// paging before then parses the rest first. Values are set with
// textContent only.
const htmlScript = `(function () {
"use strict";
var $ = function (id) { return document.getElementById(id); };
var meta = JSON.parse($("findings-meta").textContent);
var D = [null].concat(meta.dict), total = meta.total;
var PAGE = 100, page = 0, data = [], view = meta.first, sortCol = 0, sortDir = 1;
var loaded = total === 0, blocks = null, nextBlock = 0, pending = null;
var rank = {critical: 4, high: 3, medium: 2, low: 1};
var tbody = document.querySelector("#findings tbody");
var heads = document.querySelectorAll("#findings th");
var fRule = $("f-rule"), fSev = $("f-severity"), fAcct = $("f-account"), fPrin = $("f-principal"), fIP = $("f-ip"), fText = $("f-text");
function time(t) {
  return t === null ? "" : new Date(t * 1000).toISOString().slice(0, 19).replace("T", " ");
}
function cell(r, c) {
  if (c === 0) return time(r[0]);
  var v = r[c];
  if (typeof v === "number") v = D[c][v];
  return c === 11 ? v + "#" + r[12] : v;
}
function filtered() {
  return fRule.value || fSev.value || fAcct.value || fPrin.value || fIP.value || fText.value;
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
  if (!loaded) { whenLoaded(apply); return; }
  var rule = fRule.value, sev = fSev.value, acct = fAcct.value;
  var prin = fPrin.value.toLowerCase(), ip = fIP.value.toLowerCase(), text = fText.value.toLowerCase();
  if (!filtered()) {
    view = data;
  } else {
    var hp = prin && has(7, prin), hi = ip && has(9, ip), ht = [];
    if (text) for (var c = 0; c < 12; c++) ht.push(has(c, text));
    view = [];
    for (var i = 0; i < data.length; i++) {
      var r = data[i];
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
    for (var j = 0; j < 12; j++) {
      var td = document.createElement("td"), v = cell(r, j);
      if (j === 1) {
        var s = document.createElement("span");
        s.className = "sev sev-" + (rank[v] ? v : "other");
        s.textContent = v;
        td.appendChild(s);
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
function parseBlock() {
  var b = blocks[nextBlock++], rows = JSON.parse(b.textContent);
  b.textContent = "";
  for (var i = 0; i < rows.length; i++) data.push(rows[i]);
}
function done() {
  loaded = true;
  document.body.setAttribute("data-loaded", "1");
  var p = pending;
  pending = null;
  if (p) { p(); } else { view = data; sortView(); render(); }
}
function findBlocks() {
  if (!blocks) blocks = document.querySelectorAll("script.findings-rows");
}
// whenLoaded runs fn once every row is parsed: now, parsing the rest,
// when the document is loaded; else once it is.
function whenLoaded(fn) {
  if (loaded) { fn(); return; }
  pending = fn;
  if (document.readyState === "loading") return;
  findBlocks();
  while (nextBlock < blocks.length) parseBlock();
  done();
}
function background() {
  if (loaded) return;
  findBlocks();
  if (pending) { whenLoaded(pending); return; }
  var until = Date.now() + 40;
  while (nextBlock < blocks.length && Date.now() < until) parseBlock();
  if (nextBlock < blocks.length) { setTimeout(background, 0); } else { done(); }
}
var timer = 0;
function later() { clearTimeout(timer); timer = setTimeout(apply, 200); }
function turn(by) { return function () { whenLoaded(function () { page += by; render(); }); }; }
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
    whenLoaded(function () { sortView(); page = 0; render(); });
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
