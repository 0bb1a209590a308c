extension ConsoleAssets {
    /// The console's style sheet.
    static let style = #"""
:root { --fg: #1d2125; --muted: #66707a; --line: #d9dee3; --bg: #f6f7f9; --card: #fff; --accent: #1f6feb;
  --ref: #8c96a0; --live: #1f6feb; --bad: #c62828; --ok: #2e7d32; --warn: #b26a00; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; align-items: center; gap: 20px; padding: 10px 20px; background: #14181d; color: #fff; }
header a { color: #c9d1d9; text-decoration: none; }
header a:hover, header a.here { color: #fff; }
header nav { display: flex; gap: 16px; flex-wrap: wrap; }
.brand { font-weight: 700; font-size: 17px; color: #fff !important; }
#who { margin-left: auto; color: #8b949e; font-size: 12px; }
main { padding: 20px; max-width: 1200px; margin: 0 auto; }
h1 { font-size: 20px; margin: 0 0 14px; }
h2 { font-size: 16px; margin: 22px 0 10px; }
a { color: var(--accent); }
.muted { color: var(--muted); }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 14px 16px; margin-bottom: 14px; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); gap: 12px; }
.fact { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; }
.fact .k { color: var(--muted); font-size: 12px; }
.fact .v { font-size: 18px; font-weight: 600; }
table { border-collapse: collapse; width: 100%; background: var(--card); }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; overflow-wrap: anywhere; }
th { font-weight: 600; color: var(--muted); font-size: 12px; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.bad { color: var(--bad); font-weight: 600; }
.ok { color: var(--ok); }
.warn { color: var(--warn); font-weight: 600; }
.pill { display: inline-block; padding: 0 7px; border-radius: 10px; background: #e8ecf0; font-size: 12px; margin-right: 4px; }
.alert { border-left: 4px solid var(--bad); background: #fff4f4; padding: 8px 12px; margin-bottom: 6px; }
.error { border-left: 4px solid var(--bad); background: #fff4f4; padding: 10px 12px; margin: 10px 0; }
.empty { border: 1px dashed var(--line); background: var(--card); padding: 18px; border-radius: 6px; }
.empty code, pre { background: #eef1f4; padding: 1px 5px; border-radius: 4px; }
pre { padding: 10px; overflow: auto; max-height: 360px; }
button { font: inherit; padding: 4px 10px; border: 1px solid var(--line); border-radius: 5px; background: #fff; cursor: pointer; }
button.danger { border-color: var(--bad); color: var(--bad); }
input, select { font: inherit; padding: 4px 8px; border: 1px solid var(--line); border-radius: 5px; }
form.inline { display: flex; gap: 8px; align-items: center; margin: 8px 0; flex-wrap: wrap; }
svg.chart { background: var(--card); border: 1px solid var(--line); border-radius: 6px; }
svg.chart text { font-size: 11px; fill: var(--muted); }
svg.chart .axis { stroke: var(--line); }
svg.chart rect.ref { fill: var(--ref); }
svg.chart rect.live { fill: var(--live); }
svg.chart polyline { fill: none; stroke-width: 2; }
.legend { font-size: 12px; color: var(--muted); margin: 4px 0 10px; }
.legend span { display: inline-block; width: 10px; height: 10px; margin: 0 4px 0 10px; vertical-align: middle; }
.sw-ref { background: var(--ref); } .sw-live { background: var(--live); }
.sw-0 { background: #1f6feb; } .sw-1 { background: #e36209; } .sw-2 { background: #2e7d32; } .sw-3 { background: #8250df; }
.sw-4 { background: #c62828; } .sw-5 { background: #0a7f87; } .sw-6 { background: #6e7781; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(360px, 1fr)); gap: 14px; }
.chartbox h3 { font-size: 13px; margin: 0 0 4px; }
"""#
}
