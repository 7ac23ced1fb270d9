//! The web app in a real headless Chromium (Debian's `chromium` and `chromium-driver`),
//! driven over the W3C WebDriver protocol: sign in, watch a replayed crisis appear on the
//! overview without reloading (SSE), open a case, see the linter flag a promise, send a
//! clean reply; then import the XSS corpus and check that nothing ran on any page.
//!
//! Screenshots of the main pages go to `target/screenshots/` (not committed).
//! Without chromedriver the test is skipped, unless `FIREBREAK_REQUIRE_BROWSER=1` (CI),
//! where it fails. Install: `apt-get install -y chromium chromium-driver`.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::{api_token, firebreak, stderr, Server};

const PASSWORD: &str = "a long test password";
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

fn find_program(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    })
}

/// chromedriver and chromium, or why the test cannot run.
fn browser() -> Option<(PathBuf, PathBuf)> {
    let driver = find_program("chromedriver");
    let chrome = find_program("chromium").or_else(|| find_program("chromium-browser"));
    match (driver, chrome) {
        (Some(d), Some(c)) => Some((d, c)),
        _ => {
            if std::env::var("FIREBREAK_REQUIRE_BROWSER").as_deref() == Ok("1") {
                panic!("FIREBREAK_REQUIRE_BROWSER=1 but chromedriver or chromium is missing: apt-get install -y chromium chromium-driver");
            }
            eprintln!(
                "skipped: no chromedriver/chromium (apt-get install -y chromium chromium-driver)"
            );
            None
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

fn screenshots_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let dir = target.join("screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

/// chromedriver, stopped on drop.
struct Driver {
    child: Child,
    base: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A WebDriver session: the few commands the test needs.
struct Browser {
    http: reqwest::Client,
    url: String,
}

impl Browser {
    async fn start(driver: &Driver, chrome: &Path) -> Browser {
        let http = reqwest::Client::new();
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chrome.to_string_lossy(),
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--window-size=1400,1000", "--lang=en-US", "--no-first-run"]
            }
        }}});
        let res: Value = http
            .post(format!("{}/session", driver.base))
            .json(&caps)
            .send()
            .await
            .expect("new session")
            .json()
            .await
            .expect("session json");
        let id = res["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {res}"))
            .to_owned();
        Browser {
            http,
            url: format!("{}/session/{id}", driver.base),
        }
    }

    async fn cmd(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self.http.request(method, format!("{}{path}", self.url));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res: Value = req
            .send()
            .await
            .expect("webdriver")
            .json()
            .await
            .expect("webdriver json");
        res["value"].clone()
    }

    async fn goto(&self, url: &str) {
        let v = self
            .cmd(reqwest::Method::POST, "/url", Some(json!({ "url": url })))
            .await;
        assert!(v.is_null(), "navigate {url}: {v}");
    }

    async fn current_url(&self) -> String {
        self.cmd(reqwest::Method::GET, "/url", None)
            .await
            .as_str()
            .unwrap_or("")
            .to_owned()
    }

    async fn find(&self, css: &str) -> Option<String> {
        let v = self
            .cmd(
                reqwest::Method::POST,
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        v[ELEMENT].as_str().map(str::to_owned)
    }

    async fn wait_for(&self, css: &str, secs: u64) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            if let Some(e) = self.find(css).await {
                return e;
            }
            if Instant::now() > deadline {
                let html = self.script("return document.body.innerText;").await;
                panic!(
                    "no {css} after {secs}s on {}:\n{html}",
                    self.current_url().await
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    async fn type_into(&self, el: &str, text: &str) {
        let v = self
            .cmd(
                reqwest::Method::POST,
                &format!("/element/{el}/value"),
                Some(json!({ "text": text })),
            )
            .await;
        assert!(v.is_null(), "type: {v}");
    }

    async fn clear(&self, el: &str) {
        self.cmd(
            reqwest::Method::POST,
            &format!("/element/{el}/clear"),
            Some(json!({})),
        )
        .await;
    }

    /// One click on `el`: null when it took, else WebDriver's error.
    async fn click_once(&self, el: &str) -> Value {
        self.cmd(
            reqwest::Method::POST,
            &format!("/element/{el}/click"),
            Some(json!({})),
        )
        .await
    }

    /// Clicks `el`; a click the page intercepts for a moment (a live update swapping a
    /// fragment in, a layout shift, a busy machine) is tried again, for up to about 10 s.
    async fn click(&self, el: &str) {
        let mut v = Value::Null;
        for _ in 0..20 {
            v = self.click_once(el).await;
            if v.is_null() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        panic!("click: {v}");
    }

    /// Clicks the first element matching `css`, found again before every try: a live
    /// update may replace the fragment that holds it between finding and clicking (the
    /// element is then stale, and clicking it again can never work).
    async fn click_css(&self, css: &str, secs: u64) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let el = self.wait_for(css, secs).await;
            let v = self.click_once(&el).await;
            if v.is_null() {
                return;
            }
            if Instant::now() > deadline {
                panic!("click {css}: {v}");
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }

    async fn script(&self, js: &str) -> Value {
        self.cmd(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": js, "args": []})),
        )
        .await
    }

    /// The text of an open alert dialog, if one is open.
    async fn alert_text(&self) -> Option<String> {
        let v = self.cmd(reqwest::Method::GET, "/alert/text", None).await;
        v.as_str().map(str::to_owned)
    }

    async fn screenshot(&self, name: &str) {
        let v = self.cmd(reqwest::Method::GET, "/screenshot", None).await;
        if let Some(png) = v.as_str().and_then(base64_decode) {
            let _ = std::fs::write(screenshots_dir().join(format!("{name}.png")), png);
        }
    }

    async fn quit(&self) {
        let _ = self.http.delete(&self.url).send().await;
    }
}

impl Drop for Browser {
    /// Ends the session (and so Chromium) even when the test fails half way.
    fn drop(&mut self) {
        use std::io::{Read, Write};
        let Some(rest) = self.url.strip_prefix("http://") else {
            return;
        };
        let Some((host, path)) = rest.split_once('/') else {
            return;
        };
        if let Ok(mut s) = std::net::TcpStream::connect(host) {
            let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
            let _ = write!(
                s,
                "DELETE /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
            );
            let mut buf = Vec::new();
            let _ = s.read_to_end(&mut buf);
        }
    }
}

fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' | b'\n' | b'\r' => continue,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

fn start_driver(path: &Path) -> Driver {
    let port = free_port();
    let child = Command::new(path)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "chromedriver did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    Driver { child, base }
}

/// Adds a web user with `firebreak user add`, the password on stdin.
fn add_user(dir: &Path, db: &str, name: &str, role: &str) {
    let mut add = firebreak(dir)
        .args(["--db", db, "user", "add", name, "--role", role])
        .args(["--password-stdin", "--ui-lang", "en"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("user add");
    if let Some(mut stdin) = add.stdin.take() {
        use std::io::Write;
        writeln!(stdin, "{PASSWORD}").expect("password");
    }
    let out = add.wait_with_output().expect("user add");
    assert!(out.status.success(), "{}", stderr(&out));
}

/// GET on the JSON API as the token's account.
async fn api_get(url: String, token: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .expect("API GET")
}

async fn post_mentions(server: &Server, lines: &[&str]) {
    let http = reqwest::Client::new();
    for chunk in lines.chunks(250) {
        let body = chunk.join("\n");
        let res = http
            .post(format!("{}/api/v1/mentions", server.base))
            .header("content-type", "application/x-ndjson")
            .body(body)
            .send()
            .await
            .expect("ingest");
        assert!(res.status().is_success(), "ingest: {}", res.status());
    }
}

/// Nothing of the corpus ran: no `window.__xss`, no alert dialog.
async fn assert_nothing_ran(b: &Browser, page: &str) {
    if let Some(text) = b.alert_text().await {
        panic!("an alert opened on {page}: {text}");
    }
    let xss = b
        .script("return typeof window.__xss === 'undefined' ? null : String(window.__xss);")
        .await;
    assert!(xss.is_null(), "script ran on {page}: window.__xss = {xss}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crisis_in_the_browser_from_sign_in_to_reply_and_no_xss() {
    let Some((driver_path, chrome)) = browser() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    let db = format!("sqlite://{}", dir.path().join("web.db").display());

    // The first admin, from the command line.
    add_user(dir.path(), &db, "ada", "admin");
    let token = api_token(dir.path(), &db, "ada");

    let server = Server::start(dir.path(), &db, &[]);
    let driver = start_driver(&driver_path);
    let b = Browser::start(&driver, &chrome).await;

    eprintln!("browser test: Sign in");
    // Sign in.
    b.goto(&format!("{}/inbox", server.base)).await;
    let name = b.wait_for("#name", 10).await;
    b.screenshot("login").await;
    b.type_into(&name, "ada").await;
    let pw = b.wait_for("#password", 5).await;
    b.type_into(&pw, PASSWORD).await;
    let submit = b.wait_for("#login-submit", 5).await;
    b.click(&submit).await;
    b.wait_for("#queue, #live", 10).await;
    assert!(
        b.current_url().await.ends_with("/inbox"),
        "back where we were going"
    );

    eprintln!("browser test: The overview, live");
    // The overview, live: replay the demo crisis through the API and watch it arrive.
    b.goto(&format!("{}/", server.base)).await;
    b.wait_for("#live", 10).await;
    b.wait_for("#live-status.on", 10).await;
    b.script("window.__marker = 'still here'; return null;")
        .await;
    let demo = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/demo/velora-crisis.jsonl"),
    )
    .expect("demo crisis");
    let lines: Vec<&str> = demo.lines().filter(|l| !l.trim().is_empty()).collect();
    post_mentions(&server, &lines).await;
    b.wait_for("#alerts li.alert", 90).await;
    b.wait_for("section.channel svg.chart.volume rect.bar", 30)
        .await;
    assert_eq!(
        b.script("return window.__marker || null;").await,
        json!("still here"),
        "the overview updated in place (SSE), without a reload"
    );
    b.screenshot("overview").await;

    eprintln!("browser test: The explorer");
    // The explorer.
    b.goto(&format!("{}/explorer?sentiment=negative", server.base))
        .await;
    b.wait_for("#results tr.mention", 10).await;
    b.screenshot("explorer").await;

    eprintln!("browser test: The inbox and a case");
    // The inbox and a case.
    b.goto(&format!("{}/inbox", server.base)).await;
    b.wait_for("#queue a.case-link", 20).await;
    b.screenshot("inbox").await;
    // The queue updates live, so the link is found again if it was swapped out.
    b.click_css("#queue a.case-link", 20).await;
    let text = b.wait_for("#reply-text", 10).await;
    b.type_into(
        &text,
        "We guarantee this will never happen again and you will have a new kettle by tomorrow.",
    )
    .await;
    b.wait_for("#lint-findings li[data-rule='promise']", 15)
        .await;
    b.screenshot("case-linter").await;
    b.clear(&text).await;
    b.type_into(
        &text,
        "Hi, we're sorry about this and we're looking into it now. Please send us a direct message so we can sort it out personally.",
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(15);
    while b
        .find("#lint-findings li[data-rule='promise']")
        .await
        .is_some()
    {
        assert!(
            Instant::now() < deadline,
            "the promise finding did not clear"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let send = b.wait_for("#send-reply", 5).await;
    b.click(&send).await;
    b.wait_for("#flash", 10).await;
    b.wait_for("#replies li.reply", 5).await;
    b.screenshot("case-replied").await;

    eprintln!("browser test: Settings");
    // Settings: the users of the team.
    b.goto(&format!("{}/settings", server.base)).await;
    b.wait_for("#users tr.user-row[data-user='ada']", 10).await;
    b.screenshot("settings").await;

    eprintln!("browser test: The XSS corpus");
    // The XSS corpus: imported as mentions, shown everywhere, executing nothing.
    let corpus = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/xss/corpus.jsonl"),
    )
    .expect("corpus");
    let hostile: Vec<&str> = corpus.lines().filter(|l| !l.trim().is_empty()).collect();
    b.goto(&format!("{}/", server.base)).await;
    b.wait_for("#live", 10).await;
    post_mentions(&server, &hostile).await;
    eprintln!("browser test: corpus posted");
    tokio::time::sleep(Duration::from_secs(3)).await; // the live refresh swaps the fragment in
    assert_nothing_ran(&b, "overview (live)").await;
    let mut pages = vec![
        "/".to_owned(),
        "/explorer".to_owned(),
        "/explorer?q=__xss".to_owned(),
        "/inbox".to_owned(),
    ];
    let cases: Value = api_get(format!("{}/api/v1/cases?limit=1000", server.base), &token)
        .await
        .json()
        .await
        .expect("cases json");
    let mut xss_cases = 0;
    for c in cases["cases"].as_array().into_iter().flatten() {
        let hostile_case = c["mentions"].as_array().is_some_and(|m| {
            m.iter()
                .any(|id| id.as_str().is_some_and(|s| s.starts_with("xss:")))
        });
        if hostile_case {
            xss_cases += 1;
            pages.push(format!("/cases/{}", c["id"]));
            if let Some(key) = c["author_key"].as_str() {
                let enc: String = key
                    .bytes()
                    .map(|b| {
                        if b.is_ascii_alphanumeric() {
                            (b as char).to_string()
                        } else {
                            format!("%{b:02X}")
                        }
                    })
                    .collect();
                pages.push(format!("/explorer?author={enc}"));
            }
        }
    }
    assert!(xss_cases > 0, "the hostile complaints became cases");
    for p in &pages {
        let t = Instant::now();
        b.goto(&format!("{}{p}", server.base)).await;
        b.wait_for("main", 10).await;
        assert_nothing_ran(&b, p).await;
        eprintln!("browser test: {p} {:?}", t.elapsed());
    }
    b.goto(&format!("{}/explorer?q=__xss", server.base)).await;
    b.wait_for("#results tr.mention", 10).await;
    let shown = b
        .script("return document.querySelector('#results').innerText.includes('<script>window.__xss=1</script>');")
        .await;
    assert_eq!(shown, json!(true), "hostile text is shown as text");
    let js_links = b
        .script("return Array.from(document.querySelectorAll('a[href]')).filter(a => !/^(https?:|\\/)/.test(a.getAttribute('href'))).length;")
        .await;
    assert_eq!(js_links, json!(0), "no javascript: or data: links");
    b.screenshot("explorer-xss").await;

    eprintln!("browser test: The CSP is on every page");
    // The CSP is on every page.
    let res = reqwest::get(format!("{}/login", server.base))
        .await
        .expect("login");
    let csp = res
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );

    b.quit().await;
    drop(driver);
    assert!(
        server.stop(),
        "the server stops cleanly with browsers connected"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_crisis_room_in_the_browser_from_the_page_to_the_post_mortem() {
    let Some((driver_path, chrome)) = browser() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    let db = format!("sqlite://{}", dir.path().join("room.db").display());
    let plan = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/plan.toml");
    std::fs::write(
        dir.path().join("firebreak.toml"),
        format!(
            "[crisis]\nplan = \"{}\"\n\n[[notify.targets]]\nkind = \"slack\"\nname = \"team-chat\"\nurl = \"http://127.0.0.1:9/services/T0/B0/SECRETPATH\"\ncrisis_only = true\n",
            plan.display()
        ),
    )
    .expect("config");
    // Giulia leads crises in the plan; her account carries the same name.
    add_user(dir.path(), &db, "giulia", "manager");
    let token = api_token(dir.path(), &db, "giulia");

    let server = Server::start(dir.path(), &db, &[]);
    let demo = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/demo/velora-crisis.jsonl"),
    )
    .expect("demo crisis");
    let lines: Vec<&str> = demo.lines().filter(|l| !l.trim().is_empty()).collect();
    post_mentions(&server, &lines).await;
    // The plan opens a crisis from the demo's alerts.
    let deadline = Instant::now() + Duration::from_secs(90);
    let id = loop {
        let list: Value = api_get(format!("{}/api/v1/crises", server.base), &token)
            .await
            .json()
            .await
            .expect("json");
        if let Some(id) = list["crises"][0]["id"].as_i64() {
            break id;
        }
        assert!(Instant::now() < deadline, "no crisis opened: {list}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    };

    let driver = start_driver(&driver_path);
    let b = Browser::start(&driver, &chrome).await;
    b.goto(&format!("{}/crises", server.base)).await;
    let name = b.wait_for("#name", 10).await;
    b.type_into(&name, "giulia").await;
    let pw = b.wait_for("#password", 5).await;
    b.type_into(&pw, PASSWORD).await;
    let submit = b.wait_for("#login-submit", 5).await;
    b.click(&submit).await;
    let link = b
        .wait_for(&format!("#crisis-list tr[data-crisis='{id}'] a"), 10)
        .await;
    b.screenshot("crises").await;
    b.click(&link).await;
    b.wait_for("#checklist li.step", 10).await;
    b.screenshot("crisis-room").await;

    // Acknowledge the page: the escalation stops, the room says who.
    let ack = b.wait_for("#crisis-ack", 5).await;
    b.click(&ack).await;
    b.wait_for("#flash", 10).await;
    b.wait_for("#acked", 5).await;
    assert!(b.find("#crisis-ack").await.is_none(), "acknowledged once");

    // Tick off the first step of the checklist.
    let done = b.wait_for("#checklist li.step button.step-done", 5).await;
    b.click(&done).await;
    b.wait_for("#checklist li.step.done", 10).await;

    // Draft the holding statement from the plan: linted, waiting for approvals.
    let draft = b.wait_for("#draft-statement", 5).await;
    b.click(&draft).await;
    b.wait_for("#statements .statement", 10).await;
    let text = b
        .script("return document.querySelector('#statements .statement blockquote').innerText;")
        .await;
    assert!(
        text.as_str().is_some_and(|t| t.len() > 40),
        "the plan's statement, filled in: {text}"
    );
    // Publishing before the plan's approvals is refused.
    let publish = b.wait_for("#statements button.publish", 5).await;
    b.click(&publish).await;
    b.wait_for("main", 5).await;
    let refused = b.script("return document.body.innerText;").await;
    assert!(
        refused
            .as_str()
            .is_some_and(|t| t.to_lowercase().contains("approv")),
        "publishing without approvals is refused: {refused}"
    );
    b.screenshot("crisis-publish-refused").await;

    // The draft leaves what only people know as a marked gap; filling it in is an edit
    // in the room, and the room then shows the new words without the gap warning.
    b.goto(&format!("{}/crises/{id}", server.base)).await;
    b.wait_for("#statements .statement .fill-in", 10).await;
    let area = b
        .wait_for("#statements .statement textarea[name='text']", 5)
        .await;
    b.clear(&area).await;
    let filled = "We know that some kettles of one batch overheat at the base, and we are looking into it now. The next update is at 12:00 UTC.";
    b.type_into(&area, filled).await;
    b.click_css("#statements .statement button.revise-save", 10)
        .await;
    b.wait_for("#flash", 10).await;
    let first = b
        .script("return document.querySelector('#statements .statement blockquote').innerText;")
        .await;
    assert_eq!(first.as_str(), Some(filled), "the edited statement");
    assert_eq!(
        b.script("return document.querySelector('#statements .statement').querySelectorAll('.fill-in').length;")
            .await,
        json!(0),
        "no gap left in the edited statement"
    );
    b.screenshot("crisis-statement-edited").await;

    // The post-mortem and the plan.
    b.goto(&format!("{}/crises/{id}/report", server.base)).await;
    b.wait_for("svg", 10).await;
    b.screenshot("crisis-report").await;
    b.goto(&format!("{}/plan", server.base)).await;
    b.wait_for("#plan-people tr[data-person='giulia']", 10)
        .await;
    b.screenshot("plan").await;

    // The plan editor: a broken plan is refused with its problems located; a fixed one is
    // saved and in force at once.
    let edit = b.wait_for("#plan-edit-link", 10).await;
    b.click(&edit).await;
    b.wait_for("#plan-text", 10).await;
    b.script(
        "const t = document.getElementById('plan-text'); \
         t.value = t.value.replace('plan_version = 1', 'plan_version = 9'); return true;",
    )
    .await;
    let save = b.wait_for("#plan-save", 10).await;
    b.click(&save).await;
    b.wait_for("#plan-problems li.plan-problem", 10).await;
    b.screenshot("plan-edit-problems").await;
    b.script(
        "const t = document.getElementById('plan-text'); \
         t.value = t.value.replace('plan_version = 9', 'plan_version = 1') \
           .replace('brand = \"Acme Coffee\"', 'brand = \"Acme Roasters\"'); return true;",
    )
    .await;
    let save = b.wait_for("#plan-save", 10).await;
    b.click(&save).await;
    b.wait_for("#plan-people", 10).await;
    let page = b.script("return document.body.innerText;").await;
    assert!(
        page.as_str().unwrap_or("").contains("Acme Roasters"),
        "the saved plan is in force"
    );
    b.screenshot("plan-saved").await;

    // Settings show a manager the channels and the notification targets, without secrets.
    b.goto(&format!("{}/settings", server.base)).await;
    b.wait_for("#setup-channels tr[data-channel='@velora']", 10)
        .await;
    b.wait_for("#setup-targets tr[data-target='team-chat']", 10)
        .await;
    let page = b.script("return document.body.innerText;").await;
    assert!(
        !page.as_str().unwrap_or("").contains("SECRETPATH"),
        "a Slack URL's secret path is not shown"
    );
    b.screenshot("settings-setup").await;

    // The timeline recorded who did what.
    let events: Value = api_get(format!("{}/api/v1/crises/{id}", server.base), &token)
        .await
        .json()
        .await
        .expect("json");
    let kinds: Vec<&str> = events["events"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["actor"] == "giulia")
        .filter_map(|e| e["kind"].as_str())
        .collect();
    for k in ["acknowledged", "step_done", "statement_requested"] {
        assert!(kinds.contains(&k), "{k} by giulia in {kinds:?}");
    }
    b.quit().await;
    drop(driver);
    assert!(server.stop());
}
