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
// sort, 100 rows a page. Values are set with textContent only.
const htmlScript = `(function () {
"use strict";
var $ = function (id) { return document.getElementById(id); };
var data = JSON.parse($("findings-data").textContent);
var PAGE = 100, page = 0, view = data, sortCol = 0, sortDir = 1;
var rank = {critical: 4, high: 3, medium: 2, low: 1};
var tbody = document.querySelector("#findings tbody");
var heads = document.querySelectorAll("#findings th");
var fRule = $("f-rule"), fSev = $("f-severity"), fAcct = $("f-account"), fPrin = $("f-principal"), fIP = $("f-ip"), fText = $("f-text");
function filtered() {
  return fRule.value || fSev.value || fAcct.value || fPrin.value || fIP.value || fText.value;
}
function apply() {
  var rule = fRule.value, sev = fSev.value, acct = fAcct.value;
  var prin = fPrin.value.toLowerCase(), ip = fIP.value.toLowerCase(), text = fText.value.toLowerCase();
  if (!filtered()) {
    view = data;
  } else {
    view = [];
    for (var i = 0; i < data.length; i++) {
      var r = data[i];
      if (rule && r[2] !== rule) continue;
      if (sev && r[1] !== sev) continue;
      if (acct && r[3] !== acct) continue;
      if (prin && r[7].toLowerCase().indexOf(prin) < 0) continue;
      if (ip && r[9].toLowerCase().indexOf(ip) < 0) continue;
      if (text && r.join("\u0001").toLowerCase().indexOf(text) < 0) continue;
      view.push(r);
    }
  }
  sortView();
  page = 0;
  render();
}
function sortView() {
  var c = sortCol, d = sortDir;
  view.sort(function (a, b) {
    var x = a[c], y = b[c];
    if (c === 1) { x = rank[x] || 0; y = rank[y] || 0; }
    return x < y ? -d : x > y ? d : 0;
  });
}
function render() {
  var pages = Math.max(1, Math.ceil(view.length / PAGE));
  if (page >= pages) page = pages - 1;
  if (page < 0) page = 0;
  var from = page * PAGE, to = Math.min(view.length, from + PAGE);
  var frag = document.createDocumentFragment();
  for (var i = from; i < to; i++) {
    var r = view[i], tr = document.createElement("tr");
    for (var j = 0; j < r.length; j++) {
      var td = document.createElement("td");
      if (j === 1) {
        var s = document.createElement("span");
        s.className = "sev sev-" + (rank[r[j]] ? r[j] : "other");
        s.textContent = r[j];
        td.appendChild(s);
      } else {
        td.textContent = r[j];
      }
      if (j >= 7) td.className = "mono";
      tr.appendChild(td);
    }
    frag.appendChild(tr);
  }
  tbody.replaceChildren(frag);
  $("shown").textContent = (view.length ? (from + 1) + "–" + to : "0") + " of " + view.length +
    (view.length !== data.length ? " (filtered from " + data.length + ")" : "") + " · page " + (page + 1) + "/" + pages;
  $("prev").disabled = page === 0;
  $("next").disabled = page >= pages - 1;
  document.body.setAttribute("data-shown", String(view.length));
  document.body.setAttribute("data-ready", "1");
}
var timer = 0;
function later() { clearTimeout(timer); timer = setTimeout(apply, 200); }
[fRule, fSev, fAcct].forEach(function (e) { e.addEventListener("change", apply); });
[fPrin, fIP, fText].forEach(function (e) { e.addEventListener("input", later); });
$("prev").addEventListener("click", function () { page--; render(); });
$("next").addEventListener("click", function () { page++; render(); });
heads.forEach(function (th) {
  th.addEventListener("click", function () {
    var c = Number(th.getAttribute("data-col"));
    sortDir = c === sortCol ? -sortDir : 1;
    sortCol = c;
    heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", sortDir > 0 ? "ascending" : "descending");
    sortView();
    page = 0;
    render();
  });
});
render();
})();
`
