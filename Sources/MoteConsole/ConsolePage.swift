extension ConsoleAssets {
    /// The page every console path answers with; the script draws the page its path names.
    static let page = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mote</title>
<link rel="stylesheet" href="/ui/assets/console.css">
<script defer src="/ui/assets/console.js"></script>
</head>
<body>
<header>
  <a class="brand" href="/ui/">mote</a>
  <nav>
    <a href="/ui/">Overview</a>
    <a href="/ui/features">Features</a>
    <a href="/ui/runs">Runs</a>
    <a href="/ui/models">Models</a>
    <a href="/ui/monitoring">Monitoring</a>
    <a href="/ui/jobs">Jobs</a>
    <a href="/ui/sync">Sync</a>
  </nav>
  <span id="who"></span>
</header>
<main id="main"><p class="muted">Loading…</p></main>
<noscript><p>The console needs JavaScript; the same data is at /v1/... (docs/api.md) and in motectl.</p></noscript>
</body>
</html>
"""#
}
