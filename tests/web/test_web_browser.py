"""End to end in real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright).

The site runs under uvicorn on 127.0.0.1 over a store filled by the bot's own
pipeline. A staff member logs in, filters the queue, opens a deferral case, looks at
its PDF, grants it, and the reply reaches a real SMTP sink through the bot's outbox
runner. A hostile HTML mail is opened and must fire nothing and fetch nothing; a
reader cannot act; a forged cross-site form is refused. Screenshots of the queue,
a deferral case, the dashboard and the replies to check go to ``tests/artifacts/``.
"""

from __future__ import annotations

import email
import email.policy
import http.server
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.servers import SmtpSink, free_port, smtp_sink
from tests.web.conftest import PASSWORDS, ROOT, Site
from tests.web.mails import EVIL_HOST

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = ROOT / "tests" / "artifacts"


class LiveServer:
    """The site under uvicorn in a thread, on a free local port."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        self.port = free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed (/usr/bin/chromium, Debian package chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("Playwright for Python is not installed")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def live(site: Site) -> Iterator[LiveServer]:
    server = LiveServer(site.app)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    server = smtp_sink()
    yield server
    server.close()


class Watch:
    """A browser context that records dialogs and every request, and blocks remote ones."""

    def __init__(self, browser: Any) -> None:
        self.context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="fr-FR")
        self.dialogs: list[str] = []
        self.remote: list[str] = []
        self.requests: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("dialog", self._dialog)

    def _route(self, route: Any) -> None:
        url = route.request.url
        self.requests.append(url)
        host = urlsplit(url).hostname
        if url.startswith(("data:", "about:", "blob:")) or host == "127.0.0.1":
            route.continue_()
        else:
            self.remote.append(url)
            route.abort()

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def login(self, base: str, name: str) -> Any:
        page = self.page
        page.goto(f"{base}/")
        assert "/login" in page.url
        page.fill('input[name="username"]', name)
        page.fill('input[name="password"]', PASSWORDS[name][1])
        page.click('button[type="submit"]')
        page.wait_for_url(f"{base}/")
        return page

    def close(self) -> None:
        self.context.close()


def shot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    return path


def test_grant_a_deferral_and_the_reply_reaches_smtp(
    browser: Any, live: LiveServer, site: Site, sink: SmtpSink
) -> None:
    from intake.config import SmtpConfig
    from intake.outbox import run_outbox

    watch = Watch(browser)
    page = watch.login(live.url, "arthur")
    assert page.locator("h1").inner_text() == "File d'attente"
    shot(page, "queue.png")

    # Filter the queue to deferral requests.
    page.select_option("#kind", "deferral_request")
    page.click("text=Filtrer")
    page.wait_for_url("**/?**kind=deferral_request**")
    refs = page.locator("td.ref a").all_inner_texts()
    ref = site.refs["deferral-medical-pdf"]
    assert set(refs) == {ref, site.refs["deferral-holiday"]}

    page.click(f"text={ref}")
    page.wait_for_url(f"**/cases/{ref}")
    assert "certificat-medical.pdf" in page.content()
    # The PDF shown in the case page: pages rendered as images in a sandboxed frame.
    page.click("text=Afficher ici")
    inline = page.locator("iframe.inlinepreview")
    assert "allow-scripts" not in (inline.get_attribute("sandbox") or "")
    page.wait_for_function(
        "() => { const f = document.querySelector('iframe.inlinepreview');"
        " const i = f && f.contentDocument && f.contentDocument.querySelector('img');"
        " return i && i.complete && i.naturalWidth > 500; }",
        timeout=30_000,
    )
    shot(page, "deferral-case.png")

    # The same on a page of its own.
    page.click("a:text-is('Aperçu')")
    page.wait_for_url(f"**/cases/{ref}/files/*")
    frame_element = page.locator("iframe.preview")
    assert "allow-scripts" not in (frame_element.get_attribute("sandbox") or "")
    frame = page.frame_locator("iframe.preview")
    image = frame.locator("img").first
    image.wait_for()
    page.wait_for_function(
        "() => { const f = document.querySelector('iframe.preview');"
        " const i = f && f.contentDocument && f.contentDocument.querySelector('img');"
        " return i && i.complete && i.naturalWidth > 500; }",
        timeout=30_000,
    )
    shot(page, "pdf-preview.png")
    page.go_back()

    # Grant: the reply is previewed, recomputed with the session, then queued.
    page.click("text=Accorder le report")
    page.wait_for_url(f"**/cases/{ref}/actions/grant")
    page.fill("#p-next_session", "novembre 2025")
    page.click("text=Mettre à jour l'aperçu")
    page.wait_for_load_state()
    body = page.input_value("#body")
    assert "session suivante : novembre 2025" in body
    page.fill("#body", body.replace("acceptée.", "acceptée. Bon rétablissement."))
    shot(page, "grant-preview.png")
    page.click("text=Valider et mettre en file d'envoi")
    page.wait_for_url(f"**/cases/{ref}?notice=queued")
    assert "Résolu" in page.locator("h1").inner_text()
    assert "En attente d'envoi" in page.content()

    # The bot's outbox runner sends it to the SMTP server.
    smtp = SmtpConfig(host="127.0.0.1", port=sink.port, security="none")
    config = site.config.model_copy(update={"smtp": smtp})
    summary = run_outbox(config, site.engine, owner="browser-test")
    assert summary.sent >= 1 and not summary.stopped
    received = [
        email.message_from_bytes(m.data, policy=email.policy.default) for m in sink.messages
    ]
    granted = [m for m in received if "accord" in str(m["Subject"])]
    assert len(granted) == 1
    mail = granted[0]
    assert mail["To"] == "claire.martin@example.fr"
    assert mail["In-Reply-To"] == "<report-martin@example.fr>"
    assert f"[{ref}]" in str(mail["Subject"])
    content = mail.get_content()
    assert "novembre 2025" in content and "Bon rétablissement." in content

    page.reload()
    assert "Envoyée" in page.content()
    page.click("text=Tableau de bord")
    page.wait_for_url("**/dashboard")
    assert page.locator("svg rect").count() >= 5
    shot(page, "dashboard.png")
    assert watch.dialogs == [] and watch.remote == []
    watch.close()


def test_hostile_mail_shows_nothing_active(browser: Any, live: LiveServer, site: Site) -> None:
    watch = Watch(browser)
    page = watch.login(live.url, "lea")
    ref = site.refs["hostile-html"]
    page.goto(f"{live.url}/cases/{ref}")
    page.click("text=Version mise en forme")
    frame_element = page.locator("iframe.mailhtml")
    frame_element.wait_for()
    assert "allow-scripts" not in (frame_element.get_attribute("sandbox") or "")
    page.wait_for_function(
        "() => { const f = document.querySelector('iframe.mailhtml');"
        " const d = f && f.contentDocument;"
        " return d && d.readyState === 'complete' && d.body && d.body.innerText.includes('question'); }",
        timeout=30_000,
    )
    inner = page.evaluate(
        "() => { const d = document.querySelector('iframe.mailhtml').contentDocument;"
        " return { scripts: d.querySelectorAll('script').length,"
        "   handlers: [...d.querySelectorAll('*')].filter(e => [...e.attributes].some(a => a.name.startsWith('on'))).length,"
        "   links: [...d.querySelectorAll('a')].map(a => a.getAttribute('href')),"
        "   images: [...d.images].map(i => [i.getAttribute('src'), i.naturalWidth]),"
        "   frames: d.querySelectorAll('iframe,form,object,embed').length }; }"
    )
    assert inner["scripts"] == 0 and inner["handlers"] == 0 and inner["frames"] == 0
    assert all(h is None or h.startswith("https://www.union-prof") for h in inner["links"])
    # The inline logo (cid:) came from our own route; the tracking pixel was dropped.
    loaded = [src for src, width in inner["images"] if src and width > 0]
    assert len(loaded) == 1 and loaded[0].startswith("/messages/")
    page.wait_for_timeout(500)
    assert watch.dialogs == []
    assert not any(EVIL_HOST in url for url in watch.requests + watch.remote)
    # Clicking the "Cliquez ici" link (a javascript: link in the original) does nothing.
    page.frame_locator("iframe.mailhtml").locator("text=Cliquez ici").click()
    page.wait_for_timeout(300)
    assert watch.dialogs == []
    shot(page, "hostile-mail.png")
    watch.close()


def test_a_reader_cannot_act(browser: Any, live: LiveServer, site: Site) -> None:
    watch = Watch(browser)
    page = watch.login(live.url, "lea")
    ref = site.refs["deferral-medical-pdf"]
    page.goto(f"{live.url}/cases/{ref}")
    assert page.locator("text=Accorder le report").count() == 0
    assert page.locator("form[action*='/reclassify']").count() == 0
    response = page.goto(f"{live.url}/cases/{ref}/actions/grant")
    assert response is not None and response.status == 403
    assert "Accès refusé" in page.content()
    # Even a hand-made request with the session's token is refused.
    page.goto(f"{live.url}/cases/{ref}")
    token = page.evaluate("() => document.querySelector('input[name=csrf_token]').value")
    posted = page.request.post(
        f"{live.url}/cases/{ref}/assign", form={"csrf_token": token, "take": "1"}, max_redirects=0
    )
    assert posted.status == 403
    with site.session() as session:
        from store.queries import case_by_ref

        case = case_by_ref(session, ref)
        assert case is not None and case.assigned_to is None and case.status == "to_review"
    watch.close()


def test_a_forged_cross_site_form_is_refused(
    browser: Any, live: LiveServer, site: Site, tmp_path: Path
) -> None:
    ref = site.refs["problem-nuc"]
    # An attacker's page on another origin that posts a form to the site on load.
    folder = tmp_path / "evil"
    folder.mkdir()
    (folder / "index.html").write_text(
        f'<form id="f" method="post" action="{live.url}/cases/{ref}/assign">'
        '<input name="take" value="1"><input name="csrf_token" value="guess"></form>'
        "<script>document.getElementById('f').submit()</script>",
        encoding="utf-8",
    )
    port = free_port()
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(  # noqa: E731
        *a, directory=str(folder), **k
    )
    evil = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=evil.serve_forever, daemon=True)
    thread.start()
    try:
        watch = Watch(browser)
        watch.login(live.url, "arthur")
        page = watch.page
        with page.expect_navigation(url=f"{live.url}/cases/{ref}/assign"):
            page.goto(f"http://127.0.0.1:{port}/index.html")
        assert "Accès refusé" in page.content()
        watch.close()
    finally:
        evil.shutdown()
        evil.server_close()
    with site.session() as session:
        from store.queries import case_by_ref

        case = case_by_ref(session, ref)
        assert case is not None and case.assigned_to is None


def test_replies_to_check_resend_one_and_it_is_sent(
    browser: Any, live: LiveServer, site: Site, sink: SmtpSink
) -> None:
    from tests.web.outbox_states import make_states, outbox

    states = make_states(site, sink)
    waiting = len(states.uncertain) + len(states.failed)
    watch = Watch(browser)
    page = watch.login(live.url, "arthur")
    # The navigation shows how many replies wait for a decision, on every page.
    assert page.locator(".mainnav .count").inner_text() == str(waiting)
    page.click("text=Envois à vérifier")
    page.wait_for_url("**/envois")
    assert page.locator("table.replies tbody tr").count() == waiting
    shot(page, "replies.png")

    reply_id = states.uncertain[0]
    page.locator(f"#r{reply_id} >> text=Renvoyer").click()
    page.wait_for_url(f"**/envois/{reply_id}/resend")
    assert "peut-être déjà arrivé" in page.content()
    page.fill("#note", "candidat joint : rien reçu")
    shot(page, "reply-resend.png")
    page.click("text=Confirmer le renvoi")
    page.wait_for_url("**/envois?notice=resend")
    assert page.locator(f"#r{reply_id}").count() == 0
    assert page.locator(".mainnav .count").inner_text() == str(waiting - 1)
    # From the case page of a refused reply: its decisions next to it.
    failed = states.failed[0]
    page.locator(f"#r{failed} td.ref a").click()
    page.wait_for_url("**/cases/*")
    assert page.locator(f"a[href='/envois/{failed}/resend?back=case']").count() == 1
    shot(page, "reply-failed-case.png")

    summary = outbox(site, sink)
    assert summary.sent == 1 and not summary.stopped
    assert len(sink.messages) == 1
    assert watch.dialogs == [] and watch.remote == []
    watch.close()
