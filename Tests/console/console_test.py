"""The console in a real browser (Debian's Chromium, driven by Selenium): each page is drawn
with the numbers the API answers (asserted on the DOM), charts have the bars and points the
data has, an admin's action changes the box and a reader's is refused, and a screenshot of
each page is written for the docs. Prints each page's first paint and the time until it was
drawn with its data (milliseconds, from navigation start).

usage: console_test.py MODE URL SOCKET [SCREENSHOT_DIR]
  MODE: pages (a box with data, as admin), empty (a fresh box), reader (a non-admin's action)
"""
import os, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from udsclient import call
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

MODE, URL, SOCK = sys.argv[1:4]
SHOTS = sys.argv[4] if len(sys.argv) > 4 else None
failures = []


def check(ok, what):
    if not ok:
        failures.append(what)
        print("FAIL", what, flush=True)


def api(method, path, body=None):
    return call(SOCK, method, path, body, check=False)


options = Options()
for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1500"]:
    options.add_argument(flag)
options.binary_location = "/usr/bin/chromium"
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
driver.set_page_load_timeout(30)
timings = []


def page(path, name=None):
    """Loads a console path; waits until it is drawn with its data; notes the times; with a
    name, writes its screenshot as NAME.png."""
    driver.get(URL + path)
    WebDriverWait(driver, 20).until(lambda d: d.find_element(By.ID, "main").get_attribute("data-ready") is not None)
    paint = driver.execute_script("const p = performance.getEntriesByName('first-contentful-paint')[0]; return p ? p.startTime : null")
    drawn = driver.execute_script("const m = performance.getEntriesByName('mote-drawn')[0]; return m ? m.startTime : null")
    timings.append((path, paint, drawn))
    errors = driver.find_elements(By.CSS_SELECTOR, "[data-test=error]")
    check(not errors, f"{path}: the page shows an error: {[e.text for e in errors]}")
    if SHOTS and name:
        driver.save_screenshot(os.path.join(SHOTS, f"{name}.png"))


def q(css):
    return driver.find_elements(By.CSS_SELECTOR, css)


def value(css):
    """The exact value a number element carries (data-value), as a float."""
    els = q(css)
    return float(els[0].get_attribute("data-value")) if els and els[0].get_attribute("data-value") not in (None, "") else None


def close(a, b, tol=1e-9):
    return a is not None and b is not None and abs(a - b) <= tol * max(1.0, abs(b))


def run_pages():
    status = api("GET", "/v1/status")
    views = api("GET", "/v1/feature-views")["feature_views"]
    models = api("GET", "/v1/models")["models"]
    alerts = api("GET", "/v1/alerts")["alerts"]

    page("/ui/", "overview")
    check(value("[data-test=outbox] [data-value]") == status["sync"]["outbox_pending"], "overview: outbox waiting")
    check(q("[data-test=views] a")[0].text == str(len(views)), "overview: feature view count")
    check(q("[data-test=models] a")[0].text == str(len(models)), "overview: model count")
    check(len(q("[data-test=alerts] .alert")) == len(alerts) and len(alerts) > 0, f"overview: {len(alerts)} alerts listed")
    check(not q("[data-test=empty]"), "overview: a box with data is not shown as empty")

    page("/ui/features", "features")
    rows = q("[data-test=views] tbody tr")
    check(len(rows) == len(views), "features: one row per view")
    for row, v in zip(rows, views):
        cells = row.find_elements(By.CSS_SELECTOR, "td [data-value]")
        check(float(cells[1].get_attribute("data-value")) == v["online_entities"], f"features: online entities of {v['name']}")

    page("/ui/features/sensors", "feature-view")
    quality = api("GET", "/v1/feature-views/sensors/quality")
    rows = q("[data-test=quality] tbody tr")
    check(len(rows) == len(quality["fields"]), "view: a row per field")
    for row, f in zip(rows, quality["fields"]):
        shown = [float(e.get_attribute("data-value")) for e in row.find_elements(By.CSS_SELECTOR, "[data-value]")]
        check(shown[:2] == [f["rows"], f["null_share"]], f"view: rows and null share of {f['name']}: {shown} vs {f}")
    h = api("GET", "/v1/feature-views/sensors/fields/temp/histogram")
    WebDriverWait(driver, 10).until(lambda d: q("[data-test=histogram] rect.bar"))
    bars = q("[data-test=histogram] rect.bar")
    check([float(b.get_attribute("data-value")) for b in bars] == h["counts"], "view: the histogram's bars are the API's counts")
    online = api("POST", "/v1/get-online-features", {"features": ["sensors:temp"], "entities": {"machine_id": ["m7"]}})
    key = q("[data-test=lookup-key]")[0]
    key.send_keys("m7")
    key.submit()
    WebDriverWait(driver, 10).until(lambda d: q("[data-test=lookup] tbody tr"))
    cells = [r.find_elements(By.TAG_NAME, "td") for r in q("[data-test=lookup] tbody tr")]
    temp = [c for c in cells if c[0].text == "temp"][0]
    check(float(temp[1].text) == online["results"][1]["values"][0] and temp[2].text == "PRESENT", "view: the entity lookup shows the online value")

    found = api("POST", "/v1/runs/search", {"filter": "", "max_results": 200})["runs"]
    page("/ui/runs", "runs")
    check(len(q("[data-test=runs] tbody tr")) == len(found), "runs: one row per run")
    page("/ui/runs?filter=" + "params.algorithm%20%3D%20'gbdt'")
    gbdt = api("POST", "/v1/runs/search", {"filter": "params.algorithm = 'gbdt'", "max_results": 200})["runs"]
    check(len(q("[data-test=runs] tbody tr")) == len(gbdt) and 0 < len(gbdt) < len(found), "runs: the filter searches as the API does")
    trained = [r for r in found if "valid_loss" in r["metrics"]]
    a, b = trained[0], trained[1]
    page(f"/ui/runs/{a['id']}", "run")
    history = {k: api("GET", f"/v1/runs/{a['id']}/metrics/{k}")["metrics"] for k in ["train_loss", "valid_loss"]}
    check(len(q("[data-test=curve] circle.pt")) == sum(len(v) for v in history.values()), "run: a point per logged loss")
    check(len(q("[data-test=curve] polyline")) == 2, "run: train and valid curves")
    shown = {r.find_elements(By.TAG_NAME, "td")[0].text: float(r.find_element(By.CSS_SELECTOR, "[data-value]").get_attribute("data-value"))
             for r in q("[data-test=metrics] tbody tr")}
    check(all(close(shown[k], m["value"]) for k, m in a["metrics"].items()), "run: every metric's value")
    page(f"/ui/runs/compare?a={a['id']}&b={b['id']}", "runs-compare")
    points = sum(len(api("GET", f"/v1/runs/{r['id']}/metrics/{k}")["metrics"]) for r in (a, b) for k in ("train_loss", "valid_loss"))
    check(len(q("[data-test=curve] polyline")) == 4 and len(q("[data-test=curve] circle.pt")) == points, "compare: both runs' curves overlaid")

    page("/ui/models", "models")
    check(len(q("[data-test=models] tbody tr")) == len(models), "models: a row per model")
    versions = api("GET", "/v1/models/failure/versions")["versions"]
    serving = api("GET", "/v1/models/failure/serving")
    page("/ui/models/failure", "model")
    check(len(q("[data-test=versions] tbody tr")) == len(versions), "model: a row per version")
    check(value("[data-test=rows] [data-value]") >= serving["rows"], "model: rows answered")
    run_links = [l.get_attribute("href") for l in q("[data-test=versions] tbody tr a")]
    check(all(v["run_id"] in " ".join(run_links) for v in versions), "model: each version links its run (lineage)")

    page("/ui/monitoring")
    check(len(q("[data-test=monitored] tbody tr")) == len(models), "monitoring: a row per model")
    report = api("GET", "/v1/models/failure/monitoring")
    page("/ui/monitoring/failure", "monitoring")
    for f in report["features"] + [report["prediction"]]:
        box = q(f"[data-feature='{f['name']}'] rect.bar")
        bins = len(f["histogram"]["reference"]) if "histogram" in f else len(f["categories"])
        check(len(box) == 2 * bins, f"monitoring: reference and live bars of {f['name']} ({len(box)} for {bins} bins)")
        if "histogram" in f:
            live = [float(x.get_attribute("data-value")) for x in q(f"[data-feature='{f['name']}'] rect.live")]
            check(all(close(x, y) for x, y in zip(live, f["histogram"]["live"])), f"monitoring: live shares of {f['name']}")
    check(value("[data-test=window-rows] [data-value]") == report["window_rows"], "monitoring: live rows")
    check(value("[data-test=feedback] [data-value]") == report["metrics"]["feedback_rows"], "monitoring: feedback count")
    history = api("GET", "/v1/models/failure/monitoring")["history"]
    drawn = len(q("[data-test=drift-history] circle.pt"))
    check(drawn >= sum(len(p["scores"]) for p in history[:1]) and drawn > 0, f"monitoring: drift over time drawn ({drawn} points)")
    metric_rows = {r.find_elements(By.TAG_NAME, "td")[0].text: r for r in q("[data-test=live-metrics] tbody tr")}
    for k, v in report["metrics"]["live"].items():
        check(close(float(metric_rows[k].find_elements(By.CSS_SELECTOR, "[data-value]")[0].get_attribute("data-value")), v), f"monitoring: live {k}")

    jobs = api("GET", "/v1/training-jobs?limit=100")["jobs"]
    page("/ui/jobs", "jobs")
    check(len(q("[data-test=jobs] tbody tr")) == len(jobs), "jobs: a row per job")
    page(f"/ui/jobs/{jobs[-1]['id']}", "job")
    WebDriverWait(driver, 10).until(lambda d: "succeeded" in q("[data-test=events]")[0].text)
    page("/ui/sync", "sync")
    check(value("[data-test=pending] [data-value]") == api("GET", "/v1/sync")["pending"], "sync: outbox waiting")

    # An admin's action: make version 1 the champion (asked first), then roll back.
    page("/ui/models/failure")
    q("[data-test=promote-1]")[0].click()
    driver.switch_to.alert.accept()
    WebDriverWait(driver, 10).until(lambda d: api("GET", "/v1/models/failure")["model"]["aliases"].get("champion") == 1)
    WebDriverWait(driver, 10).until(lambda d: d.find_element(By.ID, "main").get_attribute("data-ready") and q("[data-test=rollback]"))
    q("[data-test=rollback]")[0].click()
    driver.switch_to.alert.dismiss()  # asked, and declined: nothing moves
    time.sleep(0.5)
    check(api("GET", "/v1/models/failure")["model"]["aliases"].get("champion") == 1, "a declined action changes nothing")
    q("[data-test=rollback]")[0].click()
    driver.switch_to.alert.accept()
    WebDriverWait(driver, 10).until(lambda d: api("GET", "/v1/models/failure")["model"]["aliases"].get("champion") == 2)
    audit = api("GET", "/v1/audit?subject=model:failure")["entries"]
    check([e["action"] for e in audit[:2]] == ["alias.set", "alias.set"], f"the console's two actions are audited: {[e['action'] for e in audit[:5]]}")


def run_empty():
    page("/ui/", "empty-box")
    check(len(q("[data-test=empty]")) == 1 and "motectl apply" in q("[data-test=empty]")[0].text, "an empty box says what to do first")
    check(not q("svg"), "an empty box shows no charts")
    for path in ["/ui/features", "/ui/runs", "/ui/models", "/ui/monitoring", "/ui/jobs"]:
        page(path)
        check(len(q("[data-test=empty]")) == 1 and not q("svg"), f"{path}: says what to do, no empty chart")


def run_reader():
    page("/ui/models/failure")
    q("[data-test=promote-1]")[0].click()
    driver.switch_to.alert.accept()
    WebDriverWait(driver, 10).until(lambda d: q("[data-test=error]"))
    text = q("[data-test=error]")[0].text
    check("403" in text and "forbidden" in text, f"a reader's action is refused: {text}")
    check(api("GET", "/v1/models/failure")["model"]["aliases"].get("champion") == 2, "a refused action changes nothing")


try:
    {"pages": run_pages, "empty": run_empty, "reader": run_reader}[MODE]()
finally:
    driver.quit()
for path, paint, drawn in timings:
    print(f"timing {path} first_paint_ms={paint if paint is None else round(paint, 1)} drawn_ms={drawn if drawn is None else round(drawn, 1)}")
print(f"{len(failures)} failures")
sys.exit(1 if failures else 0)
